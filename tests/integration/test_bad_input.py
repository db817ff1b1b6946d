"""Bad input ends the run before any work: for every class of bad deck,
material file, gmsh file or command line, protonfem exits with the documented
code (2 bad input, 1 usage), prints one message (rank 0 only) that names the
file, the parameter, the offending value and what is allowed, shows no stack
trace, internal error or crash, writes nothing (the deck's Output/Directory
does not exist afterwards, no *.tmp files) and does not hang on 2 MPI ranks.
Deck errors stop while the input is read (nothing on stdout); errors that
need the mesh (gmsh dimension, physical groups, element type) stop before
the solver is set up."""
import os
import shutil
import subprocess
from common import *

folder = scratch("bad_input")
NOISE = ("Stacktrace", "internal error", "TimerOutput", "uncaught", "Segmentation fault",
         "signal", "Aborted", "Traceback")
LAYERS = [("substrate", "SiO2", 50e-9, 2e-9, "full"),
          ("channel", "WO3", 30e-9, 0.5e-9, "full"),
          ("electrolyte", "PSG", 10e-9, 0.25e-9, "20e-9, 130e-9")]


def layers(i=None, **change):
    """LAYERS with layer i's fields replaced (name, material, thickness, hint)."""
    result = []
    for k, (name, material, thickness, hint, extent) in enumerate(LAYERS):
        if k == i:
            name = change.get("name", name)
            material = change.get("material", material)
            thickness = change.get("thickness", thickness)
            hint = change.get("hint", hint)
        result.append((name, material, thickness, hint, extent))
    return result


def deck(dim=2, **kw):
    """A deck builder: called with the case's output folder."""
    return lambda out: deck_text(dim=dim, output_dir=out, **kw)


def edited(text_of, old, new):
    """A deck builder: the deck of text_of with one line edited."""
    def build(out):
        text = text_of(out)
        assert old in text, old
        return text.replace(old, new, 1)
    return build


def edited_materials(case, filename, changes):
    """The built-in database copied into the case folder, with entries of one
    material file changed ({(subsection, entry): value}); returns the folder
    (for the deck's Materials directory)."""
    target = os.path.join(case, "materials")
    shutil.copytree(os.path.join(SOURCE, "materials", "db"), target)
    path = os.path.join(target, filename)
    lines, inside, done = open(path).read().splitlines(), None, set()
    for k, line in enumerate(lines):
        words = line.split()
        if words[:1] == ["subsection"]:
            inside = line.strip()[len("subsection "):]
        elif words[:1] == ["end"]:
            inside = None
        elif words[:1] == ["set"] and (inside, words[1]) in changes:
            lines[k] = f"  set {words[1]} = {changes[(inside, words[1])]}"
            done.add((inside, words[1]))
    assert done == set(changes), (filename, changes, done)
    write(path, "\n".join(lines) + "\n")
    return target


def tmp_files(path):
    return [os.path.join(d, f) for d, _, files in os.walk(path) for f in files if f.endswith(".tmp")]


def expect(name, words, code=2, build=None, args=None, np_=1, stage="deck", setup=None):
    """Run one bad-input case in its own folder and check everything."""
    case = os.path.join(folder, name)
    os.makedirs(case)
    out = os.path.join(case, "out")
    path = os.path.join(case, "deck.prm")
    extra = setup(case) if setup else {}
    if build is not None:
        write(path, build(out) if not extra else build(out, **extra))
    label = f"{name} [{np_} rank{'s' if np_ > 1 else ''}]"
    try:
        command = args(path) if callable(args) else args
        p = run(command if command is not None else ["run", path], np=np_, timeout=120)
    except subprocess.TimeoutExpired:
        check(False, f"{label}: finishes within 120 s (hang?)")
        return
    err = p.stderr
    message = next((l for l in err.splitlines() if l.startswith("protonfem")), "(no message)")
    print(f"     {message[:300]}")
    check(p.returncode == code, f"{label}: exit code {p.returncode}, expected {code}")
    words = [w(case) if callable(w) else w for w in words]
    missing = [w for w in words if w not in err]
    check(not missing, f"{label}: message contains {words}" + (f"; MISSING {missing}" if missing else ""))
    check(err.lstrip().startswith("protonfem") and
          sum(l.startswith("protonfem") for l in err.splitlines()) == 1,
          f"{label}: one message, first on stderr, from rank 0 only")
    noise = [w for w in NOISE if w in p.stdout + err]
    check(not noise,
          f"{label}: no stack trace, internal error or crash" + (f"; found {noise}" if noise else ""))
    check(not os.path.exists(out), f"{label}: no output folder")
    check(not tmp_files(case), f"{label}: no *.tmp files {tmp_files(case)}")
    if stage == "deck":
        check(p.stdout.strip() == "", f"{label}: stopped while reading the input (stdout empty)")
    else:
        check("setup:" not in p.stdout and "solve:" not in p.stdout,
              f"{label}: stopped after reading the mesh, before the solver set-up")


