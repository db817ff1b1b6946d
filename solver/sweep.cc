#include "sweep.h"

#include "../postprocess/atomic_file.h"
#include "../postprocess/json_writer.h"
#include "../postprocess/sweep_table.h"
#include "input_error.h"
#include "pnp_run.h"
#include "run_parameters.h"

#include <deal.II/base/exceptions.h>
#include <deal.II/base/mpi.h>
#include <deal.II/base/utilities.h>

#include <chrono>
#include <cmath>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <sstream>
#include <sys/file.h>
#include <unistd.h>

namespace protonfem
{
  namespace fs = std::filesystem;

  namespace
  {
    /// Names of the metric columns, in table order.
    const std::vector<std::string> metric_columns = {
        "charge_per_pulse_C",  "protons_per_pulse",         "gate_charge_per_pulse_C",
        "delta_G_per_pulse_S", "energy_per_pulse_J",        "ionic_energy_per_pulse_J",
        "peak_gate_current_A", "peak_ionic_current_A",      "G_initial_S",
        "G_final_S",           "peak_field_over_breakdown", "mean_field_over_breakdown",
        "breakdown_margin",    "time_to_target_charge_s"};

    std::string num(const double v)
    {
      if (!std::isfinite(v))
        return "";
      std::ostringstream s;
      s << std::setprecision(12) << v;
      return s.str();
    }

    std::vector<std::string> metric_values(const DesignMetrics &m)
    {
      const double q = 1.602176634e-19;
      return {num(m.charge_per_pulse),  num(m.charge_per_pulse / q), num(m.gate_charge_per_pulse),
              num(m.delta_g_per_pulse), num(m.energy_per_pulse),     num(m.ionic_energy_per_pulse),
              num(m.peak_gate_current), num(m.peak_ionic_current),   num(m.g_initial),
              num(m.g_final),           num(m.peak_field_ratio),     num(m.mean_field_ratio),
              num(m.breakdown_margin),  num(m.time_to_target_charge)};
    }

    /// The sweep's points: every combination of the values, the last
    /// parameter varying fastest.
    std::vector<std::vector<std::string>> enumerate_points(const SweepParameters &s)
    {
      std::vector<std::vector<std::string>> points(1);
      for (const auto &values : s.values)
        {
          std::vector<std::vector<std::string>> next;
          for (const auto &p : points)
            for (const auto &v : values)
              {
                next.push_back(p);
                next.back().push_back(v);
              }
          points = next;
        }
      return points;
    }

    std::string point_name(const std::size_t i)
    {
      std::ostringstream s;
      s << "p" << std::setw(4) << std::setfill('0') << i;
      return s.str();
    }

    /// An exclusive lock on a file, released when the object dies.
    class FileLock
    {
    public:
      explicit FileLock(const std::string &path) : fd(::open(path.c_str(), O_CREAT | O_RDWR, 0644))
      {
        if (fd < 0 || ::flock(fd, LOCK_EX) != 0)
          throw std::runtime_error("cannot lock " + path);
      }
      ~FileLock()
      {
        ::flock(fd, LOCK_UN);
        ::close(fd);
      }

    private:
      int fd;
    };

    double elapsed_since(const std::chrono::steady_clock::time_point t0)
    {
      return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    }

    DesignMetrics run_point(const RunParameters &p, MPI_Comm comm, std::ostream &log)
    {
      switch (p.dimension)
        {
        case 1:
          return run_pnp<1>(p, comm, log);
        case 2:
          return run_pnp<2>(p, comm, log);
        default:
          return run_pnp<3>(p, comm, log);
        }
    }
  } // namespace

