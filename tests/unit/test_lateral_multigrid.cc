// The interpolations of the lateral multigrid (solver/lateral_multigrid.h)
// on small tensor-product grids with unequal spacings, (phi, mu) per node:
// level 1 keeps every other lateral grid line (the first and last always) and
// every plane across the stack; P_1 reproduces a field that is linear along
// the layers and arbitrary across them, each field from its own values; every
// row sums to one, also next to removed cells; the hierarchy stops at 3 lines.
#define BOOST_TEST_DYN_LINK
#include "solver/lateral_multigrid.h"

#include <deal.II/base/index_set.h>
#include <deal.II/base/mpi.h>
#include <deal.II/base/quadrature.h>
#include <deal.II/dofs/dof_handler.h>
#include <deal.II/fe/fe_q.h>
#include <deal.II/fe/fe_system.h>
#include <deal.II/fe/fe_values.h>
#include <deal.II/grid/grid_generator.h>
#include <deal.II/grid/tria.h>

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <petscmat.h>
#include <vector>

using namespace dealii;
using namespace protonfem;

namespace
{
  template <int dim> struct Grid
  {
    Triangulation<dim>        tria;
    FESystem<dim>             fe{FE_Q<dim>(1), 2};
    DoFHandler<dim>           dofs{tria};
    std::vector<Point<dim>>   points;
    std::vector<unsigned int> component;

    /// Lateral spacings unequal, the stack direction graded; with @p hole,
    /// the bottom row's cells 3 and 4 along every lateral axis removed, so
    /// that a node of level 1 is missing.
    explicit Grid(const bool hole)
    {
      std::vector<std::vector<double>> steps(dim);
      for (unsigned int d = 0; d + 1 < dim; ++d)
        steps[d] = {1.0, 2.0, 0.5, 1.5, 1.0, 3.0, 0.7, 1.1, 2.2};
      steps[dim - 1] = {0.05, 0.1, 1.0, 0.1, 0.05};
      TableIndices<dim> size;
      for (unsigned int d = 0; d < dim; ++d)
        size[d] = steps[d].size();
      Table<dim, types::material_id> material;
      material.reinit(size);
      material.fill(types::material_id(0));
      if (hole) // cells 3 and 4 along each lateral axis: the node on line 4 goes
        for (unsigned int k = 0; k < (1u << (dim - 1)); ++k)
          {
            TableIndices<dim> cell;
            for (unsigned int d = 0; d + 1 < dim; ++d)
              cell[d] = 3 + ((k >> d) & 1);
            cell[dim - 1]  = 0;
            material(cell) = numbers::invalid_material_id;
          }
      Point<dim> origin;
      GridGenerator::subdivided_hyper_rectangle(tria, steps, origin, material);
      dofs.distribute_dofs(fe);
      points.resize(dofs.n_dofs());
      component.resize(dofs.n_dofs());
      const Quadrature<dim>                at_nodes(fe.get_unit_support_points());
      FEValues<dim>                        fv(fe, at_nodes, update_quadrature_points);
      std::vector<types::global_dof_index> idx(fe.n_dofs_per_cell());
      for (const auto &cell : dofs.active_cell_iterators())
        {
          fv.reinit(cell);
          cell->get_dof_indices(idx);
          for (unsigned int i = 0; i < idx.size(); ++i)
            {
              points[idx[i]]    = fv.quadrature_point(i);
              component[idx[i]] = fe.system_to_component_index(i).first;
            }
        }
    }

    std::vector<Mat> interpolations(const unsigned long long min_coarse) const
    {
      return lateral_interpolations<dim>(MPI_COMM_SELF, dofs.locally_owned_dofs(), points,
                                         component, 20, min_coarse);
    }
  };

  /// Kept lateral lines of level 1: every other one, the last always.
  std::vector<double> level_one_lines(std::vector<double> x)
  {
    std::sort(x.begin(), x.end());
    x.erase(
        std::unique(x.begin(), x.end(), [](double a, double b) { return std::abs(a - b) < 1e-9; }),
        x.end());
    std::vector<double> kept;
    for (std::size_t k = 0; k < x.size(); k += 2)
      kept.push_back(x[k]);
    if (kept.back() != x.back())
      kept.push_back(x.back());
    return kept;
  }

