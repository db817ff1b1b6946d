#include "conductance.h"

#include "../geometry/boundary_ids.h"

#include <deal.II/base/mpi.h>
#include <deal.II/base/quadrature_lib.h>
#include <deal.II/base/tensor.h>
#include <deal.II/dofs/dof_tools.h>
#include <deal.II/fe/fe_nothing.h>
#include <deal.II/fe/fe_q.h>
#include <deal.II/lac/dynamic_sparsity_pattern.h>
#include <deal.II/lac/petsc_precondition.h>
#include <deal.II/lac/petsc_solver.h>
#include <deal.II/lac/sparsity_tools.h>
#include <deal.II/numerics/vector_tools.h>

#include <cmath>
#include <stdexcept>

namespace protonfem
{
  using namespace dealii;

  namespace
  {
    /// Above this many unknowns the read-out uses CG + BoomerAMG instead of
    /// MUMPS. The channel is thin and strongly graded with sigma varying by
    /// orders of magnitude across it: a direct solve is exact and, at the
    /// sizes of device meshes, cheaper than tuning AMG for that anisotropy.
    constexpr types::global_dof_index direct_limit = 200000;
  } // namespace

  template <int dim>
  ConductanceSolver<dim>::ConductanceSolver(
      const parallel::TriangulationBase<dim>                       &tria,
      std::vector<std::shared_ptr<const ElectronicConductivityLaw>> laws,
      std::vector<double> tungsten_density, const double read_voltage, const double length,
      const double width)
      : comm(tria.get_communicator()), tria(tria), laws(std::move(laws)),
        tungsten_density(std::move(tungsten_density)), read_voltage(read_voltage), length(length),
        width(width), dofs(tria)
  {
  }

  template <int dim> void ConductanceSolver<dim>::setup()
  {
    if constexpr (dim == 1)
      return;
    fe.push_back(FE_Q<dim>(1));
    fe.push_back(FE_Nothing<dim>());
    for (const auto &cell : dofs.active_cell_iterators())
      if (cell->is_locally_owned())
        cell->set_active_fe_index(laws.at(cell->material_id()) ? 0 : 1);
    dofs.distribute_dofs(fe);
    owned = dofs.locally_owned_dofs();
    DoFTools::extract_locally_relevant_dofs(dofs, relevant);
    drain_dofs  = DoFTools::extract_boundary_dofs(dofs, ComponentMask(), {boundary_ids::drain});
    source_dofs = DoFTools::extract_boundary_dofs(dofs, ComponentMask(), {boundary_ids::source});
    if (Utilities::MPI::sum(drain_dofs.n_elements(), comm) == 0 ||
        Utilities::MPI::sum(source_dofs.n_elements(), comm) == 0)
      throw std::invalid_argument(
          "the conductance read-out needs source and drain contacts on a conducting layer "
          "(a material with an 'Electronic conductivity law')");

    constraints.clear();
    constraints.reinit(relevant);
    DoFTools::make_hanging_node_constraints(dofs, constraints);
    VectorTools::interpolate_boundary_values(
        dofs, boundary_ids::drain, Functions::ConstantFunction<dim>(read_voltage), constraints);
    VectorTools::interpolate_boundary_values(dofs, boundary_ids::source,
                                             Functions::ZeroFunction<dim>(), constraints);
    constraints.close();

    DynamicSparsityPattern dsp(relevant);
    DoFTools::make_sparsity_pattern(dofs, dsp, constraints, false);
    SparsityTools::distribute_sparsity_pattern(dsp, owned, comm, relevant);
    matrix.reinit(owned, owned, dsp, comm);
  }

