"""Gmsh import (Mesh source = gmsh): structured three-layer capacitors meshed
at test time by the gmsh command-line tool from tests/data/capacitor_2d.geo
(quadrilaterals) and tests/data/capacitor_3d.geo (hexahedra), written as
ASCII msh 2.2 and msh 4.1 (deal.II 9.4's GridIn::read_msh reads both). The
surface (2D) / volume (3D) physical groups carry the deck's layer names and
the top and bottom faces are the "gate" and "back" contacts; the sides are
untagged, i.e. insulating. So the exact solution is the layered capacitor:
D continuous, E_k = V / (eps_k * sum_j d_j/eps_j) in every layer, with no
lateral field; checked per layer to 1e-8 relative (mean stacking field and
peak |E|), on 1 and 2 MPI ranks, plus one uniformly refined 2D mesh."""
import os
from common import *

TOL = 1e-8
EPS = {"SiO2": 3.9, "WO3": 50.0, "PSG": 4.0}
# name, material, thickness [nm] (passed to gmsh, so mesh and exact agree)
LAYERS = [("substrate", "SiO2", 20), ("channel", "WO3", 15), ("electrolyte", "PSG", 10)]
V = 7.5

folder = scratch("gmsh_import")
s = sum(d * 1e-9 / EPS[m] for _, m, d in LAYERS)
exact = {name: V / (EPS[m] * s) for name, m, _ in LAYERS}
sizes = {f"d_{name}": d for name, _, d in LAYERS}


def deck(dim, msh, out, refinements=0):
    # The layer table supplies the materials; the mesh supplies the shape, so
    # Thickness and Interface cell size are left at values that pass the
    # checks. Contact positions do not apply to a gmsh mesh.
    layers = [(name, m, d * 1e-9, 1e-9, "full") for name, m, d in LAYERS]
    return deck_text(dim=dim, layers=layers, output_dir=out,
                     geometry={"Mesh source": "gmsh", "Gmsh file": os.path.basename(msh),
                               "Global refinements": str(refinements)},
                     electrostatics={"Gate voltage": str(V), "Back voltage": "0",
                                     "Linear solver/Relative tolerance": "1e-14"})


def check_run(label, dim, msh, np_, refinements=0):
    out = os.path.join(folder, label)
    path = write(os.path.join(folder, label + ".prm"), deck(dim, msh, out, refinements))
    p = run_ok(["run", path], np=np_)
    mesh_line = next((l for l in p.stdout.splitlines() if "mesh:" in l), "")
    check(mesh_line.rstrip().endswith("contacts: gate back"),
          f"{label}: the gate and back physical groups are the contacts ({mesh_line.strip()!r})")
    res = summary(out)
    check(res["mpi_ranks"] == np_ and res["dimension"] == dim,
          f"{label}: ran {res['dimension']}D on {res['mpi_ranks']} rank(s)")
    check([l["name"] for l in res["layers"]] == [n for n, _, _ in LAYERS],
          f"{label}: layers in the summary are the deck's layers")
    for layer in res["layers"]:
        e = exact[layer["name"]]
        check(layer["cells"] > 0, f"{label} {layer['name']}: {layer['cells']} cells from the physical group")
        check(rel(abs(layer["mean_field_stacking_V_per_m"]), e) < TOL,
              f"{label} {layer['name']}: mean field {abs(layer['mean_field_stacking_V_per_m']):.12e} "
              f"vs exact {e:.12e}")
        check(rel(layer["peak_field_V_per_m"], e) < TOL,
              f"{label} {layer['name']}: peak |E| {layer['peak_field_V_per_m']:.12e} vs exact {e:.12e}")
    return res


for dim, geo in ((2, "capacitor_2d.geo"), (3, "capacitor_3d.geo")):
    cells = {}
    for fmt in ("msh22", "msh41"):
        msh = gmsh_mesh(geo, os.path.join(folder, f"capacitor_{dim}d_{fmt}.msh"), dim, fmt, sizes)
        for np_ in (1, 2):
            res = check_run(f"{dim}d_{fmt}_np{np_}", dim, msh, np_)
            cells[(fmt, np_)] = res["cells"]
    check(len(set(cells.values())) == 1,
          f"{dim}D: msh22 and msh41, 1 and 2 ranks give the same mesh ({sorted(set(cells.values()))} cells)")

# Uniform refinement of an imported mesh (Global refinements applies to gmsh
# meshes too): 4x the cells in 2D, still exact.
msh = os.path.join(folder, "capacitor_2d_msh22.msh")
coarse = summary(os.path.join(folder, "2d_msh22_np1"))["cells"]
res = check_run("2d_msh22_refined_np2", 2, msh, 2, refinements=1)
check(res["cells"] == 4 * coarse, f"2D refined once: {res['cells']} cells = 4 x {coarse}")
finish()
