"""Quasi-static electrons (Transport/Electron transport = quasi-static): the
electrons of the channel in equilibrium with the contacts at every instant,
the limit of fast electrons, through the real executable
(inputs/reference_device_1d_electrons.prm: 10 nm PSG on 30 nm WO3, edge
mobility, back contact under the channel).

A. The limit. At 3 V (two alternating pulses), drift-diffusion electrons with
   the electron diffusivity raised 100x and 10^4x approach the quasi-static
   run at first order in 1/D_e: per pulse the channel charge, the gate
   charge and the energy differ from the quasi-static values by e_100 and
   e_10000 with e_10000 < 2e-5 and e_100/e_10000 in [50, 200] (first order:
   100).
B. 1 V/nm. At 10 V, where drift-diffusion electrons fail in the second
   (negative) pulse once the channel is emptied of electrons (docs/status.md),
   the quasi-static run completes both pulses; its profiles have mu_e at
   the contacts' level at every channel node (1e-12 kT) and the electron
   density n = n_max / (1 + exp(-(mu_e + phi/V_T))) there (1e-9 relative), at the
   end of the -10 V plateau (channel depleted) and after the pulse;
   the negative pulse moves protons back out of the channel."""
import math
import os
from common import *

folder = scratch("pnp_electrons_quasi_static")
deck = os.path.join(SOURCE, "inputs", "reference_device_1d_electrons.prm")
n0 = material_value("WO3", "Electron density")
n_max = material_value("WO3", "Electron site density")
prefactor = material_value("WO3", "Electron diffusivity prefactor")


def pulses(name, *sets):
    out = os.path.join(folder, name)
    args = ["run", deck, "--set", f"Output/Directory={out}", "--set", "Time stepping/End time=21e-9"]
    for s in sets:
        args += ["--set", s]
    run_ok(args)
    return out, read_csv(os.path.join(out, "device_pulses.csv"))


# --- A: drift-diffusion -> quasi-static as D_e grows -------------------------
_, qs = pulses("qs_3V", "Transport/Electron transport=quasi-static")
errors = {}
for factor in (100, 10000):
    mats = materials_copy(os.path.join(folder, f"db{factor}"),
                          {"WO3": {"Electron diffusivity prefactor": (prefactor * factor, "1e-9, 10")}})
    _, dd = pulses(f"dd{factor}_3V", f"Materials directory={mats}")
    check(len(dd) == len(qs) == 2, f"A: two pulses with D_e x {factor} ({len(dd)}) and quasi-static ({len(qs)})")
    errors[factor] = max(abs(a[k] - b[k]) / abs(b[k]) for a, b in zip(dd, qs)
                         for k in ("channel_charge_C", "gate_charge_C", "energy_J"))
    print(f"     D_e x {factor}: largest relative difference from quasi-static {errors[factor]:.3e}")
check(errors[10000] < 2e-5, f"A: D_e x 1e4 within {errors[10000]:.2e} of quasi-static (< 2e-5)")
ratio = errors[100] / errors[10000]
check(50 <= ratio <= 200, f"A: difference falls {ratio:.1f}x for 100x D_e (first order: 100; [50, 200])")

# --- B: 1 V/nm ---------------------------------------------------------------
out, p10 = pulses("qs_10V", "Transport/Electron transport=quasi-static",
                  "Time stepping/Gate waveform/Amplitude=10", "Time stepping/Snapshot times=16e-9, 21e-9")
s = summary(out)
check(s.get("electron_transport") == "quasi-static", f"B: summary says {s.get('electron_transport')}")
check(len(p10) == 2 and p10[0]["channel_charge_C"] > 0 and p10[1]["channel_charge_C"] < 0,
      f"B: 10 V: both pulses ran; protons in then out of the channel "
      f"({[round(r['protons_into_channel']) for r in p10]} per m^2)")
profiles = sorted(f for f in os.listdir(out) if f.endswith("_profile.csv"))
check(len(profiles) == 2, f"B: profiles at 16 ns (end of the -10 V plateau) and 21 ns ({profiles})")
vt = 1.380649e-23 * 300 / 1.602176634e-19  # deck temperature 300 K
mu_c = math.log(n0 / (n_max - n0))
for name in profiles:
    rows = read_csv(os.path.join(out, name))
    channel = [r for r in rows if int(r["region_id"]) == 0]
    mu_err = max(abs(r["mu_electron_kT"] - mu_c) for r in channel)
    check(mu_err < 1e-12, f"B {name}: mu_e = contact level {mu_c:.6f} kT at all {len(channel)} channel "
          f"nodes ({mu_err:.1e})")
    n_err = max(abs(r["electron_density_m3"] - n_max / (1 + math.exp(-(mu_c + r["phi_V"] / vt))))
                / max(r["electron_density_m3"], 1e-300) for r in channel)
    n_min = min(r["electron_density_m3"] for r in channel)
    check(n_err < 1e-9 and n_min > 0, f"B {name}: n = n_max sigma(mu_e + phi/V_T) at every channel node "
          f"({n_err:.1e}); smallest n {n_min:.2e} m^-3 > 0")
finish()