  int run_sweep(const SweepOptions &options, MPI_Comm world)
  {
    const unsigned int rank = dealii::Utilities::MPI::this_mpi_process(world);
    const unsigned int size = dealii::Utilities::MPI::n_mpi_processes(world);
    const auto         t0   = std::chrono::steady_clock::now();

    const RunParameters base  = RunParameters::read(options.deck);
    const auto         &sweep = base.sweep;
    if (sweep.paths.empty())
      throw InputError(options.deck, "Sweep/Parameter 1", "(empty)",
                       "at least one parameter path with its values in 'subsection Sweep'");
    if (size % options.ranks_per_run != 0)
      throw InputError("command line", "--ranks-per-run", std::to_string(options.ranks_per_run),
                       "a divisor of the number of MPI ranks (" + std::to_string(size) + ")");
    const bool retry = options.retry_failed || sweep.retry_failed;

    // Every point is read and checked before anything runs: a typo in one
    // value must not surface hours into the sweep.
    const auto                 points     = enumerate_points(sweep);
    const std::string          dir        = base.output.directory;
    const fs::path             points_dir = fs::path(dir) / "points";
    std::vector<RunParameters> decks;
    for (std::size_t i = 0; i < points.size(); ++i)
      {
        std::vector<Override> o;
        for (std::size_t k = 0; k < sweep.paths.size(); ++k)
          o.emplace_back(sweep.paths[k], points[i][k]);
        o.emplace_back("Output/Directory", (points_dir / point_name(i)).string());
        decks.push_back(RunParameters::read(options.deck, o));
        if (decks.back().problem != "pnp")
          throw InputError(options.deck, "Problem", decks.back().problem,
                           "'pnp' for a sweep (the design metrics come from the transient run)");
      }

    std::vector<std::string> header = {"point", "status", "wall_s", "ranks"};
    header.insert(header.end(), sweep.paths.begin(), sweep.paths.end());
    header.insert(header.end(), metric_columns.begin(), metric_columns.end());
    for (const char *c : {"pass", "verdict", "error", "folder"})
      header.push_back(c);

    if (rank == 0)
      fs::create_directories(points_dir);
    MPI_Barrier(world);

    const unsigned int groups = size / options.ranks_per_run;
    const unsigned int group  = rank / options.ranks_per_run;
    MPI_Comm           comm;
    MPI_Comm_split(world, group, rank, &comm);
    const bool group_root = dealii::Utilities::MPI::this_mpi_process(comm) == 0;

    const std::string csv_file  = (fs::path(dir) / "sweep.csv").string();
    const std::string h5_file   = (fs::path(dir) / "sweep.h5").string();
    const std::string lock_file = (fs::path(dir) / ".sweep.lock").string();
    const auto        rebuild   = [&]() {
      FileLock lock(lock_file);
      return rebuild_sweep_tables(points_dir.string(), points.size(), header, csv_file, h5_file);
    };

    if (rank == 0)
      std::cout << "protonfem sweep: " << points.size() << " points (" << sweep.paths.size()
                << " parameter(s)), " << groups << " group(s) of " << options.ranks_per_run
                << " rank(s); results in " << dir << std::endl;

    unsigned int ran = 0, skipped = 0, failed_here = 0;
    for (std::size_t i = group; i < points.size(); i += groups)
      {
        const fs::path folder   = points_dir / point_name(i);
        const fs::path row_file = folder / "row.csv";
        // Resume: a row for the same values means the point is finished.
        int finished = 0;
        if (group_root)
          {
            const auto row  = read_sweep_row(row_file.string(), header);
            bool       same = !row.empty();
            for (std::size_t k = 0; same && k < sweep.paths.size(); ++k)
              same = row[4 + k] == points[i][k];
            if (same && (row[1] == "ok" || !retry))
              finished = 1;
          }
        finished = dealii::Utilities::MPI::max(finished, comm);
        if (finished)
          {
            ++skipped;
            continue;
          }
        if (group_root)
          {
            fs::remove_all(folder);
            fs::create_directories(folder);
          }
        MPI_Barrier(comm);

        std::ofstream log;
        if (group_root)
          log.open((folder / "log.txt").string());
        const auto    start  = std::chrono::steady_clock::now();
        std::string   status = "ok", error;
        DesignMetrics m;
        try
          {
            m = run_point(decks[i], comm, log);
          }
        catch (const std::exception &e)
          {
            status = "failed";
            error  = e.what();
            m      = DesignMetrics();
            if (group_root)
              log << "protonfem: point failed: " << error << std::endl;
            ++failed_here;
          }
        ++ran;
        const double wall = elapsed_since(start);
        if (group_root)
          {
            std::vector<std::string> row = {std::to_string(i), status, num(wall),
                                            std::to_string(options.ranks_per_run)};
            row.insert(row.end(), points[i].begin(), points[i].end());
            if (status == "ok")
              {
                const auto v = metric_values(m);
                row.insert(row.end(), v.begin(), v.end());
                row.push_back(m.pass ? "1" : "0");
                row.push_back(m.verdict);
              }
            else
              {
                row.insert(row.end(), metric_columns.size(), "");
                row.push_back("");
                row.push_back("");
              }
            row.push_back(error);
            row.push_back(folder.string());
            write_sweep_row(row_file.string(), header, row);
            const auto         done = rebuild();
            const double       t    = elapsed_since(t0);
            std::ostringstream line;
            line << "  point " << i + 1 << "/" << points.size() << " [";
            for (std::size_t k = 0; k < sweep.paths.size(); ++k)
              line << (k ? ", " : "") << sweep.paths[k] << " = " << points[i][k];
            line << "] " << status << " in " << std::setprecision(3) << wall << " s";
            if (status == "ok")
              line << ", " << m.verdict.substr(0, 60);
            line << "; table: " << done.finished << "/" << points.size() << " done (" << done.failed
                 << " failed), elapsed " << t << " s, ETA ~"
                 << (ran > 0 ? t / ran * double(points.size() - done.finished) / groups : 0.0)
                 << " s";
            std::cout << line.str() << std::endl;
          }
      }
    MPI_Comm_free(&comm);
    MPI_Barrier(world);

    // All points are in; the table and the design answer, once.
    if (rank == 0)
      {
        const auto done = rebuild();
        write_sweep_summary(csv_file, (fs::path(dir) / "sweep_summary.json").string(), options.deck,
                            sweep.paths, points.size(), done, std::cout);
      }
    const unsigned int total_ran = dealii::Utilities::MPI::sum(group_root ? ran : 0u, world);
    const unsigned int total_skipped =
        dealii::Utilities::MPI::sum(group_root ? skipped : 0u, world);
    const unsigned int total_failed =
        dealii::Utilities::MPI::sum(group_root ? failed_here : 0u, world);
    if (rank == 0)
      std::cout << "protonfem sweep: ran " << total_ran << " point(s) (" << total_failed
                << " failed), skipped " << total_skipped << " finished earlier; " << csv_file
                << ", " << h5_file << std::endl;
    return 0;
  }
} // namespace protonfem
