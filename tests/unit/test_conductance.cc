// Conductance read-out (solver/conductance.cc) on a channel whose
// conductivity varies along the current: sigma(x) = sigma0 exp(k x / L)
// between a source on the x = 0 face and a drain on the x = L face. The exact
// conductance is that of resistors in series,
//   G = (W t / L) k / (1 - e^-k)   (per sigma0; W t: the cross-section),
// and with k = 20 (sigma spanning 4.9e8 across the channel; the WO3 law's
// full e^42.2 would leave the drain-side current to round-off, the drain
// rows' entries being 1e18 times the source's) the Gauss-point values (a
// cell-wise arithmetic mean of sigma) overestimate G by 63 % on 8 cells. The
// series rule must be accurate on a few cells (7.6e-3 measured) and converge
// at least at second order; uniform sigma must come out exact; source and
// drain currents must agree.
#define BOOST_TEST_DYN_LINK
#include "geometry/boundary_ids.h"
#include "solver/conductance.h"

#include <deal.II/distributed/shared_tria.h>
#include <deal.II/grid/grid_generator.h>

#include <boost/test/unit_test.hpp>

#include <cmath>

using namespace protonfem;
using namespace dealii;

namespace
{
  /// sigma = exp(x): the proton fraction is the exponent itself.
  class ExponentialOfFraction : public ElectronicConductivityLaw
  {
  public:
    double conductivity(const double f) const override { return std::exp(f); }
  };

  constexpr double L = 150e-9, T = 30e-9, W = 50e-9;

  /// G of the channel on n cells along x (one across), sigma = exp(k x / L).
  template <int dim> double conductance(const unsigned int n, const double k)
  {
    parallel::shared::Triangulation<dim> tria(MPI_COMM_WORLD);
    std::vector<unsigned int>            cells(dim, 1);
    cells[0] = n;
    Point<dim> p0, p1;
    p1[0]       = L;
    p1[dim - 1] = T;
    if (dim == 3)
      p1[1] = W;
    GridGenerator::subdivided_hyper_rectangle(tria, cells, p0, p1);
    for (const auto &cell : tria.active_cell_iterators())
      for (const auto &face : cell->face_iterators())
        if (face->at_boundary())
          {
            if (std::abs(face->center()[0]) < 1e-3 * L)
              face->set_boundary_id(boundary_ids::source);
            else if (std::abs(face->center()[0] - L) < 1e-3 * L)
              face->set_boundary_id(boundary_ids::drain);
            else
              face->set_boundary_id(0);
          }
    ConductanceSolver<dim> solver(tria, {std::make_shared<ExponentialOfFraction>()}, {1.0}, 0.1, L,
                                  W);
    solver.setup();
    const auto density = [k](const typename Triangulation<dim>::active_cell_iterator &cell,
                             const Quadrature<dim> &quadrature, std::vector<double> &c) {
      const double x0 = cell->vertex(0)[0], h = cell->extent_in_direction(0);
      for (unsigned int q = 0; q < quadrature.size(); ++q)
        c[q] = k * (x0 + quadrature.point(q)[0] * h) / L;
    };
    const ConductanceResult r = solver.compute(density);
    BOOST_TEST(std::abs(r.source_current - r.current) <= 1e-6 * std::abs(r.current));
    return r.conductance;
  }

  double exact(const double k)
  {
    const double area = T * W; // 2D: depth = Device width; 3D: the y extent
    return k == 0 ? area / L : area / L * k / (1 - std::exp(-k));
  }

  template <int dim> void check()
  {
    // Uniform sigma: exact on any mesh.
    BOOST_TEST(std::abs(conductance<dim>(3, 0) / exact(0) - 1) < 1e-10);
    // sigma spanning e^20 = 4.9e8 along the channel.
    const double k        = 20;
    double       previous = 0;
    for (const unsigned int n : {8u, 16u, 32u, 64u})
      {
        const double error = std::abs(conductance<dim>(n, k) / exact(k) - 1);
        BOOST_TEST_MESSAGE(dim << "D, " << n << " cells: relative error " << error);
        if (n == 8)
          BOOST_TEST(error < 0.02); // measured 7.6e-3; Gauss-point values: 0.63
        else
          BOOST_TEST(previous / error > 3.5); // at least second order (measured ~15)
        previous = error;
      }
  }
} // namespace

BOOST_AUTO_TEST_SUITE(conductance_readout)

BOOST_AUTO_TEST_CASE(series_rule_2d) { check<2>(); }
BOOST_AUTO_TEST_CASE(series_rule_3d) { check<3>(); }

BOOST_AUTO_TEST_SUITE_END()
