// Manufactured solution of the fully coupled transient Poisson-Nernst-Planck
// system with every term on (physics.md §4.1), solved with the production
// PNPSolver on a sequence of uniformly refined meshes.
//
// Two layers with different eps_r, D, c_max, site energy, background and
// fixed charge, hopping enhancement g(|E|) (|E| up to 3 E0, g up to 3.3),
// c from deep dilute to 94 % of c_max, the Poisson coupling, time-dependent
// data and BDF2. Domain (0, 2 nm)^dim, interface at x_last = 1 nm. The exact
// phi and mu have zero normal derivative at the interface, so the exact
// solution satisfies the interface conditions (continuous eps dphi/dn and
// proton flux) for any coefficient jump. Time step proportional to h, so the
// BDF2 error is O(h^2) like the L2 error of Q1 elements (dt ~ h^1.5 for Q2).
//
// Sources: divergences and dc/dt of the exact fields by fourth-order central
// differences (step 1e-3: truncation and round-off below 1e-10, far below the
// discretization errors measured); gradients are analytic.
//
// usage: pnp_mms DIM DEGREE FIRST_REFINEMENT LAST_REFINEMENT [--mobility=edge|galerkin|sg]
//        [--drop-enhancement-in-source]
// Prints one CSV row per mesh: errors of phi/V_T and mu/kT (L2, H1 seminorm)
// and of c/c_ref (L2) at the final time, in nondimensional units, with the
// observed rates log2(e_h / e_{h/2}).
#include "solver/pnp_solver.h"

#include <deal.II/base/conditional_ostream.h>
#include <deal.II/base/function.h>
#include <deal.II/base/mpi.h>
#include <deal.II/base/quadrature_lib.h>
#include <deal.II/base/timer.h>
#include <deal.II/distributed/shared_tria.h>
#include <deal.II/distributed/tria.h>
#include <deal.II/fe/fe_values.h>
#include <deal.II/grid/grid_generator.h>
#include <deal.II/numerics/vector_tools.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>

using namespace dealii;
using namespace protonfem;

namespace
{
  constexpr double pi = M_PI;
  constexpr double T  = 0.25; // final nondimensional time (t0 = L0^2 / D_ref)
  /// Negative control: sources computed without g(|E|) while the solver
  /// keeps it, so the errors must stop converging (the test checks this).
  bool drop_enhancement = false;
  /// 'Transport/Mobility average' of the solver under test.
  std::string mobility_average = "galerkin";

  /// Exact fields in nondimensional units: x in L0 = 1 nm, t in t0, with
  /// their gradients. z = x_last is the stack direction, x_0 lateral (2D/3D).
  ///   phi = 1 + 3 cos(pi z) P(x_0) (1 + 0.4 sin 3t),  P = 1 + 0.3 sin(pi x_0 / 2 + 0.4)
  ///   mu  = 0.5 + (0.8 cos 2 pi z + 1.5 cos pi z) M(x_0) (1 + t / 2),  M = 1 + 0.25 cos(pi x_0 / 2)
  template <int dim> double phi_exact(const Point<dim> &x, const double t)
  {
    const double lateral = dim > 1 ? 1 + 0.3 * std::sin(0.5 * pi * x[0] + 0.4) : 1.0;
    return 1 + 3 * std::cos(pi * x[dim - 1]) * lateral * (1 + 0.4 * std::sin(3 * t));
  }
  template <int dim> Tensor<1, dim> phi_gradient(const Point<dim> &x, const double t)
  {
    const double   z = x[dim - 1], time = 1 + 0.4 * std::sin(3 * t);
    const double   lateral = dim > 1 ? 1 + 0.3 * std::sin(0.5 * pi * x[0] + 0.4) : 1.0;
    Tensor<1, dim> g;
    g[dim - 1] = -3 * pi * std::sin(pi * z) * lateral * time;
    if (dim > 1)
      g[0] = 3 * std::cos(pi * z) * 0.15 * pi * std::cos(0.5 * pi * x[0] + 0.4) * time;
    return g;
  }
  template <int dim> double mu_exact(const Point<dim> &x, const double t)
  {
    const double lateral = dim > 1 ? 1 + 0.25 * std::cos(0.5 * pi * x[0]) : 1.0;
    return 0.5 +
           (0.8 * std::cos(2 * pi * x[dim - 1]) + 1.5 * std::cos(pi * x[dim - 1])) * lateral *
               (1 + 0.5 * t);
  }
  template <int dim> Tensor<1, dim> mu_gradient(const Point<dim> &x, const double t)
  {
    const double   z = x[dim - 1], time = 1 + 0.5 * t;
    const double   lateral = dim > 1 ? 1 + 0.25 * std::cos(0.5 * pi * x[0]) : 1.0;
    Tensor<1, dim> g;
    g[dim - 1] = (-1.6 * pi * std::sin(2 * pi * z) - 1.5 * pi * std::sin(pi * z)) * lateral * time;
    if (dim > 1)
      g[0] = (0.8 * std::cos(2 * pi * z) + 1.5 * std::cos(pi * z)) * (-0.125 * pi) *
             std::sin(0.5 * pi * x[0]) * time;
    return g;
  }

