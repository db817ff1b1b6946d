"""Shared helpers of the integration tests: run the real executable (under
mpirun), write decks, read run summaries and HDF5 fields. Every test runs in
its own scratch folder under the build tree."""
import json
import os
import shutil
import subprocess
import sys
import time

BIN = os.environ.get("PROTONFEM_BIN", "build/protonfem")
MMS_BIN = os.environ.get("PROTONFEM_MMS_BIN", "build/tests/poisson_mms")
SOURCE = os.environ.get("PROTONFEM_SOURCE_DIR", os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
MPIEXEC = os.environ.get("MPIEXEC", "mpirun")

os.environ.setdefault("OMPI_ALLOW_RUN_AS_ROOT", "1")
os.environ.setdefault("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
os.environ.setdefault("OMPI_MCA_rmaps_base_oversubscribe", "1")
# Open MPI binds the ranks of each mpirun to cores counted from core 0, so two
# 1-rank runs started side by side (run_ok_parallel) would share core 0
# (measured: 64 s for two runs that take 37 s alone, 35 s unbound).
os.environ.setdefault("OMPI_MCA_hwloc_base_binding_policy", "none")

failures = []


def scratch(name):
    """A fresh, empty folder for one test."""
    path = os.path.abspath(os.path.join("scratch", name))
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path


def run(args, np=1, cwd=None, binary=None, timeout=600, env=None):
    """Run protonfem (or another binary) on np ranks; returns CompletedProcess."""
    cmd = [MPIEXEC, "-np", str(np), binary or BIN] + list(args)
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env,
                          stdin=subprocess.DEVNULL)  # mpirun forwards stdin; side-by-side runs must not share it


def run_ok(args, np=1, cwd=None, binary=None):
    p = run(args, np=np, cwd=cwd, binary=binary)
    if p.returncode != 0:
        print(p.stdout)
        print(p.stderr)
        raise SystemExit(f"FAILED: {' '.join(args)} exited {p.returncode}")
    return p


# Cores the concurrent runs of one test may share (run_ok_parallel). The
# test suite itself runs one test at a time (ctest without -j), so a test
# with independent runs keeps both of the CI machine's cores busy.
SLOTS = max(1, int(os.environ.get("PROTONFEM_TEST_SLOTS", min(2, os.cpu_count() or 1))))


def run_parallel(jobs, timeout=1200):
    """Run independent jobs concurrently, as many at a time as their ranks fit
    in SLOTS cores. jobs: list of (args, np[, binary[, env]]). Returns the
    CompletedProcess of each job in job order (a timeout as return code -1),
    each with its own wall time as .wall. Each run is deterministic and
    independent, so only the wall time changes."""
    import threading
    free = [SLOTS]
    cond = threading.Condition()
    results = [None] * len(jobs)

    def work(k):
        args, np_ = jobs[k][0], jobs[k][1]
        binary = jobs[k][2] if len(jobs[k]) > 2 else None
        env = jobs[k][3] if len(jobs[k]) > 3 else None
        need = min(np_, SLOTS)
        with cond:
            cond.wait_for(lambda: free[0] >= need)
            free[0] -= need
        t0 = time.time()
        try:
            results[k] = run(args, np=np_, binary=binary, timeout=timeout, env=env)
        except Exception as e:  # a timeout: reported like a failed run
            results[k] = subprocess.CompletedProcess(args, -1, "", f"{type(e).__name__}: {e}")
        finally:
            results[k].wall = time.time() - t0  # the run's own wall time
            with cond:
                free[0] += need
                cond.notify_all()

    threads = [threading.Thread(target=work, args=(k,)) for k in range(len(jobs))]
    for t in threads:
        t.start()
        t.join(0.05)  # start in job order when slots allow
    for t in threads:
        t.join()
    return results


def run_ok_parallel(jobs, timeout=1200):
    """run_parallel, failing as run_ok does (after all jobs have finished,
    with the output of each failed one)."""
    results = run_parallel(jobs, timeout)
    bad = [(jobs[k][0], p) for k, p in enumerate(results) if p.returncode != 0]
    for args, p in bad:
        print(p.stdout)
        print(p.stderr)
        print(f"FAILED: {' '.join(args)} exited {p.returncode}")
    if bad:
        raise SystemExit(f"FAILED: {len(bad)} of {len(jobs)} concurrent runs")
    return results


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


GMSH = os.environ.get("GMSH", "gmsh")
DATA = os.path.join(SOURCE, "tests", "data")


def gmsh_mesh(geo, msh, dim, fmt="msh22", numbers=None):
    """Mesh tests/data/GEO (or a path) with the gmsh command-line tool into MSH
    (ASCII, format msh22 or msh41); numbers: {name: value} for -setnumber."""
    geo = geo if os.path.isabs(geo) else os.path.join(DATA, geo)
    cmd = [GMSH, f"-{dim}", "-format", fmt, geo, "-o", msh]
    for k, v in (numbers or {}).items():
        cmd += ["-setnumber", k, str(v)]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    if p.returncode != 0 or not os.path.isfile(msh):
        print(p.stdout)
        print(p.stderr)
        raise SystemExit(f"FAILED: {' '.join(cmd)} exited {p.returncode}")
    return msh


def pnp_deck(layers, dim=1, geometry=None, time=None, waveform=None, transport=None,
             output_dir="out", materials_dir=None, base="device", electrostatics=None):
    """A Problem = pnp deck. layers: (name, material, thickness, interface cell, extent)."""
    g = {"Back contact": "true", "Max vertical cell size": "1e-9", "Grading ratio": "1.2"}
    g.update(geometry or {})
    top = {"Problem": "pnp"}
    if materials_dir:
        top["Materials directory"] = materials_dir
    text = deck_text(dim=dim, layers=layers, geometry=g, electrostatics=electrostatics or {},
                     output_dir=output_dir, base=base, top=top)
    ts = {"End time": "1e-12", "Initial step": "1e-13"}
    ts.update(time or {})
    wf = {"Type": "dc", "Amplitude": "0"}
    wf.update(waveform or {})
    tr = dict(transport or {})
    lines = ["subsection Time stepping"] + [f"  set {k} = {v}" for k, v in ts.items()]
    lines += ["  subsection Gate waveform"] + [f"    set {k} = {v}" for k, v in wf.items()] + ["  end", "end"]
    lines += ["subsection Transport"] + [f"  set {k} = {v}" for k, v in tr.items()] + ["end"]
    return text + "\n".join(lines) + "\n"


def materials_copy(folder, edits):
    """Copy of the shipped database with {material: {property: (value, range)}} edits."""
    import re
    dst = os.path.join(folder, "materials")
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(os.path.join(SOURCE, "materials", "db"), dst)
    for material, props in edits.items():
        path = os.path.join(dst, material + ".prm")
        text = open(path).read()
        for prop, (value, rng) in props.items():
            block = re.search(r"subsection " + re.escape(prop) + r"\n(.*?)\nend", text, re.S)
            new = re.sub(r"set Value  = .*", f"set Value  = {value}", block.group(0))
            new = re.sub(r"set Range  = .*", f"set Range  = {rng}", new)
            text = text.replace(block.group(0), new)
        open(path, "w").write(text)
    return dst


def material_value(name, prop):
    """A property's value from the shipped materials database (materials/db/NAME.prm)."""
    import re
    text = open(os.path.join(SOURCE, "materials", "db", name + ".prm")).read()
    block = re.search(r"subsection " + re.escape(prop) + r"\n(.*?)\nend", text, re.S).group(1)
    return float(re.search(r"set Value\s*=\s*(\S+)", block).group(1))


def robin_diffusion(c_a, c_s, h, D):
    """Diffusion into a half-space x > 0 at c_a, from t = 0 through a face with the Robin condition
    -D dc/dx = h D (c_s - c) (Carslaw & Jaeger §2.7): the profile c(x, t) and the uptake
    int (c - c_a) dx. h -> inf is the erfc solution, h -> 0 the linear uptake h D (c_s - c_a) t."""
    import math
    u_s = c_s - c_a

    def erfcx(z):
        """e^(z^2) erfc(z) without overflow (asymptotic series beyond z = 25, error < 1e-12)."""
        if z < 25:
            return math.exp(z * z) * math.erfc(z)
        w = 1 / (2 * z * z)
        return (1 - w + 3 * w * w - 15 * w ** 3 + 105 * w ** 4) / (z * math.sqrt(math.pi))

    def profile(x, t):
        s = math.sqrt(D * t)
        a = x / (2 * s)
        # e^(h x + h^2 D t) erfc(a + h s) = e^(-a^2) erfcx(a + h s)
        return c_a + u_s * (math.erfc(a) - math.exp(-a * a) * erfcx(a + h * s))

    def uptake(t):
        s = math.sqrt(D * t)
        return u_s / h * (erfcx(h * s) - 1 + 2 * h * s / math.sqrt(math.pi))
    return profile, uptake


def robin_mesh_report(mesh, row, init_tol, init_what, label):
    """Rows and checks of a Robin-diffusion mesh study (runs at refinements 0, 1, 2, each a dict with
    the summary 's', the t = 0 deviation 'init', and per-snapshot 'err' and 'uptake' pairs): the
    error at the first snapshot must fall with refinement at an observed rate > 1.7 (Q1: 2)."""
    import math
    for lvl, m in enumerate(mesh):
        rate = math.log2(mesh[lvl - 1]["err"][0] / m["err"][0]) if lvl else None
        row(f"A r{lvl} alpha0.5", f"max|c-c_ex|/{label} t1", 0.0, m["err"][0], m["err"][0], rate, m["s"])
        n, ex = m["uptake"][0]
        row(f"A r{lvl} alpha0.5", "uptake N(t1)-N0 [m^-2]", ex, n, rel(n, ex), None, m["s"])
        check(m["init"] < init_tol, f"A r{lvl}: {init_what} (worst rel. {m['init']:.1e})")
    rates = [math.log2(mesh[i]["err"][0] / mesh[i + 1]["err"][0]) for i in range(len(mesh) - 1)]
    check(all(mesh[i + 1]["err"][0] < mesh[i]["err"][0] for i in range(len(mesh) - 1)) and rates[-1] > 1.7,
          f"A: profile error at t1 falls with refinement {['%.2e' % m['err'][0] for m in mesh]}, "
          f"observed rates {['%.2f' % r for r in rates]} (Q1: 2)")


def robin_alpha_report(m, row, case, label, snapshots, err_tol, uptake_tol):
    """Rows and the check of one Robin run at every snapshot: profile error (relative to label) below
    err_tol and uptake error below uptake_tol."""
    for k, t in enumerate(snapshots):
        n, ex = m["uptake"][k]
        row(f"{case} t={t:g}", f"max|c-c_ex|/{label}", 0.0, m["err"][k], m["err"][k], None, m["s"])
        row(f"{case} t={t:g}", "uptake [m^-2]", ex, n, rel(n, ex), None, m["s"])
    worst = max(m["err"])
    uworst = max(rel(n, ex) for n, ex in m["uptake"])
    check(worst < err_tol and uworst < uptake_tol,
          f"{case}: profile within {worst:.1e} of the surface density (< {err_tol:g}), uptake within "
          f"{uworst:.1e} (< {uptake_tol:g}) at every snapshot")


# The 30 nm WO3 / 10 nm PSG stack of the reference device (1D), for equilibrium comparisons.
DEVICE_1D = [("channel", "WO3", 30e-9, 0.0006e-9, "full"), ("electrolyte", "PSG", 10e-9, 0.05e-9, "full")]


def device_equilibrium(folder, name, transport):
    """The t = 0 equilibrium of DEVICE_1D at a 1 V gate (edge mobility): its profile rows and summary."""
    out = os.path.join(folder, name)
    deck = write(out + ".prm", pnp_deck(
        DEVICE_1D, output_dir=out, geometry={"Back contact": "false", "Max vertical cell size": "1e-9"},
        waveform={"Type": "dc", "Base voltage": "0", "Amplitude": "1"},
        transport=dict({"Mobility average": "edge"}, **transport),
        time={"End time": "1e-15", "Initial step": "1e-15", "Snapshot times": "0"}))
    run_ok(["run", deck])
    return read_csv(os.path.join(out, "device_0000_profile.csv")), summary(out)


class VerificationTable:
    """Rows of the docs/verification.md tables: case, quantity, exact, computed, error, observed
    rate, and the cost (DoFs, steps, Newton iterations) from a run summary."""

    def __init__(self, digits=6):
        self.rows, self.digits = [], digits

    def add(self, case, quantity, exact, computed, error, rate, s):
        self.rows.append((case, quantity, exact, computed, error, rate, s["dofs"], s["steps"],
                          s["newton_iterations"]))

    def print(self):
        d = self.digits
        print("\n| case | quantity | exact | computed | error | observed rate | DoFs | steps | Newton |")
        print("|---|---|---|---|---|---|---|---|---|")
        for case, quantity, exact, computed, error, rate, dofs, steps, newton in self.rows:
            print(f"| {case} | {quantity} | {exact:.{d}e} | {computed:.{d}e} | {error:.2e} | "
                  f"{'' if rate is None else '%.2f' % rate} | {dofs} | {steps} | {newton} |")


def read_csv(path):
    """Rows of a CSV as dicts of floats (comment lines starting with # skipped)."""
    import csv as _csv
    with open(path) as f:
        lines = [l for l in f if not l.startswith("#")]
    # Blank cells (e.g. conductance between read-outs) read as NaN.
    return [{k: float(v) if v != "" else float("nan") for k, v in row.items()}
            for row in _csv.DictReader(lines)]


def kill_session(sid, sig=9):
    """Send sig to every process of session sid (mpirun puts its ranks in their
    own process groups, so killpg on mpirun alone would orphan them; a batch
    scheduler kills the whole job, which is what this imitates)."""
    import signal as _signal
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = open(f"/proc/{entry}/stat").read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[3]) == sid:  # field 6 of stat: session id
            pids.append(int(entry))
    for pid in pids:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass
    return pids