# Gmsh meshes for the mesh cases: the 2D three-layer capacitor with
# quadrilaterals (fine as such) and with triangles.
meshes = os.path.join(folder, "meshes")
os.makedirs(meshes)
quads = gmsh_mesh("capacitor_2d.geo", os.path.join(meshes, "capacitor_2d.msh"), 2)
triangles = gmsh_mesh("capacitor_2d.geo", os.path.join(meshes, "triangles_2d.msh"), 2,
                      numbers={"quads": 0})
empty = write(os.path.join(meshes, "empty.msh"), "")
GMSH_LAYERS = [("substrate", "SiO2", 20e-9, 1e-9, "full"), ("channel", "WO3", 15e-9, 1e-9, "full"),
               ("electrolyte", "PSG", 10e-9, 1e-9, "full")]


def gmsh_deck(msh, dim=2, names=None):
    table = [(n, m, d, h, e) for (n, m, d, h, e), n in
             zip(GMSH_LAYERS, names or [l[0] for l in GMSH_LAYERS])]
    return deck(dim=dim, layers=table, geometry={"Mesh source": "gmsh", "Gmsh file": msh})


# --- deck syntax and types -------------------------------------------------
expect("unknown_parameter", ["deck.prm", "Foo bar", "print-parameters"], np_=2,
       build=edited(deck(), "set Dimension = 2\n", "set Dimension = 2\nset Foo bar = 3\n"))
expect("unknown_parameter_in_subsection", ["deck.prm", "Devise length", "print-parameters"],
       build=edited(deck(), "  set Device length", "  set Devise length = 1\n  set Device length"))
expect("wrong_type_text_for_number", ["deck.prm", "Gate voltage", "ten", "Double"],
       build=deck(electrostatics={"Gate voltage": "ten"}))
expect("nan_length", ["deck.prm", "Device length", "nan", "Double"],
       build=deck(geometry={"Device length": "nan"}))
expect("inf_thickness", ["deck.prm", "Thickness", "inf", "Double"],
       build=deck(layers=layers(1, thickness=float("inf"))))
expect("dimension_4", ["deck.prm", "Dimension", "4", "1...3"],
       build=edited(deck(), "set Dimension = 2", "set Dimension = 4"))
expect("empty_layers", ["deck.prm", "Layers", "length 1"],
       build=edited(deck(), "set Layers = substrate, channel, electrolyte", "set Layers = "))
expect("base_name_with_slash", ["deck.prm", "Output/Base name", "a/b", "letters, digits"],
       build=deck(base="a/b"))
expect("output_directory_through_a_file",
       ["deck.prm", "Output/Directory", "not_a_folder.txt", "not a folder"],
       build=lambda out, f: deck()(os.path.join(f, "out")),
       setup=lambda case: {"f": write(os.path.join(case, "not_a_folder.txt"), "x\n")})

# --- geometry ----------------------------------------------------------------
expect("negative_thickness", ["deck.prm", "Geometry/Layer substrate/Thickness", "-5e-09", "> 0"],
       build=deck(layers=layers(0, thickness=-5e-9)))
