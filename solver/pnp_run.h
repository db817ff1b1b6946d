// One `protonfem run` with Problem = pnp: mesh, equilibrium at the initial
// gate voltage, adaptive BDF time stepping through the gate waveform, a CSV
// time series of the observables, field snapshots and a run summary.
#pragma once

#include "pulse_metrics.h"
#include "run_parameters.h"

#include <mpi.h>
#include <ostream>
#include <stdexcept>

namespace protonfem
{
  /// Runs the deck; progress goes to @p log on the first rank of @p comm.
  /// Returns the design metrics (also written to the summary JSON).
  /// Thrown when SIGTERM/SIGUSR1 stopped the run after writing a checkpoint.
  class RunInterrupted : public std::runtime_error
  {
  public:
    using std::runtime_error::runtime_error;
  };

  /// @p resume: continue from the checkpoint in the output folder.
  template <int dim>
  DesignMetrics run_pnp(const RunParameters &parameters, MPI_Comm comm, std::ostream &log,
                        bool resume = false);
} // namespace protonfem
