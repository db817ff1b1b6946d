// Stack builder: grading, region ids (volumes per layer) and boundary ids
// (areas of gate, source, drain and back faces) in 1D, 2D and 3D.
#define BOOST_TEST_DYN_LINK
#include "geometry/boundary_ids.h"
#include "geometry/stack_mesh.h"

#include <deal.II/base/mpi.h>
#include <deal.II/grid/grid_tools.h>

#include <boost/test/unit_test.hpp>

#include <map>
#include <numeric>

using namespace protonfem;
using namespace dealii;

namespace
{
  GeometryParameters device()
  {
    GeometryParameters g;
    g.device_length          = 150e-9;
    g.device_width           = 50e-9;
    g.lateral_cell_size      = 10e-9;
    g.max_vertical_cell_size = 5e-9;
    g.grading_ratio          = 1.5;
    g.gate_x_min = 30e-9, g.gate_x_max = 120e-9, g.gate_y_min = 10e-9, g.gate_y_max = 40e-9;
    g.source_x_max  = 15e-9;
    g.drain_x_min   = 135e-9;
    g.channel_layer = "channel";
    g.back_contact  = true;
    LayerSpec sub{"substrate", "SiO2", 50e-9, 2e-9, true, 0, 150e-9, 0};
    LayerSpec ch{"channel", "WO3", 30e-9, 0.5e-9, true, 0, 150e-9, 0};
    LayerSpec el{"electrolyte", "PSG", 10e-9, 0.2e-9, false, 20e-9, 130e-9, 0};
    g.layers = {sub, ch, el};
    return g;
  }

  template <int dim> struct Measures
  {
    std::map<types::material_id, double> volume;
    std::map<types::boundary_id, double> area;
    double                               min_cell = 1e300;
  };

  template <int dim> Measures<dim> measure(const GeometryParameters &g)
  {
    auto tria = make_parallel_triangulation<dim>(MPI_COMM_WORLD);
    build_stack_mesh(g, *tria);
    Measures<dim> m;
    for (const auto &cell : tria->active_cell_iterators())
      if (cell->is_locally_owned())
        {
          m.volume[cell->material_id()] += cell->measure();
          m.min_cell = std::min(m.min_cell, cell->extent_in_direction(dim - 1));
          for (const unsigned int f : cell->face_indices())
            if (cell->face(f)->at_boundary())
              {
                double a = 1.0; // a 1D "face" is a point: count it
                if constexpr (dim > 1)
                  a = cell->face(f)->measure();
                m.area[cell->face(f)->boundary_id()] += a;
              }
        }
    for (auto &[k, v] : m.volume)
      v = Utilities::MPI::sum(v, MPI_COMM_WORLD);
    for (auto &[k, v] : m.area)
      v = Utilities::MPI::sum(v, MPI_COMM_WORLD);
    m.min_cell = Utilities::MPI::min(m.min_cell, MPI_COMM_WORLD);
    return m;
  }
} // namespace

BOOST_AUTO_TEST_SUITE(geometry)

BOOST_AUTO_TEST_CASE(graded_sizes_sum_and_start_at_interface_size)
{
  for (const double t : {10e-9, 30e-9, 3e-9, 0.5e-9})
    {
      const auto s = graded_cell_sizes(t, 0.2e-9, 5e-9, 1.3);
      BOOST_TEST(std::accumulate(s.begin(), s.end(), 0.0) == t,
                 boost::test_tools::tolerance(1e-12));
      BOOST_TEST(*std::max_element(s.begin(), s.end()) <= 5e-9 * (1 + 1e-9));
      if (t >= 1e-9)
        {
          BOOST_TEST(s.front() == 0.2e-9, boost::test_tools::tolerance(0.02));
          BOOST_TEST(s.back() == 0.2e-9, boost::test_tools::tolerance(0.02));
        }
      for (std::size_t i = 1; i < s.size(); ++i) // no jump larger than the ratio (and merge)
        BOOST_TEST(std::max(s[i], s[i - 1]) / std::min(s[i], s[i - 1]) <= 2.0 + 1e-9);
    }
}

BOOST_AUTO_TEST_CASE(stack_2d_regions_and_contacts)
{
  const auto g = device();
  const auto m = measure<2>(g);
  BOOST_TEST(m.volume.at(0) == 150e-9 * 50e-9, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(m.volume.at(1) == 150e-9 * 30e-9, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(m.volume.at(2) == 110e-9 * 10e-9, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(m.area.at(boundary_ids::gate) == 90e-9, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(m.area.at(boundary_ids::source) == 15e-9, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(m.area.at(boundary_ids::drain) == 15e-9, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(m.area.at(boundary_ids::back) == 150e-9, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(m.min_cell == 0.2e-9, boost::test_tools::tolerance(0.02));
}

BOOST_AUTO_TEST_CASE(stack_3d_regions_and_contacts)
{
  const auto   g = device();
  const auto   m = measure<3>(g);
  const double w = 50e-9;
  BOOST_TEST(m.volume.at(2) == 110e-9 * 10e-9 * w, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(m.area.at(boundary_ids::gate) == 90e-9 * 30e-9, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(m.area.at(boundary_ids::source) == 15e-9 * w, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(m.area.at(boundary_ids::drain) == 15e-9 * w, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(m.area.at(boundary_ids::back) == 150e-9 * w, boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(stack_1d_line_through_gate)
{
  auto g = device();
  auto m = measure<1>(g);
  BOOST_TEST(m.volume.at(0) == 50e-9, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(m.volume.at(2) == 10e-9, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(m.area.at(boundary_ids::gate) == 1.0);
  BOOST_TEST(m.area.at(boundary_ids::back) == 1.0);
  g.back_contact = false;
  m              = measure<1>(g);
  BOOST_TEST(m.area.count(boundary_ids::back) == 0u);
}

BOOST_AUTO_TEST_CASE(refinement_keeps_ids)
{
  auto g               = device();
  g.global_refinements = 1;
  const auto m         = measure<2>(g);
  BOOST_TEST(m.area.at(boundary_ids::gate) == 90e-9, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(m.min_cell == 0.1e-9, boost::test_tools::tolerance(0.02));
}

BOOST_AUTO_TEST_SUITE_END()
