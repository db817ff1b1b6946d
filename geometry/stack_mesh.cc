#include "stack_mesh.h"

#include "../solver/input_error.h"
#include "boundary_ids.h"
#include "gmsh_import.h"

#include <deal.II/base/table.h>
#include <deal.II/distributed/shared_tria.h>
#include <deal.II/distributed/tria.h>
#include <deal.II/grid/grid_generator.h>

#include <algorithm>
#include <cmath>

namespace protonfem
{
  using namespace dealii;

  std::vector<double> graded_cell_sizes(const double thickness, const double interface_size,
                                        const double max_size, const double ratio)
  {
    // Build one half from the face inwards, then mirror: symmetric grading
    // resolves the Debye layers at both faces of the layer.
    const double        half = 0.5 * thickness;
    std::vector<double> side;
    double              h     = std::min(interface_size, max_size);
    double              total = 0;
    while (total + h <= half * (1 + 1e-12))
      {
        side.push_back(h);
        total += h;
        h = std::min(h * ratio, max_size);
      }
    const double rest = half - total;
    if (side.empty())
      side.push_back(half);
    else if (rest > 0.5 * side.back())
      side.push_back(rest);
    else
      side.back() += rest; // absorb a sliver into the innermost cell
    std::vector<double> sizes(side.begin(), side.end());
    // The two innermost cells of the halves meet in the middle; merge them
    // when they are small enough to keep the count down.
    std::vector<double> other(side.rbegin(), side.rend());
    // (Only when that does not create a jump of more than 2x in cell size.)
    if (sizes.size() > 1 && sizes.back() + other.front() <= max_size * (1 + 1e-12) &&
        sizes.back() + other.front() <= 2 * sizes[sizes.size() - 2])
      {
        const double merged = sizes.back() + other.front();
        sizes.pop_back();
        sizes.push_back(merged);
        sizes.insert(sizes.end(), other.begin() + 1, other.end());
      }
    else if (sizes.size() == 1 && thickness <= max_size * (1 + 1e-12))
      sizes = {thickness};
    else
      sizes.insert(sizes.end(), other.begin(), other.end());
    // Exact sum: rescale the round-off away.
    double sum = 0;
    for (const double s : sizes)
      sum += s;
    for (double &s : sizes)
      s *= thickness / sum;
    return sizes;
  }

  std::vector<double> interval_cell_sizes(std::vector<double> breakpoints, const double max_size)
  {
    std::sort(breakpoints.begin(), breakpoints.end());
    const double        span = breakpoints.back() - breakpoints.front();
    std::vector<double> unique;
    for (const double b : breakpoints)
      if (unique.empty() || b - unique.back() > 1e-9 * span)
        unique.push_back(b);
    std::vector<double> sizes;
    for (std::size_t i = 0; i + 1 < unique.size(); ++i)
      {
        const double   len = unique[i + 1] - unique[i];
        const unsigned n   = std::max(1u, static_cast<unsigned>(std::ceil(len / max_size - 1e-9)));
        for (unsigned k = 0; k < n; ++k)
          sizes.push_back(len / n);
      }
    return sizes;
  }

  namespace
  {
    /// The layers on the vertical line through the gate centre (the 1D model).
    std::vector<unsigned int> layers_under_gate(const GeometryParameters &g)
    {
      const double              xc = 0.5 * (g.gate_x_min + g.gate_x_max);
      std::vector<unsigned int> ids;
      for (unsigned int i = 0; i < g.layers.size(); ++i)
        if (xc >= g.layers[i].x_min && xc <= g.layers[i].x_max)
          ids.push_back(i);
      return ids;
    }
  } // namespace

