"""Finite-rate proton exchange at the gate (Butler-Volmer) and the gate's Stern layer, 1D.

Model (physics.md §2, 'Transport/Gate proton exchange = butler-volmer'): flux into the electrolyte
    J = k0 [c_res (c_max - c)/(c_max - c_res) e^(alpha dphi/V_T) - c e^(-(1 - alpha) dphi/V_T)],
dphi = V_gate - phi at the gate face. The vacancy factor makes J = 0 exactly where the face is in
equilibrium with the reservoir (the ideal reservoir's state); for c << c_max it is physics.md's form.

A. Exact solution with a Robin condition. One WO3 layer in 'Channel electrostatics = conductor'
   (phi = V_ch on every node, so dphi = V_gate - V_ch is set by the deck and the flux in the
   lattice gas is Fick's law J = -D grad c, see test_pnp_erfc_diffusion). After the gate steps
   from 0 to A at t = 0+ the exchange is linear in c:
       J = k_eff (c_s - c),  k_eff = k0 e^(-(1-alpha) a) (1 + K),  c_s = c_max K / (1 + K),
       K = c_res e^a / (c_max - c_res),  a = (A - V_ch)/V_T,
   and with u = c - c_a, h = k_eff / D, x the depth below the gate (Carslaw & Jaeger §2.7):
       u / u_s = erfc(x / 2 sqrt(Dt)) - exp(h x + h^2 D t) erfc(x / 2 sqrt(Dt) + h sqrt(Dt)),
       uptake  = (u_s / h) [exp(h^2 D t) erfc(h sqrt(Dt)) - 1 + 2 h sqrt(Dt / pi)].
   k0 is chosen so that h sqrt(D t) = 0.5..4 over the snapshots: neither limit (erfc at
   h -> inf, linear uptake k_eff u_s t at h -> 0) describes it. Checked: mesh convergence of
   the profile (rate ~2) at alpha = 0.5, and the accuracy at alpha = 0.3 and 0.7 with
   V_ch = 0.02 V (e^(-(1-alpha) a) differs by 2.4x between them, so a wrong alpha or sign of
   dphi fails by far more than the tolerance).
B. Limits: with k0 = 1e3 m/s the uptake equals the ideal reservoir's (erfc) to 1e-4 and the t = 0
   equilibrium of a PSG/WO3 device at a 1 V gate with 'butler-volmer' equals the reservoir's (the
   exchange vanishes exactly at the reservoir's electrochemical potential).
C. Stern layer (Robin condition for phi): PSG between a biased blocking gate behind a Stern layer
   (lambda_S = 0.5 nm, eps_S = 4) and a grounded blocking wall. At equilibrium the surface field
   obeys both the first integral E_s^2 = (2 c0 kT/eps)[u + e^-u - 1] (u = psi_s/V_T, psi_s the
   gate-face potential relative to the neutral bulk) and the Stern condition
   eps_r E_s = (eps_S / lambda_S)(V - phi_s). The exact phi_s solves both (bisection here, with
   the bulk potential from the run); checked: phi_s and the metal charge against it, with
   refinement.
All cases use the default flux, sg (with phi fixed in the conductor it is Fick's law, c_b - c_a per
pair, so A's figures equal the Galerkin mobility's that the tolerances were first set with; C's
Stern figures too, to the printed digits). The mesh study of A runs with the default lumped storage
(rate 2); the alpha cases of A and the Stern
cases of C check absolute accuracy with the consistent mass matrix ('Mass lumping = off'), against
which the tolerances were set: lumping's larger O(h^2) constant gives 1.2e-4 (alpha = 0.3, limit
1e-4) and 1.1e-5 V/V (C at 0.3 V, limit 1e-5) on the same meshes (measured).
"""
import math
import os
import time
from common import *

KB, Q, EPS0 = 1.380649e-23, 1.602176634e-19, 8.8541878128e-12
VT = KB * 300.0 / Q
folder = scratch("pnp_gate_kinetics")
table = VerificationTable()
row = table.add


# ---------------------------------------------------------------- A. Robin diffusion, exact
L = 40e-9
C_RES, A = 1e24, 0.1
K0 = 3.5e-4
T_SNAP = [2e-5, 8e-5, 3.2e-4]
D = material_value("WO3", "Proton diffusivity prefactor") * math.exp(
    -material_value("WO3", "Proton activation energy") / VT)
CMAX = material_value("WO3", "Proton site density")


