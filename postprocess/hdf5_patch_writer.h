// HDF5 output of a DataOut's patches, one dataset at a time.
#pragma once

#include <deal.II/base/data_out_base.h>
#include <deal.II/numerics/data_out.h>

#include <mpi.h>
#include <string>

namespace protonfem
{
  // Writes the patches that `out` has built (build_patches() called on every
  // rank) to the HDF5 file `file`, collectively over `comm`, in the layout of
  // deal.II's DataOutInterface::write_hdf5_parallel without duplicate-vertex
  // filtering: datasets "nodes" (N x dim), "cells" (uint32, the XDMF vertex
  // order), and one float64 dataset per field (N x 1; vectors N x 3). Every
  // cell has vertices of its own, because E, the densities, region and rank
  // jump across cell faces. Returns the XDMF entry; `name_in_xdmf` is the
  // file name the XDMF refers to (relative, so the folder can move).
  //
  // Why not deal.II's writer: its DataOutFilter keeps every vertex in ordered
  // maps, measured at ~300 B per cell vertex (115 MiB of the 133 MiB that a
  // snapshot added on top of the solver at 1e5 unknowns in 3D,
  // docs/performance.md). Here each dataset is assembled from the patches,
  // written and released before the next (rank-local buffer: N_local x 3
  // doubles at most). The files are the same, dataset by dataset: compared
  // with deal.II's on the 2D/3D reference decks (Q1, 1 and 2 ranks: bitwise)
  // and a 2D Q2 deck (data and cells bitwise, interior patch points within
  // one ulp) when this writer was introduced; test_field_output_layout checks
  // the layout. Vector fields need one name for all their components;
  // tensor fields are not supported (neither occurs in protonfem's output).
  template <int dim>
  dealii::XDMFEntry write_patches_hdf5(const dealii::DataOut<dim> &out, const std::string &file,
                                       const std::string &name_in_xdmf, double time,
                                       MPI_Comm comm);
} // namespace protonfem
