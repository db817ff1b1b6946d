// Parallel HDF5 + XDMF output of the electrostatic fields, readable by
// ParaView's XDMF reader: phi, E, |E| (per cell vertex, discontinuous), the
// region id and the MPI rank owning each cell.
#pragma once

#include <deal.II/dofs/dof_handler.h>
#include <deal.II/lac/petsc_vector.h>

#include <string>

namespace protonfem
{
  struct FieldFiles
  {
    std::string h5;
    std::string xdmf;
  };

  /// Writes <directory>/<base>.h5 and <directory>/<base>.xdmf (collective).
  /// Both appear only when complete.
  template <int dim>
  FieldFiles write_electrostatic_fields(const dealii::DoFHandler<dim>            &dofs,
                                        const dealii::PETScWrappers::MPI::Vector &potential,
                                        const std::string &directory, const std::string &base,
                                        double time);
} // namespace protonfem
