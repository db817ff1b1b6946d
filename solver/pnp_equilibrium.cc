// The t = 0 equilibrium of PNPSolver: pseudo-transient relaxation, on the
// fine mesh or nested over the uniform refinements of the device mesh.
//
// Why nested: the relaxation from the as-fabricated state (c = c0, phi = 0)
// needs ~20 pseudo-steps of ~3 Newton iterations, the last ones with a nearly
// elliptic Jacobian whose Krylov count is the largest of the run; on the
// 7.8e5-unknown 3D reference mesh that was 444 s before the first time step
// (docs/performance.md). On the unrefined mesh the same relaxation costs
// seconds, and its result interpolated one refinement up is already the
// equilibrium up to the interpolation error of phi in the Debye layers (mu is
// uniform at equilibrium, so its interpolation is exact): the finer mesh then
// settles in a few Newton iterations. Every mesh is relaxed with the same
// stopping test as the direct relaxation (weighted change below 1e-9 in a
// pseudo-step above 1e3), so the state handed to the transient meets the
// same criterion either way.
//
// A closed layer (a blocking gate, or a layer no exchanging neighbour links
// to a contact) keeps the number of its protons, c0 * volume, through the
// relaxation; an interpolated state carries a slightly different number, so
// those decks relax on the fine mesh (closed_charge_layer()).
#include "pnp_solver.h"
#include "heap.h"

#include "../geometry/boundary_ids.h"
#include "mpi_reduce.h"

#include <deal.II/base/mpi.h>
#include <deal.II/distributed/solution_transfer.h>

#include <boost/serialization/utility.hpp>
#include <boost/serialization/vector.hpp>

#include <map>

#include <numeric>
#include <sstream>
#include <stdexcept>

namespace protonfem
{
  using namespace dealii;

  namespace
  {
    /// A relaxation that failed (Newton down to the step floor) or did not
    /// settle: say so rather than start the transient from a state that is
    /// not the equilibrium the user asked for.
    [[noreturn]] void throw_unsettled(const bool diverged, const std::string &last_failure)
    {
      if (diverged)
        throw std::runtime_error("equilibrium: pseudo-transient relaxation failed to converge. " +
                                 last_failure);
      throw std::runtime_error(
          "equilibrium at t = 0: the pseudo-transient relaxation did not settle in "
          "200 steps; refine the mesh at the interfaces or start from a smaller "
          "gate voltage ('Base voltage')" +
          (last_failure.empty() ? std::string() : ". Last failed pseudo-step: " + last_failure));
    }
  } // namespace

  template <int dim>
  typename PNPSolver<dim>::Relaxation
  PNPSolver<dim>::relax(const double time, const double dt_start, const double dt_floor)
  {
    Relaxation result;
    double     dt_hat = dt_start;
    for (; result.steps < 200; ++result.steps)
      {
        PETScWrappers::MPI::Vector start(owned, comm);
        start                = old_solution;
        current              = start;
        const NewtonReport r = newton(time, 1, -1, 0, dt_hat);
        if (!r.converged)
          {
            result.last_failure = describe_failure(r); // before the state is reset
            current             = start;
            ghosted             = current;
            dt_hat *= 0.25;
            if (dt_hat < dt_floor)
              {
                result.diverged = true;
                return result;
              }
            continue;
          }
        start -= current;
        const double change = weighted_max(start, 1e-10);
        old_solution        = current;
        older_solution      = current;
        if (change < 1e-9 && dt_hat > 1e3)
          {
            have_older      = false;
            result.settled  = true;
            result.final_dt = dt_hat;
            ++result.steps;
            return result;
          }
        dt_hat *= 4;
      }
    return result;
  }

  template <int dim> unsigned int PNPSolver<dim>::relax_to_equilibrium(const double time)
  {
    TimerOutput::Scope t(timer, "pnp: equilibrium");
    return relax_fully(time);
  }

  template <int dim> unsigned int PNPSolver<dim>::relax_fully(const double time)
  {
    const Relaxation r = relax(time, 1e-3, 1e-12);
    if (!r.settled)
      throw_unsettled(r.diverged, r.last_failure);
    return r.steps;
  }

