"""Layout of the HDF5/XDMF field snapshots of transient PNP runs in 2D and 3D
on 2 ranks (postprocess/hdf5_patch_writer.*, which writes them one dataset at
a time instead of through deal.II's DataOutFilter):
- every cell has 2^dim vertices of its own (densities, E, region and rank
  jump across faces), listed in XDMF's counter-clockwise order, and the
  vertex coordinates make an axis-parallel box of positive orientation;
- the number of cells is the run's, from both ranks (mpi_rank 0 and 1);
- region_id and mpi_rank are constant on each cell; E_magnitude = |E|; in 2D
  the padded third component of E and the flux is zero; proton densities
  are positive;
- every dataset named in the XDMF exists with the dimensions the XDMF says;
- ParaView's XDMF reader (pvpython) opens the time series and finds the
  arrays and the cells;
- the summary records the memory ledger (resident size per stage and the
  high-water mark around the first snapshot; presence only, the figures are
  measured in benchmarks/)."""
import json
import os
import re
import subprocess
import h5py
import numpy as np
from common import *

folder = scratch("field_output_layout")
layers = [("channel", "WO3", 30e-9, 0.5e-9, "full"), ("electrolyte", "PSG", 10e-9, 0.2e-9, "20e-9, 130e-9")]
for dim in (2, 3):
    out = os.path.join(folder, f"out{dim}")
    deck = write(os.path.join(folder, f"d{dim}.prm"), pnp_deck(
        layers, dim=dim, output_dir=out,
        geometry={"Back contact": "false", "Lateral cell size": "25e-9", "Max vertical cell size": "4e-9"},
        waveform={"Type": "pulse", "Amplitude": "2", "Delay": "0", "Rise time": "0.1e-9",
                  "Width": "0.2e-9", "Fall time": "0.1e-9"},
        time={"End time": "0.2e-9", "Snapshot times": "0, 0.1e-9, 0.2e-9", "Progress every": "1000"}))
    run_ok(["run", deck], np=2)
    s = summary(out)
    xdmf = open(os.path.join(out, "device_fields.xdmf")).read()
    files = sorted(set(re.findall(r"(device_\d+\.h5):/", xdmf)))
    check(len(files) == 3, f"{dim}D: three snapshots in the XDMF ({files})")
    nv = 2 ** dim
    for name in files:
        with h5py.File(os.path.join(out, name), "r") as f:
            cells, nodes = f["cells"][()], f["nodes"][()]
            check(cells.shape == (s["cells"], nv) and cells.dtype == np.uint32,
                  f"{dim}D {name}: cells {cells.shape} {cells.dtype} = ({s['cells']}, {nv}) uint32")
            check(nodes.shape == (nv * s["cells"], dim), f"{dim}D {name}: nodes {nodes.shape}")
            order = np.array([0, 1, 3, 2, 4, 5, 7, 6][:nv])
            expected = nv * np.arange(len(cells))[:, None] + order[None, :]
            check(np.array_equal(cells, expected), f"{dim}D {name}: each cell has its own vertices, XDMF order")
            x = nodes[cells]  # (cells, nv, dim)
            ok = (np.all(x[:, 1, 0] > x[:, 0, 0]) and np.all(x[:, 1, 1:] == x[:, 0, 1:])
                  and np.all(x[:, 3, 1] > x[:, 0, 1]) and np.all(x[:, 3, 0] == x[:, 0, 0])
                  and np.all(x[:, 2, 0] == x[:, 1, 0]) and np.all(x[:, 2, 1] == x[:, 3, 1]))
            if dim == 3:
                ok = ok and np.all(x[:, 4, 2] > x[:, 0, 2]) and np.all(x[:, 4, :2] == x[:, 0, :2]) \
                    and np.all(x[:, 6, :2] == x[:, 2, :2])
            check(ok, f"{dim}D {name}: every cell is an axis-parallel box, counter-clockwise")
            for field in ("region_id", "mpi_rank"):
                v = f[field][()][:, 0][cells]
                check(np.all(v == v[:, :1]), f"{dim}D {name}: {field} constant on each cell")
            check(set(np.unique(f["mpi_rank"][()])) == {0.0, 1.0}, f"{dim}D {name}: cells of both ranks")
            E, Em = f["E"][()], f["E_magnitude"][()][:, 0]
            err = np.max(np.abs(np.linalg.norm(E, axis=1) - Em)) / np.max(Em)
            check(E.shape[1] == 3 and err < 1e-6, f"{dim}D {name}: E_magnitude = |E| ({err:.1e}, < 1e-6)")
            if dim == 2:
                check(np.all(E[:, 2] == 0) and np.all(f["proton_flux"][()][:, 2] == 0),
                      f"{dim}D {name}: padded third components are zero")
            psg = f["region_id"][()][:, 0] == 1
            c = f["proton_density"][()][:, 0]
            check(psg.any() and np.all(c[psg] > 0), f"{dim}D {name}: proton density > 0 in the PSG "
                  f"(min {c[psg].min():.3e} m^-3)")
            items = list(re.finditer(r'Dimensions="(\d+) (\d+)"[^>]*>\s*' + re.escape(name) + r':/(\w+)', xdmf))
            check(len(items) == len(f.keys()) == 9,
                  f"{dim}D {name}: the XDMF names {len(items)} datasets, the file has {len(f.keys())} (9: "
                  "nodes, cells, 7 fields)")
            for item in items:
                rows, width, ds = int(item.group(1)), int(item.group(2)), item.group(3)
                check(ds in f and f[ds].shape == (rows, width),
                      f"{dim}D {name}: dataset {ds} {f[ds].shape if ds in f else None} as in the XDMF")
    p = subprocess.run(["pvpython", os.path.join(SOURCE, "postprocess", "check_xdmf.py"),
                        os.path.join(out, "device_fields.xdmf")], capture_output=True, text=True, timeout=300)
    lines = [l for l in p.stdout.splitlines() if l.startswith("{")]
    check(p.returncode == 0 and len(lines) == 1, f"{dim}D: pvpython opened the XDMF ({p.stderr[-300:]})")
    if lines:
        info = json.loads(lines[0])
        arrays = dict(info["point_arrays"], **info["cell_arrays"])
        check(info["cells"] == s["cells"] and all(a in arrays for a in ("phi", "E", "proton_density", "proton_flux")),
              f"{dim}D: ParaView reads {info['cells']} cells and the fields")
    m = s.get("memory_MiB_max_rank", {})
    keys = ("after_mesh", "after_setup", "after_initial_state", "peak_before_first_snapshot",
            "peak_after_first_snapshot")
    # Presence only: the figures are measurements (docs/performance.md), not test targets.
    # JSON has one number type: a high-water mark of whole MiB (VmHWM is in kB)
    # is written without a fraction and reads back as int (seen in CI: 168).
    check(all(type(m.get(k)) in (int, float) and m[k] > 0 for k in keys),
          f"{dim}D: memory ledger in the summary ({m})")
finish()
