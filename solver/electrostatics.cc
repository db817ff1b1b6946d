#include "electrostatics.h"

#include "mpi_reduce.h"
#include "physical_constants.h"

#include <deal.II/base/quadrature_lib.h>
#include <deal.II/base/utilities.h>
#include <deal.II/dofs/dof_tools.h>
#include <deal.II/fe/fe_values.h>
#include <deal.II/lac/dynamic_sparsity_pattern.h>
#include <deal.II/lac/petsc_precondition.h>
#include <deal.II/lac/petsc_solver.h>
#include <deal.II/lac/sparsity_tools.h>
#include <deal.II/numerics/vector_tools.h>

#include <cmath>
#include <sstream>
#include <stdexcept>

namespace protonfem
{
  using namespace dealii;

  template <int dim>
  ElectrostaticsSolver<dim>::ElectrostaticsSolver(parallel::TriangulationBase<dim> &tria,
                                                  const unsigned int                fe_degree,
                                                  const LinearSolverSettings       &settings,
                                                  TimerOutput &timer, ConditionalOStream &pcout)
      : comm(tria.get_communicator()), tria(tria), fe_q(fe_degree), dofs(tria), settings(settings),
        timer(timer), pcout(pcout)
  {
  }

  template <int dim>
  void ElectrostaticsSolver<dim>::setup(const ElectrostaticsProblem<dim> &problem)
  {
    TimerOutput::Scope t(timer, "electrostatics: setup");
    dofs.distribute_dofs(fe_q);
    owned = dofs.locally_owned_dofs();
    DoFTools::extract_locally_relevant_dofs(dofs, relevant);

    constraints.clear();
    constraints.reinit(relevant);
    DoFTools::make_hanging_node_constraints(dofs, constraints);
    for (const auto &[id, fn] : problem.dirichlet)
      VectorTools::interpolate_boundary_values(dofs, id, *fn, constraints);
    constraints.close();

    DynamicSparsityPattern dsp(relevant);
    DoFTools::make_sparsity_pattern(dofs, dsp, constraints, false);
    SparsityTools::distribute_sparsity_pattern(dsp, owned, comm, relevant);
    matrix.reinit(owned, owned, dsp, comm);
    rhs.reinit(owned, comm);
    ghosted_solution.reinit(owned, relevant, comm);
  }

  template <int dim>
  void ElectrostaticsSolver<dim>::assemble(const ElectrostaticsProblem<dim> &problem)
  {
    TimerOutput::Scope t(timer, "electrostatics: assembly");
    matrix = 0;
    rhs    = 0;
    // Coordinates are in metres; dividing every integral by L^(dim-2) keeps
    // the stiffness entries O(eps_r) whatever the device size.
    const double scale = std::pow(problem.length_scale, 2 - dim);

    const QGauss<dim>                    quadrature(fe_q.degree + 1);
    FEValues<dim>                        fv(fe_q, quadrature,
                                            update_values | update_gradients | update_quadrature_points |
                                                update_JxW_values);
    const unsigned int                   n = fe_q.n_dofs_per_cell();
    FullMatrix<double>                   cell_matrix(n, n);
    Vector<double>                       cell_rhs(n);
    std::vector<types::global_dof_index> indices(n);

    for (const auto &cell : dofs.active_cell_iterators())
      if (cell->is_locally_owned())
        {
          fv.reinit(cell);
          cell_matrix   = 0;
          cell_rhs      = 0;
          const auto id = cell->material_id();
          for (const unsigned int q : fv.quadrature_point_indices())
            {
              const auto  &x   = fv.quadrature_point(q);
              const double eps = problem.relative_permittivity(x, id);
              const double f   = problem.charge_over_eps0 ? problem.charge_over_eps0(x, id) : 0.0;
              const double w   = fv.JxW(q) * scale;
              for (unsigned int i = 0; i < n; ++i)
                {
                  for (unsigned int j = 0; j < n; ++j)
                    cell_matrix(i, j) += eps * fv.shape_grad(i, q) * fv.shape_grad(j, q) * w;
                  cell_rhs(i) += f * fv.shape_value(i, q) * w;
                }
            }
          cell->get_dof_indices(indices);
          constraints.distribute_local_to_global(cell_matrix, cell_rhs, indices, matrix, rhs);
        }
    matrix.compress(VectorOperation::add);
    rhs.compress(VectorOperation::add);
  }

  template <int dim> LinearSolveReport ElectrostaticsSolver<dim>::solve()
  {
    TimerOutput::Scope         t(timer, "electrostatics: linear solve");
    PETScWrappers::MPI::Vector x(owned, comm);
    const double               rhs_norm = rhs.l2_norm();
    // An all-zero right-hand side (no charge, all contacts at 0 V) has the
    // exact solution 0; PETSc would otherwise report a breakdown.
    LinearSolveReport report;
    if (rhs_norm == 0)
      {
        constraints.distribute(x);
        ghosted_solution = x;
        return report;
      }
    SolverControl control(settings.max_iterations, settings.relative_tolerance * rhs_norm, false,
                          false);
    PETScWrappers::SolverCG cg(control, comm);
    try
      {
        if (settings.preconditioner == "amg")
          {
            PETScWrappers::PreconditionBoomerAMG::AdditionalData data;
            data.symmetric_operator               = true;
            data.strong_threshold                 = settings.strong_threshold(dim);
            data.aggressive_coarsening_num_levels = settings.aggressive_levels(dim);
            data.max_row_sum                      = settings.amg_max_row_sum;
            PETScWrappers::PreconditionBoomerAMG amg(matrix, data);
            cg.solve(matrix, x, rhs, amg);
          }
        else
          {
            PETScWrappers::PreconditionJacobi jacobi(matrix);
            cg.solve(matrix, x, rhs, jacobi);
          }
      }
    catch (const SolverControl::NoConvergence &e)
      {
        std::ostringstream s;
        s << "electrostatics: CG did not converge in " << e.last_step << " iterations (residual "
          << e.last_residual << ", target " << control.tolerance()
          << "); raise 'Electrostatics/Linear solver/Max iterations' or try "
             "'Preconditioner = amg' with another 'AMG strong threshold'";
        throw std::runtime_error(s.str());
      }
    report.iterations     = control.last_step();
    report.final_residual = control.last_value() / rhs_norm;
    constraints.distribute(x);
    ghosted_solution = x;
    return report;
  }

