#include "pnp_run.h"

#include "../geometry/boundary_ids.h"
#include "../geometry/column_partition.h"
#include "../geometry/mesh_info.h"
#include "../geometry/stack_mesh.h"
#include "../materials/property_laws.h"
#include "../postprocess/atomic_file.h"
#include "../postprocess/json_writer.h"
#include "mpi_reduce.h"
#include "../postprocess/pnp_field_writer.h"
#include "checkpoint.h"
#include "conductance.h"
#include "heap.h"
#include "input_error.h"
#include "petsc_log_stage.h"
#include "pnp_solver.h"
#include "pulse_metrics.h"
#include "version.h"

#include <deal.II/base/conditional_ostream.h>
#include <deal.II/base/function_parser.h>
#include <deal.II/base/mpi.h>
#include <deal.II/base/timer.h>
#include <deal.II/base/utilities.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <limits>
#include <optional>
#include <set>
#include <numeric>
#include <sstream>

namespace protonfem
{
  using namespace dealii;

  namespace
  {
    std::string fmt(const double v, const int precision = 4)
    {
      std::ostringstream s;
      s << std::setprecision(precision) << v;
      return s.str();
    }

    /// A conductance for the terminal: "n/a" where none was read out
    /// ('Conductance/Read-out = off' leaves NaN).
    std::string fmt_conductance(const double v)
    {
      return std::isnan(v) ? std::string("n/a") : fmt(v);
    }

    /// sigma = k x for the read-out with 'Channel conductivity = electrons'
    /// (x = n / c_W, k = q^2 D_e c_W / kT: drift conductivity q mu_e n).
    class ElectronDriftConductivity final : public ElectronicConductivityLaw
    {
    public:
      explicit ElectronDriftConductivity(const double k) : k(k) {}
      double conductivity(const double x) const override { return k * x; }

    private:
      double k;
    };

    /// Per-layer model in scaled units, and the scaling itself.
    std::vector<RegionModel> build_regions(const RunParameters &p, Scaling &scaling)
    {
      using namespace property_names;
      const auto              &g = p.geometry;
      std::vector<RegionModel> regions(g.layers.size());
      scaling.temperature = p.temperature;
      double c_ref = 0, d_ref = 0;
      for (unsigned int i = 0; i < regions.size(); ++i)
        {
          const Material &m = p.materials.get(g.layers[i].material);
          RegionModel    &r = regions[i];
          r.eps_r           = m.value(relative_permittivity);
          r.breakdown       = m.has(breakdown_field) ? m.value(breakdown_field) : 0.0;
          r.hosts_protons =
              m.kind == MaterialKind::electrolyte || m.kind == MaterialKind::mixed_conductor;
          r.proton_charge = m.kind == MaterialKind::electrolyte;
          r.conductor     = m.kind == MaterialKind::mixed_conductor &&
                        p.pnp.channel_electrostatics == "conductor";
          if (r.hosts_protons)
            {
              c_ref = std::max(c_ref, m.value(proton_density));
              d_ref = std::max(d_ref, ProtonMobilityLaw::create(m)->diffusivity(p.temperature));
            }
        }
      if (c_ref == 0)
        throw InputError(p.deck_file, "Problem", "pnp",
                         "a deck with at least one electrolyte or mixed-conductor layer (protons "
                         "need somewhere to move)");
      scaling.density     = c_ref;
      scaling.diffusivity = d_ref;
      for (unsigned int i = 0; i < regions.size(); ++i)
        {
          const Material &m  = p.materials.get(g.layers[i].material);
          RegionModel    &r  = regions[i];
          const double fixed = (m.has(fixed_charge_density) ? m.value(fixed_charge_density) : 0.0) +
                               g.layers[i].fixed_charge_density;
          r.fixed_charge = fixed / (constants::elementary_charge * c_ref);
          if (!r.hosts_protons)
            continue;
          r.c0          = m.value(proton_density) / c_ref;
          r.c_max       = m.value(proton_site_density) / c_ref;
          r.e_site      = m.has(proton_site_energy)
                              ? m.value(proton_site_energy) * constants::electron_volt /
                               (constants::boltzmann * p.temperature)
                              : 0.0;
          r.diffusivity = ProtonMobilityLaw::create(m)->diffusivity(p.temperature) / d_ref;
          if (m.proton_mobility_law == "hopping" && p.pnp.field_enhancement == "material")
            r.field_scale = hopping_field_scale(m.value(proton_hopping_distance), p.temperature) *
                            scaling.length / scaling.thermal_voltage();
          if (r.c0 <= 0)
            r.c0 = 1e-30; // a layer that starts empty: keep log(c) finite
          // A separate mu field in the channel: discontinuous across the
          // electrolyte/channel interface (finite-rate insertion).
          if (p.pnp.channel_interface == "butler-volmer" &&
              m.kind == MaterialKind::mixed_conductor)
            r.mu_component = 2;
        }
      const bool has_channel = std::any_of(regions.begin(), regions.end(),
                                           [](const RegionModel &r) { return r.mu_component == 2; });
      // Electrons/polarons in the mixed-conductor layers: a lattice gas of
      // charge -1 with its own mu field (the next FESystem component). Their
      // charge and the protons' enter Poisson there; the as-deposited state
      // (c0 protons, n0 electrons) is neutral with the layer's background.
      if (p.pnp.electrons)
        {
          const unsigned int component = has_channel ? 3 : 2;
          bool               any       = false;
          for (unsigned int i = 0; i < regions.size(); ++i)
            {
              const Material &m = p.materials.get(g.layers[i].material);
              if (m.kind != MaterialKind::mixed_conductor)
                continue;
              for (const auto &prop : {electron_density, electron_site_density,
                                       electron_diffusivity_prefactor, electron_activation_energy})
                if (!m.has(prop))
                  throw InputError(m.file, prop + "/Value", "(absent)",
                                   "a value, because 'Transport/Mobile species' includes "
                                   "electrons and layer '" + g.layers[i].name + "' is a mixed conductor");
              if (!(m.value(electron_density) > 0 &&
                    m.value(electron_density) < m.value(electron_site_density)))
                throw InputError(m.file, electron_density + "/Value",
                                 fmt(m.value(electron_density)),
                                 "a density in (0, Electron site density = " +
                                     fmt(m.value(electron_site_density)) + ") m^-3");
              auto e          = std::make_shared<RegionModel>();
              e->eps_r        = regions[i].eps_r;
              e->hosts_protons = true; // hosts this model's species
              e->z            = -1;
              e->proton_charge = true;
              e->c0           = m.value(electron_density) / c_ref;
              e->c_max        = m.value(electron_site_density) / c_ref;
              e->diffusivity  = arrhenius(m.value(electron_diffusivity_prefactor),
                                         m.value(electron_activation_energy), p.temperature) /
                               d_ref;
              e->mu_component = component;
              regions[i].electrons     = e;
              regions[i].proton_charge = true;
              any                      = true;
            }
          if (!any)
            throw InputError(p.deck_file, "Transport/Mobile species", "protons, electrons",
                             "'protons' for a deck without a mixed-conductor (channel) layer: "
                             "electrons are modelled in the channel only");
        }
      if (p.pnp.channel_interface == "butler-volmer" && !has_channel)
        throw InputError(p.deck_file, "Transport/Channel interface", "butler-volmer",
                         "'ideal' for a deck without a mixed-conductor (channel) layer: "
                         "'butler-volmer' acts at the electrolyte/channel interface");
      return regions;
    }

    void save(BinaryOut &out, const PNPObservables &o)
    {
      out << o.time << o.gate_voltage << o.protons_per_region << o.min_density_per_region
          << o.peak_field_per_region << o.mean_field_per_region << o.gate_metal_charge
          << o.electrons_per_region << o.min_electron_density_per_region;
    }
    void load(BinaryIn &in, PNPObservables &o)
    {
      in >> o.time >> o.gate_voltage >> o.protons_per_region >> o.min_density_per_region >>
          o.peak_field_per_region >> o.mean_field_per_region >> o.gate_metal_charge >>
          o.electrons_per_region >> o.min_electron_density_per_region;
    }

    /// Shortest cell edge (vertex distance) in each layer [m], over all ranks.
    template <int dim>
    std::vector<double> smallest_cell_per_layer(const Triangulation<dim> &tria,
                                                const unsigned int n_layers, MPI_Comm comm)
    {
      std::vector<double> h(n_layers, std::numeric_limits<double>::max());
      for (const auto &cell : tria.active_cell_iterators())
        if (cell->is_locally_owned() && cell->material_id() < n_layers)
          h[cell->material_id()] = std::min(h[cell->material_id()], cell->minimum_vertex_distance());
      return all_reduce(h, MPI_MIN, comm);
    }
  } // namespace

