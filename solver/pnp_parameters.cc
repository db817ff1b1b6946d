#include "pnp_parameters.h"

#include "input_error.h"

#include <deal.II/base/utilities.h>

#include <algorithm>
#include <cmath>
#include <sstream>

namespace protonfem
{
  namespace Patterns = dealii::Patterns;

  void PNPParameters::declare(dealii::ParameterHandler &prm)
  {
    prm.enter_subsection("Time stepping");
    prm.declare_entry("End time", "10e-9", Patterns::Double(0), "Simulated time [s], > 0.");
    prm.declare_entry("Initial step", "1e-12", Patterns::Double(0), "First time step [s].");
    prm.declare_entry("Min step", "1e-18", Patterns::Double(0),
                      "Smallest step before the run is declared failed [s].");
    prm.declare_entry("Max step", "1e-9", Patterns::Double(0), "Largest step [s].");
    prm.declare_entry("Error tolerance", "1e-2", Patterns::Double(1e-8, 1),
                      "Local error per step (max change of phi/V_T and of the proton "
                      "electrochemical potential/kT beyond the second-order predictor).");
    prm.declare_entry(
        "Error density floor", "1e20", Patterns::Double(0),
        "Absolute density floor of the step-error control [m^-3]: a node's change of mu/kT "
        "counts with the weight min(1, (dc/d(mu/kT)) / floor), i.e. the control is relative "
        "(tolerance x c) above the floor and absolute (tolerance x floor) below it. In a layer "
        "that a >= 0.5 V/nm pulse empties, every node passes from full to empty in a finite "
        "time, and while its density is above the floor the steps shrink geometrically; a "
        "higher floor (1e23 for 3D devices at 1 V/nm, docs/numerics.md) lets them through "
        "(> 0).");
    prm.declare_entry("Max step cuts", "12", Patterns::Integer(0, 60),
                      "Times a failed step is halved and retried before the run fails.");
    prm.declare_entry(
        "Snapshot times", "", Patterns::Anything(),
        "Comma-separated times [s] at which fields are written (steps land on them).");
    prm.declare_entry("Max gate voltage change", "0.25", Patterns::Double(1e-6),
                      "Largest change of the gate voltage within one step [V]: steps through "
                      "rising and falling edges are limited so that Newton starts close.");
    prm.declare_entry("Max steps", "0", Patterns::Integer(0),
                      "Stop after this many accepted steps (0: run to End time).");
    prm.declare_entry("Progress every", "1", Patterns::Integer(1),
                      "Print a progress line every N steps.");
    GateWaveform::declare(prm);
    prm.leave_subsection();

    prm.enter_subsection("Transport");
    prm.declare_entry(
        "Gate proton exchange", "reservoir", Patterns::Selection("reservoir|blocking|butler-volmer"),
        "reservoir: the Pd gate holds the proton density at the gate face at "
        "'Reservoir proton density' (ideal, fast exchange); blocking: no proton flux; "
        "butler-volmer: finite-rate exchange, flux into the electrolyte k0 [c_res (c_max - c)/"
        "(c_max - c_res) exp(alpha dphi/V_T) - c exp(-(1 - alpha) dphi/V_T)] with dphi = V_gate - "
        "phi at the gate face (the drop across 'Gate Stern layer thickness'; 0 without one); "
        "zero exactly when the face is in equilibrium with the reservoir.");
    prm.declare_entry("Reservoir proton density", "-1", Patterns::Double(),
                      "Proton density of the gate's reservoir (held at the gate face for "
                      "'reservoir', c_res of 'butler-volmer') [m^-3]; < 0: the top layer's c0.");
    prm.declare_entry("Gate rate constant", "1e-3", Patterns::Double(),
                      "Butler-Volmer rate constant k0 of the gate's proton exchange [m/s], > 0 "
                      "[open: no measured value for Pd/PSG; k0 c_res / (q) is the exchange current "
                      "density]. Large k0 approaches the ideal reservoir.");
    prm.declare_entry("Gate transfer coefficient", "0.5", Patterns::Double(),
                      "Butler-Volmer transfer coefficient alpha of the gate exchange, in (0, 1).");
    prm.declare_entry("Gate Stern layer thickness", "0", Patterns::Double(),
                      "Compact (Stern) layer between the gate metal and the electrolyte [m], in "
                      "[0, 10e-9]; 0: none (phi = V_gate at the gate face). Otherwise the gate face "
                      "has eps_r dphi/dn = (eps_S / thickness)(V_gate - phi) and that drop drives "
                      "the Butler-Volmer exchange (Frumkin correction).");
    prm.declare_entry("Gate Stern layer permittivity", "-1", Patterns::Double(),
                      "Relative permittivity eps_S of the Stern layer, > 0; < 0: that of the "
                      "layer under the gate.");
    prm.declare_entry(
        "Channel interface", "ideal", Patterns::Selection("ideal|butler-volmer"),
        "Proton transfer between an electrolyte layer (PSG) and a mixed-conductor layer (WO3). "
        "ideal: local equilibrium, one continuous electrochemical potential (the density jumps "
        "with the site density and site energy); butler-volmer: finite-rate insertion, a separate "
        "electrochemical potential on each side and the flux from the electrolyte into the "
        "channel k0 c_max,P [th_P (1 - th_W) exp(alpha s) - th_W (1 - th_P) exp(-(1 - alpha) s)], "
        "th = c/c_max of each side at the interface, s = (E_site,P - E_site,W)/kT; zero exactly "
        "when the two electrochemical potentials are equal.");
    prm.declare_entry("Channel interface rate constant", "1e-3", Patterns::Double(),
                      "Butler-Volmer rate constant k0 of the electrolyte/channel interface [m/s], "
                      "in (0, 1e12) [open: no measured value for PSG/WO3; k0 c_max,P q is the "
                      "exchange current density scale]. Large k0 approaches 'ideal'.");
    prm.declare_entry("Channel interface transfer coefficient", "0.5", Patterns::Double(),
                      "Butler-Volmer transfer coefficient alpha of the electrolyte/channel "
                      "interface, in (0, 1): the share of the site-energy step that speeds up "
                      "insertion.");
    prm.declare_entry("Field enhancement", "material", Patterns::Selection("material|off"),
                      "material: use each material's mobility law (hopping: sinh enhancement); "
                      "off: g = 1 everywhere (classical Nernst-Planck).");
    prm.declare_entry(
        "Mobility average", "sg", Patterns::Selection("edge|sg|galerkin"),
        "How the proton mobility D c (1 - c/c_max) enters the flux. sg (default, Q1 only): the box "
        "scheme with the Scharfetter-Gummel flux of hopping with site exclusion, "
        "B(-dpsi) c_b (1 - c_a/c_max) - B(dpsi) c_a (1 - c_b/c_max) per vertex pair with the "
        "vertex-rule stiffness (an M-matrix on box cells): mesh-converged channel uptake, bounded "
        "next to an emptied node, runs the reference devices at 1 V/nm (docs/numerics.md); edge "
        "(Q1 only): the same box scheme with one exact edge mean (c_b - c_a)/(eta_b - eta_a) of "
        "dc/deta per pair (eta = mu - phi - E_site/kT); galerkin: its value at the quadrature "
        "points, the only choice for Q2 (blocks the flux across cells where c changes by many "
        "orders of magnitude, e.g. an unresolved PSG/WO3 interface, and fails the 2D reference "
        "device at 5 V).");
    prm.declare_entry(
        "Mass lumping", "auto", Patterns::Selection("auto|off|on"),
        "on (Q1 only): the proton storage and the proton space charge are taken at the nodes (row "
        "sums of the mass matrix); with 'Mobility average = sg' or 'edge' this is the box "
        "(finite-volume) scheme, monotone on meshes that do not resolve the accumulation layers; "
        "off: the consistent mass matrix, which undershoots ahead of a steep uptake front (by 50 "
        "orders of magnitude in the WO3 of the 2D reference device at 3 V) and moves a thin "
        "drifting sheet (h/w)^2/12 too fast under sg, but is 2-4x more accurate on resolved "
        "diffusion profiles (docs/verification.md); auto (default): each flux with the storage "
        "it is consistent with: on with sg (flux and storage count the same nodal densities), "
        "off with edge (its log-mean is the exact edge integral of the consistent storage; edge "
        "with lumping needs 100 Newton iterations at 10 V in 1D) and with galerkin (whose "
        "Gauss-point mobility with lumped storage held nodes at the density bound in a "
        "space-charge-limited run).");
    prm.declare_entry(
        "Channel electrostatics", "conductor", Patterns::Selection("conductor|dielectric"),
        "conductor: mixed-conductor layers (WO3) are electronic conductors, an "
        "equipotential at 'Channel potential' whose electrons compensate inserted "
        "protons; dielectric: they keep their permittivity and protons drift in the field.");
    prm.declare_entry(
        "Mobile species", "protons", Patterns::Anything(),
        "Comma-separated list of the mobile species: 'protons' (always) or 'protons, "
        "electrons'. With electrons, the mixed-conductor (channel) layers carry "
        "electrons/polarons (charge -1, lattice gas on the 'Electron site density', "
        "Arrhenius diffusivity, equilibrium density 'Electron density' from the "
        "material), every contact on such a layer except the gate is ohmic for them "
        "(density n0 at the contact potential) and the channel's potential is solved "
        "(needs 'Channel electrostatics = dielectric').");
    prm.declare_entry(
        "Electron transport", "drift-diffusion", Patterns::Selection("drift-diffusion|quasi-static"),
        "With 'Mobile species = protons, electrons'. drift-diffusion: the electrons move by "
        "their own Nernst-Planck equation; quasi-static: they are in equilibrium with the "
        "contacts at every instant (electrochemical potential uniform at the contacts' level, "
        "density n_max/(1 + exp(-(mu_e + phi/V_T))) in Poisson): the limit of fast electrons, "
        "valid when the channel's diffusion time L^2/D_e is short against the pulse edges "
        "(docs/numerics.md); needs the electron contacts at one voltage.");
    prm.declare_entry(
        "Channel potential", "0", Patterns::Double(-1e3, 1e3),
        "Electron Fermi potential of the channel [V] (the source/drain bias during programming).");
    prm.declare_entry(
        "Initial state", "equilibrium", Patterns::Selection("equilibrium|profile"),
        "equilibrium: start from the equilibrium at the gate voltage of t = 0 (solved by "
        "pseudo-time relaxation); profile: start with the proton density of 'Initial proton "
        "density' in every proton-hosting layer and the potential that charge and the contact "
        "voltages of t = 0 give (Poisson), e.g. a thin ion sheet for a time-of-flight experiment. "
        "The materials' 'Proton density' stays the fixed compensating background charge.");
    prm.declare_entry(
        "Nested equilibrium", "on", Patterns::Selection("on|off"),
        "For 'Initial state = equilibrium' on a 2D/3D mesh with 'Geometry/Global refinements' "
        ">= 1: on: the equilibrium is relaxed on the unrefined mesh first and carried up one "
        "refinement at a time (interpolated, then relaxed again on each mesh, with the same "
        "stopping test as the direct relaxation), which costs a few Newton iterations on the "
        "fine mesh instead of ~60; used only when every layer with mobile charge is connected "
        "to a contact that exchanges it (a closed layer keeps its c0 * volume, which an "
        "interpolated state would not), otherwise the run says so and relaxes on the fine mesh. "
        "off: relax on the fine mesh from the as-fabricated state (docs/numerics.md).");
    prm.declare_entry(
        "Initial proton density", "", Patterns::Anything(),
        "For 'Initial state = profile': the proton density [m^-3] as an expression of the "
        "position [m] (muparser syntax: exp, sqrt, ^, if(...)): variables z (1D), x, z (2D), "
        "x, y, z (3D); z is the height above the bottom of the stack. Must be > 0 and below "
        "the layer's site density at every node. Example: 1e10 + 1e24*exp(-((z-6e-8)/2e-9)^2).");
    prm.declare_entry("Max Newton iterations", "25", Patterns::Integer(1, 500), "Per time step.");
    prm.declare_entry("Newton tolerance", "1e-9", Patterns::Double(1e-15, 1e-2),
                      "Converged when the largest update of phi/V_T and mu/kT is below this.");
    prm.declare_entry("Linear solver", "direct", Patterns::Selection("direct|gmres"),
                      "direct: MUMPS LU of the coupled Jacobian (small problems); gmres: "
                      "GMRES with 'Preconditioner' (large 3D problems). PETSc options with "
                      "the prefix -pnp_ (e.g. -pnp_ksp_monitor, -pnp_pc_fieldsplit_type "
                      "schur, -pnp_fieldsplit_mu_pc_hypre_boomeramg_strong_threshold 0.5) "
                      "on the command line or in PETSC_OPTIONS override the defaults.");
    prm.declare_entry("Preconditioner", "amg",
                      Patterns::Selection("amg|lateral-mg|fieldsplit-amg|block-jacobi"),
                      "For gmres. amg: PETSc GAMG on the coupled matrix with ILU(0) "
                      "smoothing; lateral-mg: multigrid that coarsens along the layers only "
                      "(every plane of nodes kept), ILU(0) smoothing, Galerkin coarse "
                      "operators (2D/3D stack meshes, Q1); fieldsplit-amg: block "
                      "Gauss-Seidel over (phi, mu), one BoomerAMG V-cycle per block; "
                      "block-jacobi: ILU(0) per rank.");
    prm.declare_entry("Preconditioner reuse", "off", Patterns::Selection("off|newton"),
                      "For gmres. off: the preconditioner is rebuilt for every linear solve; "
                      "newton: the one built at the first iteration of a Newton solve serves its "
                      "later iterations (rebuilt if GMRES then fails); measured in "
                      "docs/performance.md.");
    prm.declare_entry(
        "DoF ordering", "planes", Patterns::Selection("planes|cells"),
        "Order of each rank's unknowns in the coupled matrix. planes: node by node, plane by "
        "plane across the stack (the stack coordinate slowest, phi and mu of a node "
        "adjacent), which the ILU(0) smoother of 'amg' and 'block-jacobi' needs on the thin, "
        "wide cells of the stack (Krylov iterations per Newton iteration 5.4 -> 2.8 at 1e5 "
        "unknowns in 3D, docs/performance.md); cells: deal.II's cell-by-cell order.");
    prm.declare_entry("Linear tolerance", "1e-10", Patterns::Double(1e-16, 1e-2),
                      "GMRES: relative reduction of the (row-scaled) residual.");
    prm.declare_entry("Max linear iterations", "1000", Patterns::Integer(1, 100000),
                      "GMRES iterations per Newton step before the step is cut.");
    prm.leave_subsection();
  }

