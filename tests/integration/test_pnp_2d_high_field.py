"""The 2D reference device at 1 V/nm (inputs/reference_device_2d.prm at 10 V on
10 nm PSG: two 5 ns pulses of alternating sign) with the edge (box) mobility,
with 25 nm lateral cells instead of the deck's 10 nm (the charge per pulse
moves by 0.1 %: 2.074e-16 against 2.072e-16 C), on 1 rank: the regime where layers empty and refill and where naive PNP
schemes stall. Before the seventh session of 2026-11-29 the edge scheme's
Gauss-rule stiffness was anti-diffusive along the thin interface cells and
this device stalled in the second pulse already at 3 V (docs/numerics.md);
the vertex-rule (finite-volume) stiffness runs it. The run uses
'Time stepping/Error density floor = 1e23' (the setting for >= 0.5 V/nm,
docs/numerics.md): 3805 steps instead of 4829 at the default 1e20, with the
per-pulse charges equal to 2.2e-7 (pulse 1) and 2.6e-6 (pulse 2).

Asserted:
- the run completes both pulses (exit 0, end time 20 ns, two rows in the
  pulse table), pulse 1 moves protons into the WO3 and pulse 2 takes them out;
- the hard regime is reached: during the -10 V pulse the PSG is emptied below
  1e-15 of its c0 (edge) and the PSG refills to above 1e-6 c0 by the end.
  Until the thirteenth session this test also asserted a WO3 minimum below
  1e-100 m^-3: that was the consistent mass matrix's undershoot (the WO3
  minimum falls from 9.8e23 to 1e-57 m^-3 during the +10 V pulse, when the
  WO3 only gains protons), now printed for the consistent runs. With lumped
  storage the WO3 minimum must not fall during pulse 1 and the -10 V pulse
  must empty the WO3 interface below 1e-10 of its equilibrium (1.3e-13);
- the open-gate proton balance is reported honestly. 'injected_charge_C' is
  q (N - N(0)); 'gate_flux_charge_C' is the reservoir's delivery by the
  consistent gate flux (before the tenth session this test compared
  q (N - N(0)) with itself, which could not fail). They differ by 4e-13 of
  N(0) in 1D at 10 V (test_pnp_1d_10v_storage) but by 7.5e-6 here. Cause
  (eleventh session, PROTONFEM_DEBUG_BALANCE): on the ramp to -10 V
  (10.847 ns) a WO3 node at the PSG/WO3 interface is emptied to the eta bound
  (c = e^-600 c_max); Newton asks it to go further (0.7-1.9 kT per iteration),
  the bound holds it, its row stays unsolved (row-scaled residual 0.2-0.5) and
  the protons its packed PSG neighbour sends into it are lost. Asserted: the
  summary's proton_balance_defect is the worst step of the time series, and a
  defect above 1e-8 comes with steps_held_at_eta_bound > 0 and the run's
  warning (the loss is flagged, not silent);
- positivity: every minimum density in the time series is > 0.
The same run with 'Mobility average = sg' (eleventh session: the box scheme
with the Scharfetter-Gummel flux of hopping with site exclusion, bounded next
to an emptied node): it must complete with positivity and refill as above,
the open-gate balance below 1e-8 of N(0) (measured 3.1e-13) with no step
held at the eta bound, and both pulse charges
within 1e-3 of the edge run's (measured 2e-5 and 2.4e-4). Its PSG minimum is
printed, not asserted (1.4e-13 c0 against the edge run's 2.7e-21 c0: the depth
of the unresolved depletion layer depends on the flux; docs/status.md).
Both runs pin 'Mass lumping = off'. A third run takes the deck as shipped
(sg with lumped storage, thirteenth session) and must pass the same checks as
the sg run, plus the WO3 monotonicity and emptying above; its pulse charges are
printed against the consistent sg run's (measured 1335 protons in pulse 1,
3 % apart on these 25 nm cells; the PSG empties to 1.4e-13 c0 as with sg).
The conductance read-out is switched off (it does not enter the solution)."""
import csv
import os
from common import *

Q = 1.602176634e-19
folder = scratch("pnp_2d_high_field")
deck = os.path.join(SOURCE, "inputs", "reference_device_2d.prm")
charges = {}
RUNS = (("edge", "edge", "off"), ("sg", "sg", "off"), ("sg+lumped", "sg", "on"))
outs = [os.path.join(folder, name.replace("+", "_")) for name, _, _ in RUNS]
# The three runs are independent serial runs: run side by side on the cores.
procs = run_ok_parallel([(["run", deck, "--set", f"Transport/Mobility average={flux}",
                           "--set", f"Transport/Mass lumping={lumping}",
                           "--set", "Time stepping/Gate waveform/Amplitude=10", "--set", "Conductance/Read-out=off",
                           "--set", "Time stepping/Snapshot times=0", "--set", "Geometry/Lateral cell size=25e-9",
                           "--set", "Time stepping/Error density floor=1e23",
                           "--set", f"Output/Directory={out}"], 1) for (_, flux, lumping), out in zip(RUNS, outs)])