  /// The two layers: x_last < 1 is region 0 (PSG-like), above region 1
  /// (WO3-like: lower site energy, more sites, slower).
  std::vector<RegionModel> make_regions()
  {
    RegionModel a, b;
    a.eps_r = 4, a.hosts_protons = a.proton_charge = true, a.c0 = 0.6, a.c_max = 2,
    a.e_site = 0, a.diffusivity = 1, a.field_scale = 4, a.fixed_charge = 0;
    b.eps_r = 12, b.hosts_protons = b.proton_charge = true, b.c0 = 1, b.c_max = 5,
    b.e_site = -1.5, b.diffusivity = 0.3, b.field_scale = 6, b.fixed_charge = 0.3;
    return {a, b};
  }

  template <int dim> unsigned int region_of(const Point<dim> &x) { return x[dim - 1] < 1 ? 0 : 1; }

  /// Fourth-order central difference of f along coordinate k.
  template <int dim, typename F>
  double derivative(const F &f, const Point<dim> &x, const unsigned int k, const double h)
  {
    Point<dim> p[4] = {x, x, x, x};
    p[0][k] -= 2 * h, p[1][k] -= h, p[2][k] += h, p[3][k] += 2 * h;
    return (f(p[0]) - 8 * f(p[1]) + 8 * f(p[2]) - f(p[3])) / (12 * h);
  }

  /// (f_Poisson, f_Nernst-Planck) for the exact fields at (x, t).
  template <int dim>
  std::array<double, 2> source(const Point<dim> &x, const double t, const std::vector<RegionModel> &regions,
                               const double lambda)
  {
    const RegionModel &r = regions[region_of(x)];
    // Poisson: -div(eps grad phi) - lambda (rho_fix + c - c0), eps constant per layer.
    double div_eps_grad = 0, div_flux = 0;
    for (unsigned int k = 0; k < dim; ++k)
      {
        div_eps_grad += derivative<dim>(
            [&](const Point<dim> &p) { return r.eps_r * phi_gradient(p, t)[k]; }, x, k, 1e-3);
        // Proton flux component k: D c (1 - c/c_max) g(|grad phi|) d mu / dx_k.
        div_flux += derivative<dim>(
            [&](const Point<dim> &p) {
              double g = 1, dg = 0;
              if (!drop_enhancement)
                r.enhancement(phi_gradient(p, t).norm(), g, dg);
              return r.diffusivity * r.density_derivative(mu_exact(p, t), phi_exact(p, t)) * g *
                     mu_gradient(p, t)[k];
            },
            x, k, 1e-3);
      }
    const double c = r.density(mu_exact(x, t), phi_exact(x, t));
    // dc/dt by a fourth-order difference in time.
    const auto   c_at = [&](const double s) { return r.density(mu_exact(x, s), phi_exact(x, s)); };
    const double h = 1e-3;
    const double dcdt =
        (c_at(t - 2 * h) - 8 * c_at(t - h) + 8 * c_at(t + h) - c_at(t + 2 * h)) / (12 * h);
    return {{-div_eps_grad - lambda * (r.fixed_charge + c - r.c0), dcdt - div_flux}};
  }