  void PNPParameters::parse(dealii::ParameterHandler &prm, const std::string &file)
  {
    const std::string p = "Time stepping/";
    prm.enter_subsection("Time stepping");
    end_time                = prm.get_double("End time");
    initial_step            = prm.get_double("Initial step");
    min_step                = prm.get_double("Min step");
    max_step                = prm.get_double("Max step");
    error_tolerance         = prm.get_double("Error tolerance");
    error_density_floor     = prm.get_double("Error density floor");
    max_step_cuts           = prm.get_integer("Max step cuts");
    progress_every          = prm.get_integer("Progress every");
    max_steps               = prm.get_integer("Max steps");
    max_voltage_change      = prm.get_double("Max gate voltage change");
    const std::string snaps = prm.get("Snapshot times");
    waveform.parse(prm, file);
    prm.leave_subsection();

    if (!(error_density_floor > 0))
      throw InputError(file, p + "Error density floor", value_text(error_density_floor),
                       "a density > 0 m^-3");
    if (!(end_time > 0))
      throw InputError(file, p + "End time", std::to_string(end_time), "a time > 0 s");
    if (!(initial_step > 0) || !(max_step > 0) || !(min_step > 0) || min_step > initial_step ||
        initial_step > max_step)
      throw InputError(file, p + "Initial step/Min step/Max step",
                       std::to_string(initial_step) + ", " + std::to_string(min_step) + ", " +
                           std::to_string(max_step),
                       "0 < Min step <= Initial step <= Max step");
    snapshot_times.clear();
    for (const auto &s : dealii::Utilities::split_string_list(snaps, ','))
      {
        double t = -1;
        try
          {
            t = dealii::Utilities::string_to_double(s);
          }
        catch (...)
          {
          }
        if (!(t >= 0 && t <= end_time))
          throw InputError(file, p + "Snapshot times", snaps,
                           "comma-separated times in [0, End time]");
        snapshot_times.push_back(t);
      }
    std::sort(snapshot_times.begin(), snapshot_times.end());

    prm.enter_subsection("Transport");
    gate_exchange          = prm.get("Gate proton exchange");
    reservoir_density      = prm.get_double("Reservoir proton density");
    gate_rate_constant        = prm.get_double("Gate rate constant");
    gate_transfer_coefficient = prm.get_double("Gate transfer coefficient");
    gate_stern_thickness      = prm.get_double("Gate Stern layer thickness");
    gate_stern_permittivity   = prm.get_double("Gate Stern layer permittivity");
    channel_interface                      = prm.get("Channel interface");
    channel_interface_rate_constant        = prm.get_double("Channel interface rate constant");
    channel_interface_transfer_coefficient = prm.get_double("Channel interface transfer coefficient");
    field_enhancement      = prm.get("Field enhancement");
    mobility_average       = prm.get("Mobility average");
    mass_lumping           = prm.get("Mass lumping");
    // 'auto' pairs the storage with the flux it is consistent with: sg's pair
    // flux counts nodal densities (lumped storage); edge's log-mean is the
    // exact edge integral of exp(eta_h), i.e. of the consistent storage;
    // galerkin (and Q2) use the consistent one (docs/numerics.md).
    if (mass_lumping == "auto")
      mass_lumping = (mobility_average == "sg") ? "on" : "off";
    channel_electrostatics = prm.get("Channel electrostatics");
    channel_potential      = prm.get_double("Channel potential");
    const std::string species_text = prm.get("Mobile species");
    electron_transport     = prm.get("Electron transport");
    initial_state          = prm.get("Initial state");
    nested_equilibrium     = prm.get("Nested equilibrium") == "on";
    initial_density        = prm.get("Initial proton density");
    max_newton_iterations  = prm.get_integer("Max Newton iterations");
    newton_tolerance       = prm.get_double("Newton tolerance");
    linear_solver          = prm.get("Linear solver");
    preconditioner         = prm.get("Preconditioner");
    preconditioner_reuse   = prm.get("Preconditioner reuse");
    dof_ordering           = prm.get("DoF ordering");
    linear_tolerance       = prm.get_double("Linear tolerance");
    max_linear_iterations  = prm.get_integer("Max linear iterations");
    prm.leave_subsection();
    const std::string t = "Transport/";
    {
      // Parsed here (not with Patterns::MultipleSelection) so that the error
      // names the entry and the allowed lists.
      std::vector<std::string> list;
      std::string              item;
      std::istringstream       in(species_text);
      while (std::getline(in, item, ','))
        {
          const auto a = item.find_first_not_of(" \t"), b = item.find_last_not_of(" \t");
          list.push_back(a == std::string::npos ? "" : item.substr(a, b - a + 1));
        }
      const auto has = [&](const std::string &x) {
        return std::count(list.begin(), list.end(), x);
      };
      const bool ok = !list.empty() && has("protons") == 1 && has("electrons") <= 1 &&
                      list.size() == std::size_t(has("protons") + has("electrons"));
      if (!ok)
        throw InputError(file, t + "Mobile species", species_text,
                         "'protons' or 'protons, electrons'");
      electrons = has("electrons") == 1;
    }
    if (electron_transport == "quasi-static" && !electrons)
      throw InputError(file, t + "Electron transport", electron_transport,
                       "'drift-diffusion' unless 'Mobile species = protons, electrons' (there "
                       "are no electrons to hold in equilibrium)");
    if (electrons && channel_electrostatics == "conductor")
      throw InputError(file, t + "Channel electrostatics", channel_electrostatics,
                       "'dielectric' with 'Mobile species = protons, electrons' (the electrons "
                       "set the channel's potential; 'conductor' assumes they screen perfectly)");
    if (electrons && initial_state == "profile")
      throw InputError(file, t + "Initial state", initial_state,
                       "'equilibrium' with 'Mobile species = protons, electrons' (an initial "
                       "profile places protons only)");
    if (gate_exchange == "butler-volmer" && !(gate_rate_constant > 0 && gate_rate_constant < 1e12))
      throw InputError(file, t + "Gate rate constant", value_text(gate_rate_constant),
                       "a rate constant k0 in (0, 1e12) m/s");
    if (gate_exchange == "butler-volmer" &&
        !(gate_transfer_coefficient > 0 && gate_transfer_coefficient < 1))
      throw InputError(file, t + "Gate transfer coefficient", value_text(gate_transfer_coefficient),
                       "a transfer coefficient alpha in (0, 1)");
    if (channel_interface == "butler-volmer" &&
        !(channel_interface_rate_constant > 0 && channel_interface_rate_constant < 1e12))
      throw InputError(file, t + "Channel interface rate constant",
                       value_text(channel_interface_rate_constant),
                       "a rate constant k0 in (0, 1e12) m/s");
    if (channel_interface == "butler-volmer" && !(channel_interface_transfer_coefficient > 0 &&
                                                 channel_interface_transfer_coefficient < 1))
      throw InputError(file, t + "Channel interface transfer coefficient",
                       value_text(channel_interface_transfer_coefficient),
                       "a transfer coefficient alpha in (0, 1)");
    if (!(gate_stern_thickness >= 0 && gate_stern_thickness <= 10e-9))
      throw InputError(file, t + "Gate Stern layer thickness", value_text(gate_stern_thickness),
                       "a thickness in [0, 10e-9] m (0: no Stern layer)");
    if (gate_stern_thickness > 0 && !(gate_stern_permittivity < 0 || gate_stern_permittivity >= 1))
      throw InputError(file, t + "Gate Stern layer permittivity", value_text(gate_stern_permittivity),
                       "a relative permittivity >= 1 (or < 0 for that of the layer under the gate)");
    if (initial_state == "profile" &&
        initial_density.find_first_not_of(" \t") == std::string::npos)
      throw InputError(file, "Transport/Initial proton density", "(empty)",
                       "an expression of the position for 'Initial state = profile', e.g. "
                       "1e10 + 1e24*exp(-((z-6e-8)/2e-9)^2) [m^-3]");
  }
} // namespace protonfem
