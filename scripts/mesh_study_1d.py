#!/usr/bin/python3
"""Mesh study of the 1D reference device (inputs/reference_device_1d.prm):
the first programming pulse (window 0-11 ns) with the WO3 interface cell
refined while everything else stays (meshes A-E), then the rest of the mesh
refined (F, G), with both proton mobility averages. Prints a
markdown table of the design figures users read (charge into the channel per
pulse, delta G, energy, peak field / breakdown) and the cost of each run.

Why: WO3's proton diffusivity (5e-14 m^2/s) gives an uptake depth
sqrt(D t_pulse) of 0.016 nm in a 5 ns pulse, far below the deck's 0.1 nm
interface cell; this shows what that does to the figures.

usage: scripts/mesh_study_1d.py [--ranks 2] [--amplitude 3]
needs PROTONFEM_BIN (default build/protonfem) and mpirun."""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(HERE)
BIN = os.environ.get("PROTONFEM_BIN", os.path.join(SOURCE, "build", "protonfem"))
DECK = os.path.join(SOURCE, "inputs", "reference_device_1d.prm")

# (label, WO3 interface cell, PSG interface cell, max cell, grading)
MESHES = [
    ("A", 0.1e-9, 0.05e-9, 1e-9, 1.2),
    ("B", 0.01e-9, 0.05e-9, 1e-9, 1.2),
    ("C", 0.0025e-9, 0.05e-9, 1e-9, 1.2),
    ("D", 0.000625e-9, 0.05e-9, 1e-9, 1.2),
    ("E", 0.00015625e-9, 0.05e-9, 1e-9, 1.2),
    ("F", 0.000625e-9, 0.025e-9, 0.5e-9, 1.1),
    ("G", 0.000625e-9, 0.0125e-9, 0.25e-9, 1.05),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ranks", type=int, default=2)
    ap.add_argument("--amplitude", type=float, default=3.0)
    ap.add_argument("--mobility", default="edge,galerkin",
                    help="'Transport/Mobility average' values to compare (comma separated)")
    args = ap.parse_args()
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               OMPI_MCA_rmaps_base_oversubscribe="1")
    work = tempfile.mkdtemp(prefix="mesh_study_")
    print(f"| mobility | mesh | WO3 / PSG interface cell [nm] | max cell [nm] | grading | cells | steps | "
          f"Newton its | charge into channel [C] | delta G [S] | energy [J] | peak field / breakdown |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    try:
        for mobility in args.mobility.split(","):
            for label, wo3, psg, hmax, ratio in MESHES:
                out = os.path.join(work, mobility + label)
                cmd = ["mpirun", "-np", str(args.ranks), BIN, "run", DECK,
                       "--set", f"Output/Directory={out}",
                       "--set", "Time stepping/End time=11e-9",
                       "--set", f"Time stepping/Gate waveform/Amplitude={args.amplitude}",
                       "--set", f"Geometry/Layer channel/Interface cell size={wo3}",
                       "--set", f"Geometry/Layer electrolyte/Interface cell size={psg}",
                       "--set", f"Geometry/Max vertical cell size={hmax}",
                       "--set", f"Geometry/Grading ratio={ratio}",
                       "--set", f"Transport/Mobility average={mobility}"]
                p = subprocess.run(cmd, capture_output=True, text=True, env=env)
                if p.returncode != 0:
                    print(f"| {mobility} | {label} | {wo3*1e9:g} / {psg*1e9:g} | {hmax*1e9:g} | {ratio} | – | – | – | "
                          f"failed (exit {p.returncode}) | | | |")
                    continue
                s = json.load(open(os.path.join(out, "device_summary.json")))
                d = s["design"]
                print(f"| {mobility} | {label} | {wo3*1e9:g} / {psg*1e9:g} | {hmax*1e9:g} | {ratio} | {s['cells']} | "
                      f"{s['steps']} | {s['newton_iterations']} | {d['device_charge_per_pulse_C']:.4g} | "
                      f"{d['delta_conductance_per_pulse_S']:.4g} | {d['device_energy_per_pulse_J']:.4g} | "
                      f"{d['peak_field_over_breakdown']:.3g} |", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