  template <int dim> void build_stack_mesh(const GeometryParameters &g, Triangulation<dim> &tria)
  {
    const double                     ht = g.lateral_cell_size;
    std::vector<std::vector<double>> steps(dim);

    // Stacking direction: graded per layer. In 1D only the layers on the line
    // through the gate exist; a layer missing there would be a vacuum gap.
    std::vector<unsigned int>       layer_of_z_cell;
    const std::vector<unsigned int> used = (dim == 1) ? layers_under_gate(g) : [&] {
      std::vector<unsigned int> all(g.layers.size());
      for (unsigned int i = 0; i < all.size(); ++i)
        all[i] = i;
      return all;
    }();
    if (dim == 1 && used.size() != g.layers.size())
      throw InputError("", "Geometry/Layers", "(layer extents)",
                       "in 1D every layer must lie under the gate centre x = " +
                           std::to_string(0.5 * (g.gate_x_min + g.gate_x_max)) + " m");
    for (const unsigned int i : used)
      for (const double h :
           graded_cell_sizes(g.layers[i].thickness, g.layers[i].interface_cell_size,
                             g.max_vertical_cell_size, g.grading_ratio))
        {
          steps[dim - 1].push_back(h);
          layer_of_z_cell.push_back(i);
        }

    if (dim >= 2)
      {
        std::vector<double> xb = {0.0, g.device_length, g.gate_x_min, g.gate_x_max};
        if (g.lateral_contacts)
          {
            xb.push_back(g.source_x_max);
            xb.push_back(g.drain_x_min);
          }
        for (const auto &l : g.layers)
          {
            xb.push_back(l.x_min);
            xb.push_back(l.x_max);
          }
        steps[0] = interval_cell_sizes(xb, ht);
      }
    if (dim == 3)
      steps[1] = interval_cell_sizes({0.0, g.device_width, g.gate_y_min, g.gate_y_max}, ht);

    // Region id per coarse cell; cells outside a layer's lateral extent are
    // removed (invalid material id), which leaves the contacts exposed.
    TableIndices<dim> sizes;
    for (unsigned int d = 0; d < dim; ++d)
      sizes[d] = steps[d].size();
    Table<dim, types::material_id> region;
    region.reinit(sizes);
    std::vector<double> x_centres;
    {
      double x = 0;
      for (const double h : steps[0])
        {
          x_centres.push_back(x + 0.5 * h);
          x += h;
        }
    }
    const unsigned int nz = steps[dim - 1].size();
    for (unsigned int i = 0; i < sizes[0]; ++i)
      for (unsigned int j = 0; j < (dim == 3 ? sizes[1] : 1u); ++j)
        for (unsigned int k = 0; k < (dim >= 2 ? nz : 1u); ++k)
          {
            TableIndices<dim>  idx;
            types::material_id id;
            if (dim == 1)
              {
                idx[0] = i;
                id     = layer_of_z_cell[i];
              }
            else
              {
                idx[0]       = i;
                idx[dim - 1] = k;
                if (dim == 3)
                  idx[1] = j;
                const auto &layer = g.layers[layer_of_z_cell[k]];
                id                = (x_centres[i] > layer.x_min && x_centres[i] < layer.x_max)
                                        ? static_cast<types::material_id>(layer_of_z_cell[k])
                                        : numbers::invalid_material_id;
              }
            region(idx) = id;
          }

    GridGenerator::subdivided_hyper_rectangle(tria, steps, Point<dim>(), region, false);
    set_stack_boundary_ids(g, tria);
    if (g.global_refinements > 0)
      tria.refine_global(g.global_refinements);
  }

