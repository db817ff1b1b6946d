// Closed-form kernels of the PNP cell assembly (solver/pnp_solver.cc):
// the logistic functions of the lattice-gas density, the Bernoulli function of
// the Scharfetter-Gummel flux, and the Q1 stiffness matrices of box cells.
// Each replaces a more expensive general evaluation with the same values
// (tests/unit/test_assembly_kernels.cc checks them against those).
#ifndef PROTONFEM_SOLVER_ASSEMBLY_KERNELS_H
#define PROTONFEM_SOLVER_ASSEMBLY_KERNELS_H

#include <deal.II/base/point.h>

#include <array>
#include <cmath>
#include <vector>

namespace protonfem
{
  /// The side lengths of an axis-parallel box cell (vertex 0 is its lowest
  /// corner, vertex 2^dim - 1 its highest): read once per cell by the
  /// assembly, which needs them for both stiffness matrices and the
  /// Gauss-point gradients.
  template <int dim, typename CellIterator>
  std::array<double, dim> box_extents(const CellIterator &cell)
  {
    const dealii::Point<dim> lo = cell->vertex(0), hi = cell->vertex((1u << dim) - 1);
    std::array<double, dim>  h;
    for (unsigned int d = 0; d < dim; ++d)
      h[d] = hi[d] - lo[d];
    return h;
  }
  /// The Q1 stiffness matrix of an axis-parallel box cell with sides @p h,
  /// times @p scale, in closed form: the sum over axes d of the 1D stiffness
  /// along d times the 1D mass matrices along the other axes (shape
  /// functions are products of 1D ones, numbered lexicographically: bit d of
  /// a shape function's number is its end along axis d). @p vertex_rule:
  /// the 1D mass matrices of the vertex (trapezoidal) rule, diag(h/2), which
  /// is QGaussLobatto(2); otherwise the exact ones, h/6 [[2, 1], [1, 2]],
  /// which is QGauss(2). Same values as FEValues with those rules, without
  /// their per-cell reinit and 2^(3 dim) products (docs/performance.md).
  /// An entry depends only on which axes its two functions' ends differ
  /// along (a XOR b): 2^dim distinct values, each computed once.
  template <int dim>
  void box_stiffness(const std::array<double, dim> &h, const double scale, const bool vertex_rule,
                     std::vector<std::vector<double>> &k)
  {
    const unsigned int nv = 1u << dim;
    // 1D matrices per axis: [same end], [opposite ends].
    std::array<std::array<double, 2>, dim> mass, stiff;
    for (unsigned int d = 0; d < dim; ++d)
      {
        mass[d] = vertex_rule ? std::array<double, 2>{{h[d] / 2, 0}}
                              : std::array<double, 2>{{h[d] / 3, h[d] / 6}};
        stiff[d] = {{1 / h[d], -1 / h[d]}};
      }
    std::array<double, (1u << dim)> of_pattern;
    for (unsigned int x = 0; x < nv; ++x)
      {
        double v = 0;
        for (unsigned int d = 0; d < dim; ++d)
          {
            double term = stiff[d][(x >> d) & 1];
            for (unsigned int e = 0; e < dim; ++e)
              if (e != d)
                term *= mass[e][(x >> e) & 1];
            v += term;
          }
        of_pattern[x] = scale * v;
      }
    for (unsigned int a = 0; a < nv; ++a)
      for (unsigned int b = 0; b < nv; ++b)
        k[a][b] = of_pattern[a ^ b];
  }
  /// The same for a cell (its sides read from its vertices).
  template <int dim, typename CellIterator>
  void box_stiffness(const CellIterator &cell, const double scale, const bool vertex_rule,
                     std::vector<std::vector<double>> &k)
  {
    box_stiffness<dim>(box_extents<dim>(cell), scale, vertex_rule, k);
  }
  /// Gradients of the Q1 shape functions at the points of QGauss(2) on the
  /// unit box: table[q][b][d] = dN_b/dxi_d at point q (bit e of q: the
  /// point's Gauss abscissa along axis e, deal.II's order; bit e of b: the
  /// shape function's end along axis e). On a box cell with sides h_d the
  /// physical gradient is table[q][b][d] / h_d, and every point weighs
  /// |cell| / 2^dim: what FEValues with MappingCartesian computes, without
  /// its per-cell reinit and copies (docs/performance.md).
  template <int dim>
  const std::array<std::array<std::array<double, dim>, (1u << dim)>, (1u << dim)> &
  q1_gauss_gradients()
  {
    using Table = std::array<std::array<std::array<double, dim>, (1u << dim)>, (1u << dim)>;
    static const Table table = [] {
      Table        t{};
      const double g[2] = {0.5 - 0.5 / std::sqrt(3.0), 0.5 + 0.5 / std::sqrt(3.0)};
      for (unsigned int q = 0; q < (1u << dim); ++q)
        for (unsigned int b = 0; b < (1u << dim); ++b)
          for (unsigned int d = 0; d < dim; ++d)
            {
              double v = ((b >> d) & 1) ? 1.0 : -1.0;
              for (unsigned int e = 0; e < dim; ++e)
                if (e != d)
                  {
                    const double xi = g[(q >> e) & 1];
                    v *= ((b >> e) & 1) ? xi : 1 - xi;
                  }
              t[q][b][d] = v;
            }
      return t;
    }();
    return table;
  }
  /// sigma(+-x) = 1 / (1 + exp(-+x)) and their logs, from one exp and one
  /// log1p (the assembly needs all four at every node of a cell; four
  /// separate log_sigmoid calls cost eight transcendentals).
  struct Sigmoids
  {
    double log_p, log_m, p, m; ///< log sigma(x), log sigma(-x), sigma(x), sigma(-x)
  };
  inline Sigmoids sigmoids(const double x)
  {
    const double e = std::exp(-std::abs(x)), l = std::log1p(e), inv = 1.0 / (1.0 + e);
    if (x > 0)
      return {-l, -x - l, inv, e * inv};
    return {x - l, -l, e * inv, inv};
  }
  /// log B(x), log B(-x) and their derivatives d/dx log B at x and at -x,
  /// from one expm1 and one log (the Scharfetter-Gummel pair needs all
  /// four). With a = |x|, em = e^-a - 1: log B(-a) = log(a / -em),
  /// log B(a) = log B(-a) - a, (log B)'(a) = 1/a + 1/em and
  /// (log B)'(-a) = -(log B)'(a) - 1; no cancellation in the values.
  struct LogBernoulliPair
  {
    double at_x, at_minus_x, d_at_x, d_at_minus_x;
  };
  inline LogBernoulliPair log_bernoulli_pair(const double x)
  {
    const double a = std::abs(x);
    double       f_pos, f_neg, d_pos, d_neg; // at +a and at -a
    if (a < 1e-4)
      {
        d_pos = -0.5 - a / 12, d_neg = -0.5 + a / 12; // log B(x) = -x/2 - x^2/24 + O(x^4)
        if (a < 1e-6)
          f_pos = -0.5 * a, f_neg = 0.5 * a;
        else
          {
            f_neg = std::log(a / -std::expm1(-a));
            f_pos = f_neg - a;
          }
      }
    else
      {
        const double em = std::expm1(-a);
        f_neg           = std::log(a / -em);
        f_pos           = f_neg - a;
        d_pos           = 1 / a + 1 / em;
        d_neg           = -1 / a - (1.0 + em) / em;
      }
    if (x >= 0)
      return {f_pos, f_neg, d_pos, d_neg};
    return {f_neg, f_pos, d_neg, d_pos};
  }
} // namespace protonfem

#endif