  /// A field linear along the layers and nonlinear across them, different
  /// per component.
  template <int dim> double field(const Point<dim> &p, const unsigned int c)
  {
    double v = c == 0 ? 1.0 : -4.0;
    for (unsigned int d = 0; d + 1 < dim; ++d)
      v += (c == 0 ? 0.7 : -1.3) * (d + 1) * p[d];
    return v + std::sin(3 * p[dim - 1] + c);
  }

  template <int dim> void check_level_one(const bool hole)
  {
    const Grid<dim>        g(hole);
    const std::vector<Mat> p = g.interpolations(1);
    BOOST_REQUIRE(!p.empty());
    // The DoFs of level 1, in the order of the fine ones.
    std::vector<std::vector<double>> kept(dim - 1);
    for (unsigned int d = 0; d + 1 < dim; ++d)
      {
        std::vector<double> x;
        for (const auto &q : g.points)
          x.push_back(q[d]);
        kept[d] = level_one_lines(x);
      }
    std::vector<PetscScalar> coarse;
    for (std::size_t i = 0; i < g.points.size(); ++i)
      {
        bool on = true;
        for (unsigned int d = 0; d + 1 < dim; ++d)
          on = on && std::any_of(kept[d].begin(), kept[d].end(), [&](const double x) {
                 return std::abs(x - g.points[i][d]) < 1e-9;
               });
        if (on)
          coarse.push_back(field<dim>(g.points[i], g.component[i]));
      }
    PetscInt rows = 0, cols = 0;
    MatGetSize(p[0], &rows, &cols);
    BOOST_TEST(rows == static_cast<PetscInt>(g.points.size()));
    BOOST_TEST(cols == static_cast<PetscInt>(coarse.size()));
    // Every row sums to one and holds at least one entry.
    for (PetscInt r = 0; r < rows; ++r)
      {
        PetscInt           n = 0;
        const PetscScalar *v = nullptr;
        MatGetRow(p[0], r, &n, nullptr, &v);
        double sum = 0;
        for (PetscInt k = 0; k < n; ++k)
          sum += v[k];
        BOOST_TEST(n >= 1);
        BOOST_TEST(std::abs(sum - 1) < 1e-14);
        MatRestoreRow(p[0], r, &n, nullptr, &v);
      }
    // Exact for the linear-along-layers field wherever no cell is missing.
    Vec c, f;
    MatCreateVecs(p[0], &c, &f);
    for (PetscInt k = 0; k < cols; ++k)
      VecSetValue(c, k, coarse[k], INSERT_VALUES);
    VecAssemblyBegin(c);
    VecAssemblyEnd(c);
    MatMult(p[0], c, f);
    const PetscScalar *fine = nullptr;
    VecGetArrayRead(f, &fine);
    double worst = 0;
    for (std::size_t i = 0; i < g.points.size(); ++i)
      worst = std::max(worst, std::abs(fine[i] - field<dim>(g.points[i], g.component[i])));
    VecRestoreArrayRead(f, &fine);
    if (!hole)
      BOOST_TEST(worst < 1e-12);
    else
      BOOST_TEST(worst > 0); // the rows beside the hole interpolate from fewer nodes
    VecDestroy(&c);
    VecDestroy(&f);
    // Later levels: 10 lateral lines -> 6 -> 4 -> 3, then no further level.
    BOOST_TEST(p.size() == 3u);
    for (Mat m : p)
      MatDestroy(&m);
  }

