"""The hand-derived Newton Jacobian of the coupled PNP system against finite differences.

PROTONFEM_CHECK_JACOBIAN=N makes the solver compare, at the first iterate of its N-th Newton solve,
every unconstrained column of the assembled Jacobian with central differences of the residual
(step h = 1e-5 in thermal units; Nernst-Planck row scales frozen at the iterate, row
equilibration off) and print the largest difference relative to the row's largest entry. The states are taken
where the numerics are hard: the rising edge and plateau of a gate pulse into a device with the
PSG/WO3 interface, saturated and emptied layers (Debye layers, eta up to |eta| > 30 where the rows
are rescaled), the sinh hopping enhancement on, the three proton fluxes (Galerkin, edge, sg), in 1D,
2D and 3D, on 1 and 2 ranks.

Asserted: largest relative difference < 1e-6 in every case. The floor of the comparison is the
round-off of the differences, ~1e-12/h of the row's largest entry where large terms cancel
(measured on the 2D Galerkin plateau state: 1.3e-7 at h = 1e-5, 1.0e-6 at 1e-6, 1.7e-5 at 1e-7,
i.e. proportional to 1/h). The former
edge-mobility code, one mean for all directions without a weight floor, gave 0.16 at the lateral
end of the gate, which this check found: docs/numerics.md).
"""
import os
import re
from common import *

folder = scratch("pnp_jacobian")
LAYERS = [("substrate", "SiO2", 20e-9, 2e-9, "full"), ("channel", "WO3", 30e-9, 0.05e-9, "full"),
          ("electrolyte", "PSG", 10e-9, 0.1e-9, "20e-9, 130e-9")]


def check_at(name, dim, newton_call, mobility, volts, np_=1, lateral="25e-9", gate=None, layers=LAYERS,
             back="false"):
    out = os.path.join(folder, name)
    deck = write(out + ".prm", pnp_deck(
        layers, dim=dim, output_dir=out,
        geometry={"Back contact": back, "Max vertical cell size": "4e-9", "Grading ratio": "1.5",
                  "Lateral cell size": lateral},
        waveform={"Type": "pulse", "Amplitude": repr(volts), "Delay": "0.1e-9", "Rise time": "0.5e-9",
                  "Width": "5e-9", "Fall time": "0.5e-9"},
        transport=dict({"Gate proton exchange": "reservoir", "Mobility average": mobility}, **(gate or {})),
        time={"End time": "6e-9", "Initial step": "1e-13", "Max steps": str(newton_call), "Progress every": "1000"}))
    env = dict(os.environ, PROTONFEM_CHECK_JACOBIAN=str(newton_call))
    # Run later, side by side with the other checks (run_all); evaluated in order.
    PENDING.append(((["run", deck], np_, None, env),
                    lambda p: evaluate(p, name, out, dim, mobility, volts, newton_call, np_)))


def evaluate(p, name, out, dim, mobility, volts, newton_call, np_):
    line = next((l for l in p.stdout.splitlines() if "jacobian check" in l), None)
    if line is None:
        print(p.stdout[-3000:], p.stderr[-3000:])
        check(False, f"{name}: the check ran (Newton call {newton_call})")
        return
    worst = float(re.search(r"central differences (\S+) of the row", line).group(1))
    columns = int(re.search(r"check: (\d+) columns", line).group(1))
    s = summary(out) if os.path.exists(os.path.join(out, "device_summary.json")) else None
    print(f"   {name}: {line.strip()}")
    check(worst < 1e-6 and columns > 50,
          f"{name} ({dim}D, {mobility}, {volts} V, Newton solve {newton_call}, {np_} rank(s)): "
          f"{columns} columns, largest difference {worst:.2e} (< 1e-6)"
          + ("" if s is None else f"; the state: t < {s['end_time_s']:.3e} s"))


PENDING = []  # (job, evaluation) of every check_at call


def run_all():
    for (_, evaluation), p in zip(PENDING, run_parallel([job for job, _ in PENDING], timeout=900)):
        evaluation(p)


# Newton solve 1..~25 are the t = 0 relaxation, the time steps follow (3 V rising edge from 0.1 ns).
# (the run stops after as many steps as the check's Newton solve number: its summary's end time
# bounds the state's time).
for mobility in ("edge", "galerkin"):
    check_at(f"2d_{mobility}_rising", 2, 40, mobility, 3.0)
    check_at(f"2d_{mobility}_plateau", 2, 300, mobility, 3.0, np_=2)
