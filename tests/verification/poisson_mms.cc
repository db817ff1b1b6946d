// Manufactured solution for variable-coefficient Poisson,
//   -div(eps(x) grad u) = f  on (0,1)^dim,  u = u_exact on the boundary,
// solved with the production ElectrostaticsSolver on a sequence of uniformly
// refined parallel meshes. Prints one CSV row per mesh with the L2 error and
// the observed rate log2(e_{h}/e_{h/2}).
//
// usage: poisson_mms DIM DEGREE FIRST_REFINEMENT LAST_REFINEMENT
#include "geometry/stack_mesh.h"
#include "solver/electrostatics.h"

#include <deal.II/base/conditional_ostream.h>
#include <deal.II/base/mpi.h>
#include <deal.II/base/timer.h>
#include <deal.II/grid/grid_generator.h>

#include <cmath>
#include <cstdio>
#include <iostream>

using namespace dealii;
using namespace protonfem;

namespace
{
  // u = prod_k sin(pi x_k + b_k), b_k = 0.3 + 0.5 k: non-zero on the boundary.
  // eps = 1 + 0.5 prod_k cos(2 x_k): smooth, in [0.5, 1.5], truly variable.
  constexpr double a = M_PI;
  double           b(const unsigned int k) { return 0.3 + 0.5 * k; }

  template <int dim> double u_exact(const Point<dim> &p)
  {
    double v = 1;
    for (unsigned int k = 0; k < dim; ++k)
      v *= std::sin(a * p[k] + b(k));
    return v;
  }

  template <int dim> Tensor<1, dim> u_grad(const Point<dim> &p)
  {
    Tensor<1, dim> g;
    for (unsigned int j = 0; j < dim; ++j)
      {
        g[j] = a * std::cos(a * p[j] + b(j));
        for (unsigned int k = 0; k < dim; ++k)
          if (k != j)
            g[j] *= std::sin(a * p[k] + b(k));
      }
    return g;
  }

  template <int dim> double eps(const Point<dim> &p)
  {
    double c = 1;
    for (unsigned int k = 0; k < dim; ++k)
      c *= std::cos(2 * p[k]);
    return 1 + 0.5 * c;
  }

  template <int dim> Tensor<1, dim> eps_grad(const Point<dim> &p)
  {
    Tensor<1, dim> g;
    for (unsigned int j = 0; j < dim; ++j)
      {
        g[j] = -0.5 * 2 * std::sin(2 * p[j]);
        for (unsigned int k = 0; k < dim; ++k)
          if (k != j)
            g[j] *= std::cos(2 * p[k]);
      }
    return g;
  }

  template <int dim> double f(const Point<dim> &p)
  {
    // -div(eps grad u) = -(grad eps . grad u + eps lap u), lap u = -dim a^2 u
    return -(eps_grad(p) * u_grad(p) - eps(p) * dim * a * a * u_exact(p));
  }

  template <int dim> class Exact : public Function<dim>
  {
  public:
    double value(const Point<dim> &p, unsigned int = 0) const override { return u_exact(p); }
  };

  template <int dim>
  void run(const unsigned int degree, const unsigned int first, const unsigned int last)
  {
    ConditionalOStream pcout(std::cout, Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0);
    pcout << "dim,degree,refinements,cells,dofs,h,l2_error,rate,cg_iterations" << std::endl;
    double previous = 0;
    for (unsigned int r = first; r <= last; ++r)
      {
        auto tria = make_parallel_triangulation<dim>(MPI_COMM_WORLD);
        GridGenerator::hyper_cube(*tria, 0, 1);
        tria->refine_global(r);

        ElectrostaticsProblem<dim> problem;
        problem.relative_permittivity = [](const Point<dim> &p, types::material_id) {
          return eps(p);
        };
        problem.charge_over_eps0 = [](const Point<dim> &p, types::material_id) { return f(p); };
        problem.dirichlet[0]     = std::make_shared<Exact<dim>>();

        TimerOutput timer(MPI_COMM_WORLD, pcout, TimerOutput::never, TimerOutput::wall_times);
        ConditionalOStream   quiet(std::cout, false);
        LinearSolverSettings settings;
        settings.relative_tolerance = 1e-13;
        ElectrostaticsSolver<dim> solver(*tria, degree, settings, timer, quiet);
        solver.setup(problem);
        solver.assemble(problem);
        const auto   report = solver.solve();
        const double e      = solver.l2_error(Exact<dim>());
        const double rate   = previous > 0 ? std::log2(previous / e) : NAN;
        char         line[256];
        std::snprintf(line, sizeof(line), "%d,%u,%u,%u,%llu,%.6e,%.6e,%.4f,%u", dim, degree, r,
                      static_cast<unsigned>(tria->n_global_active_cells()),
                      static_cast<unsigned long long>(solver.n_dofs()), std::pow(0.5, r), e, rate,
                      report.iterations);
        pcout << line << std::endl;
        previous = e;
      }
  }
} // namespace

int main(int argc, char **argv)
{
  Utilities::MPI::MPI_InitFinalize mpi(argc, argv, 1);
  if (argc != 5)
    {
      std::cerr << "usage: poisson_mms DIM DEGREE FIRST_REFINEMENT LAST_REFINEMENT\n";
      return 1;
    }
  const int          dim = std::atoi(argv[1]);
  const unsigned int p = std::atoi(argv[2]), r0 = std::atoi(argv[3]), r1 = std::atoi(argv[4]);
  if (dim == 1)
    run<1>(p, r0, r1);
  else if (dim == 2)
    run<2>(p, r0, r1);
  else
    run<3>(p, r0, r1);
  return 0;
}