  /// The DoFs split over the ranks of MPI_COMM_WORLD in contiguous, uneven
  /// ranges (cutting planes and lines anywhere) give the same interpolations,
  /// row by row and entry by entry, as all of them on one rank: the
  /// construction exchanges only grid lines and the coarse neighbours that
  /// another rank owns. (Run on 3 ranks by the unit_mpi test.)
  template <int dim> void check_split_over_ranks(const bool hole)
  {
    const Grid<dim>    g(hole);
    const unsigned int n_ranks = Utilities::MPI::n_mpi_processes(MPI_COMM_WORLD);
    const unsigned int me      = Utilities::MPI::this_mpi_process(MPI_COMM_WORLD);
    const std::size_t  n       = g.points.size();
    const auto         start   = [&](const std::size_t r) {
      return n * r * (r + 1) / (n_ranks * (n_ranks + 1));
    };
    IndexSet owned(n);
    owned.add_range(start(me), start(me + 1));
    const std::vector<Point<dim>>   points(g.points.begin() + start(me),
                                           g.points.begin() + start(me + 1));
    const std::vector<unsigned int> component(g.component.begin() + start(me),
                                              g.component.begin() + start(me + 1));
    const std::vector<Mat>          split =
        lateral_interpolations<dim>(MPI_COMM_WORLD, owned, points, component, 20, 1);
    const std::vector<Mat> whole = lateral_interpolations<dim>(MPI_COMM_SELF, complete_index_set(n),
                                                               g.points, g.component, 20, 1);
    BOOST_REQUIRE(split.size() == whole.size());
    BOOST_TEST(split.size() == 3u);
    double worst = 0;
    bool   same  = true;
    for (std::size_t l = 0; l < split.size(); ++l)
      {
        PetscInt rows = 0, cols = 0, rows_1 = 0, cols_1 = 0, first = 0, last = 0;
        MatGetSize(split[l], &rows, &cols);
        MatGetSize(whole[l], &rows_1, &cols_1);
        BOOST_TEST(rows == rows_1);
        BOOST_TEST(cols == cols_1);
        MatGetOwnershipRange(split[l], &first, &last);
        for (PetscInt r = first; r < last; ++r)
          {
            PetscInt           n_a = 0, n_b = 0;
            const PetscInt    *c_a = nullptr, *c_b = nullptr;
            const PetscScalar *v_a = nullptr, *v_b = nullptr;
            MatGetRow(split[l], r, &n_a, &c_a, &v_a);
            MatGetRow(whole[l], r, &n_b, &c_b, &v_b);
            same = same && n_a == n_b;
            for (PetscInt k = 0; same && k < n_a; ++k)
              {
                same  = same && c_a[k] == c_b[k];
                worst = std::max(worst, std::abs(v_a[k] - v_b[k]));
              }
            MatRestoreRow(whole[l], r, &n_b, &c_b, &v_b);
            MatRestoreRow(split[l], r, &n_a, &c_a, &v_a);
          }
      }
    BOOST_TEST(same);
    BOOST_TEST(worst < 1e-14);
    for (Mat m : split)
      MatDestroy(&m);
    for (Mat m : whole)
      MatDestroy(&m);
  }
} // namespace

BOOST_AUTO_TEST_SUITE(lateral_multigrid)

BOOST_AUTO_TEST_CASE(level_one_interpolates_linear_fields_along_the_layers)
{
  check_level_one<2>(false);
  check_level_one<3>(false);
}

BOOST_AUTO_TEST_CASE(rows_next_to_removed_cells_still_sum_to_one)
{
  check_level_one<2>(true);
  check_level_one<3>(true);
}

BOOST_AUTO_TEST_CASE(the_same_interpolations_from_dofs_split_over_the_ranks)
{
  check_split_over_ranks<2>(false);
  check_split_over_ranks<2>(true);
  check_split_over_ranks<3>(false);
  check_split_over_ranks<3>(true);
}

BOOST_AUTO_TEST_CASE(coarsening_stops_at_the_coarse_size)
{
  const Grid<2> g(false);
  // 10 x 6 nodes x 2 fields = 120 DoFs; level 1: 6 x 6 x 2 = 72; level 2: 48.
  auto p = g.interpolations(60);
  BOOST_TEST(p.size() == 1u);
  for (Mat m : p)
    MatDestroy(&m);
  p = g.interpolations(1000);
  BOOST_TEST(p.empty());
}

BOOST_AUTO_TEST_SUITE_END()