  template <int dim>
  DesignMetrics run_pnp(const RunParameters &p, MPI_Comm comm, std::ostream &log, const bool resume)
  {
    ConditionalOStream pcout(log, Utilities::MPI::this_mpi_process(comm) == 0);
    const auto         wall_start  = std::chrono::steady_clock::now();
    double             wall_offset = 0; // wall time of the run before a restart
    const auto         wall        = [&] {
      return wall_offset +
             std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
    };
    const auto        &g        = p.geometry;
    const auto        &pp       = p.pnp;
    const unsigned int n_layers = g.layers.size();
    const bool         root     = Utilities::MPI::this_mpi_process(comm) == 0;

    pcout << "protonfem " << version_string() << ": transient PNP, " << dim << "D, "
          << Utilities::MPI::n_mpi_processes(comm) << " MPI rank(s), deck " << p.deck_file
          << std::endl;

    Scaling    scaling;
    const auto regions = build_regions(p, scaling);

    // Mesh and every input check before the TimerOutput exists: an
    // InputError unwinding through a TimerOutput makes it print a warning in
    // front of the real message.
    const auto mesh_started = std::chrono::steady_clock::now();
    auto       tria         = create_device_mesh<dim>(g, p.deck_file, comm);
    const auto columns      = apply_partition<dim>(g.partition, tria);
    const double mesh_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - mesh_started).count();
    // Where the memory goes: resident size (max over ranks) after each stage,
    // and the high-water mark around the first field snapshot, which is
    // allocated on top of the solver's matrices (docs/performance.md).
    JsonObject memory_stages;
    const auto mark_memory = [&](const std::string &stage, const bool high_water) {
      Utilities::System::MemoryStats m;
      Utilities::System::get_memory_stats(m);
      memory_stages.add(stage, Utilities::MPI::max((high_water ? m.VmHWM : m.VmRSS) / 1024.0, comm));
    };
    mark_memory("after_mesh", false);
    const auto present = boundary_ids_present(*tria, comm);
    cells_per_layer(*tria, g, p.deck_file, comm);
    if (!present.count(boundary_ids::gate))
      throw InputError(p.deck_file, "Geometry (gate)", "no gate face", "a mesh with a gate face");

    // With electrons the channel is no equipotential: some contact other than
    // the gate must hold the potential (and supply electrons), or the whole
    // device floats with the gate and no field builds up.
    if (pp.electrons && !present.count(boundary_ids::source) && !present.count(boundary_ids::drain) &&
        !present.count(boundary_ids::back))
      throw InputError(p.deck_file, "Transport/Mobile species", "protons, electrons",
                       "a mesh with a contact besides the gate (source/drain, or 'Geometry/Back "
                       "contact = true' in 1D, where the back contact under the channel is its "
                       "ohmic contact): without one the device floats with the gate");
    if (p.readout.conductivity == "electrons" && !pp.electrons)
      throw InputError(p.deck_file, "Conductance/Channel conductivity", "electrons",
                       "'proton-fraction' unless 'Transport/Mobile species = protons, electrons' "
                       "(the read-out then needs the modelled electron density)");
    // sg and edge are box schemes on Q1 vertex pairs; they are the default,
    // so a Q2 deck is told what to set rather than silently given galerkin.
    if (pp.mobility_average != "galerkin" && p.electrostatics.fe_degree != 1)
      throw InputError(p.deck_file, "Transport/Mobility average", pp.mobility_average,
                       "'galerkin' with 'Electrostatics/Finite element degree' = " +
                           std::to_string(p.electrostatics.fe_degree) +
                           " (sg and edge are defined for Q1 elements only)");
    if (pp.mass_lumping == "on" && p.electrostatics.fe_degree != 1)
      throw InputError(p.deck_file, "Transport/Mass lumping", "on",
                       "'off' with 'Electrostatics/Finite element degree' = " +
                           std::to_string(p.electrostatics.fe_degree) +
                           " (lumping is defined for Q1 elements only)");
    // lateral-mg builds its coarse levels from the grid lines of a stack
    // mesh (a tensor-product grid) and needs every DoF at a vertex.
    if (pp.linear_solver == "gmres" && pp.preconditioner == "lateral-mg" &&
        (dim == 1 || p.electrostatics.fe_degree != 1 || g.mesh_source != "stack"))
      throw InputError(p.deck_file, "Transport/Preconditioner", "lateral-mg",
                       "'amg' unless the mesh is a 2D or 3D stack mesh ('Geometry/Mesh source = "
                       "stack') with Q1 elements: lateral-mg coarsens the stack's tensor-product "
                       "grid along its layers");
    // The gate touches the top layer; exchange with a reservoir (ideal or
    // Butler-Volmer) needs protons there.
    double reservoir = -1;
    if (pp.gate_exchange != "blocking")
      {
        const RegionModel &top = regions.back();
        if (!top.hosts_protons && g.mesh_source == "stack")
          throw InputError(p.deck_file, "Transport/Gate proton exchange", pp.gate_exchange,
                           "'blocking' when the top layer ('" + g.layers.back().name +
                               "') holds no protons");
        reservoir = pp.reservoir_density >= 0 ? pp.reservoir_density / scaling.density : top.c0;
        if (!(reservoir > 0 && reservoir < top.c_max))
          throw InputError(p.deck_file, "Transport/Reservoir proton density",
                           fmt(pp.reservoir_density), "a density in (0, c_max of the top layer)");
      }

    // 'Initial state = profile': the expression is parsed and checked at
    // every vertex of the proton-hosting layers here, before any output
    // exists (a density <= 0 has no electrochemical potential, one >= c_max
    // none either).
    std::function<double(const Point<dim> &)> initial_density;
    if (pp.initial_state == "profile")
      {
        const std::string param = "Transport/Initial proton density";
        const std::string vars  = dim == 1 ? "z" : (dim == 2 ? "x,z" : "x,y,z");
        auto              parser = std::make_shared<FunctionParser<dim>>(1);
        std::string       bad;
        // deal.II prints muparser's diagnosis to std::cerr (on every rank);
        // it is caught here and its "Message:" line goes into the one error.
        std::ostringstream  parser_says;
        std::streambuf     *cerr_buffer = std::cerr.rdbuf(parser_says.rdbuf());
        try
          {
            parser->initialize(vars, pp.initial_density, {});
            for (const auto &cell : tria->active_cell_iterators())
              if (cell->is_locally_owned() && regions[cell->material_id()].hosts_protons &&
                  bad.empty())
                {
                  const double c_max = regions[cell->material_id()].c_max * scaling.density;
                  for (const unsigned int v : cell->vertex_indices())
                    {
                      const double c = parser->value(cell->vertex(v));
                      if (!(c > 0 && c < c_max))
                        {
                          std::ostringstream where;
                          where << "a density in (0, " << fmt(c_max) << ") m^-3 (the site density "
                                << "of layer '" << g.layers[cell->material_id()].name
                                << "') at every node; it is " << fmt(c) << " at " << vars
                                << " = (";
                          for (unsigned int d = 0; d < dim; ++d)
                            where << (d ? ", " : "") << fmt(cell->vertex(v)[d]);
                          where << ") m";
                          bad = where.str();
                          break;
                        }
                    }
                }
          }
        catch (...)
          {
            std::string why;
            std::istringstream said(parser_says.str());
            for (std::string line; std::getline(said, line);)
              if (line.rfind("Message:", 0) == 0 && why.empty())
                why = ": " + line.substr(line.find('<') + 1, line.rfind('>') - line.find('<') - 1);
            bad = "an expression of " + vars + " [m] in muparser syntax (it does not parse" + why +
                  ")";
          }
        std::cerr.rdbuf(cerr_buffer);
        // Every rank throws the message of the lowest rank that found one.
        const unsigned int rank = Utilities::MPI::this_mpi_process(comm);
        const unsigned int n    = Utilities::MPI::n_mpi_processes(comm);
        const unsigned int root = Utilities::MPI::min(bad.empty() ? n : rank, comm);
        if (root < n)
          throw InputError(p.deck_file, param, pp.initial_density,
                           Utilities::MPI::broadcast(comm, bad, root));
        initial_density = [parser](const Point<dim> &x) { return parser->value(x); };
      }

