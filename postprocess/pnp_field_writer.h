// Field snapshots of a PNP run as one ParaView time series: per snapshot an
// HDF5 file (phi [V], E [V/m], |E|, proton density c [m^-3], proton flux
// [1/(m^2 s)], region id, MPI rank) and one XDMF file listing them all,
// rewritten atomically after each snapshot. 1D runs write CSV profiles.
#pragma once

#include "../solver/pnp_solver.h"

#include <deal.II/base/data_out_base.h>

#include <string>
#include <vector>

namespace protonfem
{
  template <int dim> class PNPFieldWriter
  {
  public:
    PNPFieldWriter(std::string directory, std::string base);
    /// Collective. Returns the file written.
    std::string write(const PNPSolver<dim> &solver, double time);
    /// The list of snapshots written so far (for a checkpoint; rank 0 writes).
    std::string state() const;
    void        set_state(const std::string &s);

  private:
    std::string                    directory, base;
    unsigned int                   count = 0;
    std::vector<dealii::XDMFEntry> entries;
  };
} // namespace protonfem
