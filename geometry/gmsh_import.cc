#include "gmsh_import.h"

#include "../solver/input_error.h"
#include "boundary_ids.h"

#include <deal.II/base/exceptions.h>
#include <deal.II/grid/grid_in.h>

#include <fstream>
#include <sstream>

namespace protonfem
{
  using namespace dealii;

  std::map<std::pair<int, int>, std::string> read_gmsh_physical_names(const std::string &filename)
  {
    std::ifstream                              in(filename);
    std::map<std::pair<int, int>, std::string> names;
    std::string                                line;
    while (std::getline(in, line))
      if (line.rfind("$PhysicalNames", 0) == 0)
        {
          std::size_t n = 0;
          in >> n;
          for (std::size_t i = 0; i < n; ++i)
            {
              int d = 0, tag = 0;
              in >> d >> tag;
              std::getline(in, line);
              const auto a = line.find('"'), b = line.rfind('"');
              if (a == std::string::npos || b == a)
                throw InputError(filename, "$PhysicalNames", line, "entries 'dim tag \"name\"'");
              names[{d, tag}] = line.substr(a + 1, b - a - 1);
            }
          break;
        }
    return names;
  }

  template <int dim>
  void read_gmsh_device(const std::string &filename, const GeometryParameters &g,
                        const std::string &deck_file, Triangulation<dim> &tria)
  {
    {
      std::ifstream probe(filename);
      if (!probe)
        throw InputError(deck_file, "Geometry/Gmsh file", filename, "a readable gmsh .msh file");
      if (probe.peek() == std::ifstream::traits_type::eof())
        throw InputError(deck_file, "Geometry/Gmsh file", filename, "a non-empty gmsh .msh file");
    }
    const auto names = read_gmsh_physical_names(filename);

    Triangulation<dim> serial;
    try
      {
        GridIn<dim>   grid_in(serial);
        std::ifstream in(filename);
        grid_in.read_msh(in);
      }
    catch (const ExceptionBase &e)
      {
        std::ostringstream info;
        e.print_info(info);
        throw InputError("cannot read gmsh file " + filename + " as a " + std::to_string(dim) +
                         "D mesh (Dimension = " + std::to_string(dim) + ", Geometry/Gmsh file in " +
                         deck_file + "): " + info.str());
      }
    catch (const std::exception &e)
      {
        throw InputError("cannot read gmsh file " + filename + " as a " + std::to_string(dim) +
                         "D mesh (Dimension = " + std::to_string(dim) + ", Geometry/Gmsh file in " +
                         deck_file + "): " + e.what());
      }
    if (serial.n_active_cells() == 0)
      throw InputError(deck_file, "Geometry/Gmsh file", filename,
                       "a mesh with " + std::to_string(dim) + "D cells");
    // GridIn also reads triangles and tetrahedra, but the distributed
    // triangulation and the FE_Q elements need quadrilaterals/hexahedra: a
    // simplex mesh would crash further down instead of being reported.
    if (!serial.all_reference_cells_are_hyper_cube())
      throw InputError(filename, "element type", "triangles or tetrahedra",
                       std::string(dim == 3 ? "hexahedra" : "quadrilaterals") +
                           " only (in gmsh: Recombine, or Transfinite + Recombine)");

    // Physical tag -> layer index, by name.
    std::map<types::material_id, types::material_id> region_of_tag;
    for (const auto &[key, name] : names)
      if (key.first == dim)
        {
          bool found = false;
          for (unsigned int i = 0; i < g.layers.size(); ++i)
            if (g.layers[i].name == name)
              {
                region_of_tag[key.second] = i;
                found                     = true;
              }
          if (!found)
            {
              std::string known;
              for (const auto &l : g.layers)
                known += (known.empty() ? "" : ", ") + l.name;
              throw InputError(filename, "volume physical group", name,
                               "a layer name of the deck (" + known + ")");
            }
        }
    std::map<types::boundary_id, types::boundary_id> contact_of_tag;
    for (const auto &[key, name] : names)
      if (key.first == dim - 1)
        {
          types::boundary_id id = numbers::invalid_boundary_id;
          for (types::boundary_id b = 0; b < boundary_ids::n_ids; ++b)
            if (boundary_ids::name(b) == name)
              id = b;
          if (id == numbers::invalid_boundary_id)
            throw InputError(filename, "surface physical group", name,
                             "gate, source, drain, back or insulating");
          contact_of_tag[key.second] = id;
        }

    for (const auto &cell : serial.active_cell_iterators())
      {
        const auto it = region_of_tag.find(cell->material_id());
        if (it == region_of_tag.end())
          throw InputError(filename, "volume physical group tag",
                           std::to_string(cell->material_id()),
                           "every cell in a named volume physical group matching a layer");
        cell->set_material_id(it->second);
        for (const unsigned int f : cell->face_indices())
          if (cell->face(f)->at_boundary())
            {
              const auto b = contact_of_tag.find(cell->face(f)->boundary_id());
              cell->face(f)->set_boundary_id(b == contact_of_tag.end() ? boundary_ids::insulating
                                                                       : b->second);
            }
      }
    tria.copy_triangulation(serial);
  }

  template void read_gmsh_device<1>(const std::string &, const GeometryParameters &,
                                    const std::string &, Triangulation<1> &);
  template void read_gmsh_device<2>(const std::string &, const GeometryParameters &,
                                    const std::string &, Triangulation<2> &);
  template void read_gmsh_device<3>(const std::string &, const GeometryParameters &,
                                    const std::string &, Triangulation<3> &);
} // namespace protonfem
