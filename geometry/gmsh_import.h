// Import of gmsh meshes: volume physical groups are named after the deck's
// layers (so they take the layer's material and region id), surface groups
// named gate, source, drain, back or insulating become contacts; untagged
// boundary faces are insulating.
#pragma once

#include "geometry_parameters.h"

#include <deal.II/grid/tria.h>

#include <map>
#include <string>
#include <utility>

namespace protonfem
{
  /// $PhysicalNames of an ASCII .msh file: (dimension, tag) -> name.
  std::map<std::pair<int, int>, std::string> read_gmsh_physical_names(const std::string &filename);

  template <int dim>
  void read_gmsh_device(const std::string &filename, const GeometryParameters &geometry,
                        const std::string &deck_file, dealii::Triangulation<dim> &tria);
} // namespace protonfem
