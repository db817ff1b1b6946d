// Interpolation operators of a multigrid hierarchy that coarsens a stack
// mesh only along the layers (the lateral directions), never across them.
//
// Why: the stack meshes have cells 200 times thinner across the layers than
// along them at the interfaces. ILU(0) in the plane-by-plane order solves
// each line of nodes across the stack exactly (a chain factors without
// fill), so what it leaves is smooth along the layers but may have any
// profile across them. A coarse level that keeps every plane of nodes and
// drops every other grid line along the layers represents exactly that
// error (semi-coarsening, as for anisotropic diffusion). GAMG's
// aggregation coarsens in every direction at once (10^5 unknowns -> 900).
//
// Requirements: a tensor-product grid (the stack meshes: a subdivided box
// with cells removed), Q1 elements (every DoF at a vertex), the stack
// coordinate the last one. Levels are numbered from the finest (0); level
// s keeps the nodes on every other lateral grid line of level s - 1 (the
// first and last lines always stay), with their DoFs numbered in the order
// of the fine DoFs, so each rank owns a contiguous range on every level.
#pragma once

#include <deal.II/base/index_set.h>
#include <deal.II/base/point.h>

#include <petscmat.h>
#include <vector>

namespace protonfem
{
  /// Interpolation matrices P_1 .. P_n (P_s maps level s to level s - 1,
  /// level 0 being the DoFs of @p owned): bilinear along the layers between
  /// the nearest kept grid lines, within one plane of nodes and one field.
  /// @p points and @p component: the support point and the field of each
  /// owned DoF, in the order of @p owned. Coarsening stops before a level
  /// would have fewer than @p min_coarse_dofs DoFs, when no lateral
  /// direction has more than 3 grid lines left, or after @p max_levels - 1
  /// coarsenings. The caller owns (and destroys) the matrices. Collective.
  template <int dim>
  std::vector<Mat> lateral_interpolations(MPI_Comm comm, const dealii::IndexSet &owned,
                                          const std::vector<dealii::Point<dim>> &points,
                                          const std::vector<unsigned int>       &component,
                                          unsigned int                           max_levels,
                                          unsigned long long                     min_coarse_dofs);
} // namespace protonfem
