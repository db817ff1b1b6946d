"""Thin ion sheet drifting across the electrolyte (physics.md 4.7, Ramo-Shockley), 1D.

Set-up: 100 nm PSG between the Pd gate (blocking for protons, phi = V from t = 0) and a 20 nm WO3
collector (electronic conductor at phi = 0; in a materials copy its site energy is -0.5 eV, so
protons that reach it are absorbed, as in test_pnp_sclc). Both layers hold only a floor of
1e12 m^-3 (the materials' c0, which is also the compensating background charge), and the site
densities are 1e31 m^-3 (dilute: c/c_max < 1e-9). 'Initial state = profile' places a Gaussian sheet
(standard deviation 2 nm) of N protons per m^2 at x0 = 30 nm below the gate; the potential at t = 0
is Poisson's for that charge. N is read from the run's t = 0 row (the discrete sheet).

Exact (x measured from the gate, sheet charge sigma = q N, gap d, eps of PSG):
  the field on the sheet is the mean of the fields on its two sides,
      E_s(x) = V/d + sigma (2x - d) / (2 eps d),
  the sheet moves at dx/dt = v(E_s) and the external (gate) current is I = sigma v / d
  (Ramo-Shockley). These hold for the centroid of a spread sheet too: the mean field over any
  charge distribution between the plates is E_gate + sigma/(2 eps) = E_s(centroid), and diffusion
  moves no centroid while the density at both walls is ~0. So the current is exact, for
  v = mu E and for v = mu E0 sinh(E/E0) with a self-field small against V/d, until the front
  reaches the collector: compared for t in [t_a/100, t(x = 70 nm)].
  Arrival: for constant v the mean time at which the protons enter the collector is the
  mean first-passage time of drift-diffusion, (d - x0)/v exactly, i.e. the arrival time t_a of
  the exact sheet, x(t_a) = d; computed as int_0^T (1 - N_WO3(t)/N) dt.
  Induced charge: over the whole transit the gate charge changes by sigma (d - x0)/d.

Cases (x(t) of the exact sheet by RK4 in the test, 1e-12 accurate):
  A  V = 5 V, N = 1e13 m^-2 (self-field 4.5e-4 of V/d), g = 1, 'Mobility average = edge';
     also on 2 ranks (the initial-profile solve and the transit in parallel);
  B  N = 1.1e16 m^-2: the self-field is half of V/d and the current grows by ~1.5x during the
     transit (the check asserts the exact current differs from sigma mu V/d^2 by > 15 %, so the
     self-field term is tested). Its own field spreads the sheet: the front outruns the back by
     mu sigma/eps ~ mu V/d, so the front reaches the collector when the centroid is at ~60 nm
     (measured: error 1.2e-4 at 55 nm, 2.3e-4 at 61 nm, 1.9e-3 at 64 nm); compared up to
     x = 55 nm, current only (after that the absorbed front leaves the thin-sheet law);
  C  V = 10 V, hopping enhancement with a = 1 nm (E0 = 2 V_T/a = 5.2e7 V/m): v = mu E0 sinh(E/E0),
     asserted to differ from mu E by > 50 %;
  D  case A with the Galerkin mobility (the default until the fourteenth session): its PSG/WO3 interface cell (0.1 nm) lets the
     absorbed protons queue in front of the collector: the arrival is late by 0.5 % (measured
     4.85e-3; 9.0e-4 with a 0.025 nm interface cell), asserted < 1 % and reported;
  E  case A with 'Mobility average = sg' (consistent storage): the sheet drifts too fast by
     (h/w)^2/12 (the pair flux sums nodal densities, the storage integrates exp of the
     interpolated log-density), asserted to be that prediction within 5 % (measured 4.38e-3
     against 4.41e-3);
  F  case A with 'sg' and 'Mass lumping = on': current within 5e-4 (measured 7.8e-5), arrival
     within 1e-3 (measured +5.4e-4; second order in h: 2.2e-5 and +1.2e-4 on 0.25 nm cells,
     unchanged with a 0.025 nm interface cell or 'Error tolerance = 1e-4').

Asserted: current within 5e-4 of the exact one over the window, mean arrival time within 2e-4
(edge), induced charge within 1e-6, protons conserved to 1e-12 (summary totals), 1 and 2 ranks within 1e-8.
"""
import math
import os
import time
from common import *