  /// (phi_hat, mu) exact, as a deal.II Function on the mesh in metres.
  template <int dim> class Exact : public Function<dim>
  {
  public:
    Exact(const double L, const double t) : Function<dim>(2), L(L), t(t) {}
    double value(const Point<dim> &p, const unsigned int c) const override
    {
      return c == 0 ? phi_exact(Point<dim>(p / L), t) : mu_exact(Point<dim>(p / L), t);
    }
    Tensor<1, dim> gradient(const Point<dim> &p, const unsigned int c) const override
    {
      const Point<dim> x(p / L);
      return (c == 0 ? phi_gradient(x, t) : mu_gradient(x, t)) / L;
    }

  private:
    double L, t;
  };

  struct Row
  {
    unsigned int refinement = 0, cells = 0, steps = 0, newton = 0;
    double       dofs = 0, h = 0, e[5] = {0, 0, 0, 0, 0}; // L2 phi, H1 phi, L2 mu, H1 mu, L2 c
  };

  template <int dim> Row run(const unsigned int degree, const unsigned int refinement)
  {
    const MPI_Comm comm = MPI_COMM_WORLD;
    std::unique_ptr<parallel::TriangulationBase<dim>> tria;
    if constexpr (dim == 1)
      tria = std::make_unique<parallel::shared::Triangulation<dim>>(comm);
    else
      tria = std::make_unique<parallel::distributed::Triangulation<dim>>(comm);
    Scaling scaling;
    scaling.density     = 1e25; // Poisson coupling lambda = (L0 / lambda_D)^2 = 7.0
    scaling.diffusivity = 1e-10;
    const double L      = scaling.length;
    GridGenerator::hyper_cube(*tria, 0, 2 * L);
    tria->refine_global(refinement + 1);
    for (const auto &cell : tria->active_cell_iterators())
      cell->set_material_id(region_of(Point<dim>(cell->center() / L)));

    const auto    regions = make_regions();
    PNPParameters parameters;
    parameters.gate_exchange   = "blocking";
    parameters.linear_solver   = "direct";
    parameters.mobility_average = mobility_average;
    // The rates are measured with the consistent mass matrix (the Q2 case
    // needs it); lumping is verified by the sheet transit and erfc cases.
    parameters.mass_lumping     = "off";
    parameters.newton_tolerance = 1e-11;
    // Newton diagnostics on request (PROTONFEM_DEBUG_NEWTON=1).
    ConditionalOStream quiet(std::cout, std::getenv("PROTONFEM_DEBUG_NEWTON") != nullptr);
    TimerOutput        timer(quiet, TimerOutput::never, TimerOutput::wall_times);
    PNPSolver<dim>     solver(*tria, degree, regions, scaling, parameters, {}, 0, 0, timer, quiet);
    const double       lambda = scaling.poisson_coupling();
    solver.set_manufactured_solution(
        {[](const Point<dim> &x, const double t) {
           return std::array<double, 2>{{phi_exact(x, t), mu_exact(x, t)}};
         },
         [&](const Point<dim> &x, const double t) { return source(x, t, regions, lambda); }});
    solver.setup();
    solver.set_exact_state(0);

    // dt = h^((p+1)/2) in nondimensional units (h = 2 / 2^(refinement+1)):
    // the BDF2 error O(dt^2) then falls like the L2 error O(h^(p+1)).
    const double h     = 2.0 / std::pow(2.0, refinement + 1);
    const auto   steps = static_cast<unsigned int>(std::ceil(T / std::pow(h, 0.5 * (degree + 1))));
    const double t0 = scaling.time(), dt = T / steps * t0;
    Row          row;
    for (unsigned int s = 1; s <= steps; ++s)
      {
        const NewtonReport report = solver.step(s * dt, dt, true, dt);
        if (!report.converged)
          throw std::runtime_error("Newton did not converge at step " + std::to_string(s));
        row.newton += report.iterations;
        solver.accept_step();
      }

    // Errors at T (nondimensional norms: the mesh is in metres).
    const auto        &dofs = solver.dof_handler();
    const Exact<dim>   exact(L, T);
    const QGauss<dim>  quadrature(degree + 2);
    Vector<float>      per_cell(tria->n_active_cells());
    const double       l2_scale = std::pow(L, -0.5 * dim), h1_scale = std::pow(L, 1 - 0.5 * dim);
    for (unsigned int c = 0; c < 2; ++c)
      {
        const ComponentSelectFunction<dim> mask(c, 2);
        VectorTools::integrate_difference(dofs, solver.solution(), exact, per_cell, quadrature,
                                          VectorTools::L2_norm, &mask);
        row.e[2 * c] =
            l2_scale * VectorTools::compute_global_error(*tria, per_cell, VectorTools::L2_norm);
        VectorTools::integrate_difference(dofs, solver.solution(), exact, per_cell, quadrature,
                                          VectorTools::H1_seminorm, &mask);
        row.e[2 * c + 1] =
            h1_scale * VectorTools::compute_global_error(*tria, per_cell, VectorTools::H1_seminorm);
      }
    // Density error: c from the discrete fields (the solver's own evaluation) vs exact.
    FEValues<dim>       fv(dofs.get_fe(), quadrature, update_quadrature_points | update_JxW_values);
    std::vector<double> density;
    double              sum = 0;
    for (const auto &cell : dofs.active_cell_iterators())
      if (cell->is_locally_owned())
        {
          fv.reinit(cell);
          solver.proton_density(cell, quadrature, density);
          for (unsigned int q = 0; q < quadrature.size(); ++q)
            {
              const Point<dim>   x = fv.quadrature_point(q) / L;
              const RegionModel &r = regions[cell->material_id()];
              const double       d = density[q] / scaling.density - r.density(mu_exact(x, T), phi_exact(x, T));
              sum += d * d * fv.JxW(q);
            }
        }
    row.e[4]       = std::sqrt(Utilities::MPI::sum(sum, comm)) * l2_scale;
    row.refinement = refinement;
    row.cells      = tria->n_global_active_cells();
    row.dofs       = solver.n_dofs();
    row.h          = h;
    row.steps      = steps;
    return row;
  }