  template <int dim>
  ConductanceResult ConductanceSolver<dim>::compute(const DensityFunction &density) const
  {
    ConductanceResult   result;
    const QGauss<dim>   quadrature(2);
    std::vector<double> c(quadrature.size());

    if constexpr (dim == 1)
      {
        // Sheet conductance of the conducting layers: G = W/L int sigma dz.
        const FE_Q<dim> linear(1);
        FEValues<dim>   fv(linear, quadrature, update_JxW_values);
        double          sheet = 0;
        for (const auto &cell : tria.active_cell_iterators())
          if (cell->is_locally_owned() && laws.at(cell->material_id()))
            {
              fv.reinit(cell);
              density(cell, quadrature, c);
              const auto  &law = *laws[cell->material_id()];
              const double cw  = tungsten_density[cell->material_id()];
              for (unsigned int q = 0; q < quadrature.size(); ++q)
                sheet += law.conductivity(c[q] / cw) * fv.JxW(q);
            }
        sheet                 = Utilities::MPI::sum(sheet, comm);
        result.conductance    = sheet * width / length;
        result.current        = result.conductance * read_voltage;
        result.source_current = result.current;
        return result;
      }
    else
      {
        const FiniteElement<dim>            &fe_q = fe[0];
        FEValues<dim>                        fv(fe_q, quadrature,
                                                update_gradients | update_JxW_values | update_jacobians |
                                                    update_inverse_jacobians);
        const unsigned int                   n = fe_q.n_dofs_per_cell();
        std::vector<double>                  s(quadrature.size());
        std::vector<Tensor<1, dim>>          g(n);
        FullMatrix<double>                   local(n, n);
        Vector<double>                       local_rhs(n);
        std::vector<types::global_dof_index> idx(n);

        PETScWrappers::MPI::Vector rhs(owned, comm), psi(owned, comm);
        matrix = 0;
        // Conductivity per cell is kept for the flux evaluation below.
        std::vector<FullMatrix<double>> cell_matrices;
        for (const auto &cell : dofs.active_cell_iterators())
          if (cell->is_locally_owned() && cell->active_fe_index() == 0)
            {
              fv.reinit(cell);
              density(cell, quadrature, c);
              const auto  &law = *laws[cell->material_id()];
              const double cw  = tungsten_density[cell->material_id()];
              local            = 0;
              local_rhs        = 0;
              for (unsigned int q = 0; q < quadrature.size(); ++q)
                s[q] = law.conductivity(c[q] / cw);
              for (unsigned int q = 0; q < quadrature.size(); ++q)
                {
                  // Series rule: along each cell direction d the conductivity
                  // is the harmonic mean of the two Gauss points on the line
                  // through q (QGauss(2) is a tensor product, direction d
                  // flips bit d of q). A cell whose sigma spans many orders
                  // along the current conducts like resistors in series; the
                  // arithmetic quadrature mean would let one saturated node
                  // short a whole cell (docs/numerics.md, "Conductance
                  // read-out"). Uniform sigma along d: the plain value.
                  // B = J^-T D^(1/2) J^T applies D = diag(sigma_d) in the
                  // cell's own directions; on axis-aligned cells B = D^(1/2).
                  Tensor<1, dim> root;
                  for (unsigned int d = 0; d < dim; ++d)
                    {
                      const double a = s[q], b = s[q ^ (1u << d)];
                      root[d] = a + b > 0 ? std::sqrt(2 * a * b / (a + b)) : 0.0;
                    }
                  const Tensor<2, dim> J    = Tensor<2, dim>(fv.jacobian(q));
                  const Tensor<2, dim> Jinv = Tensor<2, dim>(fv.inverse_jacobian(q));
                  for (unsigned int i = 0; i < n; ++i)
                    {
                      Tensor<1, dim> r = transpose(J) * fv.shape_grad(i, q);
                      for (unsigned int d = 0; d < dim; ++d)
                        r[d] *= root[d];
                      g[i] = transpose(Jinv) * r;
                    }
                  for (unsigned int i = 0; i < n; ++i)
                    for (unsigned int j = 0; j < n; ++j)
                      local(i, j) += fv.JxW(q) * (g[i] * g[j]);
                }
              cell_matrices.push_back(local);
              cell->get_dof_indices(idx);
              constraints.distribute_local_to_global(local, local_rhs, idx, matrix, rhs);
            }
        matrix.compress(VectorOperation::add);
        rhs.compress(VectorOperation::add);

        if (dofs.n_dofs() <= direct_limit)
          {
            SolverControl                    control(1, 0);
            PETScWrappers::SparseDirectMUMPS direct(control, comm);
            direct.solve(matrix, psi, rhs);
            result.cg_iterations = 0;
          }
        else
          {
            SolverControl           control(2000, 1e-12 * rhs.l2_norm(), false, false);
            PETScWrappers::SolverCG cg(control, comm);
            PETScWrappers::PreconditionBoomerAMG::AdditionalData data;
            data.symmetric_operator = true;
            data.strong_threshold   = dim == 3 ? 0.7 : 0.25;
            PETScWrappers::PreconditionBoomerAMG amg(matrix, data);
            cg.solve(matrix, psi, rhs, amg);
            result.cg_iterations = control.last_step();
          }
        constraints.distribute(psi);
        PETScWrappers::MPI::Vector ghosted(owned, relevant, comm);
        ghosted = psi;

        // Consistent flux: residual of the unconstrained operator, summed over
        // the drain (and, as a check, the source) DoFs.
        PETScWrappers::MPI::Vector residual(owned, comm);
        Vector<double>             values(n), flux(n);
        unsigned int               k = 0;
        for (const auto &cell : dofs.active_cell_iterators())
          if (cell->is_locally_owned() && cell->active_fe_index() == 0)
            {
              cell->get_dof_indices(idx);
              for (unsigned int i = 0; i < n; ++i)
                values(i) = ghosted(idx[i]);
              cell_matrices[k++].vmult(flux, values);
              residual.add(idx, flux);
            }
        residual.compress(VectorOperation::add);
        double drain = 0, source = 0;
        for (const auto i : drain_dofs)
          if (owned.is_element(i))
            drain += residual(i);
        for (const auto i : source_dofs)
          if (owned.is_element(i))
            source -= residual(i);
        const double depth    = dim == 2 ? width : 1.0;
        result.current        = Utilities::MPI::sum(drain, comm) * depth;
        result.source_current = Utilities::MPI::sum(source, comm) * depth;
        result.conductance    = result.current / read_voltage;
        return result;
      }
  }

  template class ConductanceSolver<1>;
  template class ConductanceSolver<2>;
  template class ConductanceSolver<3>;
} // namespace protonfem
