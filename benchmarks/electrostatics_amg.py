#!/usr/bin/env python3
"""Electrostatics solver settings benchmark: the 3D default device, uniformly
refined, solved with CG + BoomerAMG for several strength thresholds and
aggressive-coarsening levels on 1 and 2 MPI ranks. Reports DoFs, CG
iterations, setup/assembly/solve times and peak memory, as CSV and markdown
(benchmarks/results/electrostatics_amg.{csv,md}).

usage: /usr/bin/python3 benchmarks/electrostatics_amg.py [--refinements 1] [--ranks 1,2]
"""
import argparse
import json
import os
import subprocess
import sys

from result_tables import write_tables

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("PROTONFEM_BIN", os.path.join(ROOT, "build", "protonfem"))
env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
           OMPI_MCA_rmaps_base_oversubscribe="1")

ap = argparse.ArgumentParser()
ap.add_argument("--refinements", type=int, default=1)
ap.add_argument("--ranks", default="1,2")
ap.add_argument("--settings", default="0.25:0,0.5:0,0.6:0,0.7:0,0.25:1,0.5:1,0.6:1,0.7:1")
args = ap.parse_args()

work = os.path.join(ROOT, "output", "bench_amg")
os.makedirs(work, exist_ok=True)
with open(os.path.join(ROOT, "inputs", "default_device.prm")) as f:
    base = f.read()

rows = []
for ranks in [int(r) for r in args.ranks.split(",")]:
    for setting in args.settings.split(","):
        theta, aggressive = setting.split(":")
        name = f"r{args.refinements}_np{ranks}_t{theta}_a{aggressive}"
        deck = base.replace("set Back contact = false",
                            f"set Back contact = false\n  set Global refinements = {args.refinements}")
        deck = deck.replace("set Finite element degree = 1",
                            "set Finite element degree = 1\n  subsection Linear solver\n"
                            f"    set AMG strong threshold = {theta}\n"
                            f"    set AMG aggressive coarsening levels = {aggressive}\n  end")
        deck = deck.replace("set Directory = output/default_device", f"set Directory = {work}/{name}")
        deck = deck.replace("set Write fields = true", "set Write fields = false")
        path = os.path.join(work, name + ".prm")
        with open(path, "w") as f:
            f.write(deck)
        p = subprocess.run(["mpirun", "-np", str(ranks), BIN, "run", path], env=env,
                           capture_output=True, text=True)
        if p.returncode != 0:
            print(p.stdout, p.stderr)
            sys.exit(f"run {name} failed")
        with open(os.path.join(work, name, "device_summary.json")) as f:
            s = json.load(f)
        t = s["timings_s"]
        row = {"ranks": ranks, "strong_threshold": theta, "aggressive_levels": aggressive,
               "dofs": s["dofs"], "cells": s["cells"], "cg_iterations": s["linear_iterations"],
               "mesh_s": t.get("mesh", 0), "setup_s": t.get("electrostatics: setup", 0),
               "assembly_s": t.get("electrostatics: assembly", 0),
               "amg_setup_plus_solve_s": t.get("electrostatics: linear solve", 0),
               "peak_memory_MiB_max_rank": s["peak_memory_MiB_max_rank"]}
        rows.append(row)
        print(row, flush=True)

write_tables(f"electrostatics_amg_r{args.refinements}", rows, ".3f")