KB, Q, EPS0 = 1.380649e-23, 1.602176634e-19, 8.8541878128e-12
VT = KB * 300 / Q
D_GAP, X0, WIDTH, FLOOR = 100e-9, 30e-9, 2e-9, 1e12
H_BULK = 0.5e-9  # the PSG's cell size away from its faces (case E's prediction uses it)
A_HOP = 1e-9


EPS = material_value("PSG", "Relative permittivity") * EPS0
MU = material_value("PSG", "Proton diffusivity prefactor") * math.exp(
    -material_value("PSG", "Proton activation energy") / VT) / VT
E0 = 2 * VT / A_HOP
folder = scratch("pnp_sheet_transit")
mats = materials_copy(folder, {
    "PSG": {"Proton density": (repr(FLOOR), "0, 1e27"), "Proton site density": ("1e31", "1e26, 1e32"),
            "Proton hopping distance": (repr(A_HOP), "1e-10, 2e-9")},
    "WO3": {"Proton density": (repr(FLOOR), "0, 1e30"), "Proton site density": ("1e31", "1e27, 1e32"),
            "Proton site energy": ("-0.5", "-1, 0.4"),
            "Proton diffusivity prefactor": ("3.79e-5", "1e-10, 1e-3")}})


def velocity(e, sinh_law):
    return MU * E0 * math.sinh(e / E0) if sinh_law else MU * e


def exact_sheet(v_gate, sigma, sinh_law, t_end):
    """x(t) of the thin sheet by RK4 on a fine uniform grid; returns (x(t), t_arrival)."""
    def rate(x):
        return velocity(v_gate / D_GAP + sigma * (2 * x - D_GAP) / (2 * EPS * D_GAP), sinh_law)
    n = 200000
    h = t_end / n
    xs, x, t_a = [X0], X0, None
    for k in range(n):
        k1 = rate(x)
        k2 = rate(x + 0.5 * h * k1)
        k3 = rate(x + 0.5 * h * k2)
        k4 = rate(x + h * k3)
        xn = x + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        if t_a is None and xn >= D_GAP:
            t_a = (k + (D_GAP - x) / (xn - x)) * h
        xs.append(xn)
        x = xn

    def x_of(t):
        s = min(t / h, n - 1e-9)
        i = int(s)
        return xs[i] + (s - i) * (xs[i + 1] - xs[i])
    return x_of, rate, t_a