  template <int dim>
  void PNPSolver<dim>::refine_with_state(const double time, const bool with_jacobian)
  {
    auto *p4est = dynamic_cast<parallel::distributed::Triangulation<dim> *>(&tria);
    AssertThrow(p4est != nullptr, ExcMessage("refine_with_state needs a p4est mesh"));
    ghosted = current;
    parallel::distributed::SolutionTransfer<dim, PETScWrappers::MPI::Vector> transfer(dofs);
    transfer.prepare_for_coarsening_and_refinement(ghosted);
    p4est->refine_global(1);
    setup(with_jacobian);
    transfer.interpolate(current);
    apply_dirichlet_values(current, time);
    ghosted        = current;
    old_solution   = current;
    older_solution = current;
    have_older     = false;
  }

  template <int dim>
  bool PNPSolver<dim>::copy_state_from(
      const PNPSolver<dim> &other, const std::function<unsigned int(const Point<dim> &)> &owner)
  {
    if (owner)
      return copy_state_across_partitions(other, owner);
    bool                                 same = true;
    std::vector<types::global_dof_index> mine(fe.n_dofs_per_cell()), theirs(fe.n_dofs_per_cell());
    auto                                 a = dofs.begin_active();
    auto                                 b = other.dofs.begin_active();
    for (; a != dofs.end() && b != other.dofs.end(); ++a, ++b)
      {
        if (a->id() != b->id() || a->is_locally_owned() != b->is_locally_owned())
          {
            same = false;
            break;
          }
        if (!a->is_locally_owned())
          continue;
        a->get_dof_indices(mine);
        b->get_dof_indices(theirs);
        for (unsigned int i = 0; i < mine.size(); ++i)
          if (owned.is_element(mine[i]))
            current(mine[i]) = other.ghosted(theirs[i]);
      }
    same = same && a == dofs.end() && b == other.dofs.end();
    current.compress(VectorOperation::insert);
    return Utilities::MPI::min(same ? 1 : 0, comm) == 1;
  }

  template <int dim>
  bool PNPSolver<dim>::copy_state_across_partitions(
      const PNPSolver<dim> &other, const std::function<unsigned int(const Point<dim> &)> &owner)
  {
    // Each rank packs, per cell it owns in the other mesh, the cell's id and
    // the other state's values at its DoFs (same element, so the same local
    // order), and sends them to the cell's owner here.
    const unsigned int n = fe.n_dofs_per_cell();
    using Batch          = std::pair<std::vector<unsigned int>, std::vector<double>>;
    std::map<unsigned int, Batch>        outgoing;
    std::vector<types::global_dof_index> idx(n);
    for (const auto &cell : other.dofs.active_cell_iterators())
      if (cell->is_locally_owned())
        {
          Batch                        &b  = outgoing[owner(cell->center())];
          const CellId::binary_type     id = cell->id().template to_binary<dim>();
          b.first.insert(b.first.end(), id.begin(), id.end());
          cell->get_dof_indices(idx);
          for (const auto i : idx)
            b.second.push_back(other.ghosted(i));
        }
    // some_to_some() leaves out what a rank sends to itself.
    Batch own_batch;
    if (const auto it = outgoing.find(Utilities::MPI::this_mpi_process(comm)); it != outgoing.end())
      {
        own_batch = std::move(it->second);
        outgoing.erase(it);
      }
    std::map<unsigned int, Batch> incoming = Utilities::MPI::some_to_some(comm, outgoing);
    incoming[Utilities::MPI::this_mpi_process(comm)] = std::move(own_batch);

    std::size_t                      received = 0;
    bool                             ok       = true;
    const std::size_t                id_size  = std::tuple_size<CellId::binary_type>::value;
    for (const auto &[from, batch] : incoming)
      {
        (void)from;
        ok = ok && batch.first.size() * n == batch.second.size() * id_size;
        for (std::size_t c = 0; ok && c * id_size < batch.first.size(); ++c)
          {
            CellId::binary_type id;
            std::copy_n(batch.first.begin() + c * id_size, id_size, id.begin());
            const auto tria_cell = tria.create_cell_iterator(CellId(id));
            const typename DoFHandler<dim>::active_cell_iterator cell(&tria, tria_cell->level(),
                                                                      tria_cell->index(), &dofs);
            if (!cell->is_active() || !cell->is_locally_owned())
              {
                ok = false;
                break;
              }
            cell->get_dof_indices(idx);
            for (unsigned int i = 0; i < n; ++i)
              if (owned.is_element(idx[i]))
                current(idx[i]) = batch.second[c * n + i];
            ++received;
          }
      }
    current.compress(VectorOperation::insert);
    ok = ok && received == tria.n_locally_owned_active_cells();
    return Utilities::MPI::min(ok ? 1 : 0, comm) == 1;
  }