    const auto                                                 &e = p.electrostatics;
    std::map<types::boundary_id, std::function<double(double)>> voltage;
    const GateWaveform                                          waveform = pp.waveform;
    voltage[boundary_ids::gate] = [waveform](double t) { return waveform.value(t); };
    const std::map<types::boundary_id, double> fixed = {{boundary_ids::source, e.source_voltage},
                                                        {boundary_ids::drain, e.drain_voltage},
                                                        {boundary_ids::back, e.back_voltage}};
    for (const auto &[id, v] : fixed)
      if (present.count(id))
        voltage[id] = [v](double) { return v; };
    if (pp.electron_transport == "quasi-static")
      {
        // One electrochemical level for all electrons: the contacts must agree.
        std::set<double> levels;
        std::string      list;
        for (const auto &[id, v] : fixed)
          if (present.count(id))
            {
              levels.insert(v);
              list += (list.empty() ? "" : ", ") +
                      std::string(id == boundary_ids::source  ? "source "
                                  : id == boundary_ids::drain ? "drain "
                                                              : "back ") +
                      value_text(v) + " V";
            }
        if (levels.size() > 1)
          throw InputError(p.deck_file, "Transport/Electron transport", "quasi-static",
                           "'drift-diffusion' when the electron contacts are at different "
                           "voltages (" + list + "): quasi-static electrons have one level");
      }

    // Restart: checked here, before the TimerOutput exists (see above). The
    // run state (state.bin, read by every rank) is applied below where it
    // belongs; the solver history comes from this rank's file after setup.
    namespace fs                  = std::filesystem;
    const std::string ckpt_dir    = checkpoint_directory(p.output.directory, p.output.base_name);
    const std::string resume_from = resume ? find_checkpoint(ckpt_dir) : "";
    if (resume && resume_from.empty())
      throw InputError(p.deck_file, "--resume", ckpt_dir,
                       "a folder with a complete checkpoint of this deck's run (written with "
                       "'Checkpoint/Every steps' or 'Every minutes', or on SIGTERM/SIGUSR1)");
    std::ifstream           state_file;
    std::optional<BinaryIn> state;
    if (resume)
      {
        state_file.open((fs::path(resume_from) / "state.bin").string(), std::ios::binary);
        state.emplace(state_file);
        std::string   magic;
        std::uint64_t ranks = 0;
        try
          {
            *state >> magic >> ranks;
          }
        catch (const std::exception &)
          {
          }
        if (magic != "protonfem-checkpoint-4")
          throw InputError(p.deck_file, "--resume", resume_from,
                           "a protonfem checkpoint folder (format 4, written by this version)");
        if (ranks != Utilities::MPI::n_mpi_processes(comm))
          throw InputError(p.deck_file, "--resume", resume_from,
                           "a checkpoint written with the same number of MPI ranks (it has " +
                               std::to_string(ranks) + ", this run " +
                               std::to_string(Utilities::MPI::n_mpi_processes(comm)) + ")");
        // Each rank's cells (the partition), checked here, before the
        // TimerOutput exists (an error unwinding through it prints a warning
        // first); the DoF counts are checked again when the history is read.
        std::ifstream rank_file(checkpoint_rank_file(resume_from, comm), std::ios::binary);
        BinaryIn      rank_in(rank_file);
        RankFileHead  head;
        try
          {
            rank_in >> head;
          }
        catch (const std::exception &)
          {
          }
        const bool cells = same_cells(head.cells, owned_cells_fingerprint(*tria, scaling.length));
        if (Utilities::MPI::min(cells ? 1 : 0, comm) == 0)
          throw InputError(p.deck_file, "--resume", resume_from,
                           "a checkpoint of this mesh with the same 'Geometry/Partition' (a rank "
                           "of this run owns other cells than the rank that wrote its file)");
      }

    TimerOutput    timer(comm, pcout, TimerOutput::never, TimerOutput::wall_times);
    PNPSolver<dim> solver(*tria, e.fe_degree, regions, scaling, pp, voltage, reservoir,
                          pp.channel_potential, timer, pcout);
    solver.setup();
    mark_memory("after_setup", false);
    {
      std::vector<std::string> names;
      for (const auto &layer : g.layers)
        names.push_back(layer.name);
      solver.set_region_names(names);
    }
    pcout << "  mesh: " << tria->n_global_active_cells() << " cells, " << solver.n_dofs()
          << " DoFs (Q" << e.fe_degree << " phi + Q" << e.fe_degree
          << (pp.channel_interface == "butler-volmer" ? " mu per side of the channel interface"
                                                      : " mu")
          << (pp.electrons ? " + Q" + std::to_string(e.fe_degree) + " electron mu in the channel" : "")
          << "); scales: L0 = " << scaling.length << " m, c_ref = " << scaling.density
          << " m^-3, t0 = " << scaling.time()
          << " s, (L0/lambda_D)^2 = " << fmt(scaling.poisson_coupling()) << std::endl;
    if (columns)
      pcout << "  partition: columns across the stack, cells per rank at most "
            << fmt(columns->imbalance()) << " x the mean" << std::endl;
    // The scheme as resolved ('Mass lumping = auto' depends on the flux), so
    // every log says what was run.
    const std::string storage = pp.mass_lumping == "on" ? "lumped" : "consistent";
    pcout << "  proton flux: " << pp.mobility_average << ", storage: " << storage << std::endl;
    if (pp.mobility_average == "galerkin" && pp.mass_lumping == "on")
      pcout << "  warning: 'Mobility average = galerkin' with 'Mass lumping = on' is not monotone "
            << "(on the Mott-Gurney case it held nodes at the density bound and moved almost no "
            << "charge); use 'sg' with lumping, or galerkin with 'Mass lumping = off' "
            << "(docs/numerics.md)" << std::endl;

    // Resolution of the proton uptake of the channel: in a pulse of length
    // tau protons enter a mixed conductor by diffusion to a depth
    // sqrt(D tau) (0.016 nm for WO3 in 5 ns). Cells larger than a tenth of
    // it make the channel charge and, far more, delta G depend on the mesh
    // (measured: scripts/mesh_study_1d.py, docs/status.md).
    std::vector<double> uptake_depth(n_layers, 0.0), smallest_cell(n_layers, 0.0);
    std::vector<bool>   uptake_resolved(n_layers, true);
    {
      const double tau = (waveform.type == "pulse" || waveform.type == "train")
                             ? waveform.rise_time + waveform.width + waveform.fall_time
                             : pp.end_time;
      smallest_cell = smallest_cell_per_layer(*tria, n_layers, comm);
      for (unsigned int i = 0; i < n_layers; ++i)
        {
          const Material &m = p.materials.get(g.layers[i].material);
          if (m.kind != MaterialKind::mixed_conductor || tau <= 0)
            continue;
          uptake_depth[i] =
              std::sqrt(ProtonMobilityLaw::create(m)->diffusivity(p.temperature) * tau);
          uptake_resolved[i] = smallest_cell[i] <= 0.1 * uptake_depth[i];
          if (!uptake_resolved[i])
            pcout << "  warning: layer '" << g.layers[i].name << "': its smallest cell ("
                  << fmt(smallest_cell[i] * 1e9) << " nm) is larger than a tenth of the proton "
                  << "uptake depth sqrt(D t_pulse) = " << fmt(uptake_depth[i] * 1e9)
                  << " nm, so the channel charge and even more delta G depend on the mesh; "
                  << "set its 'Interface cell size' to about " << fmt(uptake_depth[i] / 25)
                  << " m (docs/status.md)" << std::endl;
        }
    }

