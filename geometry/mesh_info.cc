#include "mesh_info.h"

#include "../solver/input_error.h"
#include "../solver/mpi_reduce.h"
#include "boundary_ids.h"

namespace protonfem
{
  using namespace dealii;

  template <int dim>
  std::set<types::boundary_id> boundary_ids_present(const Triangulation<dim> &tria, MPI_Comm comm)
  {
    std::vector<unsigned int> count(boundary_ids::n_ids, 0);
    for (const auto &cell : tria.active_cell_iterators())
      if (cell->is_locally_owned())
        for (const unsigned int f : cell->face_indices())
          if (cell->face(f)->at_boundary() && cell->face(f)->boundary_id() < boundary_ids::n_ids)
            ++count[cell->face(f)->boundary_id()];
    count = all_sum(count, comm);
    std::set<types::boundary_id> ids;
    for (unsigned int b = 0; b < count.size(); ++b)
      if (count[b] > 0)
        ids.insert(b);
    return ids;
  }

  template <int dim>
  std::vector<unsigned int> cells_per_layer(const Triangulation<dim> &tria,
                                            const GeometryParameters &g, const std::string &deck,
                                            MPI_Comm comm)
  {
    std::vector<unsigned int> cells(g.layers.size(), 0);
    for (const auto &cell : tria.active_cell_iterators())
      if (cell->is_locally_owned())
        {
          AssertThrow(cell->material_id() < g.layers.size(), ExcInternalError());
          ++cells[cell->material_id()];
        }
    cells = all_sum(cells, comm);
    for (unsigned int i = 0; i < cells.size(); ++i)
      if (cells[i] == 0)
        throw InputError(deck, "Geometry/Layers", g.layers[i].name,
                         "layers that occupy part of the mesh (this one has no cells)");
    return cells;
  }

#define PROTONFEM_INSTANTIATE(dim)                                                                 \
  template std::set<types::boundary_id> boundary_ids_present<dim>(const Triangulation<dim> &,      \
                                                                  MPI_Comm);                       \
  template std::vector<unsigned int>    cells_per_layer<dim>(                                      \
      const Triangulation<dim> &, const GeometryParameters &, const std::string &, MPI_Comm);
  PROTONFEM_INSTANTIATE(1)
  PROTONFEM_INSTANTIATE(2)
  PROTONFEM_INSTANTIATE(3)
#undef PROTONFEM_INSTANTIATE
} // namespace protonfem
