// One `protonfem run` with Problem = pnp: mesh, equilibrium at the initial
// gate voltage, adaptive BDF time stepping through the gate waveform, a CSV
// time series of the observables, field snapshots and a run summary.
#pragma once

#include "run_parameters.h"

#include <mpi.h>

namespace protonfem
{
  template <int dim> void run_pnp(const RunParameters &parameters, MPI_Comm comm);
} // namespace protonfem