  template <int dim> ChargeGroups PNPSolver<dim>::charge_groups() const
  {
    // Per species kind k (0 protons, 1 electrons) and layer: present here,
    // open (touches a contact that supplies the species), and which layers
    // of the same kind it shares a face with. Max over ranks, then the
    // connected components of the face graph.
    const unsigned int  n = regions.size();
    std::vector<double> present(2 * n, 0.0), open(2 * n, 0.0), link(2 * n * n, 0.0);
    for (const auto &cell : tria.active_cell_iterators())
      if (cell->is_locally_owned())
        {
          const unsigned int id = cell->material_id();
          for (const RegionModel *s : species(regions[id]))
            {
              const unsigned int k = s->z > 0 ? 0 : 1;
              present[k * n + id]  = 1;
              if (k == 1 && parameters.electron_transport == "quasi-static")
                open[k * n + id] = 1; // fixed at the contacts' level everywhere
              for (const unsigned int f : cell->face_indices())
                if (cell->face(f)->at_boundary())
                  {
                    const types::boundary_id b = cell->face(f)->boundary_id();
                    if (k == 0 && b == boundary_ids::gate && parameters.gate_exchange != "blocking")
                      open[id] = 1;
                    if (k == 1 && b != boundary_ids::gate && contact_voltage.count(b))
                      open[n + id] = 1;
                  }
                else
                  {
                    const unsigned int other = cell->neighbor(f)->material_id();
                    if (other != id)
                      for (const RegionModel *t : species(regions[other]))
                        if ((t->z > 0 ? 0u : 1u) == k)
                          link[k * n * n + id * n + other] = 1;
                  }
            }
        }
    present = all_max(present, comm);
    open    = all_max(open, comm);
    link    = all_max(link, comm);
    ChargeGroups g;
    for (unsigned int k = 0; k < 2; ++k)
      {
        // Union-find over the layers of kind k.
        std::vector<unsigned int> &root = g.root[k];
        root.resize(n);
        std::iota(root.begin(), root.end(), 0u);
        const auto find = [&](unsigned int i) {
          while (root[i] != i)
            i = root[i] = root[root[i]];
          return i;
        };
        for (unsigned int i = 0; i < n; ++i)
          for (unsigned int j = 0; j < n; ++j)
            if (link[k * n * n + i * n + j] > 0 || link[k * n * n + j * n + i] > 0)
              root[find(i)] = find(j);
        for (unsigned int i = 0; i < n; ++i)
          root[i] = find(i);
        g.present[k].resize(n);
        g.open[k].assign(n, false);
        for (unsigned int i = 0; i < n; ++i)
          {
            g.present[k][i] = present[k * n + i] > 0;
            if (g.present[k][i] && open[k * n + i] > 0)
              g.open[k][root[i]] = true;
          }
      }
    return g;
  }

  template <int dim> std::string PNPSolver<dim>::closed_charge_layer() const
  {
    const ChargeGroups g = charge_groups();
    for (unsigned int k = 0; k < 2; ++k)
      for (unsigned int i = 0; i < regions.size(); ++i)
        if (g.closed(k, i))
          return "'" + (i < region_names.size() ? region_names[i] : std::to_string(i)) + "' (" +
                 (k == 0 ? "protons" : "electrons") + ")";
    return "";
  }

