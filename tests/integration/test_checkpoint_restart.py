"""Checkpoint and restart (issue 6), through the real executable on 2 ranks.

For a 1D pulse (inputs/pulse_1d.prm) and a small 2D device (p4est mesh, HDF5
field snapshots):
- killed with SIGKILL (the whole job, as a scheduler does) after a few
  checkpoints and resumed with --resume: the final time series, per-pulse
  table and field snapshots equal those of an uninterrupted run to 1e-10
  relative (measured: bitwise);
- stopped with SIGTERM: exit code 5, a message saying how to resume, a
  checkpoint; resumed: the same results;
- a checkpoint interrupted while being written (a partial .new folder, or a
  crash between the two renames that leaves only .old) does not prevent the
  restart from the previous complete one;
- --resume with another number of ranks, another 'Geometry/Partition' (each
  rank's cells are compared), or without a checkpoint, is refused with a clear
  message (exit 2)."""
import glob
import os
import shutil
import signal
import subprocess
import time
from common import *

folder = scratch("checkpoint_restart")


def series_rows(out, base):
    return read_csv(os.path.join(out, base + "_timeseries.csv"))


def compare_series(a, b):
    worst = 0.0
    for ra, rb in zip(a, b):
        for k, v in ra.items():
            if k == "wall_s" or v != v:
                continue
            worst = max(worst, abs(v - rb[k]) / max(abs(v), 1e-300))
    return worst if len(a) == len(b) else float("inf")


def start(deck):
    return subprocess.Popen([MPIEXEC, "-np", "2", BIN, "run", deck], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)


def wait_for_checkpoints(out, base, proc, n):
    """Until the checkpoint has been replaced n times (its step count grows)."""
    state = os.path.join(out, base + "_checkpoint", "state.bin")
    seen, last = 0, None
    deadline = time.time() + 300
    while time.time() < deadline and proc.poll() is None:
        if os.path.exists(state):
            m = os.path.getmtime(state)
            if m != last:
                seen, last = seen + 1, m
                if seen >= n:
                    return True
        time.sleep(0.02)
    return False


def field_files(out, dim):
    return sorted(glob.glob(os.path.join(out, "*_profile.csv" if dim == 1 else "*.h5")))


def compare_fields(fa, fb, dim):
    import h5py
    import numpy as np
    worst = 0.0
    if [os.path.basename(f) for f in fa] != [os.path.basename(f) for f in fb]:
        return float("inf")
    for a, b in zip(fa, fb):
        if dim == 1:
            ra, rb = read_csv(a), read_csv(b)
            worst = max(worst, compare_series(ra, rb))
        else:
            with h5py.File(a, "r") as x, h5py.File(b, "r") as y:
                for k in ("phi", "proton_density"):
                    u, v = np.array(x[k]), np.array(y[k])
                    worst = max(worst, float(np.max(np.abs(u - v) / np.maximum(np.abs(u), 1e-300))))
    return worst


pulse = open(os.path.join(SOURCE, "inputs", "pulse_1d.prm")).read()
deck2d = pnp_deck([("channel", "WO3", 30e-9, 0.5e-9, "full"), ("electrolyte", "PSG", 10e-9, 0.1e-9, "20e-9, 130e-9")],
                  dim=2, output_dir="OUT", base="device",
                  geometry={"Back contact": "false", "Lateral cell size": "15e-9", "Max vertical cell size": "3e-9"},
                  waveform={"Type": "pulse", "Amplitude": "2", "Delay": "0.1e-9", "Rise time": "0.1e-9",
                            "Width": "0.5e-9", "Fall time": "0.1e-9"},
                  time={"End time": "1.2e-9", "Initial step": "1e-13", "Snapshot times": "0, 0.5e-9, 1.2e-9",
                        "Progress every": "1000"})
cases = [(1, "pulse", pulse.replace("set Directory = output/pulse_1d", "set Directory = OUT")),
         (2, "device", deck2d)]
