// The closed-form kernels of the PNP assembly (solver/assembly_kernels.h)
// against the general evaluations they replace: FEValues on a box cell with
// the Gauss and the vertex (Gauss-Lobatto) rule, the logistic function and its
// log term by term, and log B(x) = log(x / (e^x - 1)) with central differences.
#define BOOST_TEST_DYN_LINK
#include "solver/assembly_kernels.h"
#include "solver/pnp_model.h"

#include <deal.II/base/quadrature_lib.h>
#include <deal.II/dofs/dof_handler.h>
#include <deal.II/fe/fe_q.h>
#include <deal.II/fe/fe_values.h>
#include <deal.II/fe/mapping_q1.h>
#include <deal.II/grid/grid_generator.h>
#include <deal.II/grid/tria.h>

#include <boost/test/unit_test.hpp>

#include <cmath>

using namespace dealii;
using namespace protonfem;

namespace
{
  /// One box cell with unequal sides (10 x 0.05 x 2.5, off the origin)
  /// and its Q1 DoFs.
  template <int dim> struct BoxCell
  {
    Triangulation<dim> tria;
    Point<dim>         lo, hi;
    const FE_Q<dim>    fe{1};
    DoFHandler<dim>    dofs{tria};
    BoxCell()
    {
      for (unsigned int d = 0; d < dim; ++d)
        lo[d] = 0.3 * d - 1.0, hi[d] = lo[d] + (d == 0 ? 10.0 : d == 1 ? 0.05 : 2.5);
      GridGenerator::hyper_rectangle(tria, lo, hi);
      dofs.distribute_dofs(fe);
    }
  };

  /// Largest |closed form - FEValues| over the entries, relative to the
  /// largest entry, on the box cell.
  template <int dim> double box_stiffness_error(const bool vertex_rule)
  {
    const BoxCell<dim>    box;
    const auto           &fe = box.fe;
    const MappingQ1<dim>  mapping;
    const Quadrature<dim> rule =
        vertex_rule ? Quadrature<dim>(QGaussLobatto<dim>(2)) : Quadrature<dim>(QGauss<dim>(2));
    FEValues<dim> fv(mapping, fe, rule, update_gradients | update_JxW_values);
    const auto    cell = box.dofs.begin_active();
    fv.reinit(cell);
    const double                     scale = 0.7;
    const unsigned int               n     = fe.n_dofs_per_cell();
    std::vector<std::vector<double>> k(n, std::vector<double>(n));
    box_stiffness<dim>(cell, scale, vertex_rule, k);
    double err = 0, top = 0;
    for (unsigned int a = 0; a < n; ++a)
      for (unsigned int b = 0; b < n; ++b)
        {
          double want = 0;
          for (unsigned int q = 0; q < rule.size(); ++q)
            want += fv.shape_grad(a, q) * fv.shape_grad(b, q) * fv.JxW(q);
          err = std::max(err, std::abs(k[a][b] - scale * want));
          top = std::max(top, std::abs(scale * want));
        }
    return err / top;
  }
  /// Largest |table / h - FEValues| over the points, shape functions and
  /// axes (relative to the largest gradient), on the same box cell, with
  /// the check that FEValues' points are where the table says and that
  /// every point weighs |cell| / 2^dim.
  template <int dim> double gauss_gradient_error()
  {
    const BoxCell<dim>   box;
    const auto          &fe = box.fe;
    const Point<dim>    &lo = box.lo, &hi = box.hi;
    const MappingQ1<dim> mapping;
    FEValues<dim>        fv(mapping, fe, QGauss<dim>(2),
                            update_gradients | update_JxW_values | update_quadrature_points);
    fv.reinit(box.dofs.begin_active());
    const auto  &table = q1_gauss_gradients<dim>();
    const double g0 = 0.5 - 0.5 / std::sqrt(3.0), g1 = 0.5 + 0.5 / std::sqrt(3.0);
    double       volume = 1, err = 0, top = 0;
    for (unsigned int d = 0; d < dim; ++d)
      volume *= hi[d] - lo[d];
    for (unsigned int q = 0; q < fv.n_quadrature_points; ++q)
      {
        for (unsigned int d = 0; d < dim; ++d)
          {
            const double xi = ((q >> d) & 1) ? g1 : g0;
            if (std::abs(fv.quadrature_point(q)[d] - (lo[d] + xi * (hi[d] - lo[d]))) >
                1e-13 * (hi[d] - lo[d]))
              return 1; // not deal.II's point order
          }
        if (std::abs(fv.JxW(q) - volume / (1u << dim)) > 1e-13 * volume)
          return 1;
        for (unsigned int b = 0; b < fe.n_dofs_per_cell(); ++b)
          for (unsigned int d = 0; d < dim; ++d)
            {
              const double want = fv.shape_grad(b, q)[d];
              err               = std::max(err, std::abs(table[q][b][d] / (hi[d] - lo[d]) - want));
              top               = std::max(top, std::abs(want));
            }
      }
    return err / top;
  }
} // namespace