for (name, flux, lumping), out, p in zip(RUNS, outs, procs):
    s = summary(out)
    rows = list(csv.DictReader(open(os.path.join(out, "device_timeseries.csv"))))
    pulses = list(csv.DictReader(open(os.path.join(out, "device_pulses.csv"))))
    check(abs(s["end_time_s"] - 20e-9) < 1e-15,
          f"{name}: the run reaches 20 ns ({s['end_time_s']:.4e} s, {len(rows) - 1} steps)")
    check(len(pulses) == 2, f"{name}: two pulses in the pulse table ({len(pulses)})")
    if len(pulses) == 2:
        q1, q2 = (float(x["channel_charge_C"]) for x in pulses)
        charges[name] = (q1, q2)
        check(q1 > 0 > q2, f"{name}: pulse 1 moves protons into the WO3 ({q1:.6e} C), pulse 2 out ({q2:.6e} C)")

    t = [float(r["time_s"]) for r in rows]
    psg = [float(r["min_density_electrolyte_m3"]) for r in rows]
    c0_psg = psg[0]  # the PSG's equilibrium density at 0 V (its c0 = 1e26 m^-3)
    wo3 = [float(r["min_density_channel_m3"]) for r in rows]
    second = [i for i in range(len(rows)) if 10.5e-9 <= t[i] <= 16.5e-9]
    psg_min = min(psg[i] for i in second)
    if name == "edge":
        check(psg_min < 1e-15 * c0_psg, f"{name}: the -10 V pulse empties the PSG to {psg_min:.3e} m^-3 (< 1e-15 c0)")
    else:  # printed: the depth of an unresolved depletion layer depends on the flux
        print(f"   {name}: the -10 V pulse empties the PSG to {psg_min:.3e} m^-3 ({psg_min / c0_psg:.1e} c0)")
    # The WO3 (an equipotential conductor) can only gain protons during the
    # +10 V pulse: its minimum must not fall below the equilibrium value.
    # The consistent mass matrix undershoots ahead of the uptake front (to
    # 1e-57 m^-3 from 9.8e23 by 5 ns, and below 1e-200 in pulse 2): printed,
    # a known defect of consistent storage; lumped storage must be monotone.
    wo3_0 = wo3[0]
    first_min = min(wo3[i] for i in range(len(rows)) if t[i] <= 10e-9)
    wo3_min = min(wo3[i] for i in second)
    if lumping == "on":
        check(first_min >= wo3_0 * (1 - 1e-9),
              f"{name}: the WO3 minimum never falls during the +10 V pulse ({first_min:.4e} >= "
              f"{wo3_0:.4e} m^-3 at t = 0)")
        check(wo3_min < 1e-10 * wo3_0,
              f"{name}: the -10 V pulse empties the WO3 interface to {wo3_min:.3e} m^-3 "
              f"({wo3_min / wo3_0:.1e} of its equilibrium, < 1e-10)")
    else:
        print(f"   {name}: WO3 minimum {first_min:.3e} m^-3 during the +10 V pulse (from {wo3_0:.3e}: "
              f"the consistent mass matrix's undershoot), {wo3_min:.3e} during the -10 V pulse")
    check(psg[-1] > 1e-6 * c0_psg, f"{name}: the PSG refills: {psg[-1]:.3e} m^-3 at 20 ns (> 1e-6 c0)")
    check(min(psg + wo3) > 0, f"{name}: every minimum density is positive (smallest {min(psg + wo3):.3e} m^-3)")

    n0 = float(rows[0]["protons_channel"]) + float(rows[0]["protons_electrolyte"])
    worst = max(abs(float(r["injected_charge_C"]) - float(r["gate_flux_charge_C"])) / Q / n0 for r in rows)
    check(abs(s["proton_balance_defect"] - worst) <= 1e-2 * worst + 1e-13,
          f"{name}: the summary's proton_balance_defect {s['proton_balance_defect']:.3e} is the worst "
          f"step of the time series ({worst:.3e} of N(0))")
    held = s["steps_held_at_eta_bound"]
    check(worst < 1e-8 or (held > 0 and "held at the density bound" in p.stdout),
          f"{name}: the balance defect {worst:.2e} of N(0) is below 1e-8 or flagged ({held} step(s) "
          f"held at the eta bound, with the run's warning)")
    if flux == "sg":
        check(worst < 1e-8 and held == 0,
              f"{name}: open-gate balance {worst:.2e} of N(0) (< 1e-8), no step held at the eta bound ({held})")
    print(f"   {name}: open-gate balance {worst:.2e} of N(0), {held} step(s) held at the eta bound; "
          f"{len(rows) - 1} steps, {s.get('newton_iterations', '?')} Newton iterations, wall {s['wall_s']:.0f} s")
if "sg" in charges and "edge" in charges:
    for k in (0, 1):
        d = rel(charges["sg"][k], charges["edge"][k])
        check(d < 1e-3, f"pulse {k + 1} charge: sg {charges['sg'][k]:.6e} C vs edge "
                        f"{charges['edge'][k]:.6e} C ({d:.1e} apart, < 1e-3)")
if "sg" in charges and "sg+lumped" in charges:
    # Printed, not asserted: lumped against consistent storage is a
    # discretisation difference of this 25 nm-cell mesh, not a bound.
    for k in (0, 1):
        print(f"   pulse {k + 1} charge: sg+lumped {charges['sg+lumped'][k]:.6e} C, sg consistent "
              f"{charges['sg'][k]:.6e} C ({rel(charges['sg+lumped'][k], charges['sg'][k]):.1e} apart)")
finish()
