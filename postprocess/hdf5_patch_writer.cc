#include "hdf5_patch_writer.h"

#include <deal.II/base/geometry_info.h>
#include <deal.II/base/hdf5.h>
#include <deal.II/base/mpi.h>
#include <deal.II/base/utilities.h>

#include <cstdint>
#include <map>
#include <tuple>
#include <vector>

namespace protonfem
{
  using namespace dealii;

  namespace
  {
    // DataOut keeps the names of its components and the vector ranges
    // protected; the HDF5 writer below needs both. The using-declarations
    // make them nameable here, and calling them through member pointers on
    // the DataOut itself needs no cast to a type the object is not.
    template <int dim> class PatchSource : public DataOut<dim>
    {
    public:
      using DataOut<dim>::get_dataset_names;
      using DataOut<dim>::get_nonscalar_data_ranges;
    };

    unsigned int int_pow(const unsigned int base, const unsigned int e)
    {
      unsigned int r = 1;
      for (unsigned int i = 0; i < e; ++i)
        r *= base;
      return r;
    }
  } // namespace

  template <int dim>
  XDMFEntry write_patches_hdf5(const DataOut<dim> &out, const std::string &file,
                               const std::string &name_in_xdmf, const double time,
                               const MPI_Comm comm)
  {
    const auto &patches = out.get_patches();
    const std::vector<std::string> names  = (out.*(&PatchSource<dim>::get_dataset_names))();
    const auto ranges = (out.*(&PatchSource<dim>::get_nonscalar_data_ranges))();

    // Points and sub-cells of this rank (a patch of n subdivisions has
    // (n+1)^dim points, lexicographic, and n^dim cells).
    std::uint64_t local_points = 0, local_cells = 0;
    for (const auto &p : patches)
      {
        local_points += int_pow(p.n_subdivisions + 1, dim);
        local_cells += int_pow(p.n_subdivisions, dim);
      }
    // Where this rank's rows start: the sums over the ranks before it.
    const std::uint64_t local[2] = {local_points, local_cells};
    std::uint64_t       before[2] = {0, 0};
    MPI_Exscan(local, before, 2, MPI_UINT64_T, MPI_SUM, comm);
    if (Utilities::MPI::this_mpi_process(comm) == 0)
      before[0] = before[1] = 0; // MPI_Exscan leaves rank 0's result undefined
    const std::uint64_t point_offset = before[0], cell_offset = before[1];
    const std::uint64_t n_points     = Utilities::MPI::sum(local_points, comm);
    const std::uint64_t n_cells      = Utilities::MPI::sum(local_cells, comm);

    HDF5::File h5(file, HDF5::File::FileAccessMode::create, comm);
    // One collective write of rows [offset, offset + rows) x width.
    const auto write = [&](const std::string &name, const auto &buffer, const std::uint64_t rows,
                           const std::uint64_t offset, const std::uint64_t total,
                           const unsigned int width) {
      using T      = typename std::decay_t<decltype(buffer)>::value_type;
      auto dataset = h5.create_dataset<T>(name, {hsize_t(total), hsize_t(width)});
      if (rows > 0)
        dataset.write_hyperslab(buffer, {hsize_t(offset), 0}, {hsize_t(rows), hsize_t(width)});
      else
        dataset.template write_none<T>();
    };

    {
      std::vector<double> nodes;
      nodes.reserve(local_points * dim);
      for (const auto &p : patches)
        {
          const unsigned int n = p.n_subdivisions, np = int_pow(n + 1, dim);
          const unsigned int n_data = names.size();
          for (unsigned int i = 0; i < np; ++i)
            {
              if (p.points_are_available)
                for (unsigned int d = 0; d < dim; ++d)
                  nodes.push_back(p.data(n_data + d, i));
              else
                {
                  // Multilinear interpolation of the patch's vertices
                  // (deal.II's vertex order is lexicographic too).
                  double t[dim];
                  for (unsigned int d = 0, k = i; d < dim; ++d, k /= (n + 1))
                    t[d] = double(k % (n + 1)) / n;
                  Point<dim> x;
                  for (unsigned int v = 0; v < GeometryInfo<dim>::vertices_per_cell; ++v)
                    {
                      double w = 1;
                      for (unsigned int d = 0; d < dim; ++d)
                        w *= (v >> d) & 1 ? t[d] : 1 - t[d];
                      x += w * p.vertices[v];
                    }
                  for (unsigned int d = 0; d < dim; ++d)
                    nodes.push_back(x[d]);
                }
            }
        }
      write("nodes", nodes, local_points, point_offset, n_points, dim);
    }
    {
      // XDMF's Quadrilateral/Hexahedron order: counter-clockwise per face.
      std::vector<unsigned int> cells;
      cells.reserve(local_cells * GeometryInfo<dim>::vertices_per_cell);
      std::uint64_t start = point_offset;
      for (const auto &p : patches)
        {
          const unsigned int n = p.n_subdivisions, d1 = 1, d2 = n + 1, d3 = (n + 1) * (n + 1);
          for (unsigned int c = 0; c < int_pow(n, dim); ++c)
            {
              unsigned int ix[3] = {0, 0, 0};
              for (unsigned int d = 0, k = c; d < dim; ++d, k /= n)
                ix[d] = k % n;
              const std::uint64_t s = start + ix[0] * d1 + (dim > 1 ? ix[1] * d2 : 0) +
                                      (dim > 2 ? ix[2] * d3 : 0);
              const std::uint64_t corner[8] = {s,      s + d1,      s + d1 + d2,      s + d2,
                                               s + d3, s + d3 + d1, s + d3 + d1 + d2, s + d3 + d2};
              for (unsigned int v = 0; v < GeometryInfo<dim>::vertices_per_cell; ++v)
                cells.push_back(static_cast<unsigned int>(corner[v]));
            }
          start += int_pow(n + 1, dim);
        }
      AssertThrow(n_points < std::uint64_t(1) << 32,
                  ExcMessage("more than 2^32 output vertices: the XDMF cell list is 32-bit"));
      write("cells", cells, local_cells, cell_offset, n_cells, GeometryInfo<dim>::vertices_per_cell);
    }

    XDMFEntry entry(name_in_xdmf, time, n_points, n_cells, dim);
    // Fields: vectors (component ranges) as N x 3, padded with zeros below
    // 3D as XDMF wants; every other component as N x 1.
    std::vector<bool> in_vector(names.size(), false);
    std::vector<std::tuple<unsigned int, unsigned int, std::string>> fields;
    for (const auto &r : ranges)
      {
        AssertThrow(std::get<3>(r) == DataComponentInterpretation::component_is_part_of_vector &&
                        !std::get<2>(r).empty(),
                    ExcMessage("write_patches_hdf5: only vector fields with one name for all "
                               "their components are supported (field '" + std::get<2>(r) + "')"));
        fields.emplace_back(std::get<0>(r), std::get<1>(r) + 1, std::get<2>(r));
        for (unsigned int c = std::get<0>(r); c <= std::get<1>(r); ++c)
          in_vector[c] = true;
      }
    for (unsigned int c = 0; c < names.size(); ++c)
      if (!in_vector[c])
        fields.emplace_back(c, c + 1, names[c]);
    for (const auto &[first, end, name] : fields)
      {
        const unsigned int  width = (end - first == 1) ? 1 : 3;
        std::vector<double> values;
        values.reserve(local_points * width);
        for (const auto &p : patches)
          for (unsigned int i = 0; i < p.data.n_cols(); ++i)
            for (unsigned int k = 0; k < width; ++k)
              values.push_back(first + k < end ? double(p.data(first + k, i)) : 0.0);
        write(name, values, local_points, point_offset, n_points, width);
        entry.add_attribute(name, width);
      }
    return entry;
  }

  template XDMFEntry write_patches_hdf5<2>(const DataOut<2> &, const std::string &,
                                           const std::string &, double, MPI_Comm);
  template XDMFEntry write_patches_hdf5<3>(const DataOut<3> &, const std::string &,
                                           const std::string &, double, MPI_Comm);
} // namespace protonfem