  template <int dim>
  std::vector<unsigned int>
  PNPSolver<dim>::relax_to_equilibrium_nested(
      const double                                                               time,
      const std::function<std::unique_ptr<parallel::TriangulationBase<dim>>()> &unrefined,
      const unsigned int                                                         levels,
      const std::function<unsigned int(const Point<dim> &)>                      &owner)
  {
    TimerOutput::Scope        t(timer, "pnp: equilibrium");
    std::vector<unsigned int> steps;
    double                    dt_settled = 0;
    {
      // The coarse meshes get a solver of their own (same model, deck and
      // contacts) and a timer that prints nothing: the whole nested solve is
      // this run's "pnp: equilibrium". Its work is added to this solver's.
      const std::unique_ptr<parallel::TriangulationBase<dim>> mesh = unrefined();
      auto *coarse = dynamic_cast<parallel::distributed::Triangulation<dim> *>(mesh.get());
      AssertThrow(coarse != nullptr, ExcMessage("the nested equilibrium needs a p4est mesh"));
      TimerOutput    quiet(comm, pcout, TimerOutput::never, TimerOutput::wall_times);
      PNPSolver<dim> c(*coarse, fe.degree, regions, scaling, parameters, contact_voltage,
                       reservoir_density, channel_potential, quiet, pcout);
      c.set_region_names(region_names);
      c.setup();
      c.set_initial_guess(time);
      Relaxation r = c.relax(time, 1e-3, 1e-12);
      if (r.diverged || !r.settled)
        throw std::runtime_error(
            "equilibrium at t = 0 on the unrefined mesh (nested equilibrium): the "
            "pseudo-transient relaxation " +
            std::string(r.diverged ? "failed to converge" : "did not settle in 200 steps") +
            (r.last_failure.empty() ? std::string() :
                                      ". Last failed pseudo-step: " + r.last_failure) +
            "; 'Transport/Nested equilibrium = off' relaxes on the fine mesh only");
      steps.push_back(r.steps);
      bool carried = true;
      for (unsigned int level = 1; level < levels && carried; ++level)
        {
          c.refine_with_state(time);
          // From the coarser mesh's last pseudo-step, cut at most 6 times
          // (x4096) before giving up on the nesting.
          r = c.relax(time, r.final_dt, r.final_dt / 5000);
          carried = r.settled;
          if (carried)
            steps.push_back(r.steps);
        }
      if (carried)
        {
          // Now this solver's mesh: only the state is needed there, not a
          // second fine Jacobian next to this solver's (the peak memory).
          c.refine_with_state(time, false);
          carried = copy_state_from(c, owner);
        }
      work += c.stats();
      if (!carried)
        {
          pcout << "  note: the nested equilibrium did not carry over to the next refinement"
                << (r.last_failure.empty() ? std::string() : " (" + r.last_failure + ")")
                << "; relaxing on the fine mesh from the as-fabricated state" << std::endl;
          steps.clear();
        }
      dt_settled = r.final_dt;
    } // the coarse meshes and their solver are freed before the fine solve
    // ... and their pages handed back, or the fine solver's GAMG/ILU state
    // lands on fresh ones beside them (as in release_linear_solver).
    return_free_heap_pages();
    if (!steps.empty())
      {
        apply_dirichlet_values(current, time);
        ghosted        = current;
        old_solution   = current;
        older_solution = current;
        have_older     = false;
        const Relaxation r = relax(time, dt_settled, dt_settled / 5000);
        if (r.settled)
          {
            steps.push_back(r.steps);
            return steps;
          }
        pcout << "  note: the nested equilibrium did not settle on the fine mesh"
              << (r.last_failure.empty() ? std::string() : " (" + r.last_failure + ")")
              << "; relaxing on it from the as-fabricated state" << std::endl;
      }
    set_initial_guess(time);
    return {relax_fully(time)};
  }

  // Instantiations: the nesting needs a p4est mesh (2D, 3D); 1D meshes are
  // shared and relax directly.
  template unsigned int PNPSolver<1>::relax_to_equilibrium(double);
  template unsigned int PNPSolver<2>::relax_to_equilibrium(double);
  template unsigned int PNPSolver<3>::relax_to_equilibrium(double);
  template std::string  PNPSolver<1>::closed_charge_layer() const;
  template ChargeGroups PNPSolver<1>::charge_groups() const;
  template ChargeGroups PNPSolver<2>::charge_groups() const;
  template ChargeGroups PNPSolver<3>::charge_groups() const;
  template std::string  PNPSolver<2>::closed_charge_layer() const;
  template std::string  PNPSolver<3>::closed_charge_layer() const;
  template std::vector<unsigned int> PNPSolver<2>::relax_to_equilibrium_nested(
      double, const std::function<std::unique_ptr<parallel::TriangulationBase<2>>()> &, unsigned int,
      const std::function<unsigned int(const Point<2> &)> &);
  template std::vector<unsigned int> PNPSolver<3>::relax_to_equilibrium_nested(
      double, const std::function<std::unique_ptr<parallel::TriangulationBase<3>>()> &, unsigned int,
      const std::function<unsigned int(const Point<3> &)> &);
} // namespace protonfem
