"""The iterative PNP linear solvers give the direct (MUMPS) answer.

The 3D reference device, 2 MPI ranks, the first 15 time steps of the rising
edge of a 3 V pulse (Debye layers forming, protons drifting into the WO3),
solved with MUMPS and with GMRES + each preconditioner (GAMG/ILU, the
lateral multigrid, field split with BoomerAMG, ILU block Jacobi). The proton numbers per layer, the
gate current and the injected charge at every step must agree with the direct
solve to 1e-9 relative (GMRES stops at 1e-10 of the residual, Newton at 1e-9
kT; the result must not depend on the solver beyond that). Also: PETSc
options with the -pnp_ prefix reach the solver (a valued option before the
deck, -pnp_ksp_type fgmres, is used and reported by -pnp_ksp_view), and a
GMRES that cannot converge in the allowed iterations makes Newton cut the
step instead of accepting a wrong update."""
import os
from common import *

TOL = 1e-9
folder = scratch("pnp_iterative_solvers")
deck = os.path.join(SOURCE, "inputs", "reference_device_3d.prm")
# The benchmarks' mesh of the deck (0.1 nm WO3 interface cell; the deck resolves the
# uptake with 0.0006 nm): the figures below and in docs/ were measured on it.
common = ["--set", "Time stepping/Max steps=15", "--set", "Time stepping/Gate waveform/Delay=0",
          "--set", "Output/Write fields=false", "--set", "Conductance/Read-out=off",
          "--set", "Geometry/Layer channel/Interface cell size=0.1e-9"]


def series(name, extra, before=()):
    out = os.path.join(folder, name)
    p = run_ok(list(before) + ["run", deck] + common + ["--set", f"Output/Directory={out}"] + extra,
               np=2)
    return read_csv(os.path.join(out, "device_timeseries.csv")), summary(out), p


ref, ref_summary, _ = series("direct", ["--set", "Transport/Linear solver=direct"])
check(ref_summary["steps"] == 15 and ref_summary["stopped_at_max_steps"],
      f"direct run stopped after Max steps = 15 ({ref_summary['steps']} steps)")
check(max(r["gate_voltage_V"] for r in ref) > 0.5,
      f"the steps cover the rising edge (V_gate up to {max(r['gate_voltage_V'] for r in ref):.2f} V)")
keys = ["protons_channel", "protons_electrolyte", "injected_charge_C", "gate_current_A"]
for pc, reuse in (("amg", "off"), ("amg", "newton"), ("lateral-mg", "off"), ("fieldsplit-amg", "off"),
                  ("block-jacobi", "off")):
    rows, s, _ = series(pc + ("" if reuse == "off" else "_reuse"),
                        ["--set", "Transport/Linear solver=gmres", "--set", f"Transport/Preconditioner={pc}",
                         "--set", f"Transport/Preconditioner reuse={reuse}"])
    check(s["linear_solver"] == f"gmres + {pc}", f"{pc}: summary names the solver ({s['linear_solver']})")
    pc = pc + ("" if reuse == "off" else " (preconditioner reused within Newton)")
    check(len(rows) == len(ref), f"{pc}: same number of steps ({len(rows)} vs {len(ref)})")
    worst = 0.0
    for a, b in zip(ref, rows):
        check(a["time_s"] == b["time_s"] or rel(b["time_s"], a["time_s"]) < 1e-9,
              f"{pc}: step {int(a['step'])} at the same time")
        for k in keys:
            scale = max(abs(r[k]) for r in ref) or 1.0
            worst = max(worst, abs(a[k] - b[k]) / scale)
    check(worst < TOL, f"{pc}: largest difference from MUMPS over {len(ref)} steps, "
                       f"{', '.join(keys)}: {worst:.2e} (relative to each column's max) < {TOL}")
    c = s["time_step_cost"]
    check(c["newton_iterations"] > 0 and c["krylov_iterations"] >= c["newton_iterations"],
          f"{pc}: time-step cost recorded ({c['newton_iterations']} Newton, "
          f"{c['krylov_iterations']} Krylov iterations)")

# 2D reference device through the start of the pulse (t = 0.5-1 ns), where a
# row-scaled Nernst-Planck row has a zero ILU(0) pivot: GAMG/ILU must shift
# it and give the direct answer (it failed the preconditioner setup before).
deck2 = os.path.join(SOURCE, "inputs", "reference_device_2d.prm")
res = {}
for ls, pc in (("direct", "amg"), ("gmres", "amg"), ("gmres", "lateral-mg")):
    out = os.path.join(folder, f"d2_{ls}_{pc}")
    run_ok(["run", deck2, "--set", f"Output/Directory={out}", "--set", "Time stepping/Max steps=60",
            "--set", "Output/Write fields=false", "--set", f"Transport/Linear solver={ls}",
            "--set", f"Transport/Preconditioner={pc}"], np=2)
    res[ls, pc] = read_csv(os.path.join(out, "device_timeseries.csv"))
a = res["direct", "amg"]
for pc in ("amg", "lateral-mg"):
    b = res["gmres", pc]
    check(len(a) == len(b) and a[-1]["time_s"] > 5e-10,
          f"2D: GMRES + {pc} runs the 60 steps into the pulse (to t = {b[-1]['time_s']:.3g} s)")
    worst = max(abs(x[k] - y[k]) / (max(abs(r[k]) for r in a) or 1.0)
                for x, y in zip(a, b) for k in ("protons_channel", "protons_electrolyte", "gate_current_A"))
    check(worst < TOL, f"2D, {pc}: largest difference from MUMPS {worst:.2e} < {TOL}")

# PETSc options with the -pnp_ prefix: a valued one before the deck (the
# command line must not take its value for the deck), a flag at the end.
out = os.path.join(folder, "fgmres_view")
p = run_ok(["run", "-pnp_ksp_type", "fgmres", deck] + common +
           ["--set", f"Output/Directory={out}", "--set", "Transport/Linear solver=gmres",
            "--set", "Time stepping/Max steps=1", "-pnp_ksp_view"], np=2)
check("type: fgmres" in p.stdout and "type: gamg" in p.stdout,
      "-pnp_ksp_type fgmres before the deck reaches PETSc (KSP view shows fgmres + gamg)")

# A GMRES limited to 2 iterations cannot solve the coupled system: Newton
# must report failure (steps cut, then a clear numerical-failure exit), not
# accept a wrong update.
out = os.path.join(folder, "starved")
p = run(["run", deck] + common + ["--set", f"Output/Directory={out}",
                                   "--set", "Transport/Linear solver=gmres",
                                   "--set", "Transport/Preconditioner=block-jacobi",
                                   "--set", "Transport/Max linear iterations=2",
                                   "--set", "Time stepping/Max step cuts=2"], np=2)
msg = [l for l in p.stderr.splitlines() if l.startswith("protonfem:")]
check(p.returncode == 3 and msg and "numerical failure" in msg[0] and "equation in layer" in msg[0]
      and "linear solver failed" in msg[0] and "GMRES did not converge" in msg[0],
      f"starved GMRES: numerical-failure exit 3 naming where it failed (exit {p.returncode}: {msg})")
finish()
