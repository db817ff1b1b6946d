#include "line_writer.h"

#include "atomic_file.h"

#include <deal.II/base/hdf5.h>
#include <deal.II/base/mpi.h>
#include <deal.II/base/quadrature_lib.h>
#include <deal.II/fe/fe_values.h>

#include <filesystem>
#include <fstream>

namespace protonfem
{
  using namespace dealii;

  namespace
  {
    struct LineData
    {
      std::vector<double>           z, phi, dphi;
      std::vector<int>              region, rank; // one entry per segment
      template <class Archive> void serialize(Archive &ar, const unsigned int)
      {
        ar &z &phi &dphi &region &rank;
      }
    };

    std::string data_item(const std::string &h5, const std::string &set, std::size_t rows,
                          unsigned int cols, const char *type)
    {
      std::string dims = std::to_string(rows) + (cols > 1 ? " " + std::to_string(cols) : "");
      return "        <DataItem Dimensions=\"" + dims + "\" NumberType=\"" + type +
             "\" Precision=\"" + (std::string(type) == "Float" ? "8" : "4") + "\" Format=\"HDF\">" +
             h5 + ":/" + set + "</DataItem>\n";
    }
  } // namespace

  FieldFiles write_line_fields(const DoFHandler<1>              &dofs,
                               const PETScWrappers::MPI::Vector &potential,
                               const std::string &directory, const std::string &base,
                               const double time)
  {
    const MPI_Comm     comm = dofs.get_triangulation().get_communicator();
    const unsigned int me   = Utilities::MPI::this_mpi_process(comm);
    const unsigned int p    = dofs.get_fe().degree;

    // Each cell contributes its p+1 Gauss-Lobatto points (vertices included)
    // and p segments, so values that jump at cell faces stay sharp.
    const QGaussLobatto<1>    points(p + 1);
    FEValues<1>               fv(dofs.get_fe(), points,
                                 update_values | update_gradients | update_quadrature_points);
    std::vector<double>       values(points.size());
    std::vector<Tensor<1, 1>> grads(points.size());
    LineData                  local;
    for (const auto &cell : dofs.active_cell_iterators())
      if (cell->is_locally_owned())
        {
          fv.reinit(cell);
          fv.get_function_values(potential, values);
          fv.get_function_gradients(potential, grads);
          for (unsigned int q = 0; q < points.size(); ++q)
            {
              local.z.push_back(fv.quadrature_point(q)[0]);
              local.phi.push_back(values[q]);
              local.dphi.push_back(grads[q][0]);
            }
          for (unsigned int s = 0; s < p; ++s)
            {
              local.region.push_back(cell->material_id());
              local.rank.push_back(me);
            }
        }
    const auto all = Utilities::MPI::gather(comm, local, 0);

    const std::string h5   = (std::filesystem::path(directory) / (base + ".h5")).string();
    const std::string xdmf = (std::filesystem::path(directory) / (base + ".xdmf")).string();
    if (me == 0)
      {
        std::vector<double> nodes, e, emag, phi;
        std::vector<int>    cells, region, rank;
        for (const auto &d : all)
          {
            const std::size_t n_cells = d.z.size() / (p + 1);
            for (std::size_t c = 0; c < n_cells; ++c)
              {
                const int first = nodes.size() / 3;
                for (unsigned int q = 0; q <= p; ++q)
                  {
                    const std::size_t i = c * (p + 1) + q;
                    nodes.insert(nodes.end(), {0.0, 0.0, d.z[i]});
                    phi.push_back(d.phi[i]);
                    e.insert(e.end(), {0.0, 0.0, -d.dphi[i]});
                    emag.push_back(std::abs(d.dphi[i]));
                  }
                for (unsigned int s = 0; s < p; ++s)
                  cells.insert(cells.end(),
                               {first + static_cast<int>(s), first + static_cast<int>(s) + 1});
              }
            region.insert(region.end(), d.region.begin(), d.region.end());
            rank.insert(rank.end(), d.rank.begin(), d.rank.end());
          }
        const std::size_t n_nodes = phi.size(), n_segments = region.size();
        const std::string h5tmp = temporary_name(h5);
        {
          HDF5::File file(h5tmp, HDF5::File::FileAccessMode::create);
          file.create_dataset<double>("nodes", {n_nodes, 3}).write(nodes);
          file.create_dataset<int>("cells", {n_segments, 2}).write(cells);
          file.create_dataset<double>("phi", {n_nodes}).write(phi);
          file.create_dataset<double>("E", {n_nodes, 3}).write(e);
          file.create_dataset<double>("E_magnitude", {n_nodes}).write(emag);
          file.create_dataset<int>("region_id", {n_segments}).write(region);
          file.create_dataset<int>("mpi_rank", {n_segments}).write(rank);
        }
        const std::string h5name = base + ".h5";
        write_file_atomically(xdmf, [&](std::ostream &out) {
          out << "<?xml version=\"1.0\" ?>\n<!DOCTYPE Xdmf SYSTEM \"Xdmf.dtd\" []>\n"
              << "<Xdmf Version=\"2.0\">\n  <Domain>\n"
              << "    <Grid Name=\"line\" GridType=\"Uniform\">\n"
              << "      <Time Value=\"" << time << "\"/>\n"
              << "      <Topology TopologyType=\"Polyline\" NumberOfElements=\"" << n_segments
              << "\" NodesPerElement=\"2\">\n"
              << data_item(h5name, "cells", n_segments, 2, "Int") << "      </Topology>\n"
              << "      <Geometry GeometryType=\"XYZ\">\n"
              << data_item(h5name, "nodes", n_nodes, 3, "Float") << "      </Geometry>\n";
          const auto attribute = [&](const char *name, const char *type, const char *center,
                                     std::size_t rows, unsigned int cols, const char *number) {
            out << "      <Attribute Name=\"" << name << "\" AttributeType=\"" << type
                << "\" Center=\"" << center << "\">\n"
                << data_item(h5name, name, rows, cols, number) << "      </Attribute>\n";
          };
          attribute("phi", "Scalar", "Node", n_nodes, 1, "Float");
          attribute("E", "Vector", "Node", n_nodes, 3, "Float");
          attribute("E_magnitude", "Scalar", "Node", n_nodes, 1, "Float");
          attribute("region_id", "Scalar", "Cell", n_segments, 1, "Int");
          attribute("mpi_rank", "Scalar", "Cell", n_segments, 1, "Int");
          out << "    </Grid>\n  </Domain>\n</Xdmf>\n";
        });
        commit_file(h5tmp, h5);
      }
    MPI_Barrier(comm);
    return {h5, xdmf};
  }
} // namespace protonfem
