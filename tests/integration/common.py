"""Shared helpers of the integration tests: run the real executable (under
mpirun), write decks, read run summaries and HDF5 fields. Every test runs in
its own scratch folder under the build tree."""
import json
import os
import shutil
import subprocess
import sys

BIN = os.environ.get("PROTONFEM_BIN", "build/protonfem")
MMS_BIN = os.environ.get("PROTONFEM_MMS_BIN", "build/tests/poisson_mms")
SOURCE = os.environ.get("PROTONFEM_SOURCE_DIR", os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
MPIEXEC = os.environ.get("MPIEXEC", "mpirun")

os.environ.setdefault("OMPI_ALLOW_RUN_AS_ROOT", "1")
os.environ.setdefault("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
os.environ.setdefault("OMPI_MCA_rmaps_base_oversubscribe", "1")

failures = []


def scratch(name):
    """A fresh, empty folder for one test."""
    path = os.path.abspath(os.path.join("scratch", name))
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path


def run(args, np=1, cwd=None, binary=None, timeout=600):
    """Run protonfem (or another binary) on np ranks; returns CompletedProcess."""
    cmd = [MPIEXEC, "-np", str(np), binary or BIN] + list(args)
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout)


def run_ok(args, np=1, cwd=None, binary=None):
    p = run(args, np=np, cwd=cwd, binary=binary)
    if p.returncode != 0:
        print(p.stdout)
        print(p.stderr)
        raise SystemExit(f"FAILED: {' '.join(args)} exited {p.returncode}")
    return p


LAYERS_DEFAULT = [
    # name, material, thickness, interface cell, x extent
    ("substrate", "SiO2", 50e-9, 2e-9, "full"),
    ("channel", "WO3", 30e-9, 0.5e-9, "full"),
    ("electrolyte", "PSG", 10e-9, 0.25e-9, "20e-9, 130e-9"),
]


def deck_text(dim=3, layers=LAYERS_DEFAULT, geometry=None, electrostatics=None,
              output_dir="out", base="device", top=None):
    """A complete deck. geometry/electrostatics: dicts of extra 'set' lines."""
    g = {
        "Device length": "150e-9", "Device width": "50e-9", "Lateral cell size": "10e-9",
        "Max vertical cell size": "5e-9", "Grading ratio": "1.3",
        "Gate x min": "25e-9", "Gate x max": "125e-9", "Gate y min": "0", "Gate y max": "50e-9",
        "Source contact x max": "15e-9", "Drain contact x min": "135e-9",
        "Back contact": "false", "Channel layer": "channel",
    }
    g.update(geometry or {})
    e = {"Gate voltage": "10"}
    e.update(electrostatics or {})
    lines = [f"set Dimension = {dim}"]
    for k, v in (top or {}).items():
        lines.append(f"set {k} = {v}")
    lines += ["subsection Geometry", "  set Layers = " + ", ".join(l[0] for l in layers)]
    lines += [f"  set {k} = {v}" for k, v in g.items()]
    for name, material, thickness, hint, extent in layers:
        lines += [f"  subsection Layer {name}", f"    set Material = {material}",
                  f"    set Thickness = {thickness!r}", f"    set Interface cell size = {hint!r}",
                  f"    set X extent = {extent}", "  end"]
    lines += ["end", "subsection Electrostatics"]
    lines += [f"  set {k} = {v}" for k, v in e.items() if "/" not in k]
    lines += ["  subsection Linear solver"]
    lines += [f"    set {k.split('/')[1]} = {v}" for k, v in e.items() if "/" in k]
    lines += ["  end", "end", "subsection Output", f"  set Directory = {output_dir}",
              f"  set Base name = {base}", "end"]
    return "\n".join(lines) + "\n"


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


def summary(folder, base="device"):
    with open(os.path.join(folder, base + "_summary.json")) as f:
        return json.load(f)


def check(condition, message):
    """Record a check; all checks run, the test fails at the end if any failed."""
    print(("ok   " if condition else "FAIL ") + message)
    if not condition:
        failures.append(message)


def finish():
    if failures:
        print(f"{len(failures)} check(s) failed")
        sys.exit(1)
    print("all checks passed")


def rel(a, b):
    return abs(a - b) / max(abs(b), 1e-300)
