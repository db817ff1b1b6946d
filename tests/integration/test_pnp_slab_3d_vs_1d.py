"""A laterally uniform slab (physics.md / issue 3): the same PSG layer and
gate pulse as a 1D model and as 2D and 3D slabs (gate over the whole top,
back contact underneath, no source/drain, coarse lateral cells), identical
fixed time steps. Per unit gate area, the 2D and 3D time series (gate metal
charge, protons, gate current, energy, peak field) must reproduce the 1D ones
to 1e-6 relative (measured: round-off level), with each proton flux: galerkin, edge (one pair mean
per direction in a laterally uniform state) and sg (the Scharfetter-Gummel hopping flux, whose
lateral pairs carry zero flux in a laterally uniform state), each with its default storage
('Mass lumping = auto': lumped with sg, consistent with galerkin and edge)."""
import os
from common import *

L, W = 40e-9, 30e-9
folder = scratch("pnp_slab_3d_vs_1d")
layers = [("electrolyte", "PSG", 10e-9, 0.05e-9, "full")]
series = {}
for mobility, dim in [(m, d) for m in ("galerkin", "edge", "sg") for d in (1, 2, 3)]:
    out = os.path.join(folder, f"d{dim}" + ("" if mobility == "galerkin" else "_" + mobility))
    deck = write(out + ".prm", pnp_deck(
        layers, dim=dim, output_dir=out,
        geometry={"Max vertical cell size": "0.5e-9", "Grading ratio": "1.3", "Device length": repr(L),
                  "Device width": repr(W), "Lateral cell size": repr(L), "Gate x min": "0",
                  "Gate x max": repr(L), "Gate y min": "0", "Gate y max": repr(W),
                  "Source and drain contacts": "false", "Back contact": "true"},
        waveform={"Type": "pulse", "Base voltage": "0", "Amplitude": "3", "Delay": "0.2e-9",
                  "Rise time": "0.2e-9", "Width": "1e-9", "Fall time": "0.2e-9"},
        transport={"Gate proton exchange": "reservoir", "Mobility average": mobility},
        time={"End time": "2e-9", "Initial step": "2e-11", "Min step": "2e-11", "Max step": "2e-11",
              "Snapshot times": "1e-9",
              "Error tolerance": "1", "Max gate voltage change": "1000", "Progress every": "100"}))
    run_ok(["run", deck], np=2)
    series[mobility, dim] = read_csv(os.path.join(out, "device_timeseries.csv"))
area = {1: 1.0, 2: L, 3: L * W}
keys = ["gate_metal_charge_C", "protons_electrolyte", "gate_current_A", "energy_J"]
for mobility, dim in [(m, d) for m in ("galerkin", "edge", "sg") for d in (2, 3)]:
    a, b = series[mobility, 1], series[mobility, dim]
    check(len(a) == len(b), f"{dim}D {mobility}: same number of steps as 1D ({len(b) - 1})")
    worst, where = 0.0, ""
    for ra, rb in zip(a, b):
        for k in keys:
            scale = max(abs(r[k]) for r in a) or 1.0
            d = abs(rb[k] / area[dim] - ra[k]) / scale
            if d > worst:
                worst, where = d, f"{k} at t = {ra['time_s']:.2e}"
        d = abs(rb["peak_field_electrolyte_V_per_m"] - ra["peak_field_electrolyte_V_per_m"]) / max(
            r["peak_field_electrolyte_V_per_m"] for r in a)
        if d > worst:
            worst, where = d, f"peak field at t = {ra['time_s']:.2e}"
    check(worst < 1e-6, f"{dim}D slab ({mobility} mobility) per unit area = 1D to {worst:.1e} (largest: {where})")
# The 3D snapshot (HDF5 for ParaView) carries the same fields as the time series.
import h5py
import numpy as np
with h5py.File(os.path.join(folder, "d3", "device_0000.h5"), "r") as f:
    emag = np.array(f["E_magnitude"]).max()
    cmax = np.array(f["proton_density"]).max()
    cmin = np.array(f["proton_density"]).min()
row = min(series["galerkin", 3], key=lambda r: abs(r["time_s"] - 1e-9))
check(rel(emag, row["peak_field_electrolyte_V_per_m"]) < 1e-6,
      f"3D snapshot max |E| {emag:.6e} V/m = time-series peak {row['peak_field_electrolyte_V_per_m']:.6e}")
check(0 < cmin <= cmax <= 1e27 * (1 + 1e-12), f"3D snapshot proton density in (0, c_max]: [{cmin:.3e}, {cmax:.3e}]")
finish()
