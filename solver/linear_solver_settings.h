// Settings of the PETSc Krylov solver and preconditioner for the symmetric
// positive definite electrostatics operator, declared once for every solver
// that uses them.
#pragma once

#include <deal.II/base/parameter_handler.h>

#include <string>

namespace protonfem
{
  struct LinearSolverSettings
  {
    std::string  preconditioner     = "amg"; ///< amg | jacobi
    double       relative_tolerance = 1e-12;
    unsigned int max_iterations     = 2000;
    /// BoomerAMG strength threshold; negative = pick by dimension
    /// (0.25 in 1D/2D, 0.7 in 3D, measured in docs/numerics.md).
    double amg_strong_threshold = -1;
    /// Levels of aggressive coarsening; negative = pick by dimension.
    int    amg_aggressive_coarsening_levels = -1;
    double amg_max_row_sum                  = 0.9;

    double strong_threshold(int dim) const
    {
      return amg_strong_threshold >= 0 ? amg_strong_threshold : (dim == 3 ? 0.7 : 0.25);
    }
    unsigned int aggressive_levels(int dim) const
    {
      return amg_aggressive_coarsening_levels >= 0 ? amg_aggressive_coarsening_levels
                                                   : (dim == 3 ? 1 : 0);
    }

    static void declare(dealii::ParameterHandler &prm);
    void        parse(dealii::ParameterHandler &prm);
  };
} // namespace protonfem