expect("zero_thickness", ["deck.prm", "Geometry/Layer substrate/Thickness", "'0.0'", "> 0"],
       build=deck(layers=layers(0, thickness=0.0)))
expect("duplicate_layer_names", ["deck.prm", "Geometry/Layers", "channel", "unique"],
       build=deck(layers=layers(2, name="channel")))
expect("gate_outside_device", ["deck.prm", "Gate x min/Gate x max", "2e-07", "outside the device"],
       build=deck(geometry={"Gate x max": "200e-9"}))
expect("gate_outside_device_y_3d", ["deck.prm", "Gate y min/Gate y max", "8e-08", "Device width"],
       build=deck(dim=3, geometry={"Gate y max": "80e-9"}))
expect("overlapping_contacts",
       ["deck.prm", "Source contact x max/Drain contact x min", "8e-08, 7e-08", "overlap"],
       build=deck(geometry={"Source contact x max": "80e-9", "Drain contact x min": "70e-9"}))
expect("metal_layer", ["deck.prm", "Geometry/Layer substrate/Material", "Pd", "metals are electrodes"],
       build=deck(layers=layers(0, material="Pd")))
expect("interface_cell_larger_than_layer",
       ["deck.prm", "Geometry/Layer substrate/Interface cell size", "6e-08", "5e-08"],
       build=deck(layers=layers(0, hint=60e-9)))

# --- materials -----------------------------------------------------------------
expect("unknown_material",
       ["deck.prm", "Geometry/Layer channel/Material", "Unobtainium", "PSG", "SiO2", "WO3", "Al2O3"],
       build=deck(layers=layers(1, material="Unobtainium")))
expect("missing_materials_directory", ["deck.prm", "Materials directory", "no_such_db"],
       build=deck(top={"Materials directory": "no_such_db"}))
expect("zero_permittivity", ["SiO2.prm", "Relative permittivity/Value", "'0'", "[1, "],
       build=lambda out, db: deck(top={"Materials directory": db})(out),
       setup=lambda case: {"db": edited_materials(case, "SiO2.prm",
                                                  {("Relative permittivity", "Value"): "0"})})
expect("nan_permittivity", ["PSG.prm", "Relative permittivity/Value", "nan", "finite number"],
       build=lambda out, db: deck(top={"Materials directory": db})(out),
       setup=lambda case: {"db": edited_materials(case, "PSG.prm",
                                                  {("Relative permittivity", "Value"): "nan"})})


def c0_above_cmax(case):
    # Both values inside their literature ranges, so only the c0 < c_max rule fails.
    return {"db": edited_materials(case, "PSG.prm", {("Proton density", "Value"): "5e26",
                                                    ("Proton site density", "Value"): "3e26"})}


expect("c0_above_cmax", ["PSG.prm", "Proton density/Value", "5e+26", "3e+26", "site density"], np_=2,
       build=lambda out, db: deck(top={"Materials directory": db})(out), setup=c0_above_cmax)

# --- deck file -------------------------------------------------------------------
expect("missing_deck", [lambda case: os.path.join(case, "nope.prm"), "no such file"],
       args=["run", os.path.join(folder, "missing_deck", "nope.prm")])
os.makedirs(os.path.join(folder, "deck_dir.prm"))
expect("directory_as_deck", [os.path.join(folder, "deck_dir.prm"), "not a readable file"],
       args=["run", os.path.join(folder, "deck_dir.prm")])
if os.geteuid() == 0:
    print("skip unreadable_deck (chmod 000): running as root, which can read the file anyway")
else:
    def unreadable(case):
        path = write(os.path.join(case, "locked.prm"), deck()(os.path.join(case, "out")))
        os.chmod(path, 0)
        return {}
    expect("unreadable_deck", ["locked.prm", "not a readable file"], setup=unreadable,
           args=["run", os.path.join(folder, "unreadable_deck", "locked.prm")])

# --- gmsh files ------------------------------------------------------------------
expect("gmsh_file_missing", ["deck.prm", "Geometry/Gmsh file", "nothere.msh", "does not exist"], np_=2,
       build=deck(geometry={"Mesh source": "gmsh", "Gmsh file": "nothere.msh"}))
