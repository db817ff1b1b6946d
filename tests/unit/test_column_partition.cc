// The column partition (geometry/column_partition.h) on a p4est mesh of a
// graded stack with unequal lateral spacings: on one rank it is not used; on
// several, every column (lateral cell centre) has one owner, the ranks' cell
// counts differ by less than one column, the cuts are planes normal to a
// lateral axis for two ranks, and the repartitioned (fully distributed) mesh
// has the same cells, each owned by the rank the partition names, with the
// region ids kept.
#define BOOST_TEST_DYN_LINK
#include "geometry/column_partition.h"

#include <deal.II/base/mpi.h>
#include <deal.II/distributed/tria.h>
#include <deal.II/grid/grid_generator.h>

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <map>
#include <vector>

using namespace dealii;
using namespace protonfem;

namespace
{
  /// 7 x (5) lateral cells of unequal widths, 6 graded cells across the
  /// stack in 3 regions, refined once: 14 x (10) columns of 12 cells.
  template <int dim> std::unique_ptr<parallel::TriangulationBase<dim>> stack(MPI_Comm comm)
  {
    auto tria = std::make_unique<parallel::distributed::Triangulation<dim>>(comm);
    std::vector<std::vector<double>> steps(dim);
    steps[0] = {1.0, 2.0, 0.5, 1.5, 1.0, 3.0, 0.7};
    if (dim == 3)
      steps[1] = {0.4, 1.0, 0.6, 2.0, 1.0};
    steps[dim - 1] = {0.05, 0.1, 1.0, 1.0, 0.1, 0.05};
    Point<dim> top;
    for (unsigned int d = 0; d < dim; ++d)
      for (const double h : steps[d])
        top[d] += h;
    GridGenerator::subdivided_hyper_rectangle(*tria, steps, Point<dim>(), top, false);
    for (const auto &cell : tria->active_cell_iterators())
      cell->set_material_id(static_cast<types::material_id>(cell->center()[dim - 1] / 0.8));
    tria->refine_global(1);
    return tria;
  }

  template <int dim> void check_partition()
  {
    const MPI_Comm     comm    = MPI_COMM_WORLD;
    const unsigned int n_ranks = Utilities::MPI::n_mpi_processes(comm);
    const unsigned int me      = Utilities::MPI::this_mpi_process(comm);
    std::unique_ptr<parallel::TriangulationBase<dim>> tria = stack<dim>(comm);
    const unsigned int n_cells   = tria->n_global_active_cells();
    const unsigned int n_columns = dim == 3 ? 14 * 10 : 14;

    // Region ids by cell centre, over all ranks, to compare after the move.
    std::vector<double> mine;
    for (const auto &cell : tria->active_cell_iterators())
      if (cell->is_locally_owned())
        {
          for (unsigned int d = 0; d < dim; ++d)
            mine.push_back(cell->center()[d]);
          mine.push_back(cell->material_id());
        }
    std::map<std::vector<double>, double> region;
    for (const auto &from : Utilities::MPI::all_gather(comm, mine))
      for (std::size_t i = 0; i + dim < from.size(); i += dim + 1)
        region[std::vector<double>(from.begin() + i, from.begin() + i + dim)] = from[i + dim];
    BOOST_TEST(region.size() == n_cells);

    const ColumnPartition<dim> partition(*tria);
    if (n_ranks == 1)
      {
        BOOST_TEST(!partition.usable());
        return;
      }
    BOOST_TEST(partition.usable());

    // Balance: 12 cells per column, so the ranks differ by at most one column.
    std::vector<unsigned int> per_rank(n_ranks, 0);
    std::map<unsigned int, std::vector<double>> cut_coordinates;
    for (const auto &[centre, id] : region)
      {
        (void)id;
        Point<dim> p;
        for (unsigned int d = 0; d < dim; ++d)
          p[d] = centre[d];
        const unsigned int r = partition.owner(p);
        BOOST_REQUIRE(r < n_ranks);
        ++per_rank[r];
        cut_coordinates[r].push_back(p[0]);
      }
    const auto [lo, hi] = std::minmax_element(per_rank.begin(), per_rank.end());
    BOOST_TEST(*hi - *lo <= 12u);
    BOOST_TEST(*lo >= 12u);
    BOOST_TEST(partition.imbalance() <= double(*hi) / (double(n_cells) / n_ranks) + 1e-12);
    // Two ranks in 2D: a single cut normal to x (every x of rank 0 below
    // every x of rank 1). In 3D the longer side is x too (11.9 against 5.0).
    if (n_ranks == 2)
      BOOST_TEST(*std::max_element(cut_coordinates[0].begin(), cut_coordinates[0].end()) <
                 *std::min_element(cut_coordinates[1].begin(), cut_coordinates[1].end()));

    // The repartitioned mesh: same cells, each on its named owner, ids kept.
    std::unique_ptr<parallel::TriangulationBase<dim>> moved = repartition_in_columns(*tria, partition);
    BOOST_TEST(moved->n_global_active_cells() == n_cells);
    unsigned int owned = 0;
    for (const auto &cell : moved->active_cell_iterators())
      if (cell->is_locally_owned())
        {
          ++owned;
          BOOST_TEST(partition.owner(cell->center()) == me);
          std::vector<double> key(dim);
          for (unsigned int d = 0; d < dim; ++d)
            key[d] = cell->center()[d];
          const auto it = region.find(key);
          BOOST_REQUIRE(it != region.end());
          BOOST_TEST(cell->material_id() == it->second);
        }
    BOOST_TEST(owned == per_rank[me]);
    BOOST_TEST(n_columns * 12 == n_cells);

    // apply_partition: "p4est" and one rank leave the mesh alone.
    std::unique_ptr<parallel::TriangulationBase<dim>> kept = stack<dim>(comm);
    const auto *before = kept.get();
    BOOST_TEST(apply_partition<dim>("p4est", kept) == nullptr);
    BOOST_TEST(kept.get() == before);
    BOOST_TEST(apply_partition<dim>("columns", kept) != nullptr);
    BOOST_TEST(kept->n_global_active_cells() == n_cells);
  }
} // namespace

BOOST_AUTO_TEST_SUITE(column_partition)

BOOST_AUTO_TEST_CASE(columns_2d) { check_partition<2>(); }

BOOST_AUTO_TEST_CASE(columns_3d) { check_partition<3>(); }

BOOST_AUTO_TEST_SUITE_END()