def robin_exact(alpha, v_ch):
    """c_a, u_s, h and the profile/uptake functions of the stepped Robin problem."""
    a = (A - v_ch) / VT
    K = C_RES * math.exp(a) / (CMAX - C_RES)
    c_s = CMAX * K / (1 + K)
    k_eff = K0 * math.exp(-(1 - alpha) * a) * (1 + K)
    # t = 0: equilibrium at V_gate = 0: c_a/(c_max - c_a) = R e^(-v_ch/V_T)
    Ka = C_RES * math.exp(-v_ch / VT) / (CMAX - C_RES)
    c_a = CMAX * Ka / (1 + Ka)
    h = k_eff / D
    profile, uptake = robin_diffusion(c_a, c_s, h, D)
    return c_a, h, profile, uptake


def robin_run(name, refinements, tol, alpha, v_ch, exchange="butler-volmer", k0=K0, lumping="on"):
    out = os.path.join(folder, name)
    deck = write(out + ".prm", pnp_deck(
        [("channel", "WO3", L, 0.4e-9, "full")], output_dir=out,
        geometry={"Max vertical cell size": "2e-9", "Grading ratio": "1.2",
                  "Global refinements": str(refinements)},
        waveform={"Type": "pulse", "Base voltage": "0", "Amplitude": repr(A), "Delay": "0",
                  "Rise time": "0", "Width": "1", "Fall time": "0"},
        transport={"Gate proton exchange": exchange, "Reservoir proton density": repr(C_RES),
                   "Gate rate constant": repr(k0), "Gate transfer coefficient": repr(alpha),
                   "Channel electrostatics": "conductor", "Channel potential": repr(v_ch),
                   "Mass lumping": lumping},
        time={"End time": repr(T_SNAP[-1]), "Initial step": "1e-8", "Max step": repr(T_SNAP[-1]),
              "Error tolerance": repr(tol), "Progress every": "100000",
              "Snapshot times": ", ".join(repr(t) for t in [0.0] + T_SNAP)}))
    t0 = time.time()
    run_ok(["run", deck])
    s = summary(out)
    series = read_csv(os.path.join(out, "device_timeseries.csv"))
    n0 = series[0]["protons_channel"]
    res = {"s": s, "wall": time.time() - t0, "err": [], "uptake": [], "profiles": []}
    c_a, h, profile, uptake = robin_exact(alpha, v_ch)
    res["init"] = max(rel(r["proton_density_m3"], c_a)
                      for r in read_csv(os.path.join(out, "device_0000_profile.csv")))
    for k, t in enumerate(T_SNAP):
        prof = read_csv(os.path.join(out, f"device_{k + 1:04d}_profile.csv"))
        res["profiles"].append(prof)
        res["err"].append(max(abs(r["proton_density_m3"] - profile(L - r["z_m"], t)) for r in prof)
                          / max(r["proton_density_m3"] for r in prof))
        r = min(series, key=lambda r: abs(r["time_s"] - t))
        assert abs(r["time_s"] - t) < 1e-9 * t, "a step must land on every snapshot time"
        res["uptake"].append((r["protons_channel"] - n0, uptake(t)))
    against = (f"h sqrt(D t) = {', '.join('%.2f' % (h * math.sqrt(D * t)) for t in T_SNAP)}; "
               f"max err/c(0) at t1..t3 = {', '.join('%.3e' % e for e in res['err'])}; uptake rel. err "
               f"{', '.join('%.2e' % rel(*u) for u in res['uptake'])}") if k0 == K0 else "(limit run)"
    print(f"{name}: {s['dofs']} DoFs, {s['steps']} steps, {s['newton_iterations']} Newton, wall "
          f"{res['wall']:.1f} s; {against}")
    return res


mesh = [robin_run(f"A_r{r}", r, 3e-4, 0.5, 0.0) for r in (0, 1, 2)]
robin_mesh_report(mesh, row, 1e-12, "t = 0 state is c_a = c_res", "c(0)")
for alpha in (0.3, 0.7):
    m = robin_run(f"A_alpha{alpha}", 3, 1e-3, alpha, 0.02, lumping="off")
    robin_alpha_report(m, row, f"A r3 alpha{alpha} Vch0.02", "c(0)", T_SNAP, 1e-4, 5e-4)

# ---------------------------------------------------------------- B. limits
fast = robin_run("B_fast", 2, 3e-4, 0.5, 0.0, k0=1e3)
ideal = robin_run("B_reservoir", 2, 3e-4, 0.5, 0.0, exchange="reservoir")
worst = max(rel(f[0], i[0]) for f, i in zip(fast["uptake"], ideal["uptake"]))
row("B r2 k0=1e3 vs reservoir", "uptake (max over t)", ideal["uptake"][-1][0], fast["uptake"][-1][0], worst, None, fast["s"])
check(worst < 1e-4, f"B: k0 = 1e3 m/s takes up what the ideal reservoir does (worst rel. {worst:.1e} < 1e-4)")

