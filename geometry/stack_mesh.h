// Builds the device mesh from the layer table: a tensor-product mesh graded
// towards every interface in the stacking direction (the last coordinate:
// x in 1D, y in 2D, z in 3D), with region id = layer index and boundary ids
// from boundary_ids.h. 1D is the vertical line through the gate centre, 2D
// the cross-section along the channel, 3D the full device.
#pragma once

#include "geometry_parameters.h"

#include <deal.II/distributed/tria_base.h>
#include <deal.II/grid/tria.h>

#include <memory>
#include <mpi.h>
#include <vector>

namespace protonfem
{
  /// Cell sizes across one layer: @p interface_size at both faces, growing by
  /// @p ratio towards the middle, capped at @p max_size, summing exactly to
  /// @p thickness.
  std::vector<double> graded_cell_sizes(double thickness, double interface_size, double max_size,
                                        double ratio);

  /// Uniform subdivision of the intervals between sorted @p breakpoints, no
  /// cell larger than @p max_size.
  std::vector<double> interval_cell_sizes(std::vector<double> breakpoints, double max_size);

  /// Fill @p tria (empty) with the stack; sets region and boundary ids on the
  /// coarse mesh and then applies the deck's global refinements.
  template <int dim>
  void build_stack_mesh(const GeometryParameters &geometry, dealii::Triangulation<dim> &tria);

  /// Re-derive boundary ids from positions (used after gmsh import too, for
  /// faces the file leaves untagged).
  template <int dim>
  void set_stack_boundary_ids(const GeometryParameters &geometry, dealii::Triangulation<dim> &tria);

  /// The parallel triangulation used in each dimension: p4est in 2D/3D, a
  /// shared (replicated, partitioned) one in 1D where p4est does not exist.
  template <int dim>
  std::unique_ptr<dealii::parallel::TriangulationBase<dim>>
  make_parallel_triangulation(MPI_Comm comm);

  /// Builds the device mesh (stack or gmsh) into a new parallel triangulation.
  /// @p deck_file anchors relative mesh paths and names the file in errors.
  template <int dim>
  std::unique_ptr<dealii::parallel::TriangulationBase<dim>>
  create_device_mesh(const GeometryParameters &geometry, const std::string &deck_file,
                     MPI_Comm comm);
} // namespace protonfem
