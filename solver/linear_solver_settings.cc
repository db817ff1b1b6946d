#include "linear_solver_settings.h"

namespace protonfem
{
  namespace Patterns = dealii::Patterns;

  void LinearSolverSettings::declare(dealii::ParameterHandler &prm)
  {
    prm.enter_subsection("Linear solver");
    prm.declare_entry(
        "Preconditioner", "amg", Patterns::Selection("amg|jacobi"),
        "Preconditioner of the conjugate-gradient solve: amg (hypre BoomerAMG) or jacobi.");
    prm.declare_entry(
        "Relative tolerance", "1e-12", Patterns::Double(1e-16, 1e-2),
        "Stop when the residual norm falls below this times the right-hand side norm.");
    prm.declare_entry("Max iterations", "2000", Patterns::Integer(1, 1000000),
                      "Iteration limit; "
                      "exceeding it is a solver failure.");
    prm.declare_entry("AMG strong threshold", "-1", Patterns::Double(-1, 1),
                      "BoomerAMG strength threshold in [0, 1); -1 = 0.25 in 1D/2D and 0.7 in 3D.");
    prm.declare_entry("AMG aggressive coarsening levels", "-1", Patterns::Integer(-1, 20),
                      "BoomerAMG levels of aggressive coarsening; -1 = 0 in 1D/2D and 1 in 3D.");
    prm.declare_entry("AMG max row sum", "0.9", Patterns::Double(0, 1),
                      "BoomerAMG max row sum (1 disables the dependency weakening).");
    prm.leave_subsection();
  }

  void LinearSolverSettings::parse(dealii::ParameterHandler &prm)
  {
    prm.enter_subsection("Linear solver");
    preconditioner                   = prm.get("Preconditioner");
    relative_tolerance               = prm.get_double("Relative tolerance");
    max_iterations                   = prm.get_integer("Max iterations");
    amg_strong_threshold             = prm.get_double("AMG strong threshold");
    amg_aggressive_coarsening_levels = prm.get_integer("AMG aggressive coarsening levels");
    amg_max_row_sum                  = prm.get_double("AMG max row sum");
    prm.leave_subsection();
  }
} // namespace protonfem