check_at("1d_edge_10V_rising", 1, 45, "edge", 10.0)
check_at("1d_edge_10V_plateau", 1, 400, "edge", 10.0)
check_at("1d_galerkin_10V", 1, 45, "galerkin", 10.0)
# The Scharfetter-Gummel flux of hopping with site exclusion ('sg', the box scheme's other flux).
# (Its default storage is lumped; these two pin the consistent one, which the 1D decks use.)
check_at("1d_sg_10V_rising", 1, 45, "sg", 10.0, gate={"Mass lumping": "off"})
check_at("1d_sg_10V_plateau", 1, 400, "sg", 10.0, gate={"Mass lumping": "off"})
check_at("1d_sg_lumped_10V_plateau", 1, 400, "sg", 10.0, gate={"Mass lumping": "on"})
check_at("2d_sg_rising", 2, 40, "sg", 3.0, gate={"Mass lumping": "off"})
check_at("3d_edge", 3, 40, "edge", 3.0, np_=2, lateral="50e-9")
# Butler-Volmer gate exchange behind a Stern layer (face terms: the Robin condition for phi and the
# exchange flux with its dependence on mu, phi and the Stern drop), alpha != 1/2.
BV = {"Gate proton exchange": "butler-volmer", "Gate rate constant": "0.02",
      "Gate transfer coefficient": "0.3", "Gate Stern layer thickness": "0.3e-9",
      "Gate Stern layer permittivity": "6"}
check_at("1d_bv_stern_10V_rising", 1, 45, "edge", 10.0, gate=BV)
check_at("2d_bv_stern_plateau", 2, 300, "galerkin", 3.0, np_=2, gate=BV)
check_at("2d_bv_no_stern_rising", 2, 40, "edge", 3.0,
         gate={k: v for k, v in BV.items() if "Stern" not in k})
# Mass lumping (storage and space charge at the nodes).
check_at("1d_edge_lumped_10V_plateau", 1, 400, "edge", 10.0, gate={"Mass lumping": "on"})
check_at("2d_galerkin_lumped_plateau", 2, 300, "galerkin", 3.0, np_=2, gate={"Mass lumping": "on"})
# Finite-rate PSG/WO3 interface (a mu per side; the exchange flux in both mu-rows of the face
# nodes, each in its own row scale), alpha != 1/2, with and without lumping.
IF = {"Channel interface": "butler-volmer", "Channel interface rate constant": "0.1",
      "Channel interface transfer coefficient": "0.3"}
check_at("1d_interface_bv_10V_rising", 1, 45, "edge", 10.0, gate=IF)
check_at("1d_interface_bv_10V_plateau", 1, 400, "edge", 10.0, gate=IF)
check_at("2d_interface_bv_plateau", 2, 300, "galerkin", 3.0, np_=2, gate=dict(IF, **{"Mass lumping": "on"}))
# Electrons/polarons in the channel (z = -1, own mu field; every phi-derivative changes sign). In 1D
# the back contact under the WO3 is their ohmic contact; in 2D the source and drain on the channel.
EL = {"Mobile species": "protons, electrons", "Channel electrostatics": "dielectric"}
CHANNEL_AT_BOTTOM = LAYERS[1:]
check_at("1d_electrons_10V_rising", 1, 45, "edge", 10.0, gate=EL, layers=CHANNEL_AT_BOTTOM, back="true")
check_at("1d_electrons_10V_plateau", 1, 400, "edge", 10.0, gate=EL, layers=CHANNEL_AT_BOTTOM, back="true")
check_at("1d_electrons_lumped_interface_bv", 1, 400, "edge", 10.0, layers=CHANNEL_AT_BOTTOM, back="true",
         gate=dict(EL, **IF, **{"Mass lumping": "on"}))
check_at("2d_electrons_plateau", 2, 300, "galerkin", 3.0, np_=2, gate=EL)
check_at("2d_electrons_edge_rising", 2, 40, "edge", 3.0, gate=EL)
check_at("1d_electrons_sg_10V_plateau", 1, 400, "sg", 10.0, gate=EL, layers=CHANNEL_AT_BOTTOM, back="true")
run_all()
finish()
