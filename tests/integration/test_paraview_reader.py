"""ParaView's own XDMF reader (pvpython from Debian's python3-paraview) opens
the fields written by a 2-rank run in 1D, 2D and 3D and finds phi, E,
E_magnitude, region_id and mpi_rank with the right ranges: phi between the
contact potentials, region ids 0..n_layers-1, ranks 0..1, and max |E| equal to
the largest per-layer peak in the run summary."""
import json
import os
import subprocess
from common import *

folder = scratch("paraview_reader")
PVPYTHON = "pvpython"
script = os.path.join(SOURCE, "postprocess", "check_xdmf.py")
for dim in (1, 2, 3):
    out = os.path.join(folder, f"out{dim}")
    deck = write(os.path.join(folder, f"d{dim}.prm"), deck_text(
        dim=dim, output_dir=out, geometry={"Back contact": "true"},
        electrostatics={"Gate voltage": "4", "Back voltage": "-1"}))
    run_ok(["run", deck], np=2)
    s = summary(out)
    p = subprocess.run([PVPYTHON, script, os.path.join(out, "device.xdmf")], capture_output=True,
                       text=True, timeout=300)
    lines = [l for l in p.stdout.splitlines() if l.startswith("{")]
    check(p.returncode == 0 and len(lines) == 1, f"{dim}D: pvpython opened the XDMF ({p.stderr[-300:]})")
    if not lines:
        continue
    info = json.loads(lines[0])
    arrays = dict(info["point_arrays"], **info["cell_arrays"])
    for name in ("phi", "E", "E_magnitude", "region_id", "mpi_rank"):
        check(name in arrays, f"{dim}D: array {name} present")
    if not all(n in arrays for n in ("phi", "E_magnitude", "region_id", "mpi_rank")):
        continue
    lo, hi = arrays["phi"]["range"]
    check(abs(lo - (-1.0)) < 1e-9 and abs(hi - 4.0) < 1e-9, f"{dim}D: phi range [{lo}, {hi}] = [-1, 4] V")
    check(arrays["region_id"]["range"] == [0.0, 2.0], f"{dim}D: region_id range {arrays['region_id']['range']}")
    check(arrays["mpi_rank"]["range"] == [0.0, 1.0], f"{dim}D: mpi_rank range {arrays['mpi_rank']['range']}")
    peak = max(l["peak_field_V_per_m"] for l in s["layers"])
    emax = arrays["E_magnitude"]["range"][1]
    check(rel(emax, peak) < 1e-6, f"{dim}D: max |E| in file {emax:.7e} = summary peak {peak:.7e}")
    check(info["cells"] == s["cells"], f"{dim}D: {info['cells']} cells in file = {s['cells']} in summary")
    check(arrays["E"]["components"] == 3, f"{dim}D: E has 3 components in ParaView")
finish()
