// Boundary and region id conventions shared by the mesh builders, the solvers
// and the writers. Region id (deal.II material_id) = index of the layer in the
// deck's layer table, counted from the bottom of the stack.
#pragma once

#include <deal.II/base/types.h>

#include <string>

namespace protonfem::boundary_ids
{
  constexpr dealii::types::boundary_id insulating = 0; ///< natural: no flux, no normal D
  constexpr dealii::types::boundary_id gate       = 1; ///< Pd gate / proton reservoir
  constexpr dealii::types::boundary_id source     = 2; ///< source contact on the channel
  constexpr dealii::types::boundary_id drain      = 3; ///< drain contact on the channel
  constexpr dealii::types::boundary_id back       = 4; ///< back contact under the substrate
  constexpr unsigned int               n_ids      = 5;

  inline std::string name(const dealii::types::boundary_id id)
  {
    switch (id)
      {
      case insulating:
        return "insulating";
      case gate:
        return "gate";
      case source:
        return "source";
      case drain:
        return "drain";
      case back:
        return "back";
      default:
        return "unknown";
      }
  }
} // namespace protonfem::boundary_ids
