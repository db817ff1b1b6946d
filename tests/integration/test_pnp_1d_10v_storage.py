"""1 V/nm in 1D with both storage discretizations: the first 10 V pulse of the
1D reference device (10 nm PSG, 30 nm WO3, 0.0006 nm WO3 interface cell, edge
mobility) to 7.5 ns, i.e. through the pulse and its 0.5 ns fall.

Until the tenth session the run with 'Mass lumping = on' failed at 6.82 ns
(Newton walking a packed PSG node by the 20 kT limit); the consistent-mass run
passed. Both must now complete, and:
- the whole-step implicit-Euler guard (BDF2 asks a node for c < 0 or
  c > c_max when its density or vacancies fell by more than (1+w)^2/w^2 in the
  last step) is exercised: the summary counts such steps, in both runs;
- the charge moved into the WO3 in the pulse does not depend on the storage
  discretization: lumped and consistent agree within 1 % (measured 0.2 %)."""
import os
from common import *

folder = scratch("pnp_1d_10v_storage")
deck = os.path.join(SOURCE, "inputs", "reference_device_1d.prm")
results = {}
for lumping in ("off", "on"):
    out = os.path.join(folder, f"lumping_{lumping}")
    p = run(["run", deck, "--set", f"Output/Directory={out}",
             "--set", "Time stepping/Gate waveform/Amplitude=10",
             "--set", "Time stepping/End time=7.5e-9",
             "--set", f"Transport/Mass lumping={lumping}",
             "--set", "Output/Write fields=false", "--set", "Conductance/Read-out=off"])
    tag = f"mass lumping {lumping}"
    check(p.returncode == 0, f"{tag}: the 10 V pulse completes (exit {p.returncode}: "
                             f"{p.stderr.strip()[-300:]})")
    if p.returncode != 0:
        continue
    s = summary(out)
    check(s["implicit_euler_steps"] > 0,
          f"{tag}: {s['implicit_euler_steps']} of {s['steps']} steps taken with implicit Euler "
          f"(BDF2 without a positive root)")
    charge = s["design"]["charge_per_pulse_C"]
    results[lumping] = charge
    print(f"{tag}: {s['dofs']} DoFs, {s['steps']} steps, {s['newton_iterations']} Newton, "
          f"charge into the WO3 in pulse 1 {charge:.6e} C/m^2, wall {s['wall_s']:.1f} s")
if len(results) == 2:
    d = rel(results["on"], results["off"])
    check(d < 0.01, f"pulse-1 charge into the WO3: lumped {results['on']:.4e} vs consistent "
                    f"{results['off']:.4e} ({d:.1e} apart, < 1 %)")
finish()
