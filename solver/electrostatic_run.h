// One `protonfem run`: mesh the device, solve the electrostatics, write the
// ParaView fields and the run summary. Returns the process exit code.
#pragma once

#include "run_parameters.h"

#include <mpi.h>

namespace protonfem
{
  template <int dim> void run_electrostatics(const RunParameters &parameters, MPI_Comm comm);
} // namespace protonfem
