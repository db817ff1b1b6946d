"""Command line: --help, --version, no arguments, print-parameters (text and
JSON), materials (all, one, unknown). Exit codes as documented in --help:
0 ok, 1 usage, 2 bad input."""
import json
from common import *

NO_CRASH = ("Stacktrace", "internal error", "Traceback")


def clean(p, what):
    text = p.stdout + p.stderr
    check(not any(w in text for w in NO_CRASH), f"{what}: no stack trace or internal error in the output")


# --help: exit 0, lists the commands.
p = run(["--help"], timeout=120)
check(p.returncode == 0, f"--help exits 0 (got {p.returncode})")
for word in ("run", "print-parameters", "materials", "--version", "exit codes"):
    check(word in p.stdout, f"--help mentions '{word}'")
clean(p, "--help")

# --version: exit 0, one line starting with "protonfem ".
p = run(["--version"], timeout=120)
check(p.returncode == 0, f"--version exits 0 (got {p.returncode})")
check(p.stdout.startswith("protonfem ") and len(p.stdout.strip().splitlines()) == 1,
      f"--version prints one line starting with 'protonfem ' ({p.stdout.strip()!r})")
clean(p, "--version")

# No arguments: usage on stdout, exit 1.
p = run([], timeout=120)
check(p.returncode == 1, f"no arguments exits 1 (got {p.returncode})")
check("usage" in p.stdout and "protonfem run DECK.prm" in p.stdout, "no arguments prints the usage")
clean(p, "no arguments")

# Unknown command and missing deck: usage errors, exit 1.
p = run(["frobnicate"], timeout=120)
check(p.returncode == 1, f"unknown command exits 1 (got {p.returncode})")
check("frobnicate" in p.stderr and "print-parameters" in p.stderr,
      "unknown command: message names the command and the allowed ones")
p = run(["run"], timeout=120)
check(p.returncode == 1 and "missing deck" in p.stderr, f"'run' without a deck exits 1 ({p.returncode})")

# print-parameters (text): every geometry entry, units.
p = run(["print-parameters"], timeout=120)
check(p.returncode == 0, f"print-parameters exits 0 (got {p.returncode})")
text = p.stdout
for entry in ("Dimension", "Temperature", "Materials directory", "Mesh source", "Gmsh file", "Layers",
              "Channel layer", "Device length", "Device width", "Lateral cell size",
              "Max vertical cell size", "Grading ratio", "Gate x min", "Gate x max", "Gate y min",
              "Gate y max", "Source contact x max", "Drain contact x min",
              "Source and drain contacts", "Back contact", "Global refinements",
              "subsection Layer substrate", "Material", "Thickness", "Interface cell size", "X extent",
              "Fixed charge density", "Gate voltage", "Source voltage", "Drain voltage",
              "Back voltage", "Finite element degree", "Directory", "Base name", "Write fields"):
    check(entry in text, f"print-parameters lists '{entry}'")
for unit in ("[m]", "[V]", "[K]", "[C/m^3]"):
    check(unit in text, f"print-parameters states the unit {unit}")
clean(p, "print-parameters")

# print-parameters --format json: parses, and has the same entries.
p = run(["print-parameters", "--format", "json"], timeout=120)
check(p.returncode == 0, f"print-parameters --format json exits 0 (got {p.returncode})")
try:
    tree = json.loads(p.stdout)
    parsed = True
except ValueError as e:
    tree, parsed = {}, False
    print(f"  JSON error: {e}; output starts {p.stdout[:200]!r}")
check(parsed, "print-parameters --format json is valid JSON")
geometry = tree.get("Geometry", {})
for entry in ("Device length", "Interface cell size", "Gmsh file"):
    found = entry in geometry or any(entry in v for v in geometry.values() if isinstance(v, dict))
    check(found, f"JSON Geometry has '{entry}'")
check(tree.get("Electrostatics", {}).get("Gate voltage", {}).get("documentation", "").find("[V]") >= 0,
      "JSON Electrostatics/Gate voltage documents its unit [V]")
check("[m]" in geometry.get("Device length", {}).get("documentation", ""),
      "JSON Geometry/Device length documents its unit [m]")

# print-parameters --format prm and a bad format.
p = run(["print-parameters", "--format", "prm"], timeout=120)
check(p.returncode == 0 and "set Device length" in p.stdout, "print-parameters --format prm is a deck")
p = run(["print-parameters", "--format", "yaml"], timeout=120)
check(p.returncode == 1 and "yaml" in p.stderr and "json" in p.stderr,
      f"print-parameters --format yaml: exit 1 naming the value and the allowed formats ({p.returncode})")

# materials: the whole database with units, ranges and sources.
p = run(["materials"], timeout=120)
check(p.returncode == 0, f"materials exits 0 (got {p.returncode})")
for name in ("PSG", "WO3", "Pd", "SiO2", "Si", "Al2O3"):
    check(f"\n{name} (" in p.stdout, f"materials lists {name}")
for unit in ("V/m", "m^-3", "m^2/s", "eV"):
    check(unit in p.stdout, f"materials shows the unit {unit}")
check(p.stdout.count("range [") >= 6 and "Sze & Ng" in p.stdout and "Pavelescu" in p.stdout,
      "materials shows ranges and sources")
clean(p, "materials")

# materials PSG: one material.
p = run(["materials", "PSG"], timeout=120)
check(p.returncode == 0, f"materials PSG exits 0 (got {p.returncode})")
line = next((l for l in p.stdout.splitlines() if "Relative permittivity" in l), "")
check("range [3.5, 4.5]" in line and "Pavelescu" in line,
      f"materials PSG: permittivity line has range 3.5..4.5 and the source ({line.strip()!r})")
headers = [l for l in p.stdout.splitlines() if l and not l.startswith(" ") and " (" in l]
check(len(headers) == 1 and headers[0].startswith("PSG (electrolyte)"),
      f"materials PSG shows only PSG ({headers})")
clean(p, "materials PSG")

# materials Nope: bad input, exit 2, lists the known names.
p = run(["materials", "Nope"], timeout=120)
check(p.returncode == 2, f"materials Nope exits 2 (got {p.returncode})")
first = (p.stderr.strip().splitlines() or [""])[0]
check("Nope" in p.stderr and all(n in p.stderr for n in ("PSG", "WO3", "Pd", "SiO2", "Si", "Al2O3")),
      f"materials Nope names the value and the known materials ({first})")
clean(p, "materials Nope")

# materials --directory with a folder that does not exist: exit 2.
p = run(["materials", "--directory", "/nonexistent/materials"], timeout=120)
check(p.returncode == 2 and "/nonexistent/materials" in p.stderr,
      f"materials --directory /nonexistent/materials exits 2 naming the folder ({p.returncode})")
clean(p, "materials --directory")
finish()
