"""A Newton solve that cannot converge ends the run cleanly and says where.

Two stages, on 2 ranks:
- the t = 0 equilibrium of the 1D and 2D reference devices with Newton
  starved (2 iterations per pseudo-step);
- a time step: the 1D reference device driven at 10 V (1 V/nm across the
  PSG) with the Galerkin mobility and a 0.1 nm WO3 interface cell, the known
  failure of issue 3 on the second pulse (docs/status.md; the deck's own edge
  mobility and 0.0006 nm cell run it). If that failure is ever fixed this
  case says so and must get a new trigger.
Each must exit with code 3 (numerical failure) and a message naming the
equation (Poisson or Nernst-Planck), the layer (one of the deck's) and the
node position inside the device, for the largest residual and the largest
update; after a failed time step the time series up to the last good state
is kept and ends at the time the message names."""
import os
import re
from common import *

folder = scratch("newton_failure")
pattern = re.compile(r"Largest \(row-scaled\) residual [-0-9.e+]+: (Poisson|Nernst-Planck) equation "
                     r"in layer '(\w+)' at \(([-0-9.e+, ]+)\) nm; largest Newton update [-0-9.e+]+ kT: "
                     r"(Poisson|Nernst-Planck) equation in layer '(\w+)' at \(([-0-9.e+, ]+)\) nm")
LAYERS = {1: {"channel", "electrolyte"}, 2: {"substrate", "channel", "electrolyte"}}
EXTENT_NM = {1: [40.0], 2: [150.0, 60.0]}
cases = [(1, "equilibrium", ["--set", "Transport/Max Newton iterations=2"]),
         (2, "equilibrium", ["--set", "Transport/Max Newton iterations=2"]),
         (1, "time step", ["--set", "Time stepping/Gate waveform/Amplitude=10",
                           "--set", "Transport/Mobility average=galerkin",
                           "--set", "Geometry/Layer channel/Interface cell size=0.1e-9"])]
for dim, stage, extra in cases:
    layers, extent_nm = LAYERS[dim], EXTENT_NM[dim]
    out = os.path.join(folder, f"d{dim}_{stage.replace(' ', '_')}")
    deck = os.path.join(SOURCE, "inputs", f"reference_device_{dim}d.prm")
    p = run(["run", deck, "--set", f"Output/Directory={out}", "--set", "Output/Write fields=false",
             "--set", "Conductance/Read-out=off"] + extra, np=2)
    tag = f"{dim}D {stage}"
    check(p.returncode == 3, f"{tag}: exit code 3 for a numerical failure (got {p.returncode})")
    check(("equilibrium at t = 0" in p.stderr) == (stage == "equilibrium"),
          f"{tag}: the failure is in the {stage}")
    m = pattern.search(p.stderr)
    check(m is not None, f"{tag}: the message names equation, layer and position: "
                         f"{p.stderr.strip()[-400:]}")
    if m:
        for layer, coords in ((m.group(2), m.group(3)), (m.group(5), m.group(6))):
            x = [float(v) for v in coords.split(",")]
            check(layer in layers, f"{tag}: layer '{layer}' is one of the deck's layers")
            check(len(x) == dim and all(-1e-9 <= xi <= e + 1e-9 for xi, e in zip(x, extent_nm)),
                  f"{tag}: position {x} nm inside the device")
    if stage != "time step":
        continue
    t = re.search(r"time step from t = ([-0-9.e+]+) s failed", p.stderr)
    series = os.path.join(out, "device_timeseries.csv")
    check(t is not None and os.path.exists(series), f"{tag}: failure time named and time series kept")
    if t and os.path.exists(series):
        rows = read_csv(series)
        # the message prints 6 significant digits
        check(abs(rows[-1]["time_s"] - float(t.group(1))) <= 1e-5 * max(1e-30, float(t.group(1))),
              f"{tag}: the time series ends at the last good state t = {t.group(1)} s "
              f"({rows[-1]['time_s']:.6g} s, {len(rows)} rows)")
finish()