BOOST_AUTO_TEST_SUITE(assembly_kernels)

BOOST_AUTO_TEST_CASE(box_stiffness_equals_fevalues_with_both_rules)
{
  for (const bool vertex_rule : {false, true})
    {
      BOOST_TEST(box_stiffness_error<1>(vertex_rule) < 1e-13);
      BOOST_TEST(box_stiffness_error<2>(vertex_rule) < 1e-13);
      BOOST_TEST(box_stiffness_error<3>(vertex_rule) < 1e-13);
    }
}

BOOST_AUTO_TEST_CASE(gauss_point_gradients_equal_fevalues)
{
  BOOST_TEST(gauss_gradient_error<1>() < 1e-13);
  BOOST_TEST(gauss_gradient_error<2>() < 1e-13);
  BOOST_TEST(gauss_gradient_error<3>() < 1e-13);
}

BOOST_AUTO_TEST_CASE(sigmoids_match_the_logistic_function_and_its_log)
{
  for (const double x : {-800.0, -40.0, -3.0, -1e-9, 0.0, 1e-9, 0.5, 7.0, 40.0, 800.0})
    {
      const Sigmoids s = sigmoids(x);
      BOOST_TEST(std::abs(s.log_p - RegionModel::log_sigmoid(x)) <= 1e-14 * (1 + std::abs(x)));
      BOOST_TEST(std::abs(s.log_m - RegionModel::log_sigmoid(-x)) <= 1e-14 * (1 + std::abs(x)));
      BOOST_TEST(std::abs(s.p - 1 / (1 + std::exp(-x))) <= 1e-15);
      BOOST_TEST(std::abs(s.m - 1 / (1 + std::exp(x))) <= 1e-15);
      BOOST_TEST(std::abs(s.p + s.m - 1) <= 1e-15);
    }
}

BOOST_AUTO_TEST_CASE(log_bernoulli_pair_values_and_derivatives)
{
  // log B(x) directly where it is well conditioned; B(x) -> |x| e^{-x} for
  // |x| >> 1, where log B is x-linear: log B(x) = log x - x (x > 0),
  // log|x| (x < 0).
  const auto log_b = [](const double x) { return std::log(x / std::expm1(x)); };
  for (const double x : {-30.0, -2.0, -1e-3, -2e-5, 3e-7, 1e-5, 5e-4, 0.3, 4.0, 25.0})
    {
      const LogBernoulliPair p = log_bernoulli_pair(x);
      BOOST_TEST(std::abs(p.at_x - log_b(x)) <= 1e-12);
      BOOST_TEST(std::abs(p.at_minus_x - log_b(-x)) <= 1e-12);
      BOOST_TEST(std::abs(p.at_minus_x - p.at_x - x) <= 1e-12); // B(-x) = B(x) e^x
      // Central differences of the direct form (accurate at small |x| too:
      // expm1 keeps x / (e^x - 1) to round-off).
      const double h = 1e-6 * std::max(1.0, std::abs(x));
      BOOST_TEST(std::abs(p.d_at_x - (log_b(x + h) - log_b(x - h)) / (2 * h)) <= 1e-7);
      BOOST_TEST(std::abs(p.d_at_minus_x - (log_b(-x + h) - log_b(-x - h)) / (2 * h)) <= 1e-7);
      if (std::abs(x) <= 1e-3) // Taylor: log B(x) = -x/2 - x^2/24 + O(x^4)
        {
          BOOST_TEST(std::abs(p.d_at_x - (-0.5 - x / 12)) <= 1e-9);
          BOOST_TEST(std::abs(p.d_at_minus_x - (-0.5 + x / 12)) <= 1e-9);
        }
    }
  for (const double x : {200.0, 800.0}) // e^x overflows the direct form
    {
      const LogBernoulliPair p = log_bernoulli_pair(x);
      BOOST_TEST(std::abs(p.at_x - (std::log(x) - x)) <= 1e-12 * x);
      BOOST_TEST(std::abs(p.at_minus_x - std::log(x)) <= 1e-12);
      BOOST_TEST(std::abs(p.d_at_x - (1 / x - 1)) <= 1e-12);
      BOOST_TEST(std::abs(p.d_at_minus_x - (-1 / x)) <= 1e-12);
    }
}

BOOST_AUTO_TEST_SUITE_END()
