// Facts about a built device mesh that the run drivers check before solving:
// which contacts exist and how many cells each layer (region) has.
#pragma once

#include "geometry_parameters.h"

#include <deal.II/grid/tria.h>

#include <mpi.h>
#include <set>
#include <vector>

namespace protonfem
{
  /// Boundary ids present on the mesh, over all ranks.
  template <int dim>
  std::set<dealii::types::boundary_id> boundary_ids_present(const dealii::Triangulation<dim> &tria,
                                                            MPI_Comm                          comm);

  /// Cells per region over all ranks; throws InputError naming the deck if a
  /// layer has no cells (e.g. a gmsh file without that physical group).
  template <int dim>
  std::vector<unsigned int> cells_per_layer(const dealii::Triangulation<dim> &tria,
                                            const GeometryParameters         &geometry,
                                            const std::string &deck, MPI_Comm comm);
} // namespace protonfem