def sheet_run(name, v_gate, n_sheet, sinh_law=False, mobility="edge", np_=1, end_factor=2.6,
              until_x=None, window_x=70e-9, lumping="off"):
    out = os.path.join(folder, name)
    sigma_guess = Q * n_sheet
    # Time scale from the exact sheet (arrival, or the time to reach until_x).
    horizon = 10 * D_GAP / velocity(v_gate / D_GAP, sinh_law)  # > arrival in every case here
    probe, _, t_a = exact_sheet(v_gate, sigma_guess, sinh_law, horizon)
    if until_x is not None:
        lo, hi = 0.0, t_a
        for _ in range(100):
            mid = 0.5 * (lo + hi)
            lo, hi = (mid, hi) if probe(mid) < until_x else (lo, mid)
        t_end = hi
    else:
        t_end = end_factor * t_a
    peak = n_sheet / (math.sqrt(2 * math.pi) * WIDTH)
    z0 = 20e-9 + D_GAP - X0  # height above the bottom of the stack (WO3 first)
    profile = f"{FLOOR!r} + {peak!r}*exp(-0.5*((z-{z0!r})/{WIDTH!r})^2)"
    deck = write(out + ".prm", pnp_deck(
        [("channel", "WO3", 20e-9, 0.1e-9, "full"), ("electrolyte", "PSG", D_GAP, 0.1e-9, "full")],
        output_dir=out, materials_dir=mats,
        geometry={"Max vertical cell size": repr(H_BULK), "Grading ratio": "1.1"},
        waveform={"Type": "dc", "Amplitude": repr(v_gate)},
        transport={"Gate proton exchange": "blocking", "Channel electrostatics": "conductor",
                   "Field enhancement": "material" if sinh_law else "off", "Mobility average": mobility,
                   "Mass lumping": lumping,
                   "Initial state": "profile", "Initial proton density": profile},
        time={"End time": repr(t_end), "Initial step": "1e-13", "Max step": repr(t_end / 1000),
              "Error tolerance": "1e-3", "Progress every": "100000"}))
    t0 = time.time()
    run_ok(["run", deck], np=np_)
    wall = time.time() - t0
    rows = read_csv(os.path.join(out, "device_timeseries.csv"))
    s = summary(out)
    n0 = rows[0]["protons_electrolyte"] - FLOOR * D_GAP  # the discrete sheet
    sigma = Q * n0
    x_of, rate, t_a = exact_sheet(v_gate, sigma, sinh_law, horizon)
    worst, worst_t, j_rows = 0.0, 0.0, []
    for r in rows[1:]:
        t = r["time_s"]
        if t < t_a / 100:
            continue  # the first steps (dt ~ 1e-13 s) difference the gate charge at round-off
        if x_of(t) > window_x:
            break
        exact = sigma * rate(x_of(t)) / D_GAP
        err = r["gate_current_A"] / exact - 1
        j_rows.append((t, x_of(t), r["gate_current_A"], exact))
        if abs(err) > abs(worst):
            worst, worst_t = err, t
    res = {"name": name, "s": s, "wall": wall, "rows": rows, "sigma": sigma, "n0": n0, "t_a": t_a,
           "x_of": x_of, "rate": rate, "j_err": worst, "j_err_t": worst_t, "j_rows": j_rows,
           "conservation": abs(s["protons_final"] / s["protons_initial"] - 1), "t_end": t_end}
    if until_x is None:
        n_ch0, n_ch = rows[0]["protons_channel"], rows[-1]["protons_channel"] - rows[0]["protons_channel"]
        mean = 0.0
        for r1, r2 in zip(rows, rows[1:]):
            f = 0.5 * (r1["protons_channel"] + r2["protons_channel"]) - n_ch0
            mean += (r2["time_s"] - r1["time_s"]) * (1 - f / n_ch)
        res["absorbed"] = n_ch / n0
        res["arrival"] = mean
        res["induced"] = abs(rows[-1]["gate_metal_charge_C"] - rows[0]["gate_metal_charge_C"])
    print(f"{name}: {s['dofs']} DoFs, {s['steps']} steps, {s['newton_iterations']} Newton, {np_} rank(s), "
          f"wall {wall:.1f} s; N = {n0:.6e} m^-2, self-field/(V/d) = {sigma / (2 * EPS) / (v_gate / D_GAP):.3e}, "
          f"exact arrival {t_a:.6e} s; max |I/I_exact - 1| over the window = {abs(worst):.2e} "
          f"(at t = {worst_t:.3e} s, {len(j_rows)} steps); protons conserved to {res['conservation']:.1e}")
    if "arrival" in res:
        print(f"   mean arrival {res['arrival']:.6e} s (rel {res['arrival'] / t_a - 1:+.2e}); absorbed "
              f"{res['absorbed']:.8f} of the sheet; induced gate charge {res['induced']:.9e} C/m^2 vs "
              f"sigma (d - x0)/d = {sigma * (D_GAP - X0) / D_GAP:.9e}")
    return res


table = []


def checks(res, label, arrival_tol=2e-4, window="t(x = 70 nm)"):
    check(abs(res["j_err"]) < 5e-4, f"{label}: gate current within {abs(res['j_err']):.1e} of sigma v(E_s)/d "
          f"over t in [t_a/100, {window}] (< 5e-4)")
    check(len(res["j_rows"]) > 50, f"{label}: {len(res['j_rows'])} steps compared (> 50)")
    check(res["conservation"] < 1e-12, f"{label}: protons conserved to {res['conservation']:.1e} over the run "
          f"(< 1e-12; summary totals, full precision)")
    table.append((label, "gate current, max rel. error over the transit", abs(res["j_err"]), res))
    if "arrival" in res:
        err = res["arrival"] / res["t_a"] - 1
        check(res["absorbed"] > 0.999999, f"{label}: {res['absorbed']:.7f} of the sheet reached the collector")
        check(abs(err) < arrival_tol, f"{label}: mean arrival time {res['arrival']:.6e} s vs exact "
              f"{res['t_a']:.6e} s: {err:+.2e} (|.| < {arrival_tol:g})")
        ind = res["induced"] / (res["sigma"] * (D_GAP - X0) / D_GAP) - 1
        check(abs(ind) < 1e-6, f"{label}: induced gate charge sigma (d - x0)/d within {abs(ind):.1e} (< 1e-6)")
        table.append((label, "mean arrival time [s]", err, res))
        table.append((label, "induced gate charge", ind, res))


print(f"PSG: mu = {MU:.5e} m^2/Vs, eps = {EPS:.5e} F/m; gap {D_GAP * 1e9:g} nm, sheet at {X0 * 1e9:g} nm "
      f"from the gate, width {WIDTH * 1e9:g} nm; sinh law a = {A_HOP:g} m, E0 = {E0:.4e} V/m")