p_res, s_res = device_equilibrium(folder, "B_eq_reservoir", {"Gate proton exchange": "reservoir"})
for k0 in ("1e-6", "1e2"):
    p_bv, s_bv = device_equilibrium(folder, f"B_eq_bv{k0}", {"Gate proton exchange": "butler-volmer",
                                                     "Gate rate constant": k0, "Gate transfer coefficient": "0.4"})
    dev = max(rel(a["proton_density_m3"], b["proton_density_m3"]) for a, b in zip(p_bv, p_res))
    row(f"B eq. 1 V k0={k0}", "max rel. diff. of c vs reservoir", 0.0, dev, dev, None, s_bv)
    check(dev < 1e-8, f"B: equilibrium at 1 V with butler-volmer (k0 = {k0} m/s) = the reservoir's "
          f"(density within {dev:.1e} relative at every node; {s_bv['equilibrium_pseudo_steps']} pseudo-steps)")

# ---------------------------------------------------------------- C. Stern layer equilibrium
EPS_R, C0, LP = 4.0, 1e26, 20e-9
LAMBDA_S, EPS_S = 0.5e-9, 4.0
mats = materials_copy(folder, {"PSG": {"Proton site density": ("1e31", "1e26, 1e31")}})


def surface_field(psi):
    u = psi / VT
    return math.copysign(math.sqrt(2 * C0 * KB * 300.0 / (EPS0 * EPS_R) * (u + math.exp(-u) - 1)), psi)


MESHES = [("0.02e-9", "0.2e-9", "1.1"), ("0.01e-9", "0.1e-9", "1.05"), ("0.005e-9", "0.05e-9", "1.02")]
stern = {}
for V in (0.3, 1.0):
    for level, (h, hmax, ratio) in enumerate(MESHES):
        out = os.path.join(folder, f"C_h{level}_V{V}")
        deck = write(out + ".prm", pnp_deck(
            [("electrolyte", "PSG", LP, float(h), "full")], materials_dir=mats, output_dir=out,
            geometry={"Max vertical cell size": hmax, "Grading ratio": ratio},
            waveform={"Type": "dc", "Base voltage": "0", "Amplitude": str(V)},
            transport={"Gate proton exchange": "blocking", "Gate Stern layer thickness": repr(LAMBDA_S),
                       "Gate Stern layer permittivity": repr(EPS_S), "Mass lumping": "off"},
            time={"End time": "1e-15", "Initial step": "1e-15", "Snapshot times": "0"}))
        run_ok(["run", deck])
        s = summary(out)
        prof = read_csv(os.path.join(out, "device_0000_profile.csv"))
        bulk = min(prof, key=lambda r: abs(r["z_m"] - LP / 2))["phi_V"]
        phi_s = max(prof, key=lambda r: r["z_m"])["phi_V"]
        q_num = read_csv(os.path.join(out, "device_timeseries.csv"))[0]["gate_metal_charge_C"]
        # exact: eps_r E_s(phi_s - bulk) = (eps_S/lambda_S)(V - phi_s), monotone in phi_s
        lo, hi = bulk, V
        for _ in range(200):
            mid = 0.5 * (lo + hi)
            if EPS_R * surface_field(mid - bulk) - EPS_S / LAMBDA_S * (V - mid) > 0:
                hi = mid
            else:
                lo = mid
        phi_exact = 0.5 * (lo + hi)
        q_exact = EPS0 * EPS_S / LAMBDA_S * (V - phi_exact)
        e_phi, e_q = abs(phi_s - phi_exact) / V, rel(q_num, q_exact)
        stern[(V, level)] = (e_phi, e_q)
        print(f"C V = {V}, mesh {level}: bulk {bulk:.6f} V, phi_s {phi_s:.8f} V (exact {phi_exact:.8f}), "
              f"Stern drop {V - phi_s:.5f} V; metal charge {q_num:.8e} C/m^2 (exact {q_exact:.8e}); "
              f"errors {e_phi:.2e} V/V, {e_q:.2e}")
        rate = math.log2(stern[(V, level - 1)][1] / e_q) if level else None
        row(f"C Stern V={V} mesh{level}", "metal charge [C/m^2]", q_exact, q_num, e_q, rate, s)
        row(f"C Stern V={V} mesh{level}", "phi_s [V]", phi_exact, phi_s, e_phi, None, s)
    e = [stern[(V, lvl)][1] for lvl in range(3)]
    check(e[2] < 1e-4 and e[2] < e[1] < e[0],
          f"C V = {V}: metal charge behind the Stern layer within {e[2]:.1e} (< 1e-4) of the exact "
          f"one, falling with refinement {['%.1e' % x for x in e]}")
    check(stern[(V, 2)][0] < 1e-5, f"C V = {V}: gate-face potential within {stern[(V, 2)][0]:.1e} V/V of the exact one")

table.print()
finish()