expect("gmsh_file_empty", ["deck.prm", "Geometry/Gmsh file", "empty.msh", "empty"],
       build=gmsh_deck(empty))
expect("gmsh_wrong_dimension", ["deck.prm", "Gmsh file", "capacitor_2d.msh", "3D mesh", "Dimension = 3"],
       np_=2, stage="mesh", build=gmsh_deck(quads, dim=3))
expect("gmsh_unknown_volume_group",
       ["capacitor_2d.msh", "volume physical group", "electrolyte", "substrate, channel, oxide"],
       np_=2, stage="mesh", build=gmsh_deck(quads, names=["substrate", "channel", "oxide"]))
expect("gmsh_triangles", ["triangles_2d.msh", "element type", "triangles", "quadrilaterals"],
       np_=2, stage="mesh", build=gmsh_deck(triangles))

# --- design workflow and restart (issues 4 and 6) ------------------------------------
def with_lines(*lines):
    """A deck builder: the default deck plus subsections given as lines."""
    return lambda out: deck_text(dim=2, output_dir=out) + "\n".join(lines) + "\n"


expect("read_voltage_zero", ["deck.prm", "Conductance/Read voltage", "0", "> 0 V"],
       build=with_lines("subsection Conductance", "  set Read voltage = 0", "end"))
expect("negative_energy_target", ["deck.prm", "Design targets/Max energy per pulse", "-1", ">= 0"],
       build=with_lines("subsection Design targets", "  set Max energy per pulse = -1", "end"))
expect("time_to_charge_without_target",
       ["deck.prm", "Design targets/Max time to target charge", "Target charge"],
       build=with_lines("subsection Design targets", "  set Max time to target charge = 1e-9", "end"))
expect("sweep_values_without_parameter", ["deck.prm", "Sweep/Parameter 1", "both set"],
       build=with_lines("subsection Sweep", "  set Values 1 = 1, 2", "end"))
expect("sweep_bad_range", ["deck.prm", "Sweep/Values 1", "1:2", "start:stop:count"],
       build=with_lines("subsection Sweep", "  set Parameter 1 = Electrostatics/Gate voltage",
                        "  set Values 1 = 1:2", "end"))
expect("sweep_log_range_through_zero", ["deck.prm", "Sweep/Values 1", "0:10:3:log", "log ranges"],
       build=with_lines("subsection Sweep", "  set Parameter 1 = Electrostatics/Gate voltage",
                        "  set Values 1 = 0:10:3:log", "end"))
expect("sweep_value_rejected_by_pattern",
       ["deck.prm", "Time stepping/Gate waveform/Type", "square", "existing deck parameter path"],
       np_=2, build=with_lines("set Problem = pnp", "subsection Sweep",
                               "  set Parameter 1 = Time stepping/Gate waveform/Type",
                               "  set Values 1 = pulse, square", "end"),
       args=lambda path: ["sweep", path])
expect("sweep_of_electrostatics", ["deck.prm", "Problem", "electrostatics", "'pnp' for a sweep"],
       build=with_lines("subsection Sweep", "  set Parameter 1 = Electrostatics/Gate voltage",
                        "  set Values 1 = 1, 2", "end"), args=lambda path: ["sweep", path])
expect("sweep_ranks_per_run_not_a_divisor", ["--ranks-per-run", "3", "divisor", "(2)"], np_=2,
       build=with_lines("set Problem = pnp", "subsection Sweep",
                        "  set Parameter 1 = Electrostatics/Gate voltage", "  set Values 1 = 1, 2", "end"),
       args=lambda path: ["sweep", path, "--ranks-per-run", "3"])
expect("set_unknown_entry", ["deck.prm", "Geometry/Devise length", "existing deck parameter path"],
       build=deck(), args=lambda path: ["run", path, "--set", "Geometry/Devise length=1e-7"])
expect("set_without_value", ["--set", "Section/Entry=value", "nothing"], code=1, build=deck(),
       args=lambda path: ["run", path, "--set", "nothing"])