    unsigned int              relax = 0;
    std::vector<unsigned int> equilibrium_steps; // pseudo-steps per mesh, coarsest first
    std::optional<PetscLogStageScope> stage;
    stage.emplace("protonfem: initial state");
    if (resume)
      {
        std::ifstream mine(checkpoint_rank_file(resume_from, comm), std::ios::binary);
        BinaryIn      in(mine);
        try
          {
            solver.load_history(in);
          }
        catch (const std::runtime_error &e)
          {
            throw InputError(p.deck_file, "--resume", resume_from, e.what());
          }
        pcout << "  resuming from " << resume_from << std::endl;
      }
    else if (pp.initial_state == "profile")
      {
        const unsigned int its = solver.set_initial_profile(0.0, initial_density);
        pcout << "  initial state: the deck's proton profile, potential from Poisson ("
              << its << " Newton iterations)" << std::endl;
      }
    else
      {
        // Nested over the uniform refinements where the mesh allows it
        // (p4est, 'Global refinements' >= 1) and no layer's charge is closed
        // (pnp_equilibrium.cc says why).
        const bool  can_nest = dim >= 2 && pp.nested_equilibrium && g.global_refinements > 0;
        std::string closed;
        if (can_nest)
          closed = solver.closed_charge_layer();
        if constexpr (dim >= 2)
          if (can_nest && closed.empty())
            {
              GeometryParameters unrefined = g;
              unrefined.global_refinements = 0;
              equilibrium_steps            = solver.relax_to_equilibrium_nested(
                  0.0, [&]() { return create_device_mesh<dim>(unrefined, p.deck_file, comm); },
                  g.global_refinements,
                  columns ? std::function<unsigned int(const Point<dim> &)>(
                                [&](const Point<dim> &c) { return columns->owner(c); }) :
                            std::function<unsigned int(const Point<dim> &)>());
            }
        if (equilibrium_steps.empty())
          {
            if (can_nest)
              pcout << "  note: the equilibrium is relaxed on the fine mesh only (no nesting): the "
                    << "charge of layer " << closed << " is closed, and its number c0 * volume "
                    << "would not survive interpolation" << std::endl;
            solver.set_initial_guess(0.0);
            equilibrium_steps = {solver.relax_to_equilibrium(0.0)};
          }
        relax = std::accumulate(equilibrium_steps.begin(), equilibrium_steps.end(), 0u);
        pcout << "  equilibrium at V_gate = " << waveform.value(0) << " V: ";
        if (equilibrium_steps.size() > 1)
          {
            pcout << "nested over " << equilibrium_steps.size() << " meshes, ";
            for (std::size_t i = 0; i < equilibrium_steps.size(); ++i)
              pcout << (i ? " + " : "") << equilibrium_steps[i];
            pcout << " pseudo-time steps (coarsest first)" << std::endl;
          }
        else
          pcout << relax << " pseudo-time steps" << std::endl;
      }
    mark_memory("after_initial_state", false);
    stage.reset();
    // Start the time loop with a fresh solver: GAMG keeps the interpolation
    // of its first setup, which would otherwise come from the equilibrium's
    // first pseudo-step. (Shortening the GMRES basis did not change the
    // memory: docs/performance.md.)
    solver.release_linear_solver();

    // Conductance read-out: layers with an electronic conductivity law.
    const bool by_electrons = p.readout.conductivity == "electrons";
    std::vector<std::shared_ptr<const ElectronicConductivityLaw>> laws(n_layers);
    std::vector<double>                                           tungsten(n_layers, 0.0);
    bool                                                          any_conducting = false;
    for (unsigned int i = 0; i < n_layers; ++i)
      {
        const Material &m = p.materials.get(g.layers[i].material);
        if (m.electronic_conductivity_law == "none")
          continue;
        if (!m.has(property_names::tungsten_site_density))
          throw InputError(m.file, "Tungsten site density", "(missing)",
                           "a value [m^-3] for the proton fraction x = c_H/c_W of the '" +
                               m.electronic_conductivity_law + "' conductivity law");
        laws[i]        = ElectronicConductivityLaw::create(m);
        tungsten[i]    = m.value(property_names::tungsten_site_density);
        any_conducting = true;
        if (by_electrons && regions[i].electrons)
          {
            // sigma = q mu_e n = (q^2 D_e / kT) c_W x with x = n / c_W: the
            // read-out is given the electron density instead of the protons'.
            const double d_e = regions[i].electrons->diffusivity * scaling.diffusivity;
            laws[i] = std::make_shared<ElectronDriftConductivity>(
                constants::elementary_charge * constants::elementary_charge * d_e * tungsten[i] /
                (constants::boltzmann * p.temperature));
          }
      }
    const bool has_contacts =
        dim == 1 || (present.count(boundary_ids::source) && present.count(boundary_ids::drain));
    const bool readout_on =
        p.readout.mode == "on" || (p.readout.mode == "auto" && any_conducting && has_contacts);
    if (p.readout.mode == "on" && !(any_conducting && has_contacts))
      throw InputError(p.deck_file, "Conductance/Read-out", "on",
                       "'auto' or 'off': the device has " +
                           std::string(any_conducting ? "no source and drain contacts"
                                                      : "no layer with an electronic "
                                                        "conductivity law"));
    const double           sheet_length = g.contact_placement == "ends"
                                              ? g.device_length
                                              : std::max(g.drain_x_min - g.source_x_max, 1e-300);
    ConductanceSolver<dim> readout(*tria, laws, tungsten, p.readout.read_voltage, sheet_length,
                                   g.device_width);
    const auto             read_conductance = [&]() -> double {
      if (!readout_on)
        return std::numeric_limits<double>::quiet_NaN();
      TimerOutput::Scope scope(timer, "conductance read-out");
      return readout
          .compute([&](const auto &cell, const auto &quadrature, auto &density) {
            if (by_electrons)
              solver.electron_density(cell, quadrature, density);
            else
              solver.proton_density(cell, quadrature, density);
          })
          .conductance;
    };
    if (readout_on)
      {
        readout.setup();
        pcout << "  conductance read-out: "
              << (dim == 1 ? std::string("sheet conductance x W/L")
                           : std::to_string(readout.n_dofs()) + " channel DoFs")
              << ", V_read = " << p.readout.read_voltage << " V" << std::endl;
      }

    const std::string dir = p.output.directory;
    if (root)
      fs::create_directories(dir);
    MPI_Barrier(comm);
    PNPFieldWriter<dim> writer(dir, p.output.base_name);
    std::vector<double> snapshots     = pp.snapshot_times;
    std::size_t         next_snapshot = 0;
    std::string         fields_file;
    const auto          maybe_snapshot = [&](const double t) {
      while (next_snapshot < snapshots.size() &&
             snapshots[next_snapshot] <= t * (1 + 1e-12) + 1e-30)
        {
          if (p.output.write_fields)
            {
              TimerOutput::Scope scope(timer, "output");
              const bool first = fields_file.empty();
              if (first)
                mark_memory("peak_before_first_snapshot", true);
              // The snapshot's patches and the solver state are not needed
              // at the same time: the peak is their maximum, not their sum.
              solver.release_linear_solver();
              fields_file = writer.write(solver, t);
              // The snapshot's freed buffers too: at 6e6 unknowns the next
              // solver state otherwise landed beside them.
              return_free_heap_pages();
              if (first)
                mark_memory("peak_after_first_snapshot", true);
            }
          ++next_snapshot;
        }
    };

