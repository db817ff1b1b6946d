"""The plotting command (issue 4): `scripts/plot.sh FOLDER` on a test sweep
(tests/data/sweep_1d.prm, 4 x 4) and on 1D and 2D runs. Every PNG must exist
and be a valid PNG, and the data it plots (NAME.plotdata.json next to it)
must match the table it came from: heat-map cells = sweep.csv values at the
same parameters, pass/failed flags, the ln(I) vs V/d points and fit slope,
time-series columns."""
import csv
import math
import os
import struct
import subprocess
from common import *

folder = scratch("plots")
PLOT = os.path.join(SOURCE, "scripts", "plot.sh")


def valid_png(path):
    """PNG signature, an IHDR chunk with a non-zero size, and the IEND chunk."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR" or not data.endswith(b"IEND\xaeB`\x82"):
        return False
    w, h = struct.unpack(">II", data[16:24])
    return w > 100 and h > 100


def table(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def num(s):
    try:
        return float(s)
    except ValueError:
        return math.nan


def plot(target):
    p = subprocess.run(["bash", PLOT, target], capture_output=True, text=True, timeout=600)
    if p.returncode != 0:
        print(p.stdout, p.stderr)
    return p


# 1. Sweep.
sweep_dir = os.path.join(folder, "sweep")
deck = write(os.path.join(folder, "sweep.prm"), open(os.path.join(DATA, "sweep_1d.prm")).read().replace(
    "set Directory = sweep_out", f"set Directory = {sweep_dir}"))
run_ok(["sweep", deck, "--ranks-per-run", "1"], np=2)
p = plot(sweep_dir)
check(p.returncode == 0, f"plot.sh on the sweep folder exits 0 ({p.returncode})")
plots = os.path.join(sweep_dir, "plots")
rows = table(os.path.join(sweep_dir, "sweep.csv"))
expected = ["heatmap_delta_G_per_pulse_S", "heatmap_energy_per_pulse_J", "heatmap_charge_per_pulse_C",
            "heatmap_peak_gate_current_A", "ln_current_vs_field"]
for name in expected:
    png = os.path.join(plots, name + ".png")
    check(os.path.isfile(png) and valid_png(png), f"{name}.png exists and is a valid PNG")
for name in expected[:4]:
    d = json.load(open(os.path.join(plots, name + ".plotdata.json")))
    worst, flags_ok, n = 0.0, True, 0
    for iy, y in enumerate(d["y_values"]):
        for ix, x in enumerate(d["x_values"]):
            r = [r for r in rows if num(r[d["y_parameter"]]) == y and num(r[d["x_parameter"]]) == x][0]
            z = d["z"][iy][ix]
            v = num(r[d["metric"]])
            n += 1
            if z is None or not math.isfinite(v):
                flags_ok &= (z is None) == (not math.isfinite(v))
            else:
                worst = max(worst, rel(z, v))
            flags_ok &= d["pass"][iy][ix] == (r["pass"] == "1") and d["failed"][iy][ix] == (r["status"] != "ok")
    check(n == 16 and worst == 0.0 and flags_ok,
          f"{name}: all {n} cells equal the table (largest rel. difference {worst:.1e}), pass/failed flags match")
d = json.load(open(os.path.join(plots, "ln_current_vs_field.plotdata.json")))
pts = sorted((num(r["Time stepping/Gate waveform/Amplitude"]) / num(r["Geometry/Layer electrolyte/Thickness"]),
              math.log(num(r["peak_ionic_current_A"]))) for r in rows)
drawn = sorted(zip(d["x"], d["y"]))
check(len(pts) == len(drawn) and all(rel(a[0], b[0]) < 1e-12 and rel(a[1], b[1]) < 1e-12 for a, b in zip(pts, drawn)),
      f"ln_current_vs_field: the {len(drawn)} points are ln(peak_ionic_current_A) vs V/d of the table")
import numpy as np
slope = np.polyfit([a for a, _ in pts], [b for _, b in pts], 1)[0]
check(rel(d["fit"]["slope_m_per_V"], slope) < 1e-9, f"plotted fit slope {d['fit']['slope_m_per_V']:.6e} m/V = least squares of the table")

# 2. 1D and 2D runs: time series (+ profiles in 1D, field slice in 2D).
for dim in (1, 2):
    out = os.path.join(folder, f"run{dim}d")
    layers = [("channel", "WO3", 30e-9, 0.5e-9, "full"), ("electrolyte", "PSG", 10e-9, 0.1e-9, "20e-9, 130e-9" if dim == 2 else "full")]
    deck = write(out + ".prm", pnp_deck(
        layers, dim=dim, output_dir=out,
        geometry={"Back contact": "false", "Lateral cell size": "15e-9", "Max vertical cell size": "3e-9"},
        waveform={"Type": "pulse", "Amplitude": "2", "Delay": "0.1e-9", "Rise time": "0.1e-9",
                  "Width": "0.5e-9", "Fall time": "0.1e-9"},
        time={"End time": "1e-9", "Initial step": "1e-13", "Snapshot times": "0, 1e-9", "Progress every": "1000"}))
    run_ok(["run", deck], np=2)
    p = plot(out)
    check(p.returncode == 0, f"{dim}D run: plot.sh exits 0")
    pngs = ["timeseries", "profiles"] if dim == 1 else ["timeseries", "field_slice"]
    for name in pngs:
        png = os.path.join(out, "plots", name + ".png")
        check(os.path.isfile(png) and valid_png(png), f"{dim}D run: {name}.png exists and is a valid PNG")
    d = json.load(open(os.path.join(out, "plots", "timeseries.plotdata.json")))
    series = read_csv(os.path.join(out, "device_timeseries.csv"))
    ok = True
    for label, s in d["series"].items():
        col = [r[s["column"]] for r in series]
        keep = [v for v in col if math.isfinite(v) and (v > 0 or s["column"] != "conductance_S")]
        ok &= len(keep) == len(s["y"]) and all(abs(a - s["offset"] - b) <= 1e-12 * max(1.0, abs(a)) for a, b in zip(keep, s["y"]))
    check(ok and "gate_voltage_V" in [s["column"] for s in d["series"].values()],
          f"{dim}D run: the {len(d['series'])} time-series curves are the CSV columns")

# 3. A folder with neither a run nor a sweep.
empty = os.path.join(folder, "empty")
os.makedirs(empty)
p = plot(empty)
check(p.returncode == 1 and "empty" in (p.stderr + p.stdout), f"empty folder: exit 1 with a message naming it ({p.returncode})")
finish()