  template <int dim> void run_all(const unsigned int degree, const unsigned int r0, const unsigned int r1)
  {
    const bool root = Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0;
    if (root)
      std::printf("dim,degree,refinement,cells,dofs,h,steps,newton_iterations,"
                  "l2_phi,h1_phi,l2_mu,h1_mu,l2_c,rate_l2_phi,rate_h1_phi,rate_l2_mu,rate_h1_mu,"
                  "rate_l2_c\n");
    Row previous;
    for (unsigned int r = r0; r <= r1; ++r)
      {
        const Row row = run<dim>(degree, r);
        if (root)
          {
            std::printf("%d,%u,%u,%u,%.0f,%.6g,%u,%u", dim, degree, r, row.cells, row.dofs, row.h,
                        row.steps, row.newton);
            for (const double e : row.e)
              std::printf(",%.6e", e);
            for (unsigned int k = 0; k < 5; ++k)
              {
                if (r == r0)
                  std::printf(",");
                else
                  std::printf(",%.4f", std::log2(previous.e[k] / row.e[k]));
              }
            std::printf("\n");
            std::fflush(stdout);
          }
        previous = row;
      }
  }
} // namespace

int main(int argc, char **argv)
{
  Utilities::MPI::MPI_InitFinalize mpi(argc, argv, 1);
  bool usage_error = argc < 5;
  for (int k = 5; k < argc; ++k)
    {
      const std::string a = argv[k];
      if (a == "--drop-enhancement-in-source")
        drop_enhancement = true;
      else if (a == "--mobility=edge" || a == "--mobility=galerkin" || a == "--mobility=sg")
        mobility_average = a.substr(11);
      else
        usage_error = true;
    }
  if (usage_error)
    {
      std::cerr << "usage: pnp_mms DIM DEGREE FIRST_REFINEMENT LAST_REFINEMENT "
                   "[--mobility=edge|galerkin|sg] [--drop-enhancement-in-source]\n";
      return 1;
    }
  try
    {
      const int          dim    = std::atoi(argv[1]);
      const unsigned int degree = std::atoi(argv[2]), r0 = std::atoi(argv[3]), r1 = std::atoi(argv[4]);
      if (dim == 1)
        run_all<1>(degree, r0, r1);
      else if (dim == 2)
        run_all<2>(degree, r0, r1);
      else if (dim == 3)
        run_all<3>(degree, r0, r1);
      else
        throw std::runtime_error("DIM must be 1, 2 or 3");
    }
  catch (const std::exception &e)
    {
      std::cerr << "pnp_mms: " << e.what() << std::endl;
      return 3;
    }
  return 0;
}