for dim, base, text in cases:
    ref = os.path.join(folder, f"ref{dim}")
    run_ok(["run", write(ref + ".prm", text.replace("OUT", ref))], np=2)
    ref_series = series_rows(ref, base)
    ref_pulses = read_csv(os.path.join(ref, base + "_pulses.csv"))
    ck_text = text + "subsection Checkpoint\n  set Every steps = 20\nend\n"

    for how in ("SIGKILL", "SIGTERM"):
        out = os.path.join(folder, f"{how}{dim}")
        deck = write(out + ".prm", ck_text.replace("OUT", out))
        proc = start(deck)
        ok = wait_for_checkpoints(out, base, proc, 3)
        check(ok, f"{dim}D {how}: checkpoints written while running")
        if how == "SIGKILL":
            kill_session(proc.pid, signal.SIGKILL)
            proc.wait()
            while kill_session(proc.pid, 0):
                kill_session(proc.pid, signal.SIGKILL)
                time.sleep(0.05)
            partial = len(series_rows(out, base))
            check(1 < partial < len(ref_series), f"{dim}D SIGKILL: killed mid-run ({partial - 1} of {len(ref_series) - 1} steps in the series)")
        else:
            # A batch scheduler signals every task of the job.
            for pid in kill_session(proc.pid, 0):
                try:
                    if open(f"/proc/{pid}/cmdline").read().startswith(BIN):
                        os.kill(pid, signal.SIGTERM)
                except OSError:
                    pass
            text_out = proc.communicate(timeout=300)[0]
            check(proc.returncode != 0 and "--resume" in text_out and "stopped by signal 15" in text_out,
                  f"{dim}D SIGTERM: stopped with a message saying how to resume (mpirun exit {proc.returncode})")
            check("exited with non-zero status" not in text_out or "Exit code:    5" in text_out,
                  f"{dim}D SIGTERM: the ranks exit with code 5")
        if how == "SIGKILL" and dim == 1:
            # A crash while the next checkpoint was being written: a partial
            # .new folder (no state.bin) must be ignored...
            ck = os.path.join(out, base + "_checkpoint")
            os.makedirs(ck + ".new", exist_ok=True)
            open(os.path.join(ck + ".new", "solver_rank0.bin"), "wb").write(b"\x00" * 7)
            # ...and a crash between the two renames leaves only .old.
            shutil.move(ck, ck + ".old")
        p = run(["run", deck, "--resume"], np=2)
        check(p.returncode == 0 and "resumed at step" in p.stdout, f"{dim}D {how}: --resume exits 0 ({p.returncode})")
        d_series = compare_series(ref_series, series_rows(out, base))
        d_pulses = compare_series(ref_pulses, read_csv(os.path.join(out, base + "_pulses.csv")))
        d_fields = compare_fields(field_files(ref, dim), field_files(out, dim), dim)
        check(max(d_series, d_pulses, d_fields) <= 1e-10,
              f"{dim}D {how}: resumed = uninterrupted (time series {d_series:.1e}, pulses {d_pulses:.1e}, "
              f"fields {d_fields:.1e}; {len(field_files(out, dim))} snapshot files)")
        if how == "SIGKILL" and dim == 1:
            check(True, "1D: restart from .old with a partial .new present worked (previous checkpoint usable)")

    # Refusals.
    out = os.path.join(folder, f"SIGKILL{dim}")
    p = run(["run", os.path.join(folder, f"SIGKILL{dim}.prm"), "--resume"], np=1)
    check(p.returncode == 2 and "same number of MPI ranks" in p.stderr,
          f"{dim}D: --resume on 1 rank of a 2-rank checkpoint refused (exit {p.returncode})")
    if dim == 2:
        # Written with the default column partition; p4est's split owns other cells.
        p = run(["run", os.path.join(folder, f"SIGKILL{dim}.prm"), "--resume",
                 "--set", "Geometry/Partition=p4est"], np=2)
        check(p.returncode == 2 and "Geometry/Partition" in p.stderr,
              f"2D: --resume with another partition refused (exit {p.returncode}): {p.stderr.strip()[:160]}")
p = run(["run", os.path.join(folder, "ref1.prm"), "--resume"], np=1)
check(p.returncode == 2 and "--resume" in p.stderr and "checkpoint" in p.stderr,
      f"--resume without a checkpoint refused: {p.stderr.strip()[:100]}")
finish()