    // Time series, one line per accepted step, flushed so nothing computed is lost.
    const std::string series_file =
        (fs::path(dir) / (p.output.base_name + "_timeseries.csv")).string();
    std::ofstream series;
    const double  q = constants::elementary_charge;
    // On resume the state says how many rows belong to the checkpointed
    // run; later rows (computed after the checkpoint, before the kill) are
    // dropped and recomputed.
    double t = 0, dt = pp.initial_step, dt_prev = 0, have_prev_d = 0;
    double steps_d = 0, rejected_d = 0, failed_d = 0, roundoff_d = 0, newton_d = 0, linear_d = 0;
    double energy_d = 0, max_peak_d = 0, max_mean_d = 0, target_d = 0, g_initial_d = 0,
           g_final_d = 0, next_snapshot_d = 0, relax_d = 0;
    if (state)
      {
        *state >> t >> dt >> dt_prev >> have_prev_d >> steps_d >> rejected_d >> failed_d >>
            roundoff_d >> newton_d >> linear_d >> energy_d >> max_peak_d >> max_mean_d >>
            target_d >> g_initial_d >> g_final_d >> next_snapshot_d >> relax_d >> wall_offset;
        relax = static_cast<unsigned int>(relax_d);
      }
    if (root && state)
      {
        std::ifstream            in(series_file);
        std::vector<std::string> lines;
        for (std::string line; std::getline(in, line);)
          lines.push_back(line);
        const std::size_t keep = static_cast<std::size_t>(steps_d) + 2; // header + rows 0..steps
        if (lines.size() < keep)
          throw std::runtime_error("the time series " + series_file +
                                   " has fewer rows than the "
                                   "checkpoint (" +
                                   std::to_string(keep - 1) + ")");
        write_file_atomically(series_file, [&](std::ostream &out) {
          for (std::size_t i = 0; i < keep; ++i)
            out << lines[i] << "\n";
        });
        series.open(series_file, std::ios::app);
        series << std::setprecision(15);
      }
    else if (root)
      {
        series.open(series_file);
        series << "step,time_s,dt_s,gate_voltage_V,gate_current_A,ionic_current_A,"
                  "displacement_current_A,gate_metal_charge_C,injected_charge_C,energy_J,"
                  "newton_iterations,linear_iterations,wall_s,channel_charge_C,conductance_S";
        for (unsigned int i = 0; i < n_layers; ++i)
          {
            if (regions[i].hosts_protons)
              series << ",protons_" << g.layers[i].name << ",min_density_" << g.layers[i].name
                     << "_m3";
            if (regions[i].electrons)
              series << ",electrons_" << g.layers[i].name << ",min_electron_density_"
                     << g.layers[i].name << "_m3";
            series << ",peak_field_" << g.layers[i].name << "_V_per_m";
          }
        // The reservoir's exchange from the consistent gate flux (independent
        // of injected_charge_C = q (N - N(0)): docs/numerics.md, Observables).
        series << ",gate_flux_charge_C";
        series << "\n" << std::setprecision(15);
      }
    PNPObservables obs0, previous;
    if (state)
      {
        load(*state, obs0);
        load(*state, previous);
      }
    else
      {
        obs0     = solver.observables(0.0);
        previous = obs0;
      }
    const auto total = [&](const PNPObservables &o) {
      double n = 0;
      for (const double x : o.protons_per_region)
        n += x;
      return n;
    };
    const double  n0     = total(obs0);
    double        energy = energy_d, max_peak_ratio = max_peak_d, max_mean_ratio = max_mean_d;
    unsigned long total_newton = newton_d, total_linear = linear_d;
    unsigned int  steps = steps_d, rejected = rejected_d, failed = failed_d,
                 roundoff_accepts = roundoff_d;
    std::vector<double> peak_over_run(n_layers, 0.0), mean_over_run(n_layers, 0.0);
    double              first_order_d = 0; // steps taken with implicit Euler instead of BDF2
    // Steps whose Newton solve held a node at the eta bound (its row left
    // unsolved), and the worst open-gate proton balance over the run:
    // |N - N(0) - (delivered through the gate)| / N(0).
    double held_d = 0, balance_defect = 0, first_held_time = -1;
    if (state)
      *state >> peak_over_run >> mean_over_run >> first_order_d >> held_d >> balance_defect >>
          first_held_time;
    unsigned int first_order_steps = static_cast<unsigned int>(first_order_d);
    unsigned int held_steps        = static_cast<unsigned int>(held_d);
    // Protons in the layers whose charge electrons compensate (the channel:
    // implicitly, or explicitly with electrons as a species).
    const auto channel_charge = [&](const PNPObservables &o) {
      double n = 0;
      for (unsigned int i = 0; i < n_layers; ++i)
        if (regions[i].hosts_protons && (!regions[i].proton_charge || regions[i].electrons))
          n += o.protons_per_region[i];
      return q * n;
    };
    const double channel0 = channel_charge(obs0);
    PulseTracker pulses(waveform.pulse_windows(pp.end_time));
    double       time_to_target = std::numeric_limits<double>::quiet_NaN();
    double       g_initial = std::numeric_limits<double>::quiet_NaN(), g_final = g_initial;
    const auto   write_row = [&](const PNPObservables &o, const double dt, const NewtonReport &r,
                               const double conductance) {
      const double injected = q * (total(o) - n0);
      const double q_total  = o.gate_metal_charge + injected;
      const double q_prev   = previous.gate_metal_charge + q * (total(previous) - n0);
      const double current  = dt > 0 ? (q_total - q_prev) / dt : 0.0;
      const double ionic    = dt > 0 ? q * (total(o) - total(previous)) / dt : 0.0;
      if (dt > 0)
        energy += 0.5 * (o.gate_voltage + previous.gate_voltage) * (q_total - q_prev);
      for (unsigned int i = 0; i < n_layers; ++i)
        {
          peak_over_run[i] = std::max(peak_over_run[i], o.peak_field_per_region[i]);
          mean_over_run[i] = std::max(mean_over_run[i], o.mean_field_per_region[i]);
          if (regions[i].breakdown > 0)
            {
              max_peak_ratio =
                  std::max(max_peak_ratio, o.peak_field_per_region[i] / regions[i].breakdown);
              max_mean_ratio =
                  std::max(max_mean_ratio, o.mean_field_per_region[i] / regions[i].breakdown);
            }
        }
      double ratio = 0;
      for (unsigned int i = 0; i < n_layers; ++i)
        if (regions[i].breakdown > 0)
          ratio = std::max(ratio, o.peak_field_per_region[i] / regions[i].breakdown);
      PulseSample sample;
      sample.time           = o.time;
      sample.gate_voltage   = o.gate_voltage;
      sample.gate_charge    = q_total;
      sample.ionic_charge   = injected;
      sample.channel_charge = channel_charge(o);
      sample.gate_current   = current;
      sample.ionic_current  = ionic;
      sample.field_ratio    = ratio;
      sample.conductance    = conductance;
      pulses.add(sample);
      if (!std::isnan(conductance))
        {
          if (std::isnan(g_initial))
            g_initial = conductance;
          g_final = conductance;
        }
      // Arrival of the target charge, interpolated between steps.
      const double moved_prev = std::abs(channel_charge(previous) - channel0);
      const double moved      = std::abs(sample.channel_charge - channel0);
      if (p.targets.target_charge > 0 && std::isnan(time_to_target) &&
          moved >= p.targets.target_charge)
        time_to_target = moved > moved_prev
                               ? previous.time + (o.time - previous.time) *
                                                   (p.targets.target_charge - moved_prev) /
                                                   (moved - moved_prev)
                               : o.time;
      if (root)
        {
          series << steps << "," << o.time << "," << dt << "," << o.gate_voltage << "," << current
                 << "," << ionic << "," << current - ionic << "," << o.gate_metal_charge << ","
                 << injected << "," << energy << "," << r.iterations << "," << r.linear_iterations
                 << "," << wall() << "," << sample.channel_charge << ",";
          if (!std::isnan(conductance))
            series << conductance;
          for (unsigned int i = 0; i < n_layers; ++i)
            {
              if (regions[i].hosts_protons)
                series << "," << o.protons_per_region[i] << "," << o.min_density_per_region[i];
              if (regions[i].electrons)
                series << "," << o.electrons_per_region[i] << ","
                       << o.min_electron_density_per_region[i];
              series << "," << o.peak_field_per_region[i];
            }
          series << ",";
          if (!std::isnan(o.reservoir_exchange))
            series << q * o.reservoir_exchange;
          series << "\n" << std::flush;
        }
      previous = o;
      return current;
    };
    if (state)
      {
        std::vector<double> tracker;
        std::string         writer_state;
        *state >> tracker >> fields_file >> writer_state;
        pulses.set_state(tracker);
        writer.set_state(writer_state);
        time_to_target = target_d;
        g_initial      = g_initial_d;
        g_final        = g_final_d;
        next_snapshot  = static_cast<std::size_t>(next_snapshot_d);
        pcout << "  resumed at step " << steps << ", t = " << t << " s" << std::endl;
      }
    else
      {
        write_row(obs0, 0.0, NewtonReport(), read_conductance());
        maybe_snapshot(0.0);
      }

    // Checkpoint: every rank its solver history, then rank 0 the run state
    // (state.bin last: a folder without it is incomplete), then the swap.
    auto       last_checkpoint  = std::chrono::steady_clock::now();
    const auto write_checkpoint = [&](const bool have_previous_step) {
      TimerOutput::Scope scope(timer, "checkpoint");
      const std::string  fresh = ckpt_dir + ".new";
      if (root)
        {
          fs::remove_all(fresh);
          fs::create_directories(fresh);
        }
      MPI_Barrier(comm);
      {
        std::ofstream out(checkpoint_rank_file(fresh, comm), std::ios::binary);
        BinaryOut     b(out);
        solver.save_history(b);
        out.close();
        if (!out)
          throw std::runtime_error("cannot write the checkpoint in " + fresh);
      }
      MPI_Barrier(comm);
      if (root)
        {
          std::ofstream out((fs::path(fresh) / "state.bin").string(), std::ios::binary);
          BinaryOut     b(out);
          b << std::string("protonfem-checkpoint-4")
            << std::uint64_t(Utilities::MPI::n_mpi_processes(comm));
          b << t << dt << dt_prev << double(have_previous_step) << double(steps) << double(rejected)
            << double(failed) << double(roundoff_accepts) << double(total_newton)
            << double(total_linear) << energy << max_peak_ratio << max_mean_ratio << time_to_target
            << g_initial << g_final << double(next_snapshot) << double(relax) << wall();
          // The order in which the restart reads them.
          save(b, obs0);
          save(b, previous);
          b << peak_over_run << mean_over_run << double(first_order_steps) << double(held_steps)
            << balance_defect << first_held_time;
          b << pulses.state() << fields_file << writer.state();
          out.close();
          if (!out)
            throw std::runtime_error("cannot write the checkpoint in " + fresh);
        }
      commit_checkpoint(ckpt_dir, comm);
      last_checkpoint = std::chrono::steady_clock::now();
    };

