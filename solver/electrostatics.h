// MPI-parallel finite-element solve of -div(eps grad phi) = rho on the device
// (step-40 structure: p4est/shared mesh, PETSc matrices, CG + BoomerAMG).
// The problem (permittivity, charge, Dirichlet data) comes in as callbacks so
// the same code serves the device and the manufactured-solution tests.
#pragma once

#include "linear_solver_settings.h"

#include <deal.II/base/conditional_ostream.h>
#include <deal.II/base/function.h>
#include <deal.II/base/index_set.h>
#include <deal.II/base/timer.h>
#include <deal.II/distributed/tria_base.h>
#include <deal.II/dofs/dof_handler.h>
#include <deal.II/fe/fe_q.h>
#include <deal.II/lac/affine_constraints.h>
#include <deal.II/lac/petsc_sparse_matrix.h>
#include <deal.II/lac/petsc_vector.h>

#include <functional>
#include <map>
#include <memory>
#include <vector>

namespace protonfem
{
  template <int dim> struct ElectrostaticsProblem
  {
    /// Relative permittivity at a point of a cell with the given region id.
    std::function<double(const dealii::Point<dim> &, dealii::types::material_id)>
        relative_permittivity;
    /// Charge density divided by eps0 [V/m^2] (so that -div(eps_r grad phi) = this).
    std::function<double(const dealii::Point<dim> &, dealii::types::material_id)> charge_over_eps0;
    /// Dirichlet potential [V] per boundary id; every other boundary is natural
    /// (insulating: eps dphi/dn = 0).
    std::map<dealii::types::boundary_id, std::shared_ptr<const dealii::Function<dim>>> dirichlet;
    /// Length unit of the coordinates relative to which the system is scaled
    /// (1e-9 for device meshes in m): stiffness entries then are O(eps_r).
    double length_scale = 1.0;
  };

  struct LinearSolveReport
  {
    unsigned int iterations     = 0;
    double       final_residual = 0;
  };

  template <int dim> class ElectrostaticsSolver
  {
  public:
    ElectrostaticsSolver(dealii::parallel::TriangulationBase<dim> &tria, unsigned int fe_degree,
                         const LinearSolverSettings &settings, dealii::TimerOutput &timer,
                         dealii::ConditionalOStream &pcout);

    /// Distribute DoFs, build constraints and the sparsity pattern.
    void setup(const ElectrostaticsProblem<dim> &problem);
    void assemble(const ElectrostaticsProblem<dim> &problem);
    /// Throws std::runtime_error (naming iterations and residual) on failure.
    LinearSolveReport solve();

    const dealii::DoFHandler<dim> &dof_handler() const { return dofs; }
    const dealii::FE_Q<dim>       &fe() const { return fe_q; }
    /// Solution with ghost entries (readable on locally relevant DoFs).
    const dealii::PETScWrappers::MPI::Vector &solution() const { return ghosted_solution; }
    dealii::types::global_dof_index           n_dofs() const { return dofs.n_dofs(); }

    /// ||phi_h - phi||_{L2} with a (degree+2)-point Gauss rule.
    double l2_error(const dealii::Function<dim> &exact) const;
    /// Largest |E| = |grad phi_h| per region id (over the cell vertices /
    /// Gauss-Lobatto points, where a polynomial gradient peaks), all ranks.
    std::vector<double> peak_field_per_region(unsigned int n_regions) const;
    /// Mean field vector over each region (volume average of -grad phi).
    std::vector<dealii::Tensor<1, dim>> mean_field_per_region(unsigned int n_regions) const;
    /// Volume per region [m^dim], all ranks.
    std::vector<double> volume_per_region(unsigned int n_regions) const;
    /// Electrostatic energy (1/2) int eps |grad phi|^2 [J/m^(3-dim)].
    double energy(const ElectrostaticsProblem<dim> &problem) const;

  private:
    MPI_Comm                                  comm;
    dealii::parallel::TriangulationBase<dim> &tria;
    dealii::FE_Q<dim>                         fe_q;
    dealii::DoFHandler<dim>                   dofs;
    LinearSolverSettings                      settings;
    dealii::TimerOutput                      &timer;
    dealii::ConditionalOStream               &pcout;

    dealii::IndexSet                         owned, relevant;
    dealii::AffineConstraints<double>        constraints;
    dealii::PETScWrappers::MPI::SparseMatrix matrix;
    dealii::PETScWrappers::MPI::Vector       rhs, ghosted_solution;
  };
} // namespace protonfem