expect("resume_electrostatics", ["deck.prm", "--resume", "Problem = pnp"], build=deck(),
       args=lambda path: ["run", path, "--resume"])
expect("resume_without_checkpoint", ["deck.prm", "--resume", "checkpoint"], np_=2, stage="mesh",
       build=with_lines("set Problem = pnp"), args=lambda path: ["run", path, "--resume"])

# --- initial proton profile (issue 3: ion-sheet transit) --------------------------------
PROFILE = ("set Problem = pnp", "subsection Transport", "  set Initial state = profile")
expect("initial_profile_missing", ["deck.prm", "Transport/Initial proton density", "(empty)",
                                   "Initial state = profile"],
       build=with_lines(*PROFILE, "end"))
expect("initial_profile_unparsable", ["deck.prm", "Transport/Initial proton density", "1e20*exq(z)",
                                      "muparser", "x,z", "exq"], np_=2, stage="mesh",
       build=with_lines(*PROFILE, "  set Initial proton density = 1e20*exq(z)", "end"))
expect("initial_profile_negative", ["deck.prm", "Transport/Initial proton density", "1e20 - 1e30*z",
                                    "a density in (0,", "site density of layer 'channel'", "x,z = (0, "], np_=2, stage="mesh",
       build=with_lines(*PROFILE, "  set Initial proton density = 1e20 - 1e30*z", "end"))

expect("error_density_floor_zero", ["deck.prm", "Time stepping/Error density floor", "0", "> 0 m^-3"],
       build=with_lines("set Problem = pnp", "subsection Time stepping",
                        "  set Error density floor = 0", "end"))

# --- gate exchange kinetics and Stern layer (issue 3) --------------------------------
BV = ("set Problem = pnp", "subsection Transport", "  set Gate proton exchange = butler-volmer")
expect("gate_rate_constant_zero", ["deck.prm", "Transport/Gate rate constant", "0", "(0, 1e12) m/s"],
       build=with_lines(*BV, "  set Gate rate constant = 0", "end"))
expect("gate_transfer_coefficient_one", ["deck.prm", "Transport/Gate transfer coefficient", "1",
                                         "alpha in (0, 1)"],
       build=with_lines(*BV, "  set Gate transfer coefficient = 1", "end"))
expect("stern_thickness_negative", ["deck.prm", "Transport/Gate Stern layer thickness", "-1e-10",
                                    "[0, 10e-9] m"],
       build=with_lines("set Problem = pnp", "subsection Transport",
                        "  set Gate Stern layer thickness = -1e-10", "end"))
expect("stern_permittivity_below_one", ["deck.prm", "Transport/Gate Stern layer permittivity", "0.5",
                                        ">= 1"],
       build=with_lines("set Problem = pnp", "subsection Transport", "  set Gate Stern layer thickness = 3e-10",
                        "  set Gate Stern layer permittivity = 0.5", "end"))

IF = ("set Problem = pnp", "subsection Transport", "  set Channel interface = butler-volmer")
expect("interface_rate_constant_negative", ["deck.prm", "Transport/Channel interface rate constant", "-1",
                                            "(0, 1e12) m/s"],
       build=with_lines(*IF, "  set Channel interface rate constant = -1", "end"))
expect("interface_transfer_coefficient_zero", ["deck.prm", "Transport/Channel interface transfer coefficient",
                                               "0", "alpha in (0, 1)"],
       build=with_lines(*IF, "  set Channel interface transfer coefficient = 0", "end"))
expect("interface_without_channel", ["deck.prm", "Transport/Channel interface", "butler-volmer",
                                     "mixed-conductor (channel) layer"],
       build=lambda out: deck_text(dim=1, layers=[("electrolyte", "PSG", 10e-9, 0.1e-9, "full")],
                                   output_dir=out) + "\n".join(IF + ("end",)) + "\n", stage="mesh")

# --- electrons/polarons as a mobile species (issue 3) -------------------------------
EL = ("set Problem = pnp", "subsection Transport", "  set Channel electrostatics = dielectric")
expect("species_unknown", ["deck.prm", "Transport/Mobile species", "protons, holes",
                           "'protons' or 'protons, electrons'"],
       build=with_lines(*EL, "  set Mobile species = protons, holes", "end"))