    bool              stopped_at_max_steps = false;
    // The equilibrium's longest linear solve on the run's mesh (the
    // coarser meshes of a nested equilibrium have their own solvers).
    const unsigned long long equilibrium_largest_solve = solver.stats().largest_solve;
    solver.reset_largest_solve();
    const SolverStats before_time_loop = solver.stats();
    const double      wall_before_loop = wall();
    stage.emplace("protonfem: time steps");
    // Time loop: adaptive BDF2, steps land on waveform corners and snapshots.
    std::vector<double> stops = waveform.breakpoints(pp.end_time);
    stops.insert(stops.end(), snapshots.begin(), snapshots.end());
    std::sort(stops.begin(), stops.end());
    bool         have_previous = have_prev_d != 0;
    const double tol           = pp.error_tolerance;
    while (t < pp.end_time * (1 - 1e-12))
      {
        double stop = pp.end_time;
        for (const double s : stops)
          if (s > t * (1 + 1e-12) + 1e-30)
            {
              stop = s;
              break;
            }
        dt = std::min({dt, pp.max_step, stop - t});
        // On ramps, limit the gate-voltage change per step (the waveform is
        // linear between stops, so the slope at the midpoint is exact).
        {
          const double slope =
              std::abs(waveform.value(t + 0.5 * dt) - waveform.value(t)) / (0.5 * dt);
          if (slope * dt > pp.max_voltage_change)
            dt = std::max(pp.max_voltage_change / slope, pp.min_step);
        }
        if (stop - (t + dt) < 0.25 * dt) // no sliver steps before a stop
          dt = stop - t;
        NewtonReport report;
        unsigned int cuts = 0;
        double       err  = 0;
        while (true)
          {
            report = solver.step(t + dt, dt, have_previous, dt_prev);
            if (!report.converged)
              {
                solver.reject_step();
                ++failed;
                if (++cuts > pp.max_step_cuts || dt * 0.5 < pp.min_step)
                  {
                    if (p.output.write_fields)
                      writer.write(solver, t);
                    std::ostringstream s;
                    s << "time step from t = " << t << " s failed: Newton did not converge (last "
                      << "update " << report.last_update << " kT after " << report.iterations
                      << " iterations) even at dt = " << dt << " s after " << cuts - 1
                      << " cuts. " << solver.describe_failure(report) << ". The last good state (t = " << t << " s) and the time series up to "
                      << "it are in " << dir << ". Try a smaller 'Time stepping/Initial step', a "
                      << "finer mesh at the interfaces, or a slower gate rise time.";
                    throw std::runtime_error(s.str());
                  }
                dt *= 0.5;
                continue;
              }
            err = solver.last_error_estimate();
            if (err > tol && dt > 4 * pp.min_step)
              {
                solver.reject_step();
                ++rejected;
                dt *= std::max(0.2, 0.9 * std::sqrt(tol / err));
                continue;
              }
            break;
          }
        solver.accept_step();
        t += dt;
        ++steps;
        total_newton += report.iterations;
        roundoff_accepts += report.at_roundoff;
        first_order_steps += report.first_order;
        if (report.held_at_eta_bound && held_steps++ == 0)
          first_held_time = t;
        total_linear += report.linear_iterations;
        const auto o         = solver.observables(t);
        if (!std::isnan(o.reservoir_exchange) && n0 > 0)
          balance_defect =
              std::max(balance_defect, std::abs(total(o) - n0 - o.reservoir_exchange) / n0);
        bool       at_corner = false;
        for (const double s : stops)
          at_corner |= std::abs(s - t) <= 1e-12 * pp.end_time;
        const double g_now =
            (steps % p.readout.every == 0 || at_corner || t >= pp.end_time * (1 - 1e-12))
                ? read_conductance()
                : std::numeric_limits<double>::quiet_NaN();
        const double current = write_row(o, dt, report, g_now);
        maybe_snapshot(t);
        if (steps % pp.progress_every == 0 || t >= pp.end_time * (1 - 1e-12))
          {
            const double w = wall();
            pcout << "  step " << std::setw(5) << steps << "  t = " << std::scientific
                  << std::setprecision(3) << t << " s  dt = " << dt
                  << " s  V = " << std::defaultfloat << std::setprecision(4) << o.gate_voltage
                  << " V  I = " << std::scientific << std::setprecision(3) << current
                  << " A  Newton " << report.iterations << "  wall " << std::defaultfloat
                  << std::setprecision(3) << w << " s  left ~" << w / t * (pp.end_time - t) << " s"
                  << std::endl;
          }
        dt_prev       = dt;
        have_previous = true;
        dt *= std::min(4.0, std::max(0.2, 0.9 * std::sqrt(tol / std::max(err, 1e-300))));

        const auto &ck     = p.checkpoint;
        const int   signal = stop_signal_received(comm);
        const bool  due =
            (ck.every_steps > 0 && steps % ck.every_steps == 0) ||
            (ck.every_minutes > 0 &&
             std::chrono::duration<double>(std::chrono::steady_clock::now() - last_checkpoint)
                     .count() >= 60 * ck.every_minutes);
        if ((due || signal) && t < pp.end_time * (1 - 1e-12))
          write_checkpoint(have_previous);
        if (signal && t < pp.end_time * (1 - 1e-12))
          {
            if (root)
              series.close();
            std::ostringstream s;
            s << "stopped by signal " << signal << " at step " << steps << ", t = " << t
              << " s; checkpoint written to " << ckpt_dir << ". Resume with: protonfem run "
              << p.deck_file << " --resume (same number of MPI ranks)";
            throw RunInterrupted(s.str());
          }
        if (pp.max_steps > 0 && steps >= pp.max_steps && t < pp.end_time * (1 - 1e-12))
          {
            stopped_at_max_steps = true;
            pcout << "  stopping at 'Time stepping/Max steps' = " << pp.max_steps
                  << " (t = " << t << " s of " << pp.end_time << " s)" << std::endl;
            break;
          }
      }
    if (root)
      series.close();

