"""Same results on 1 and 2 MPI ranks (to 1e-10 relative), 1D, 2D and 3D, for
the reference device stack with contacts: per-layer peak and mean fields and
the stored energy from the summaries, and the potential at every output node
(nodes matched by coordinates, so the partition-dependent order of the HDF5
file does not matter)."""
import os
import h5py
import numpy as np
from common import *

TOL = 1e-10
folder = scratch("parallel_consistency")


def fields(out):
    with h5py.File(os.path.join(out, "device.h5"), "r") as f:
        nodes = np.array(f["nodes"])
        phi = np.array(f["phi"]).reshape(-1)
        rank = np.array(f["mpi_rank"]).reshape(-1)
    order = np.lexsort((phi,) + tuple(nodes[:, k] for k in reversed(range(nodes.shape[1]))))
    return nodes[order], phi[order], rank


for dim in (1, 2, 3):
    results = {}
    for np_ in (1, 2):
        out = os.path.join(folder, f"d{dim}_np{np_}")
        deck = write(os.path.join(folder, f"d{dim}_np{np_}.prm"),
                     deck_text(dim=dim, output_dir=out, electrostatics={"Gate voltage": "10", "Linear solver/Relative tolerance": "1e-15"},
                               geometry={"Back contact": "true"}))
        run_ok(["run", deck], np=np_)
        results[np_] = (summary(out), fields(out))
    (s1, (n1, p1, r1)), (s2, (n2, p2, r2)) = results[1], results[2]
    check(s2["mpi_ranks"] == 2 and set(np.unique(r2)) == {0, 1} and set(np.unique(r1)) == {0},
          f"{dim}D: the 2-rank run is really distributed (ranks in output {sorted(set(np.unique(r2)))})")
    for a, b in zip(s1["layers"], s2["layers"]):
        for key in ("peak_field_V_per_m", "mean_field_stacking_V_per_m"):
            check(rel(b[key], a[key]) < TOL, f"{dim}D {a['name']} {key}: {a[key]:.15e} vs {b[key]:.15e}")
    check(rel(s2["electrostatic_energy_J"], s1["electrostatic_energy_J"]) < TOL,
          f"{dim}D energy {s1['electrostatic_energy_J']:.15e} vs {s2['electrostatic_energy_J']:.15e}")
    same_nodes = n1.shape == n2.shape and np.allclose(n1, n2, rtol=0, atol=1e-15)
    check(same_nodes, f"{dim}D: same output nodes on 1 and 2 ranks ({n1.shape[0]} nodes)")
    if same_nodes:
        diff = np.max(np.abs(p1 - p2)) / np.max(np.abs(p1))
        check(diff < TOL, f"{dim}D: max |phi_1 - phi_2| / max|phi| = {diff:.2e} < {TOL}")
finish()
