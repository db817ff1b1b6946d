#include "pnp_run.h"

#include "../geometry/boundary_ids.h"
#include "../geometry/mesh_info.h"
#include "../geometry/stack_mesh.h"
#include "../materials/property_laws.h"
#include "../postprocess/atomic_file.h"
#include "../postprocess/json_writer.h"
#include "../postprocess/pnp_field_writer.h"
#include "input_error.h"
#include "pnp_solver.h"
#include "version.h"

#include <deal.II/base/conditional_ostream.h>
#include <deal.II/base/mpi.h>
#include <deal.II/base/timer.h>
#include <deal.II/base/utilities.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>

namespace protonfem
{
  using namespace dealii;

  namespace
  {
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
        }
      return regions;
    }

    std::string fmt(const double v, const int precision = 4)
    {
      std::ostringstream s;
      s << std::setprecision(precision) << v;
      return s.str();
    }
  } // namespace

  template <int dim> void run_pnp(const RunParameters &p, MPI_Comm comm)
  {
    ConditionalOStream pcout(std::cout, Utilities::MPI::this_mpi_process(comm) == 0);
    const auto         wall_start = std::chrono::steady_clock::now();
    const auto         wall       = [&] {
      return std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
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
    const auto tria    = create_device_mesh<dim>(g, p.deck_file, comm);
    const auto present = boundary_ids_present(*tria, comm);
    cells_per_layer(*tria, g, p.deck_file, comm);
    if (!present.count(boundary_ids::gate))
      throw InputError(p.deck_file, "Geometry (gate)", "no gate face", "a mesh with a gate face");

    // The gate touches the top layer; an ideal reservoir needs protons there.
    double reservoir = -1;
    if (pp.gate_exchange == "reservoir")
      {
        const RegionModel &top = regions.back();
        if (!top.hosts_protons && g.mesh_source == "stack")
          throw InputError(p.deck_file, "Transport/Gate proton exchange", "reservoir",
                           "'blocking' when the top layer ('" + g.layers.back().name +
                               "') holds no protons");
        reservoir = pp.reservoir_density >= 0 ? pp.reservoir_density / scaling.density : top.c0;
        if (!(reservoir > 0 && reservoir < top.c_max))
          throw InputError(p.deck_file, "Transport/Reservoir proton density",
                           fmt(pp.reservoir_density), "a density in (0, c_max of the top layer)");
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

    TimerOutput    timer(comm, pcout, TimerOutput::never, TimerOutput::wall_times);
    PNPSolver<dim> solver(*tria, e.fe_degree, regions, scaling, pp, voltage, reservoir,
                          pp.channel_potential, timer, pcout);
    solver.setup();
    pcout << "  mesh: " << tria->n_global_active_cells() << " cells, " << solver.n_dofs()
          << " DoFs (Q" << e.fe_degree << " phi + Q" << e.fe_degree
          << " mu); scales: L0 = " << scaling.length << " m, c_ref = " << scaling.density
          << " m^-3, t0 = " << scaling.time()
          << " s, (L0/lambda_D)^2 = " << fmt(scaling.poisson_coupling()) << std::endl;

    solver.set_initial_guess(0.0);
    const unsigned int relax = solver.relax_to_equilibrium(0.0);
    pcout << "  equilibrium at V_gate = " << waveform.value(0) << " V: " << relax
          << " pseudo-time steps" << std::endl;

    namespace fs          = std::filesystem;
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
            fields_file = writer.write(solver, t);
          ++next_snapshot;
        }
    };

    // Time series, one line per accepted step, flushed so nothing computed is lost.
    const std::string series_file =
        (fs::path(dir) / (p.output.base_name + "_timeseries.csv")).string();
    std::ofstream series;
    const double  q = constants::elementary_charge;
    if (root)
      {
        series.open(series_file);
        series << "step,time_s,dt_s,gate_voltage_V,gate_current_A,ionic_current_A,"
                  "displacement_current_A,gate_metal_charge_C,injected_charge_C,energy_J,"
                  "newton_iterations,linear_iterations,wall_s";
        for (unsigned int i = 0; i < n_layers; ++i)
          {
            if (regions[i].hosts_protons)
              series << ",protons_" << g.layers[i].name << ",min_density_" << g.layers[i].name
                     << "_m3";
            series << ",peak_field_" << g.layers[i].name << "_V_per_m";
          }
        series << "\n" << std::setprecision(12);
      }
    auto       obs0  = solver.observables(0.0);
    const auto total = [&](const PNPObservables &o) {
      double n = 0;
      for (const double x : o.protons_per_region)
        n += x;
      return n;
    };
    const double        n0       = total(obs0);
    auto                previous = obs0;
    double              energy = 0, max_peak_ratio = 0;
    unsigned long       total_newton = 0, total_linear = 0;
    unsigned int        steps = 0, rejected = 0, failed = 0;
    std::vector<double> peak_over_run(n_layers, 0.0);
    const auto write_row = [&](const PNPObservables &o, const double dt, const NewtonReport &r) {
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
          if (regions[i].breakdown > 0)
            max_peak_ratio =
                std::max(max_peak_ratio, o.peak_field_per_region[i] / regions[i].breakdown);
        }
      if (root)
        {
          series << steps << "," << o.time << "," << dt << "," << o.gate_voltage << "," << current
                 << "," << ionic << "," << current - ionic << "," << o.gate_metal_charge << ","
                 << injected << "," << energy << "," << r.iterations << "," << r.linear_iterations
                 << "," << wall();
          for (unsigned int i = 0; i < n_layers; ++i)
            {
              if (regions[i].hosts_protons)
                series << "," << o.protons_per_region[i] << "," << o.min_density_per_region[i];
              series << "," << o.peak_field_per_region[i];
            }
          series << "\n" << std::flush;
        }
      previous = o;
      return current;
    };
    write_row(obs0, 0.0, NewtonReport());
    maybe_snapshot(0.0);

    // Time loop: adaptive BDF2, steps land on waveform corners and snapshots.
    std::vector<double> stops = waveform.breakpoints(pp.end_time);
    stops.insert(stops.end(), snapshots.begin(), snapshots.end());
    std::sort(stops.begin(), stops.end());
    double       t = 0, dt = pp.initial_step, dt_prev = 0;
    bool         have_previous = false;
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
                      << " cuts. The last good state (t = " << t << " s) and the time series up to "
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
        total_linear += report.linear_iterations;
        const auto   o       = solver.observables(t);
        const double current = write_row(o, dt, report);
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
            .add("min_density_final_m3", final_obs.min_density_per_region[i])
            .add("peak_field_over_run_V_per_m", peak_over_run[i])
            .add("breakdown_field_V_per_m",
                 regions[i].breakdown > 0 ? JsonValue(regions[i].breakdown) : JsonValue());
        layers.push_back(l);
      }
    JsonObject timings;
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
        .add("extensive_quantities", unit)
        .add("end_time_s", t)
        .add("steps", steps)
        .add("rejected_steps", rejected)
        .add("failed_newton_solves", failed)
        .add("newton_iterations", static_cast<unsigned long long>(total_newton))
        .add("linear_iterations", static_cast<unsigned long long>(total_linear))
        .add("equilibrium_pseudo_steps", relax)
        .add("protons_initial", n0)
        .add("protons_final", total(final_obs))
        .add("injected_charge_C", q * (total(final_obs) - n0))
        .add("gate_metal_charge_final_C", final_obs.gate_metal_charge)
        .add("energy_delivered_J", energy)
        .add("max_peak_field_over_breakdown", max_peak_ratio)
        .add("layers", layers)
        .add("timings_s", timings)
        .add("wall_s", wall())
        .add("time_series_csv", series_file)
        .add("fields_xdmf", fields_file.empty() ? JsonValue() : JsonValue(fields_file));
    const std::string summary_file =
        (fs::path(dir) / (p.output.base_name + "_summary.json")).string();
    if (root)
      write_file_atomically(summary_file,
                            [&](std::ostream &out) { out << summary.str(2) << "\n"; });
    timer.print_summary();
    pcout << "  " << steps << " steps (" << rejected << " rejected, " << failed
          << " Newton failures), " << total_newton << " Newton iterations\n"
          << "  injected charge " << q * (total(final_obs) - n0) << " C, energy " << energy
          << " J (" << unit << ")\n"
          << "  time series: " << series_file << "\n"
          << "  summary:     " << summary_file << std::endl;
  }

  template void run_pnp<1>(const RunParameters &, MPI_Comm);
  template void run_pnp<2>(const RunParameters &, MPI_Comm);
  template void run_pnp<3>(const RunParameters &, MPI_Comm);
} // namespace protonfem