    // Summary.
    const auto              final_obs = previous;
    std::vector<JsonObject> layers;
    for (unsigned int i = 0; i < n_layers; ++i)
      {
        JsonObject l;
        l.add("name", g.layers[i].name)
            .add("material", g.layers[i].material)
            .add("hosts_protons", regions[i].hosts_protons)
            .add("protons_initial", obs0.protons_per_region[i])
            .add("protons_final", final_obs.protons_per_region[i])
            .add("min_density_final_m3", final_obs.min_density_per_region[i]);
        if (regions[i].electrons)
          l.add("electrons_initial", obs0.electrons_per_region[i])
              .add("electrons_final", final_obs.electrons_per_region[i])
              .add("min_electron_density_final_m3", final_obs.min_electron_density_per_region[i]);
        l
            .add("peak_field_over_run_V_per_m", peak_over_run[i])
            .add("mean_field_max_over_run_V_per_m", mean_over_run[i])
            .add("breakdown_field_V_per_m",
                 regions[i].breakdown > 0 ? JsonValue(regions[i].breakdown) : JsonValue())
            .add("smallest_cell_m", smallest_cell[i]);
        if (uptake_depth[i] > 0)
          l.add("proton_uptake_depth_m", uptake_depth[i])
              .add("proton_uptake_resolved", static_cast<bool>(uptake_resolved[i]));
        layers.push_back(l);
      }
    // Design metrics from the first pulse and the whole run.
    DesignMetrics m;
    const auto   &records = pulses.pulses();
    m.pulses              = records.size();
    if (!records.empty())
      {
        const auto &first        = records.front();
        m.charge_per_pulse       = first.channel_charge;
        m.gate_charge_per_pulse  = first.gate_charge;
        m.delta_g_per_pulse      = first.delta_g();
        m.energy_per_pulse       = first.energy;
        m.ionic_energy_per_pulse = first.ionic_energy;
      }
    for (const auto &r : records)
      {
        m.peak_gate_current  = std::max(m.peak_gate_current, r.peak_gate_current);
        m.peak_ionic_current = std::max(m.peak_ionic_current, r.peak_ionic_current);
      }
    m.g_initial        = g_initial;
    m.g_final          = g_final;
    m.g_min            = pulses.g_min();
    m.g_max            = pulses.g_max();
    m.peak_field_ratio = max_peak_ratio;
    m.mean_field_ratio = max_mean_ratio;
    {
      const double r     = p.targets.breakdown_measure == "peak" ? max_peak_ratio : max_mean_ratio;
      m.breakdown_margin = r > 0 ? 1.0 / r : std::numeric_limits<double>::quiet_NaN();
    }
    m.time_to_target_charge = time_to_target;
    {
      const auto              &tg = p.targets;
      std::vector<std::string> missed;
      if (tg.min_delta_g > 0 && !(std::abs(m.delta_g_per_pulse) >= tg.min_delta_g))
        missed.push_back("delta G per pulse " + fmt(m.delta_g_per_pulse) + " S < " +
                         fmt(tg.min_delta_g) + " S");
      if (tg.max_energy > 0 && !(m.energy_per_pulse <= tg.max_energy))
        missed.push_back("energy per pulse " + fmt(m.energy_per_pulse) + " J > " +
                         fmt(tg.max_energy) + " J");
      if (tg.min_margin > 0 && std::isfinite(m.breakdown_margin) &&
          !(m.breakdown_margin >= tg.min_margin))
        missed.push_back("breakdown margin (" + tg.breakdown_measure + " field) " +
                         fmt(m.breakdown_margin) + " < " + fmt(tg.min_margin));
      if (tg.max_time_to_charge > 0 && !(time_to_target <= tg.max_time_to_charge))
        missed.push_back("target charge not moved within " + fmt(tg.max_time_to_charge) + " s");
      m.pass    = missed.empty();
      m.verdict = "pass";
      if (!missed.empty())
        {
          m.verdict = "fail: ";
          for (std::size_t i = 0; i < missed.size(); ++i)
            m.verdict += (i ? "; " : "") + missed[i];
        }
    }
    const auto num = [](const double v) { return std::isfinite(v) ? JsonValue(v) : JsonValue(); };
    std::vector<JsonObject> pulse_json;
    for (const auto &r : records)
      {
        JsonObject o;
        o.add("pulse", r.index)
            .add("start_s", r.start)
            .add("end_s", r.end)
            .add("channel_charge_C", r.channel_charge)
            .add("protons_into_channel", r.channel_charge / q)
            .add("gate_charge_C", r.gate_charge)
            .add("energy_J", r.energy)
            .add("ionic_energy_J", r.ionic_energy)
            .add("peak_gate_current_A", r.peak_gate_current)
            .add("peak_ionic_current_A", r.peak_ionic_current)
            .add("peak_field_over_breakdown", r.peak_field_ratio)
            .add("conductance_start_S", num(r.g_start))
            .add("conductance_end_S", num(r.g_end))
            .add("delta_conductance_S", num(r.delta_g()));
        pulse_json.push_back(o);
      }
    // 1D and 2D results are per unit area / depth; the device estimate
    // multiplies by the gate area (1D) or the device width (2D).
    const double device_factor =
        dim == 3   ? 1.0
        : dim == 2 ? g.device_width
                   : (g.gate_x_max - g.gate_x_min) * (g.gate_y_max - g.gate_y_min);
    JsonObject design;
    design.add("charge_per_pulse_C", m.charge_per_pulse)
        .add("protons_per_pulse", m.charge_per_pulse / q)
        .add("gate_charge_per_pulse_C", m.gate_charge_per_pulse)
        .add("delta_conductance_per_pulse_S", num(m.delta_g_per_pulse))
        .add("energy_per_pulse_J", m.energy_per_pulse)
        .add("ionic_energy_per_pulse_J", m.ionic_energy_per_pulse)
        .add("peak_gate_current_A", m.peak_gate_current)
        .add("peak_ionic_current_A", m.peak_ionic_current)
        .add("conductance_initial_S", num(m.g_initial))
        .add("conductance_final_S", num(m.g_final))
        .add("conductance_min_S", num(m.g_min))
        .add("conductance_max_S", num(m.g_max))
        .add("conductance_range", num(m.g_max / m.g_min))
        .add("mean_field_over_breakdown", max_mean_ratio)
        .add("peak_field_over_breakdown", max_peak_ratio)
        .add("breakdown_margin", num(m.breakdown_margin))
        .add("breakdown_field_measure", p.targets.breakdown_measure)
        .add("time_to_target_charge_s", num(m.time_to_target_charge))
        .add("verdict", m.verdict)
        .add("device_scale_factor", device_factor)
        .add("device_charge_per_pulse_C", m.charge_per_pulse * device_factor)
        .add("device_protons_per_pulse", m.charge_per_pulse * device_factor / q)
        .add("device_energy_per_pulse_J", m.energy_per_pulse * device_factor)
        .add("device_ionic_energy_per_pulse_J", m.ionic_energy_per_pulse * device_factor);

    // Per-pulse table next to the time series.
    const std::string pulses_file = (fs::path(dir) / (p.output.base_name + "_pulses.csv")).string();
    if (root)
      write_file_atomically(pulses_file, [&](std::ostream &out) {
        out << "pulse,start_s,end_s,channel_charge_C,protons_into_channel,gate_charge_C,energy_J,"
               "ionic_energy_J,peak_gate_current_A,peak_ionic_current_A,peak_field_over_breakdown,"
               "conductance_start_S,conductance_end_S,delta_conductance_S\n"
            << std::setprecision(12);
        const auto cell = [](const double v) { return std::isfinite(v) ? fmt(v, 12) : ""; };
        for (const auto &r : records)
          out << r.index << "," << r.start << "," << r.end << "," << r.channel_charge << ","
              << r.channel_charge / q << "," << r.gate_charge << "," << r.energy << ","
              << r.ionic_energy << "," << r.peak_gate_current << "," << r.peak_ionic_current << ","
              << r.peak_field_ratio << "," << cell(r.g_start) << "," << cell(r.g_end) << ","
              << cell(r.delta_g()) << "\n";
      });

