// 1D field output. deal.II's parallel HDF5 writer needs space dimension >= 2,
// so the 1D model (a vertical line through the gate) is written here: data
// gathered to rank 0, one HDF5 file and an XDMF "Polyline" grid placed along
// the z axis, so ParaView shows it like a line cut through the 3D device.
#pragma once

#include "field_writer.h"

#include <deal.II/dofs/dof_handler.h>
#include <deal.II/lac/petsc_vector.h>

namespace protonfem
{
  FieldFiles write_line_fields(const dealii::DoFHandler<1>              &dofs,
                               const dealii::PETScWrappers::MPI::Vector &potential,
                               const std::string &directory, const std::string &base, double time);
} // namespace protonfem
