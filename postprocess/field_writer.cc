#include "field_writer.h"

#include "atomic_file.h"
#include "hdf5_patch_writer.h"
#include "line_writer.h"

#include <deal.II/base/mpi.h>
#include <deal.II/numerics/data_out.h>
#include <deal.II/numerics/data_postprocessor.h>

#include <filesystem>

namespace protonfem
{
  using namespace dealii;

  namespace
  {
    /// E = -grad phi as a vector and |E| as a scalar, from the potential.
    template <int dim> class ElectricField : public DataPostprocessor<dim>
    {
    public:
      void evaluate_scalar_field(const DataPostprocessorInputs::Scalar<dim> &in,
                                 std::vector<Vector<double>>                &out) const override
      {
        for (unsigned int p = 0; p < in.solution_gradients.size(); ++p)
          {
            for (unsigned int d = 0; d < dim; ++d)
              out[p][d] = -in.solution_gradients[p][d];
            out[p][dim] = in.solution_gradients[p].norm();
          }
      }
      std::vector<std::string> get_names() const override
      {
        std::vector<std::string> n(dim, "E");
        n.push_back("E_magnitude");
        return n;
      }
      std::vector<DataComponentInterpretation::DataComponentInterpretation>
      get_data_component_interpretation() const override
      {
        std::vector<DataComponentInterpretation::DataComponentInterpretation> i(
            dim, DataComponentInterpretation::component_is_part_of_vector);
        i.push_back(DataComponentInterpretation::component_is_scalar);
        return i;
      }
      UpdateFlags get_needed_update_flags() const override { return update_gradients; }
    };
  } // namespace

  template <int dim>
  FieldFiles write_electrostatic_fields(const DoFHandler<dim>            &dofs,
                                        const PETScWrappers::MPI::Vector &potential,
                                        const std::string &directory, const std::string &base,
                                        const double time)
  {
    const MPI_Comm comm = dofs.get_triangulation().get_communicator();
    const auto    &tria = dofs.get_triangulation();

    Vector<float>      region(tria.n_active_cells()), rank(tria.n_active_cells());
    const unsigned int my_rank = Utilities::MPI::this_mpi_process(comm);
    for (const auto &cell : tria.active_cell_iterators())
      if (cell->is_locally_owned())
        {
          region[cell->active_cell_index()] = cell->material_id();
          rank[cell->active_cell_index()]   = my_rank;
        }

    ElectricField<dim> field;
    DataOut<dim>       out;
    out.attach_dof_handler(dofs);
    out.add_data_vector(potential, "phi");
    out.add_data_vector(potential, field);
    out.add_data_vector(region, "region_id", DataOut<dim>::type_cell_data);
    out.add_data_vector(rank, "mpi_rank", DataOut<dim>::type_cell_data);
    out.build_patches(dofs.get_fe().degree);

    // Vertices are not merged: E, region and rank jump across cell faces and
    // would be averaged (wrongly) at shared vertices otherwise
    // (hdf5_patch_writer.h: why not deal.II's HDF5 writer).
    const std::string h5    = (std::filesystem::path(directory) / (base + ".h5")).string();
    const std::string xdmf  = (std::filesystem::path(directory) / (base + ".xdmf")).string();
    const std::string h5tmp = temporary_name(h5), xdmftmp = temporary_name(xdmf);
    // The XDMF refers to the final HDF5 name, relative, so the folder can move.
    std::vector<XDMFEntry> entries{write_patches_hdf5(out, h5tmp, base + ".h5", time, comm)};
    out.write_xdmf_file(entries, xdmftmp, comm);
    MPI_Barrier(comm);
    if (my_rank == 0)
      {
        commit_file(h5tmp, h5);
        commit_file(xdmftmp, xdmf);
      }
    MPI_Barrier(comm);
    return {h5, xdmf};
  }

  template <>
  FieldFiles write_electrostatic_fields<1>(const DoFHandler<1>              &dofs,
                                           const PETScWrappers::MPI::Vector &potential,
                                           const std::string &directory, const std::string &base,
                                           const double time)
  {
    return write_line_fields(dofs, potential, directory, base, time);
  }

  template FieldFiles write_electrostatic_fields<2>(const DoFHandler<2> &,
                                                    const PETScWrappers::MPI::Vector &,
                                                    const std::string &, const std::string &,
                                                    double);
  template FieldFiles write_electrostatic_fields<3>(const DoFHandler<3> &,
                                                    const PETScWrappers::MPI::Vector &,
                                                    const std::string &, const std::string &,
                                                    double);
} // namespace protonfem