    stage.reset();
    // Cost of the time steps alone (the equilibrium solve is excluded).
    const SolverStats step_work = solver.stats() - before_time_loop;
    JsonObject        step_cost;
    const double      per_newton =
        step_work.assemblies > 0
                 ? (step_work.assembly_s + step_work.linear_solve_s) / step_work.assemblies
                 : 0.0;
    step_cost.add("wall_s", wall() - wall_before_loop)
        .add("newton_iterations", step_work.assemblies)
        .add("krylov_iterations", step_work.krylov_iterations)
        .add("largest_linear_solve_krylov_iterations", step_work.largest_solve)
        .add("assembly_s", step_work.assembly_s)
        .add("linear_solve_s", step_work.linear_solve_s)
        .add("time_per_newton_iteration_s", per_newton)
        .add("krylov_iterations_per_newton_iteration",
             step_work.linear_solves > 0
                 ? double(step_work.krylov_iterations) / step_work.linear_solves
                 : 0.0)
        .add("assembly_fraction_of_newton_iteration",
             per_newton > 0 ? step_work.assembly_s / step_work.assemblies / per_newton : 0.0);
    // Load balance: each rank's own cell loop (assembly without the wait for
    // the other ranks in the row exchange), fastest and slowest rank. Their
    // ratio is the assembly's imbalance; the matrix is split alike, so the
    // solve's follows. On 2 ranks the reference device's slowest rank needs
    // 1.6-1.7 times the fastest one's loop (docs/performance.md, "Load balance").
    step_cost.add("cell_loop_s_min_rank", Utilities::MPI::min(step_work.cell_loop_s, comm))
        .add("cell_loop_s_max_rank", Utilities::MPI::max(step_work.cell_loop_s, comm));
    Utilities::System::MemoryStats memory;
    Utilities::System::get_memory_stats(memory);
    const double peak_memory_mib = Utilities::MPI::max(memory.VmHWM / 1024.0, comm);
    JsonObject   timings;
    timings.add("mesh", mesh_s);
    for (const auto &[name, seconds] : timer.get_summary_data(TimerOutput::total_wall_time))
      timings.add(name, seconds);
    const char *unit = dim == 3   ? "per device"
                       : dim == 2 ? "per m of device width"
                                  : "per m^2 of gate area";
    JsonObject  summary;
    summary.add("protonfem_version", version_string())
        .add("deck", p.deck_file)
        .add("problem", "pnp")
        .add("dimension", dim)
        .add("mpi_ranks", Utilities::MPI::n_mpi_processes(comm))
        .add("cells", static_cast<unsigned long long>(tria->n_global_active_cells()))
        .add("dofs", static_cast<unsigned long long>(solver.n_dofs()))
        .add("proton_flux", pp.mobility_average)
        .add("storage", storage)
        .add("extensive_quantities", unit)
        .add("end_time_s", t)
        .add("steps", steps)
        .add("rejected_steps", rejected)
        .add("failed_newton_solves", failed)
        .add("newton_accepted_at_roundoff", roundoff_accepts)
        .add("implicit_euler_steps", first_order_steps)
        .add("steps_held_at_eta_bound", held_steps)
        .add("proton_balance_defect", std::isnan(final_obs.reservoir_exchange)
                                          ? JsonValue()
                                          : JsonValue(balance_defect))
        .add("newton_iterations", static_cast<unsigned long long>(total_newton))
        .add("linear_iterations", static_cast<unsigned long long>(total_linear))
        .add("initial_state", pp.initial_state)
        .add("gate_exchange", pp.gate_exchange)
        .add("gate_rate_constant_m_s", pp.gate_exchange == "butler-volmer"
                                           ? JsonValue(pp.gate_rate_constant)
                                           : JsonValue())
        .add("gate_transfer_coefficient", pp.gate_exchange == "butler-volmer"
                                              ? JsonValue(pp.gate_transfer_coefficient)
                                              : JsonValue())
        .add("gate_stern_thickness_m", pp.gate_stern_thickness)
        .add("channel_interface", pp.channel_interface)
        .add("conductance_model", p.readout.conductivity)
        .add("mobile_species", pp.electrons ? "protons, electrons" : "protons")
        .add("electron_transport", pp.electrons ? JsonValue(pp.electron_transport) : JsonValue())
        .add("channel_interface_rate_constant_m_s",
             pp.channel_interface == "butler-volmer" ? JsonValue(pp.channel_interface_rate_constant)
                                                     : JsonValue())
        .add("channel_interface_transfer_coefficient",
             pp.channel_interface == "butler-volmer"
                 ? JsonValue(pp.channel_interface_transfer_coefficient)
                 : JsonValue())
        .add("equilibrium_pseudo_steps", relax)
        .add("equilibrium_largest_linear_solve_krylov_iterations", equilibrium_largest_solve)
        .add("equilibrium_meshes", static_cast<unsigned int>(equilibrium_steps.size()))
        .add("equilibrium_pseudo_steps_fine",
             equilibrium_steps.empty() ? JsonValue() : JsonValue(equilibrium_steps.back()))
        .add("protons_initial", n0)
        .add("protons_final", total(final_obs))
        .add("injected_charge_C", q * (total(final_obs) - n0))
        .add("gate_flux_charge_C", std::isnan(final_obs.reservoir_exchange)
                                       ? JsonValue()
                                       : JsonValue(q * final_obs.reservoir_exchange))
        .add("gate_metal_charge_final_C", final_obs.gate_metal_charge)
        .add("energy_delivered_J", energy)
        .add("max_peak_field_over_breakdown", max_peak_ratio)
        .add("max_mean_field_over_breakdown", max_mean_ratio)
        .add("layers", layers)
        .add("design", design)
        .add("pulses", pulse_json)
        .add("pulses_csv", pulses_file)
        .add("stopped_at_max_steps", stopped_at_max_steps)
        .add("time_step_cost", step_cost)
        .add("linear_solver", pp.linear_solver == "direct" ? std::string("direct (MUMPS)")
                                                           : "gmres + " + pp.preconditioner)
        .add("timings_s", timings)
        .add("peak_memory_MiB_max_rank", peak_memory_mib)
        .add("memory_MiB_max_rank", memory_stages)
        .add("bytes_per_dof", peak_memory_mib * 1048576.0 *
                                  Utilities::MPI::n_mpi_processes(comm) / solver.n_dofs())
        .add("wall_s", wall())
        .add("time_series_csv", series_file)
        .add("fields_xdmf", fields_file.empty() ? JsonValue() : JsonValue(fields_file));
    const std::string summary_file =
        (fs::path(dir) / (p.output.base_name + "_summary.json")).string();
    if (root)
      write_file_atomically(summary_file,
                            [&](std::ostream &out) { out << summary.str(2) << "\n"; });
    // Per-pulse table for the terminal (device units), first 10 and the last.
    std::ostringstream pulse_table;
    if (records.size() > 1 || (!records.empty() && readout_on))
      {
        pulse_table << "  pulse   V_peak   charge into channel [C]  protons   delta G [S]"
                       "   energy [J]   peak field/breakdown\n";
        for (std::size_t k = 0; k < records.size(); ++k)
          {
            if (k == 10 && records.size() > 11)
              pulse_table << "  ...\n";
            if (k >= 10 && k + 1 < records.size())
              continue;
            const auto &r = records[k];
            double      v = 0;
            for (double t = r.start; t < r.end; t += (r.end - r.start) / 200)
              if (std::abs(waveform.value(t)) > std::abs(v))
                v = waveform.value(t);
            pulse_table << "  " << std::setw(5) << r.index << "  " << std::setw(7) << fmt(v, 3)
                        << "  " << std::setw(23) << fmt(r.channel_charge * device_factor) << "  "
                        << std::setw(8) << fmt(r.channel_charge * device_factor / q, 3) << "  "
                        << std::setw(12) << fmt_conductance(r.delta_g()) << "  " << std::setw(11)
                        << fmt(r.energy * device_factor) << "  " << fmt(r.peak_field_ratio, 3)
                        << "\n";
          }
      }
    timer.print_summary();
    pcout << "  " << steps << " steps (" << rejected << " rejected, " << failed
          << " Newton failures, " << first_order_steps
          << " taken with implicit Euler where BDF2 had no positive root), " << total_newton
          << " Newton iterations\n"
          << "  injected charge " << q * (total(final_obs) - n0) << " C, energy " << energy
          << " J (" << unit << ")\n";
    if (!std::isnan(final_obs.reservoir_exchange))
      pcout << "  open-gate proton balance: N - N(0) and the gate's delivery agree to "
            << fmt(balance_defect, 2) << " of N(0) (worst step)\n";
    if (held_steps > 0)
      pcout << "  warning: in " << held_steps << " step(s), the first at t = " << fmt(first_held_time)
            << " s, Newton converged with a node held at the density bound (c or c_max - c = "
               "e^-600 c_max) against its update; that node's row is not solved, and what its "
               "neighbours send into it is not accounted for (for protons the balance above "
               "measures it; docs/numerics.md)\n";
    pcout << "  first pulse, for the device"
          << (dim < 3 ? " (x " + fmt(device_factor) + (dim == 2 ? " m width)" : " m^2 gate)")
                      : std::string())
          << ": charge into channel " << fmt(m.charge_per_pulse * device_factor) << " C ("
          << fmt(m.charge_per_pulse * device_factor / q) << " protons), delta G "
          << fmt_conductance(m.delta_g_per_pulse) << (readout_on ? " S" : " (read-out off)")
          << ", energy " << fmt(m.energy_per_pulse * device_factor)
          << " J (ionic " << fmt(m.ionic_energy_per_pulse * device_factor) << " J)\n"
          << "  conductance "
          << (readout_on ? fmt(m.g_initial) + " -> " + fmt(m.g_final) + " S (range x" +
                               fmt(m.g_max / m.g_min) + " over " + std::to_string(m.pulses) +
                               " pulse(s))"
                         : std::string("not read out (Conductance/Read-out = off)"))
          << "; field / breakdown "
          << "in the worst layer: mean " << fmt(max_mean_ratio) << ", peak " << fmt(max_peak_ratio)
          << "; " << m.verdict << "\n"
          << pulse_table.str() << "  time series: " << series_file << "\n"
          << "  pulses:      " << pulses_file << "\n"
          << "  summary:     " << summary_file << std::endl;
    return m;
  }

  template DesignMetrics run_pnp<1>(const RunParameters &, MPI_Comm, std::ostream &, bool);
  template DesignMetrics run_pnp<2>(const RunParameters &, MPI_Comm, std::ostream &, bool);
  template DesignMetrics run_pnp<3>(const RunParameters &, MPI_Comm, std::ostream &, bool);
} // namespace protonfem
