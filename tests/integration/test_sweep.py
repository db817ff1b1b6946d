"""`protonfem sweep` (issue 4): a 4 x 4 sweep of PSG thickness x gate voltage
(tests/data/sweep_1d.prm, 1D) on 2 ranks in 2 concurrent groups.

- completes, writes sweep.csv / sweep.h5 (same values) and the design answer;
- interrupted (SIGKILL of the whole job after a few points) and re-run: the
  finished points are skipped (their rows untouched) and the final table
  equals the uninterrupted one;
- physics from the table: where hopping dominates (E >= 2 E0), ln(peak ionic
  current) against V/d has the slope q a / (2 kT) of the deck's hopping
  distance a, within 5 %;
- a point that fails numerically is recorded with its error, the others run,
  and a re-run skips it unless --retry-failed;
- a misspelled parameter path is refused before anything is written."""
import csv
import glob
import math
import os
import re
import shutil
import signal
import subprocess
import time
from common import *

folder = scratch("sweep")
deck_src = os.path.join(DATA, "sweep_1d.prm")
text = open(deck_src).read()


def deck(name, out, extra=""):
    return write(os.path.join(folder, name), text.replace("set Directory = sweep_out",
                                                          f"set Directory = {out}") + extra)


def table(path):
    with open(path) as f:
        return list(csv.DictReader(f))


T = "Geometry/Layer electrolyte/Thickness"
V = "Time stepping/Gate waveform/Amplitude"
metrics = ["charge_per_pulse_C", "delta_G_per_pulse_S", "energy_per_pulse_J", "peak_ionic_current_A",
           "G_final_S", "peak_field_over_breakdown"]

# 1. Full sweep, 2 groups of 1 rank.
full = os.path.join(folder, "full")
p = run_ok(["sweep", deck("full.prm", full), "--ranks-per-run", "1"], np=2)
rows = table(os.path.join(full, "sweep.csv"))
check(len(rows) == 16 and all(r["status"] == "ok" for r in rows), f"16 points, all ok ({len(rows)} rows)")
check(len({(r[T], r[V]) for r in rows}) == 16, "every thickness x voltage combination once")
check("design answer" in p.stdout and "16/16 done" in p.stdout, "progress lines and design answer printed")
import h5py
with h5py.File(os.path.join(full, "sweep.h5"), "r") as f:
    h5_dg = list(f["delta_G_per_pulse_S"][:])
    h5_t = list(f["parameter_1"][:])
    path_attr = f["parameter_1"].attrs["path"]
    path_attr = path_attr.decode() if isinstance(path_attr, bytes) else path_attr
check(path_attr == T and all(rel(a, float(r[T])) < 1e-12 for a, r in zip(h5_t, rows)),
      "sweep.h5 parameter_1 = thickness column (path attribute set)")
check(all(rel(a, float(r["delta_G_per_pulse_S"])) < 1e-11 for a, r in zip(h5_dg, rows)),
      "sweep.h5 metrics = sweep.csv")
summ = json.load(open(os.path.join(full, "sweep_summary.json")))
check(summ["parameters"] == [T, V] and len(summ["design_answer"]) == 4, "sweep_summary.json: parameters and one design answer per voltage")
for a in summ["design_answer"]:
    passing = [float(r[T]) for r in rows if r[V] == a[V] and r["pass"] == "1"]
    expect = min(passing) if passing else None
    check(a["smallest_passing"] == expect or (expect and rel(a["smallest_passing"], expect) < 1e-12),
          f"design answer at V = {a[V]}: smallest passing thickness {a['smallest_passing']} (table: {expect})")

# 2. Physics: hopping slope.
a_hop = float(re.search(r"subsection Proton hopping distance\n\s*set Value\s*=\s*(\S+)",
                        open(os.path.join(SOURCE, "materials", "db", "PSG.prm")).read()).group(1))
kT_q = 1.380649e-23 * 300 / 1.602176634e-19
slope_exact = a_hop / (2 * kT_q)  # [m/V]
E0 = 1 / slope_exact
pts = [(float(r[V]) / float(r[T]), math.log(float(r["peak_ionic_current_A"]))) for r in rows]
hop = [(e, y) for e, y in pts if e >= 1.9 * E0]
n = len(hop)
mx = sum(e for e, _ in hop) / n
my = sum(y for _, y in hop) / n
slope = sum((e - mx) * (y - my) for e, y in hop) / sum((e - mx) ** 2 for e, _ in hop)
check(n >= 5, f"{n} points in the hopping regime E >= 1.9 E0 = {1.9 * E0:.3e} V/m")
check(rel(slope, slope_exact) < 0.05,
      f"d ln(I)/d(V/d) = {slope:.4e} m/V vs q a/(2kT) = {slope_exact:.4e} m/V (a = {a_hop} m): "
      f"{100 * rel(slope, slope_exact):.2f} % off")