expect("electrons_with_conductor_channel", ["deck.prm", "Transport/Channel electrostatics", "conductor",
                                            "'dielectric'", "electrons"],
       build=with_lines("set Problem = pnp", "subsection Transport", "  set Mobile species = protons, electrons",
                        "end"))
expect("electrons_without_channel", ["deck.prm", "Transport/Mobile species", "mixed-conductor"], stage="mesh",
       build=lambda out: deck_text(dim=1, layers=[("electrolyte", "PSG", 10e-9, 0.1e-9, "full")],
                                   output_dir=out) + "\n".join(EL + ("  set Mobile species = protons, electrons",
                                                                     "end")) + "\n")
expect("electrons_without_contact", ["deck.prm", "Transport/Mobile species", "contact besides the gate",
                                     "Back contact"], stage="mesh",
       build=lambda out: deck_text(dim=1, layers=[("channel", "WO3", 30e-9, 0.1e-9, "full"),
                                                  ("electrolyte", "PSG", 10e-9, 0.1e-9, "full")],
                                   geometry={"Back contact": "false"}, output_dir=out)
       + "\n".join(EL + ("  set Mobile species = protons, electrons", "end")) + "\n")
expect("electron_transport_without_electrons", ["deck.prm", "Transport/Electron transport", "quasi-static",
                                                "'drift-diffusion' unless"],
       build=with_lines("set Problem = pnp", "subsection Transport", "  set Electron transport = quasi-static",
                        "end"))
expect("quasi_static_electrons_contacts_differ", ["deck.prm", "Transport/Electron transport", "quasi-static",
                                                  "source 0 V", "drain 0.1 V"], stage="mesh",
       build=lambda out: deck_text(dim=2, electrostatics={"Drain voltage": "0.1"}, output_dir=out)
       + "\n".join(EL + ("  set Mobile species = protons, electrons", "  set Electron transport = quasi-static",
                          "end")) + "\n")
expect("conductance_from_electrons_without_electrons", ["deck.prm", "Conductance/Channel conductivity",
                                                       "electrons", "Mobile species"], stage="mesh",
       build=with_lines("set Problem = pnp", "subsection Conductance", "  set Channel conductivity = electrons",
                        "end"))

expect("mass_lumping_with_q2", ["deck.prm", "Transport/Mass lumping", "on", "Finite element degree", "Q1"],
       build=with_lines("set Problem = pnp", "subsection Electrostatics", "  set Finite element degree = 2", "end",
                        "subsection Transport", "  set Mobility average = galerkin", "  set Mass lumping = on",
                        "end"), stage="mesh")
# The default flux (sg) is a Q1 scheme: a Q2 deck that keeps it is told what to set.
expect("default_scheme_with_q2", ["deck.prm", "Transport/Mobility average", "sg", "'galerkin'",
                                  "Finite element degree", "Q1"],
       build=with_lines("set Problem = pnp", "subsection Electrostatics", "  set Finite element degree = 2", "end"),
       stage="mesh")
# The lateral multigrid coarsens a stack's tensor-product grid along its layers: a
# Q2 deck (or a 1D or gmsh mesh) is told to use amg.
expect("lateral_mg_with_q2", ["deck.prm", "Transport/Preconditioner", "lateral-mg", "'amg'", "Q1"],
       build=with_lines("set Problem = pnp", "subsection Electrostatics", "  set Finite element degree = 2", "end",
                        "subsection Transport", "  set Mobility average = galerkin", "  set Linear solver = gmres",
                        "  set Preconditioner = lateral-mg", "end"), stage="mesh")

# --- command line ------------------------------------------------------------------
expect("unknown_command", ["frobnicate", "allowed: run, sweep, print-parameters, materials"], code=1,
       args=["frobnicate"])
expect("two_decks", ["more than one deck", "a.prm", "b.prm"], code=1, args=["run", "a.prm", "b.prm"])
finish()