  template <int dim> double ElectrostaticsSolver<dim>::l2_error(const Function<dim> &exact) const
  {
    const QGauss<dim>   quadrature(fe_q.degree + 2);
    FEValues<dim>       fv(fe_q, quadrature,
                           update_values | update_quadrature_points | update_JxW_values);
    std::vector<double> values(quadrature.size());
    double              local = 0;
    for (const auto &cell : dofs.active_cell_iterators())
      if (cell->is_locally_owned())
        {
          fv.reinit(cell);
          fv.get_function_values(ghosted_solution, values);
          for (const unsigned int q : fv.quadrature_point_indices())
            {
              const double e = values[q] - exact.value(fv.quadrature_point(q));
              local += e * e * fv.JxW(q);
            }
        }
    return std::sqrt(Utilities::MPI::sum(local, comm));
  }

  template <int dim>
  std::vector<double>
  ElectrostaticsSolver<dim>::peak_field_per_region(const unsigned int n_regions) const
  {
    const QGaussLobatto<dim>    quadrature(fe_q.degree + 1);
    FEValues<dim>               fv(fe_q, quadrature, update_gradients);
    std::vector<Tensor<1, dim>> grads(quadrature.size());
    std::vector<double>         peak(n_regions, 0.0);
    for (const auto &cell : dofs.active_cell_iterators())
      if (cell->is_locally_owned() && cell->material_id() < n_regions)
        {
          fv.reinit(cell);
          fv.get_function_gradients(ghosted_solution, grads);
          for (const auto &g : grads)
            peak[cell->material_id()] = std::max(peak[cell->material_id()], g.norm());
        }
    return all_max(peak, comm);
  }

  template <int dim>
  std::vector<Tensor<1, dim>>
  ElectrostaticsSolver<dim>::mean_field_per_region(const unsigned int n_regions) const
  {
    const QGauss<dim>           quadrature(fe_q.degree + 1);
    FEValues<dim>               fv(fe_q, quadrature, update_gradients | update_JxW_values);
    std::vector<Tensor<1, dim>> grads(quadrature.size());
    std::vector<double>         sums(n_regions * dim, 0.0);
    for (const auto &cell : dofs.active_cell_iterators())
      if (cell->is_locally_owned() && cell->material_id() < n_regions)
        {
          fv.reinit(cell);
          fv.get_function_gradients(ghosted_solution, grads);
          for (const unsigned int q : fv.quadrature_point_indices())
            for (unsigned int d = 0; d < dim; ++d)
              sums[cell->material_id() * dim + d] -= grads[q][d] * fv.JxW(q);
        }
    sums                               = all_sum(sums, comm);
    const auto                  volume = volume_per_region(n_regions);
    std::vector<Tensor<1, dim>> mean(n_regions);
    for (unsigned int r = 0; r < n_regions; ++r)
      for (unsigned int d = 0; d < dim; ++d)
        mean[r][d] = volume[r] > 0 ? sums[r * dim + d] / volume[r] : 0.0;
    return mean;
  }

  template <int dim>
  std::vector<double>
  ElectrostaticsSolver<dim>::volume_per_region(const unsigned int n_regions) const
  {
    std::vector<double> v(n_regions, 0.0);
    for (const auto &cell : tria.active_cell_iterators())
      if (cell->is_locally_owned() && cell->material_id() < n_regions)
        v[cell->material_id()] += cell->measure();
    return all_sum(v, comm);
  }

  template <int dim>
  double ElectrostaticsSolver<dim>::energy(const ElectrostaticsProblem<dim> &problem) const
  {
    const QGauss<dim>           quadrature(fe_q.degree + 1);
    FEValues<dim>               fv(fe_q, quadrature,
                                   update_gradients | update_quadrature_points | update_JxW_values);
    std::vector<Tensor<1, dim>> grads(quadrature.size());
    double                      local = 0;
    for (const auto &cell : dofs.active_cell_iterators())
      if (cell->is_locally_owned())
        {
          fv.reinit(cell);
          fv.get_function_gradients(ghosted_solution, grads);
          for (const unsigned int q : fv.quadrature_point_indices())
            local += 0.5 * constants::vacuum_permittivity *
                     problem.relative_permittivity(fv.quadrature_point(q), cell->material_id()) *
                     grads[q].norm_square() * fv.JxW(q);
        }
    return Utilities::MPI::sum(local, comm);
  }

  template class ElectrostaticsSolver<1>;
  template class ElectrostaticsSolver<2>;
  template class ElectrostaticsSolver<3>;
} // namespace protonfem
