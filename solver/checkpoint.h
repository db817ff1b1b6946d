// Checkpoint and restart of a transient PNP run, and the signals batch
// schedulers send before a time limit.
//
// A checkpoint is a folder CHECKPOINT_DIR = OUTPUT/BASE_checkpoint holding
// one binary file per rank (that rank's owned part of the solver history)
// and state.bin (rank 0: the run loop's state, the per-pulse accounting, the
// snapshot list). It is written as CHECKPOINT_DIR.new and then swapped in by
// renames (old -> .old, .new -> current, .old removed), so a crash while
// writing leaves the previous checkpoint intact; a reader takes the current
// folder, or .old if the crash fell between the two renames. Restart needs
// the same deck and the same number of MPI ranks (the DoF partition is
// rebuilt deterministically from the deck); both are checked.
#pragma once

#include <deal.II/base/parameter_handler.h>
#include <deal.II/grid/tria.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <istream>
#include <mpi.h>
#include <ostream>
#include <string>
#include <vector>

namespace protonfem
{
  struct CheckpointParameters
  {
    unsigned int every_steps   = 0; ///< 0 = off
    double       every_minutes = 0; ///< wall-clock minutes, 0 = off

    static void declare(dealii::ParameterHandler &prm);
    void        parse(dealii::ParameterHandler &prm, const std::string &file);
  };

  /// Little binary archive for plain values and vectors (native byte order:
  /// checkpoints are restarted on the machine type that wrote them).
  class BinaryOut
  {
  public:
    explicit BinaryOut(std::ostream &out) : out(out) {}
    BinaryOut &operator<<(double v);
    BinaryOut &operator<<(std::uint64_t v);
    BinaryOut &operator<<(const std::string &s);
    BinaryOut &operator<<(const std::vector<double> &v);

  private:
    std::ostream &out;
  };

  class BinaryIn
  {
  public:
    explicit BinaryIn(std::istream &in) : in(in) {}
    BinaryIn &operator>>(double &v);
    BinaryIn &operator>>(std::uint64_t &v);
    BinaryIn &operator>>(std::string &s);
    BinaryIn &operator>>(std::vector<double> &v);

  private:
    std::istream &in;
  };

  /// Folder names of the checkpoint of a run.
  std::string checkpoint_directory(const std::string &output_dir, const std::string &base);
  /// This rank's solver-history file inside checkpoint folder @p directory.
  std::string checkpoint_rank_file(const std::string &directory, MPI_Comm comm);
  /// The folder a restart reads (current or, after a crash between renames,
  /// .old); empty if none exists.
  std::string find_checkpoint(const std::string &directory);
  /// Collective: the new checkpoint in directory + ".new" is complete on
  /// every rank; swap it in (rank 0) and wait for it.
  void commit_checkpoint(const std::string &directory, MPI_Comm comm);

  /// This rank's owned cells in one number: a weighted sum of their centres
  /// over @p length. A restart whose partition differs (another
  /// 'Geometry/Partition', another mesh) owns other cells even where the
  /// counts agree; the rank files store it and a restart compares it.
  template <int dim>
  double owned_cells_fingerprint(const dealii::Triangulation<dim> &tria, double length)
  {
    double sum = 0;
    for (const auto &cell : tria.active_cell_iterators())
      if (cell->is_locally_owned())
        for (unsigned int d = 0; d < dim; ++d)
          sum += (1.0 + 0.4142135623730951 * d) * cell->center()[d] / length;
    return sum;
  }

  /// The head of every rank file, written first by PNPSolver::save_history:
  /// the DoF counts and the owned-cells fingerprint. One layout for the
  /// writer, the reader, and the run's early partition check.
  struct RankFileHead
  {
    std::uint64_t n_dofs = 0, n_owned = 0;
    double        cells  = std::nan("");
  };
  inline BinaryOut &operator<<(BinaryOut &out, const RankFileHead &head)
  {
    return out << head.n_dofs << head.n_owned << head.cells;
  }
  inline BinaryIn &operator>>(BinaryIn &in, RankFileHead &head)
  {
    return in >> head.n_dofs >> head.n_owned >> head.cells;
  }

  /// True if the fingerprint stored in a rank file matches this rank's.
  inline bool same_cells(double stored, double here)
  {
    return std::abs(stored - here) <= 1e-9 * std::max(std::abs(here), 1.0);
  }

  /// SIGTERM / SIGUSR1 handling: the handler only sets a flag, which the run
  /// loop polls (collectively) after each accepted step.
  void install_stop_signal_handlers();
  /// The signal received (0 if none) on any rank of @p comm.
  int stop_signal_received(MPI_Comm comm);
} // namespace protonfem
