"""Layered capacitor (physics.md section 4.2): dielectric layers between a gate
covering the whole top and a back contact. Exact: D continuous, so
E_k = V / (eps_k * sum_j d_j/eps_j) in every layer, and the stored energy is
C V^2 / 2 with C = eps0 A / sum_j (d_j/eps_j). Tolerance 1e-8 relative, in
1D, 2D and 3D, on 2 MPI ranks."""
import os
from common import *

EPS0 = 8.8541878128e-12
EPS = {"SiO2": 3.9, "WO3": 50.0, "PSG": 4.0}
LAYERS = [("substrate", "SiO2", 20e-9, 1e-9, "full"),
          ("channel", "WO3", 15e-9, 0.5e-9, "full"),
          ("electrolyte", "PSG", 10e-9, 0.2e-9, "full")]
V = 7.5
L, W = 150e-9, 50e-9

folder = scratch("layered_capacitor")
s = sum(d / EPS[m] for _, m, d, _, _ in LAYERS)
for dim in (1, 2, 3):
    out = os.path.join(folder, f"out{dim}")
    deck = write(os.path.join(folder, f"cap{dim}.prm"), deck_text(
        dim=dim, layers=LAYERS, output_dir=out,
        geometry={"Gate x min": "0", "Gate x max": "150e-9", "Gate y min": "0", "Gate y max": "50e-9",
                  "Back contact": "true", "Source and drain contacts": "false",
                  "Lateral cell size": "25e-9"},
        electrostatics={"Gate voltage": str(V), "Back voltage": "0",
                        "Linear solver/Relative tolerance": "1e-14"}))
    run_ok(["run", deck], np=2)
    res = summary(out)
    for i, (name, m, d, _, _) in enumerate(LAYERS):
        exact = V / (EPS[m] * s)
        layer = res["layers"][i]
        e_mean = rel(abs(layer["mean_field_stacking_V_per_m"]), exact)
        e_peak = rel(layer["peak_field_V_per_m"], exact)
        check(e_mean < 1e-8, f"{dim}D {name}: mean field {abs(layer['mean_field_stacking_V_per_m']):.12e} "
                             f"vs exact {exact:.12e}, rel. error {e_mean:.1e}")
        check(e_peak < 1e-8, f"{dim}D {name}: peak |E| {layer['peak_field_V_per_m']:.12e} vs exact "
                             f"{exact:.12e}, rel. error {e_peak:.1e} (no lateral field)")
    area = {1: 1.0, 2: L, 3: L * W}[dim]
    energy_exact = 0.5 * EPS0 * area / s * V**2
    e_w = rel(res["electrostatic_energy_J"], energy_exact)
    check(e_w < 1e-8, f"{dim}D energy {res['electrostatic_energy_J']:.12e} vs CV^2/2 {energy_exact:.12e}, "
                      f"rel. error {e_w:.1e}")
finish()