# 3. Interrupt and resume.
part = os.path.join(folder, "part")
d = deck("part.prm", part)
proc = subprocess.Popen([MPIEXEC, "-np", "1", BIN, "sweep", d], stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL, start_new_session=True)
deadline = time.time() + 300
while time.time() < deadline and len(glob.glob(os.path.join(part, "points", "p*", "row.csv"))) < 5:
    time.sleep(0.05)
kill_session(proc.pid)
proc.wait()
for _ in range(100):  # until every rank is gone
    if not kill_session(proc.pid):
        break
    time.sleep(0.05)
done_before = sorted(glob.glob(os.path.join(part, "points", "p*", "row.csv")))
stamp = {f: (os.path.getmtime(f), open(f).read()) for f in done_before}
check(5 <= len(done_before) < 16, f"killed after {len(done_before)} finished points")
p = run_ok(["sweep", d, "--ranks-per-run", "1"], np=2)
m = re.search(r"skipped (\d+) finished earlier", p.stdout)
check(m and int(m.group(1)) == len(done_before), f"re-run skipped the {len(done_before)} finished points ({m and m.group(0)})")
check(all((os.path.getmtime(f), open(f).read()) == stamp[f] for f in done_before), "their rows were not rewritten")
resumed = table(os.path.join(part, "sweep.csv"))
check(len(resumed) == 16 and all(r["status"] == "ok" for r in resumed), "resumed table has all 16 points ok")
worst = max(rel(float(a[k]), float(b[k])) for a, b in zip(rows, resumed) for k in metrics)
check(worst < 1e-10, f"resumed table = uninterrupted table (largest rel. difference {worst:.1e})")

# 4. A failing point is recorded; the others run.
failing = os.path.join(folder, "failing")
extra = """
subsection Time stepping
  set Max gate voltage change = 100
end
subsection Sweep
  set Parameter 1 = Geometry/Layer electrolyte/Thickness
  set Values 1 = 10e-9
  set Parameter 2 = Time stepping/Gate waveform/Amplitude
  set Values 2 = 8
  set Parameter 3 = Time stepping/Max step cuts
  set Values 3 = 0, 12
  set Parameter 4 = Time stepping/Initial step
  set Values 4 = 2e-11
end
"""
d = deck("failing.prm", failing, extra)
p = run(["sweep", d], np=1)
check(p.returncode == 0, f"sweep with a failing point exits 0 ({p.returncode})")
ft = table(os.path.join(failing, "sweep.csv")) if os.path.exists(os.path.join(failing, "sweep.csv")) else []
status = [r["status"] for r in ft]
check(status == ["failed", "ok"], f"both points in the table, the one without step cuts failed ({status})")
bad = [r for r in ft if r["status"] == "failed"]
check(bad and "Newton" in bad[0]["error"], f"its error is recorded: {bad[0]['error'][:80] if bad else ''}")
p = run_ok(["sweep", d], np=1)
check("ran 0 point(s)" in p.stdout, "re-run skips the failed point")
p = run_ok(["sweep", d, "--retry-failed"], np=1)
check(re.search(r"ran (\d+) point", p.stdout).group(1) == str(status.count("failed")),
      "--retry-failed recomputes only the failed point(s)")

# 5. Bad sweep input.
badout = os.path.join(folder, "bad")
d = deck("bad.prm", badout).replace("bad.prm", "bad2.prm")
write(d, open(os.path.join(folder, "bad.prm")).read().replace(
    "Parameter 1 = Geometry/Layer electrolyte/Thickness", "Parameter 1 = Geometry/Layer electrolyte/Thicknes"))
p = run(["sweep", d], np=2)
check(p.returncode == 2 and "Thicknes" in p.stderr and "allowed" in p.stderr,
      f"misspelled path: exit {p.returncode}, message names it: {p.stderr.strip()[:120]}")
check(not os.path.exists(badout), "nothing written for the bad sweep")
finish()
