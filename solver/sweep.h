// `protonfem sweep DECK.prm`: run the deck at every point of the Cartesian
// product of the values in its `Sweep` subsection (e.g. PSG thickness x gate
// voltage) and tabulate the design metrics of each point.
//
// Under mpirun the ranks are split into groups of --ranks-per-run ranks that
// work through the points concurrently (point i goes to group i mod groups).
// Each finished point leaves its row in points/pNNNN/row.csv; the tables
// sweep.csv and sweep.h5 are rebuilt from all rows under a file lock after
// every point, so they always hold every finished point, and a re-run skips
// points whose row exists for the same parameter values. A point that fails
// numerically is recorded with its error and the others go on.
#pragma once

#include <mpi.h>
#include <string>
#include <vector>

namespace protonfem
{
  struct SweepOptions
  {
    std::string  deck;
    unsigned int ranks_per_run = 1;
    bool         retry_failed  = false; ///< also from the deck's Sweep/Retry failed points
  };

  /// Returns the process exit code contribution: 0 if every point ran (ok or
  /// failed points recorded), throws InputError on a bad deck or sweep.
  int run_sweep(const SweepOptions &options, MPI_Comm comm);
} // namespace protonfem