  template <int dim>
  void set_stack_boundary_ids(const GeometryParameters &g, Triangulation<dim> &tria)
  {
    const double       top = g.total_thickness();
    const double       tol = 1e-9 * top;
    const unsigned int channel =
        (dim >= 2 && g.lateral_contacts) ? g.layer_index(g.channel_layer) : 0;
    const double channel_bottom = g.layer_bottom(channel);
    const double channel_top    = channel_bottom + g.layers[channel].thickness;

    // All cells, including artificial ones of a p4est mesh: the coarse mesh
    // is replicated and ids set here are inherited by every refinement.
    for (const auto &cell : tria.cell_iterators_on_level(0))
      for (const unsigned int f : cell->face_indices())
        {
          if (!cell->face(f)->at_boundary())
            continue;
          const Point<dim> c = cell->face(f)->center();
          const double     z = c[dim - 1];
          // Faces normal to the stacking direction are 2*(dim-1) and +1.
          const bool         up   = (f == 2 * (dim - 1) + 1);
          const bool         down = (f == 2 * (dim - 1));
          types::boundary_id id   = boundary_ids::insulating;
          if (dim == 1)
            {
              if (up)
                id = boundary_ids::gate;
              else if (down && g.back_contact)
                id = boundary_ids::back;
            }
          else
            {
              const bool in_gate_x = c[0] > g.gate_x_min && c[0] < g.gate_x_max;
              const bool in_gate_y = (dim < 3) || (c[1] > g.gate_y_min && c[1] < g.gate_y_max);
              // Faces 0 and 1 are normal to x (deal.II numbering).
              const bool in_channel = z > channel_bottom && z < channel_top;
              const bool ends       = g.lateral_contacts && g.contact_placement == "ends";
              if (up && std::abs(z - top) < tol && in_gate_x && in_gate_y)
                id = boundary_ids::gate;
              else if (ends && f == 0 && in_channel && std::abs(c[0]) < tol)
                id = boundary_ids::source;
              else if (ends && f == 1 && in_channel && std::abs(c[0] - g.device_length) < tol)
                id = boundary_ids::drain;
              else if (!ends && g.lateral_contacts && up && std::abs(z - channel_top) < tol &&
                       c[0] < g.source_x_max)
                id = boundary_ids::source;
              else if (!ends && g.lateral_contacts && up && std::abs(z - channel_top) < tol &&
                       c[0] > g.drain_x_min)
                id = boundary_ids::drain;
              else if (down && std::abs(z) < tol && g.back_contact)
                id = boundary_ids::back;
            }
          cell->face(f)->set_boundary_id(id);
        }
  }

  template <int dim>
  std::unique_ptr<parallel::TriangulationBase<dim>> make_parallel_triangulation(MPI_Comm comm)
  {
    if constexpr (dim == 1)
      return std::make_unique<parallel::shared::Triangulation<dim>>(
          comm, Triangulation<dim>::none, false,
          parallel::shared::Triangulation<dim>::partition_metis);
    else
      return std::make_unique<parallel::distributed::Triangulation<dim>>(comm);
  }

  template <int dim>
  std::unique_ptr<parallel::TriangulationBase<dim>>
  create_device_mesh(const GeometryParameters &g, const std::string &deck_file, MPI_Comm comm)
  {
    auto tria = make_parallel_triangulation<dim>(comm);
    if (g.mesh_source == "gmsh")
      {
        read_gmsh_device(g.gmsh_path(deck_file), g, deck_file, *tria);
        if (g.global_refinements > 0)
          tria->refine_global(g.global_refinements);
      }
    else
      build_stack_mesh(g, *tria);
    return tria;
  }

#define PROTONFEM_INSTANTIATE(dim)                                                                 \
  template void build_stack_mesh<dim>(const GeometryParameters &, Triangulation<dim> &);           \
  template void set_stack_boundary_ids<dim>(const GeometryParameters &, Triangulation<dim> &);     \
  template std::unique_ptr<parallel::TriangulationBase<dim>> make_parallel_triangulation<dim>(     \
      MPI_Comm);                                                                                   \
  template std::unique_ptr<parallel::TriangulationBase<dim>> create_device_mesh<dim>(              \
      const GeometryParameters &, const std::string &, MPI_Comm);
  PROTONFEM_INSTANTIATE(1)
  PROTONFEM_INSTANTIATE(2)
  PROTONFEM_INSTANTIATE(3)
#undef PROTONFEM_INSTANTIATE
} // namespace protonfem