a1 = sheet_run("A_edge", 5.0, 1e13)
checks(a1, "A (v = mu E, thin sheet)")
a2 = sheet_run("A_edge_2ranks", 5.0, 1e13, np_=2)
checks(a2, "A on 2 ranks")
# Gate charge (relative to the induced total) and protons collected, every step.
induced = a1["sigma"] * (D_GAP - X0) / D_GAP
par = max(abs(r2["gate_metal_charge_C"] - r1["gate_metal_charge_C"]) / induced +
          abs(r2["protons_channel"] - r1["protons_channel"]) / a1["n0"]
          for r1, r2 in zip(a1["rows"], a2["rows"]))
check(len(a1["rows"]) == len(a2["rows"]) and par < 1e-8,
      f"A: 1 and 2 ranks take the same {len(a1['rows']) - 1} steps; gate charge and collected protons "
      f"agree to {par:.1e} of the sheet (< 1e-8)")

b = sheet_run("B_self_field", 5.0, 1.1e16, until_x=57e-9, window_x=55e-9)
checks(b, "B (self-field V/2d)", window="t(x = 55 nm)")
naive = max(abs(ex / (b["sigma"] * MU * 5.0 / D_GAP ** 2) - 1) for _, _, _, ex in b["j_rows"])
check(naive > 0.15, f"B: the exact current differs from sigma mu V/d^2 by up to {naive:.2f} (> 0.15): the "
      f"self-field term is exercised")
growth = b["j_rows"][-1][2] / b["j_rows"][0][2]
print(f"   B: the gate current grows by x{growth:.3f} over the window")

c = sheet_run("C_sinh", 10.0, 1e13, sinh_law=True)
checks(c, "C (v = mu E0 sinh(E/E0))")
enh = velocity(10.0 / D_GAP, True) / velocity(10.0 / D_GAP, False) - 1
check(enh > 0.5, f"C: sinh-law velocity {enh * 100:.0f} % above mu E (> 50 %)")

d = sheet_run("D_galerkin", 5.0, 1e13, mobility="galerkin")
checks(d, "D (case A, Galerkin mobility)", arrival_tol=1e-2)
print(f"   D: the Galerkin interface delays the mean arrival by {d['arrival'] / d['t_a'] - 1:+.2e} "
      f"(edge: {a1['arrival'] / a1['t_a'] - 1:+.2e})")

# E: case A with 'Mobility average = sg' (consistent storage). The SG pair flux
# sums the nodal densities, sum_e h F_e = mu E sum_i h c_i on a uniform mesh,
# while the stored protons are the integral of c_max sigma(eta_h), eta_h the
# interpolated log-density; for a Gaussian sheet of width w on cells h the two
# differ by (h/w)^2/12, so the sheet drifts that much too fast. The edge mean is
# the logarithmic mean, exactly the edge integral of exp(eta_h): no such term.
# Asserted: the error at the first compared time is this prediction (cell
# h = H_BULK, w^2 = WIDTH^2 + 2 D t), to 5 %.
e = sheet_run("E_sg", 5.0, 1e13, mobility="sg")
table.append(("E (case A, sg)", "gate current, max rel. error over the transit", abs(e["j_err"]), e))
w2 = WIDTH ** 2 + 2 * MU * VT * e["j_err_t"]
predicted = H_BULK ** 2 / w2 / 12
check(e["j_err"] > 0 and abs(e["j_err"] / predicted - 1) < 0.05,
      f"E (case A, sg): gate current high by {e['j_err']:.3e} at t = {e['j_err_t']:.3e} s, the nodal-sum "
      f"drift excess (h/w)^2/12 = {predicted:.3e} (within 5 %)")
check(e["conservation"] < 1e-12, f"E (case A, sg): protons conserved to {e['conservation']:.1e} (< 1e-12)")
# F: sg with lumped storage (nodal storage and space charge): flux and storage
# count the same nodal densities, the drift excess is gone.
f = sheet_run("F_sg_lumped", 5.0, 1e13, mobility="sg", lumping="on")
checks(f, "F (case A, sg + lumped storage)", arrival_tol=1e-3)

print("\n| case | quantity | error | DoFs | steps | Newton | wall [s] |")
print("|---|---|---|---|---|---|---|")
for label, quantity, err, res in table:
    print(f"| {label} | {quantity} | {err:.2e} | {res['s']['dofs']} | {res['s']['steps']} | "
          f"{res['s']['newton_iterations']} | {res['wall']:.1f} |")
finish()
