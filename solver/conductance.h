// Channel conductance read-out: the source-drain conductance of the
// electronically conducting layers (HxWO3) for the present proton
// distribution.
//
// 2D/3D: solve div(sigma_e(x) grad psi) = 0 in the conducting layers only
// (FE_Q there, FE_Nothing elsewhere, so no unknowns are spent on the rest of
// the device), psi = V_read on the drain and 0 on the source, all other
// faces insulating; I_sd is the consistent flux (the residual of the
// unconstrained operator summed over the drain DoFs), G = I_sd / V_read.
// In each cell sigma along a cell direction is the harmonic mean of the two
// Gauss-point values on that line (resistors in series): sigma_e = sigma0
// e^(42.2 x) spans 1e18 between a saturated node and an empty one, and the
// plain Gauss-point (arithmetic) mean let one saturated node short a whole
// cell between a contact and the proton-filled interface sheet.
// 1D has no lateral direction: the sheet conductance G_sq = int sigma_e dz of
// the conducting layers times W/L of the device is reported.
// G is in S for the device: the 2D current per metre of depth is multiplied by
// Device width.
#pragma once

#include "../materials/property_laws.h"

#include <deal.II/base/index_set.h>
#include <deal.II/base/quadrature.h>
#include <deal.II/distributed/tria_base.h>
#include <deal.II/dofs/dof_handler.h>
#include <deal.II/fe/fe_values.h>
#include <deal.II/hp/fe_collection.h>
#include <deal.II/lac/affine_constraints.h>
#include <deal.II/lac/petsc_sparse_matrix.h>
#include <deal.II/lac/petsc_vector.h>

#include <functional>
#include <memory>
#include <vector>

namespace protonfem
{
  struct ConductanceResult
  {
    double       conductance    = 0; ///< G [S]
    double       current        = 0; ///< I_sd at V_read [A] (2D: per device width, i.e. A)
    double       source_current = 0; ///< the same flux taken at the source (conservation check)
    unsigned int cg_iterations  = 0;
  };

  template <int dim> class ConductanceSolver
  {
  public:
    /// Proton density [m^-3] at the points of @p fe_values (reinit'ed on a
    /// conducting cell) into @p density.
    using DensityFunction = std::function<void(
        const typename dealii::Triangulation<dim>::active_cell_iterator &cell,
        const dealii::Quadrature<dim> &quadrature, std::vector<double> &density)>;

    /// @p laws[material_id]: the layer's conductivity law or nullptr (not
    /// conducting); @p tungsten_density[material_id]: c_W [m^-3] for x = c_H/c_W.
    /// @p length and @p width: the device's W and L for the 1D sheet and the
    /// 2D depth (@p length is the source-drain distance used in 1D).
    ConductanceSolver(const dealii::parallel::TriangulationBase<dim>               &tria,
                      std::vector<std::shared_ptr<const ElectronicConductivityLaw>> laws,
                      std::vector<double> tungsten_density, double read_voltage, double length,
                      double width);

    /// Distribute DoFs and build the sparsity (2D/3D); call once per mesh.
    void              setup();
    ConductanceResult compute(const DensityFunction &density) const;
    unsigned int      n_dofs() const { return dim == 1 ? 0 : dofs.n_dofs(); }

  private:
    MPI_Comm                                                      comm;
    const dealii::parallel::TriangulationBase<dim>               &tria;
    std::vector<std::shared_ptr<const ElectronicConductivityLaw>> laws;
    std::vector<double>                                           tungsten_density;
    double                                                        read_voltage, length, width;

    dealii::hp::FECollection<dim>                    fe;
    dealii::DoFHandler<dim>                          dofs;
    dealii::IndexSet                                 owned, relevant, drain_dofs, source_dofs;
    dealii::AffineConstraints<double>                constraints;
    mutable dealii::PETScWrappers::MPI::SparseMatrix matrix;
  };
} // namespace protonfem
