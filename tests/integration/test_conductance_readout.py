"""Channel conductance read-out (issue 4) against exact cases.

1. Uniform sigma_e (constant law) in a rectangular channel with the source
   and drain on its end faces: G = sigma W t / L, to 1e-8 relative, in 1D
   (sheet), 2D and 3D, on 1 and 2 ranks; the current taken at the source
   equals the one at the drain.
2. Non-uniform sigma_e(x(z)) after a gate pulse (exponential law): for a
   laterally uniform slab with end contacts psi is linear in x, so the 2D
   G(t) must equal the 1D sheet value W/L int sigma dz at every read-out
   (identical fixed steps), to 1e-6 relative."""
import math
import os
import re
from common import *

folder = scratch("conductance_readout")
L, W, T = 150e-9, 50e-9, 30e-9
# WO3 with a 1e4x larger proton diffusivity, so that protons penetrate the
# channel within the short test pulse and sigma_e varies strongly with depth.
mats = materials_copy(folder, {"WO3": {"Proton diffusivity prefactor": ("3.79e-4", "1e-10, 1")}})
wo3 = os.path.join(mats, "WO3.prm")
text = open(wo3).read()
open(os.path.join(mats, "WO3c.prm"), "w").write(
    text.replace("set Name = WO3", "set Name = WO3c")
        .replace("set Electronic conductivity law = exponential",
                 "set Electronic conductivity law = constant"))
sigma = float(re.search(r"subsection Electronic conductivity prefactor\n\s*set Value\s*=\s*(\S+)", text).group(1))
exact = sigma * W * T / L

geometry = {"Device length": repr(L), "Device width": repr(W), "Lateral cell size": "10e-9",
            "Gate x min": "0", "Gate x max": repr(L), "Gate y min": "0", "Gate y max": repr(W),
            "Contact placement": "ends", "Back contact": "false", "Max vertical cell size": "2e-9"}


def layers(channel):
    return [("channel", channel, T, 0.5e-9, "full"), ("electrolyte", "PSG", 10e-9, 0.05e-9, "full")]


for dim, np_ in ((1, 1), (2, 1), (2, 2), (3, 2)):
    out = os.path.join(folder, f"uniform_{dim}d_{np_}")
    deck = write(out + ".prm", pnp_deck(layers("WO3c"), dim=dim, output_dir=out, materials_dir=mats,
                                        geometry=geometry))
    p = run_ok(["run", deck], np=np_)
    s = summary(out)
    g = s["design"]["conductance_initial_S"]
    check(rel(g, exact) < 1e-8,
          f"{dim}D, {np_} rank(s): uniform sigma G = {g:.12e} S, sigma W t/L = {exact:.12e} S "
          f"(rel. error {rel(g, exact):.1e})")
    rows = read_csv(os.path.join(out, "device_timeseries.csv"))
    check(all(not math.isnan(r["conductance_S"]) for r in (rows[0], rows[-1])),
          f"{dim}D: conductance read out at t = 0 and at the end")

# Non-uniform conductivity after a pulse: 2D slab = 1D sheet.
series = {}
for dim in (1, 2):
    out = os.path.join(folder, f"pulse_{dim}d")
    deck = write(out + ".prm", pnp_deck(
        layers("WO3"), dim=dim, output_dir=out, geometry=geometry, materials_dir=mats,
        waveform={"Type": "pulse", "Base voltage": "0", "Amplitude": "4", "Delay": "0.2e-9",
                  "Rise time": "0.2e-9", "Width": "2.5e-9", "Fall time": "0.2e-9"},
        time={"End time": "3.5e-9", "Initial step": "2e-11", "Min step": "2e-11", "Max step": "2e-11",
              "Error tolerance": "1", "Max gate voltage change": "1000", "Progress every": "100"}))
    run_ok(["run", deck], np=2)
    series[dim] = read_csv(os.path.join(out, "device_timeseries.csv"))
g1 = [r["conductance_S"] for r in series[1]]
g2 = [r["conductance_S"] for r in series[2]]
check(len(g1) == len(g2), f"2D and 1D took the same steps ({len(g2) - 1})")
worst = max(rel(b, a) for a, b in zip(g1, g2))
check(g1[-1] > 1.2 * g1[0], f"the pulse raised G: {g1[0]:.3e} -> {g1[-1]:.3e} S")
check(worst < 1e-6, f"2D slab G(t) = 1D sheet W/L int sigma dz to {worst:.1e} at all {len(g1)} read-outs")
finish()
