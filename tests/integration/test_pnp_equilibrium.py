"""PNP equilibrium checks (physics.md 4.3 and 4.4), 1D, on the real executable.

One mobile species (protons in PSG) on its fixed compensating background c0,
between a biased blocking gate and a grounded blocking back wall (closed
system). The equilibrium is solved by the code (pseudo-transient relaxation).
Exact, with psi the potential relative to the neutral bulk:
  - surface field (first integral): E_s^2 = (2 c0 kT/eps)[psi_s/V_T + exp(-psi_s/V_T) - 1];
  - Boltzmann profile c = c0 exp(-psi/V_T);
  - zero flux: the electrochemical potential mu is constant to round-off;
  - the number of protons is c0 L.
E_s is read from the gate metal charge (consistent flux of the discrete
solution): Q = eps E_s. Tolerance on E_s: 1e-4 relative on the finest mesh,
and the error must fall with refinement. The site density is raised to 1e31
so that the dilute first integral applies (its lattice-gas correction is ~1e-5).
Run twice: consistent mass matrix with the Galerkin mobility, and mass
lumping with the edge mobility (the box scheme of the monotone option)."""
import math
import os
from common import *

KT = 1.380649e-23 * 300 / 1.602176634e-19
EPS0, Q = 8.8541878128e-12, 1.602176634e-19
EPS_R, C0, L = 4.0, 1e26, 20e-9
folder = scratch("pnp_equilibrium")
mats = materials_copy(folder, {"PSG": {"Proton site density": ("1e31", "1e26, 1e31")}})



def study(label, transport):
    """The mesh study for one discretisation (label in names and messages)."""
    errors = []
    MESHES = [("0.02e-9", "0.2e-9", "1.1"), ("0.01e-9", "0.1e-9", "1.05"), ("0.005e-9", "0.05e-9", "1.02")]
    for level, (h, hmax, ratio) in enumerate(MESHES):
        for V in (0.1, 0.3):
            out = os.path.join(folder, f"{label.strip()}h{level}_V{V}")
            deck = write(out + ".prm", pnp_deck(
                [("electrolyte", "PSG", L, float(h), "full")], materials_dir=mats, output_dir=out,
                geometry={"Max vertical cell size": hmax, "Grading ratio": ratio},
                waveform={"Type": "dc", "Base voltage": "0", "Amplitude": str(V)},
                transport=transport,
                time={"End time": "1e-15", "Initial step": "1e-15", "Snapshot times": "0"}))
            run_ok(["run", deck], np=1)
            rows = read_csv(os.path.join(out, "device_timeseries.csv"))
            prof = read_csv(os.path.join(out, "device_0000_profile.csv"))
            mid = min(prof, key=lambda r: abs(r["z_m"] - L / 2))
            psi_s = V - mid["phi_V"]
            u = psi_s / KT
            e_exact = math.sqrt(2 * C0 * KT * Q / (EPS0 * EPS_R) * (u + math.exp(-u) - 1))
            e_num = rows[0]["gate_metal_charge_C"] / (EPS0 * EPS_R)
            err = rel(e_num, e_exact)
            errors.append((level, V, err))
            print(f"h = {h} m, V = {V} V: psi_s = {psi_s:.6f} V, E_s = {e_num:.8e} vs exact {e_exact:.8e}, "
                  f"rel. error {err:.2e}")
            if level == 2:
                check(err < 1e-4, f"{label}V = {V}: surface field rel. error {err:.2e} < 1e-4 (finest mesh)")
                mus = [r["mu_kT"] for r in prof]
                spread = max(mus) - min(mus)
                check(spread < 1e-9, f"{label}V = {V}: mu constant to {spread:.1e} kT (zero discrete flux)")
                worst = 0
                for r in prof:
                    if abs(r["z_m"] - L) < 5e-9:  # the depletion layer at the gate
                        exact = C0 * math.exp(-(r["phi_V"] - mid["phi_V"]) / KT)
                        worst = max(worst, rel(r["proton_density_m3"], exact))
                check(worst < 1e-4, f"{label}V = {V}: Boltzmann profile within {worst:.1e} relative near the gate")
                # The snapshot's field column: the one-sided gradient in the cell at
                # the gate is E at that cell's midpoint, within h/lambda_D of E_s.
                top = max(prof, key=lambda r: r["z_m"])
                check(rel(top["E_V_per_m"], -e_num) < 0.05,
                      f"{label}V = {V}: profile E at the gate {top['E_V_per_m']:.4e} V/m ~ -E_s (5%, one-sided)")
                n = rows[0]["protons_electrolyte"]
                check(rel(n, C0 * L) < 1e-12, f"{label}V = {V}: protons {n:.15e} = c0 L {C0 * L:.15e} (closed system)")
    for V in (0.1, 0.3):
        e = [err for lvl, v, err in errors if v == V]
        rates = [math.log2(e[i] / e[i + 1]) for i in range(2)]
        check(e[2] < e[1] < e[0] and rates[-1] > 1.5,
              f"{label}V = {V}: error falls with refinement {['%.1e' % x for x in e]}, observed rates "
              f"{['%.2f' % r for r in rates]} (cells halve)")


study("", {"Gate proton exchange": "blocking", "Mobility average": "galerkin"})
# Mass lumping with the edge mobility (the box scheme): the same exact answers.
study("lumped ", {"Gate proton exchange": "blocking", "Mass lumping": "on", "Mobility average": "edge"})
finish()
