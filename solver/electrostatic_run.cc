#include "electrostatic_run.h"

#include "../geometry/boundary_ids.h"
#include "../geometry/column_partition.h"
#include "../geometry/mesh_info.h"
#include "../geometry/stack_mesh.h"
#include "../postprocess/atomic_file.h"
#include "../postprocess/field_writer.h"
#include "../postprocess/json_writer.h"
#include "electrostatics.h"
#include "input_error.h"
#include "mpi_reduce.h"
#include "physical_constants.h"
#include "version.h"

#include <deal.II/base/conditional_ostream.h>
#include <deal.II/base/mpi.h>
#include <deal.II/base/timer.h>
#include <deal.II/base/utilities.h>

#include <filesystem>
#include <iomanip>
#include <iostream>
#include <set>
#include <sstream>

namespace protonfem
{
  using namespace dealii;

  namespace
  {
    std::string si(const double v, const char *unit)
    {
      std::ostringstream s;
      s << std::setprecision(4) << v << " " << unit;
      return s.str();
    }
  } // namespace

  template <int dim> void run_electrostatics(const RunParameters &p, MPI_Comm comm)
  {
    ConditionalOStream pcout(std::cout, Utilities::MPI::this_mpi_process(comm) == 0);
    const auto         n_ranks  = Utilities::MPI::n_mpi_processes(comm);
    const auto        &g        = p.geometry;
    const unsigned int n_layers = g.layers.size();

    pcout << "protonfem " << version_string() << ": electrostatics, " << dim << "D, " << n_ranks
          << " MPI rank(s), deck " << p.deck_file << std::endl;

    // The mesh and the input checks that need it come before the TimerOutput:
    // an InputError unwinding through a TimerOutput makes its destructor print
    // a warning about skipped MPI synchronisation in front of the real message.
    // The mesh is timed on its own and reported with the other timings.
    Timer      mesh_timer(comm, true);
    auto       tria    = create_device_mesh<dim>(g, p.deck_file, comm);
    const auto columns = apply_partition<dim>(g.partition, tria);
    mesh_timer.stop();
    const auto present = boundary_ids_present(*tria, comm);
    pcout << "  mesh: " << tria->n_global_active_cells() << " cells ("
          << si(mesh_timer.wall_time(), "s") << "), contacts:";
    for (const auto b : present)
      if (b != boundary_ids::insulating)
        pcout << " " << boundary_ids::name(b);
    pcout << std::endl;

    // Every layer must be meshed, and at least one electrode must fix phi.
    const auto cells_per_region = cells_per_layer(*tria, g, p.deck_file, comm);

    ElectrostaticsProblem<dim> problem;
    problem.length_scale = 1e-9;
    std::vector<double> eps_r(n_layers), rho_over_eps0(n_layers), breakdown(n_layers, 0);
    for (unsigned int i = 0; i < n_layers; ++i)
      {
        const auto &m    = p.materials.get(g.layers[i].material);
        eps_r[i]         = m.value(property_names::relative_permittivity);
        const double rho = (m.has(property_names::fixed_charge_density)
                                ? m.value(property_names::fixed_charge_density)
                                : 0.0) +
                           g.layers[i].fixed_charge_density;
        rho_over_eps0[i] = rho / constants::vacuum_permittivity;
        if (m.has(property_names::breakdown_field))
          breakdown[i] = m.value(property_names::breakdown_field);
      }
    problem.relative_permittivity = [eps_r](const Point<dim> &, types::material_id id) {
      return eps_r[id];
    };
    problem.charge_over_eps0 = [rho_over_eps0](const Point<dim> &, types::material_id id) {
      return rho_over_eps0[id];
    };
    const auto                                &e       = p.electrostatics;
    const std::map<types::boundary_id, double> voltage = {{boundary_ids::gate, e.gate_voltage},
                                                          {boundary_ids::source, e.source_voltage},
                                                          {boundary_ids::drain, e.drain_voltage},
                                                          {boundary_ids::back, e.back_voltage}};
    for (const auto &[id, v] : voltage)
      if (present.count(id))
        problem.dirichlet[id] = std::make_shared<Functions::ConstantFunction<dim>>(v);
    if (problem.dirichlet.empty())
      throw InputError(p.deck_file, "Geometry (contacts)", "no gate, source, drain or back face",
                       "a mesh with at least one electrode face so that the potential is fixed");

    TimerOutput               timer(comm, pcout, TimerOutput::never, TimerOutput::wall_times);
    ElectrostaticsSolver<dim> solver(*tria, e.fe_degree, e.linear_solver, timer, pcout);
    solver.setup(problem);
    pcout << "  setup: " << solver.n_dofs() << " DoFs (Q" << e.fe_degree << ")" << std::endl;
    solver.assemble(problem);
    const auto report = solver.solve();
    pcout << "  solve: CG + " << e.linear_solver.preconditioner << ", " << report.iterations
          << " iterations, relative residual " << std::scientific << std::setprecision(2)
          << report.final_residual << std::defaultfloat << std::endl;

    const auto   peak   = solver.peak_field_per_region(n_layers);
    const auto   mean   = solver.mean_field_per_region(n_layers);
    const double energy = solver.energy(problem);

    // Output: only now, after every input check has passed.
    namespace fs          = std::filesystem;
    const std::string dir = p.output.directory;
    if (Utilities::MPI::this_mpi_process(comm) == 0)
      fs::create_directories(dir);
    MPI_Barrier(comm);
    FieldFiles files;
    if (p.output.write_fields)
      {
        TimerOutput::Scope t(timer, "output");
        files = write_electrostatic_fields(solver.dof_handler(), solver.solution(), dir,
                                           p.output.base_name, 0.0);
      }

    pcout << "  peak |E| per layer (vs breakdown field):" << std::endl;
    std::vector<JsonObject> layers;
    for (unsigned int i = 0; i < n_layers; ++i)
      {
        const double ratio = breakdown[i] > 0 ? peak[i] / breakdown[i] : 0.0;
        pcout << "    " << std::left << std::setw(14) << g.layers[i].name << std::setw(7)
              << g.layers[i].material << std::right << std::setw(14) << si(peak[i], "V/m");
        if (breakdown[i] > 0)
          pcout << "  = " << std::setprecision(3) << 100 * ratio << "% of "
                << si(breakdown[i], "V/m") << (ratio >= 1 ? "  ** ABOVE BREAKDOWN **" : "");
        pcout << std::endl;
        JsonObject l;
        l.add("name", g.layers[i].name)
            .add("material", g.layers[i].material)
            .add("region_id", i)
            .add("cells", cells_per_region[i])
            .add("relative_permittivity", eps_r[i])
            .add("peak_field_V_per_m", peak[i])
            .add("mean_field_stacking_V_per_m", mean[i][dim - 1])
            .add("breakdown_field_V_per_m",
                 breakdown[i] > 0 ? JsonValue(breakdown[i]) : JsonValue())
            .add("peak_over_breakdown", breakdown[i] > 0 ? JsonValue(ratio) : JsonValue());
        if (g.mesh_source == "stack")
          l.add("thickness_m", g.layers[i].thickness);
        layers.push_back(l);
      }
    // Resident-set high-water mark, the largest over the ranks.
    Utilities::System::MemoryStats memory;
    Utilities::System::get_memory_stats(memory);
    const double peak_memory_mib = Utilities::MPI::max(memory.VmHWM / 1024.0, comm);

    const auto timings = timer.get_summary_data(TimerOutput::total_wall_time);
    JsonObject t;
    t.add("mesh", mesh_timer.wall_time());
    for (const auto &[name, seconds] : timings)
      t.add(name, seconds);
    JsonObject summary;
    summary.add("protonfem_version", version_string())
        .add("deck", p.deck_file)
        .add("problem", "electrostatics")
        .add("dimension", dim)
        .add("mpi_ranks", n_ranks)
        .add("cells", static_cast<unsigned long long>(tria->n_global_active_cells()))
        .add("dofs", static_cast<unsigned long long>(solver.n_dofs()))
        .add("fe_degree", e.fe_degree)
        .add("gate_voltage_V", e.gate_voltage)
        .add("linear_iterations", report.iterations)
        .add("linear_relative_residual", report.final_residual)
        .add("amg_strong_threshold", e.linear_solver.strong_threshold(dim))
        .add("electrostatic_energy_J", energy)
        .add("peak_memory_MiB_max_rank", peak_memory_mib)
        .add("bytes_per_dof", peak_memory_mib * 1048576.0 * n_ranks / solver.n_dofs())
        .add("layers", layers)
        .add("timings_s", t)
        .add("fields_xdmf", files.xdmf.empty() ? JsonValue() : JsonValue(files.xdmf))
        .add("fields_h5", files.h5.empty() ? JsonValue() : JsonValue(files.h5));
    const std::string summary_file =
        (fs::path(dir) / (p.output.base_name + "_summary.json")).string();
    if (Utilities::MPI::this_mpi_process(comm) == 0)
      write_file_atomically(summary_file,
                            [&](std::ostream &out) { out << summary.str(2) << "\n"; });

    timer.print_summary();
    pcout << "  fields (ParaView): " << (files.xdmf.empty() ? "(not written)" : files.xdmf) << "\n"
          << "  summary:           " << summary_file << std::endl;
  }

  template void run_electrostatics<1>(const RunParameters &, MPI_Comm);
  template void run_electrostatics<2>(const RunParameters &, MPI_Comm);
  template void run_electrostatics<3>(const RunParameters &, MPI_Comm);
} // namespace protonfem
