#include "pnp_solver.h"

#include "assembly_kernels.h"
#include "lateral_multigrid.h"
#include "csr_adder.h"
#include "heap.h"

#include "../geometry/boundary_ids.h"
#include "mpi_reduce.h"

#include <deal.II/base/quadrature_lib.h>
#include <deal.II/base/utilities.h>
#include <deal.II/dofs/dof_tools.h>
#include <deal.II/fe/fe_q.h>
#include <deal.II/fe/fe_values.h>
#include <deal.II/lac/full_matrix.h>
#include <deal.II/lac/vector.h>
#include <deal.II/fe/mapping_cartesian.h>
#include <deal.II/fe/mapping_q1.h>
#include <deal.II/lac/dynamic_sparsity_pattern.h>
#include <deal.II/lac/petsc_precondition.h>
#include <deal.II/lac/petsc_solver.h>
#include <deal.II/lac/sparsity_tools.h>

#include <algorithm>
#include <numeric>
#include <optional>
#include <array>
#include <chrono>
#include <set>
#include <cmath>
#include <iomanip>
#include <memory>
#include <cstdlib>
#include <sstream>
#include <stdexcept>

namespace protonfem
{
  using namespace dealii;

  namespace
  {
    const FEValuesExtractors::Scalar phi_c(0);
    /// An IndexSet of n indices from an unordered list with repeats.
    /// IndexSet::add_index inserts into a sorted vector of ranges, so adding
    /// indices out of order one by one costs O(n) each: with the plane
    /// ordering, whose numbers a cell loop visits out of order, the setup at
    /// 6e6 unknowns took 576 s instead of 216 s (eighteenth session).
    IndexSet index_set_of(std::vector<types::global_dof_index> list,
                          const types::global_dof_index        n)
    {
      std::sort(list.begin(), list.end());
      list.erase(std::unique(list.begin(), list.end()), list.end());
      IndexSet set(n);
      set.add_indices(list.begin(), list.end());
      set.compress();
      return set;
    }
    /// Fields of the FESystem: phi and one mu per distinct mu_component
    /// (protons: two with a finite-rate electrolyte/channel interface;
    /// electrons: one more when modelled).
    unsigned int field_count(const std::vector<RegionModel> &regions)
    {
      unsigned int top = 1;
      for (const auto &r : regions)
        for (const RegionModel *s : species(r))
          top = std::max(top, s->mu_component);
      return top + 1;
    }
    /// Largest change of phi/V_T or mu/kT accepted in one Newton update;
    /// larger requests are clipped per DoF (thermal-voltage update limiting).
    constexpr double update_limit = 20.0;
    /// The same for the density variable eta = mu - phi at gate-face nodes
    /// with Butler-Volmer exchange. Where the row is dominated by the exchange
    /// term k (A - B e^eta), Newton on the exponential overshoots from below
    /// by e^|x| - 1 instead of |x| (0.1 V gate step, k0 = 1e3 m/s: 47 kT
    /// instead of 3.9 kT) and then creeps back by 1 kT per iteration; with
    /// 20 kT allowed the iterate blew up (test_pnp_gate_kinetics, part B).
    /// 2 kT per iteration stops the overshoot early; the time-step control
    /// copes with the rest. (A jump of the gate voltage moves mu with phi at
    /// these nodes before Newton starts: apply_dirichlet_values.)
    constexpr double exchange_update_limit = 2.0;
    /// Largest |eta| = |mu - z phi - e_site| a Newton iterate may reach: c or
    /// c_max - c is then c_max e^-600, zero for every purpose (newton()).
    constexpr double eta_bound = 600.0;
    /// Updates below this [kT] are at the round-off level of the scaled system.
    constexpr double roundoff_floor = 1e-5;

    /// Read access to the local form (owned entries, then ghosts) of a
    /// ghosted PETSc vector for the lifetime of the object.
    class LocalArray
    {
    public:
      explicit LocalArray(const PETScWrappers::MPI::Vector &v) : vector(v)
      {
        VecGhostGetLocalForm(vector, &local);
        VecGetArrayRead(local, &values);
      }
      ~LocalArray()
      {
        VecRestoreArrayRead(local, &values);
        VecGhostRestoreLocalForm(vector, &local);
      }
      LocalArray(const LocalArray &)            = delete;
      LocalArray &operator=(const LocalArray &) = delete;
      double      operator[](const std::size_t k) const { return values[k]; }

    private:
      const PETScWrappers::MPI::Vector &vector;
      Vec                               local  = nullptr;
      const PetscScalar                *values = nullptr;
    };

    /// A PETSc error code as an exception naming the call.
    void check(const PetscErrorCode ierr, const char *what)
    {
      if (ierr != 0)
        throw std::runtime_error(std::string("PETSc error in ") + what + " (code " +
                                 std::to_string(ierr) + ")");
    }
    /// Position of a locally relevant DoF in the local form of a ghosted
    /// PETSc vector: owned entries first (contiguous), then the ghosts in
    /// increasing index order (how deal.II creates the ghosted vector).
    struct GhostedArray
    {
      GhostedArray(const IndexSet &owned, const IndexSet &relevant)
          : first(owned.n_elements() > 0 ? owned.nth_index_in_set(0) : 0),
            n_owned(owned.n_elements()), ghosts(relevant)
      {
        AssertThrow(owned.is_contiguous(), ExcMessage("locally owned DoFs must be contiguous"));
        ghosts.subtract_set(owned);
      }
      std::size_t position(const types::global_dof_index i) const
      {
        return (i >= first && i < first + n_owned) ? i - first
                                                   : n_owned + ghosts.index_within_set(i);
      }
      types::global_dof_index first;
      std::size_t             n_owned;
      IndexSet                ghosts;
    };

    /// log cosh(x) without overflow.
    double log_cosh(const double x)
    {
      const double a = std::abs(x);
      return a + std::log1p(std::exp(-2 * a)) - std::log(2.0);
    }
    /// log(sinh(d/2) / d) (even in d), without overflow or cancellation.
    double log_sinhc(const double d)
    {
      const double x = std::abs(d);
      if (x < 1e-4)
        return -std::log(2.0) + x * x / 24;
      if (x < 30)
        return std::log(std::sinh(0.5 * x) / x);
      return 0.5 * x - std::log(2 * x) + std::log1p(-std::exp(-x));
    }
    /// "layer 'NAME' at (x, y) nm" for a DoF location (messages).
    std::string layer_and_position(const DofLocation &l, const std::vector<std::string> &names)
    {
      std::ostringstream w;
      w << "layer '" << (l.region < names.size() ? names[l.region] : std::to_string(l.region))
        << "' at (";
      for (std::size_t d = 0; d < l.point.size(); ++d)
        w << (d ? ", " : "") << std::setprecision(4) << l.point[d] * 1e9;
      w << ") nm";
      return w.str();
    }
    /// Largest @p value over the ranks (returned in @p value) and the rank
    /// that holds it (collective); that rank then broadcasts its details.
    int rank_of_largest(double &value, const MPI_Comm comm)
    {
      struct
      {
        double value;
        int    rank;
      } top{value, static_cast<int>(Utilities::MPI::this_mpi_process(comm))};
      MPI_Allreduce(MPI_IN_PLACE, &top, 1, MPI_DOUBLE_INT, MPI_MAXLOC, comm);
      value = top.value;
      return top.rank;
    }
    /// Face quadrature at the nodes (Gauss-Lobatto; the point in 1D): the
    /// gate's exchange terms are lumped, so the outflow of a node depends on
    /// its own density only and vanishes with it (positivity), and the
    /// Stern layer's Robin term is the nodal capacitance.
    template <int dim> Quadrature<dim - 1> nodal_face_quadrature(const unsigned int degree)
    {
      if constexpr (dim == 1)
        return QGauss<0>(1);
      else
        return QGaussLobatto<dim - 1>(degree + 1);
    }
    /// d/dd log(sinh(d/2) / d) = coth(d/2)/2 - 1/d (odd in d).
    double dlog_sinhc(const double d)
    {
      if (std::abs(d) < 1e-4)
        return d / 12;
      return 0.5 / std::tanh(0.5 * d) - 1 / d;
    }
  } // namespace

  template <int dim>
  PNPSolver<dim>::PNPSolver(
      parallel::TriangulationBase<dim> &tria, const unsigned int fe_degree,
      const std::vector<RegionModel> &regions, const Scaling &scaling,
      const PNPParameters                                               &parameters,
      const std::map<types::boundary_id, std::function<double(double)>> &contact_voltage,
      const double reservoir_density_hat, const double channel_potential, TimerOutput &timer,
      ConditionalOStream &pcout)
      : comm(tria.get_communicator()), tria(tria), fe(FE_Q<dim>(fe_degree), field_count(regions)), dofs(tria),
        regions(regions), scaling(scaling), parameters(parameters),
        contact_voltage(contact_voltage), reservoir_density(reservoir_density_hat),
        channel_potential(channel_potential), timer(timer), pcout(pcout)
  {
    for (const auto &r : this->regions)
      {
        if (r.hosts_protons && r.mu_component == 2)
          finite_rate_interface = true;
        if (r.electrons)
          electron_component = r.electrons->mu_component;
      }
  }

  template <int dim> PNPSolver<dim>::~PNPSolver()
  {
    destroy_krylov_solver();
    destroy_lateral_interpolations();
  }

  template <int dim> void PNPSolver<dim>::destroy_lateral_interpolations()
  {
    for (Mat &m : lateral_interpolation)
      MatDestroy(&m);
    lateral_interpolation.clear();
  }

  template <int dim> void PNPSolver<dim>::release_linear_solver()
  {
    const bool held = ksp != nullptr;
    destroy_krylov_solver();
    // The freed GAMG/ILU state (~0.7 GB at 7.8e5 unknowns) stays in the
    // heap, and the next solver's allocations reuse it only in part: the
    // resident size rose by 130-220 MiB at the first time step although
    // PETSc's own count fell from 1001 to 882 MiB (docs/performance.md).
    if (held)
      return_free_heap_pages();
  }

  template <int dim> void PNPSolver<dim>::destroy_krylov_solver()
  {
    if (ksp != nullptr)
      KSPDestroy(&ksp);
    if (is_phi != nullptr)
      ISDestroy(&is_phi);
    if (is_mu != nullptr)
      ISDestroy(&is_mu);
    ksp = nullptr;
    is_phi = is_mu = nullptr;
  }

  template <int dim>
  void PNPSolver<dim>::owned_support_points(std::vector<Point<dim>>   &points,
                                            std::vector<unsigned int> *component) const
  {
    // A vector in the order of the owned DoFs, not DoFTools' map: at 6e6
    // unknowns the map would hold ~0.5 GB for the length of the call.
    const IndexSet own = dofs.locally_owned_dofs();
    points.assign(own.n_elements(), Point<dim>());
    if (component != nullptr)
      component->assign(own.n_elements(), 0);
    const Quadrature<dim>                at_nodes(fe.get_unit_support_points());
    FEValues<dim>                        fv(fe, at_nodes, update_quadrature_points);
    std::vector<types::global_dof_index> idx(fe.n_dofs_per_cell());
    for (const auto &cell : dofs.active_cell_iterators())
      if (cell->is_locally_owned())
        {
          fv.reinit(cell);
          cell->get_dof_indices(idx);
          for (unsigned int i = 0; i < idx.size(); ++i)
            if (own.is_element(idx[i]))
              {
                const auto k = own.index_within_set(idx[i]);
                points[k]    = fv.quadrature_point(i);
                if (component != nullptr)
                  (*component)[k] = fe.system_to_component_index(i).first;
              }
        }
  }

  template <int dim> void PNPSolver<dim>::renumber_by_planes()
  {
    // Sort key: the stack coordinate (the last one) first, then the lateral
    // ones from the last to the first; ties (phi and mu of one node) keep
    // deal.II's order, phi first. Measured against the alternatives on the
    // 3D reference device at 1e5 unknowns (1 rank, 5 steps, GMRES + GAMG
    // with ILU(0) smoothing): cells 5.4, planes 2.8, and lines across the
    // stack (the stack coordinate fastest) 376 Krylov iterations per Newton
    // iteration. Each rank permutes only its own index range, so the
    // partition and the ghost layout are unchanged.
    const IndexSet          own = dofs.locally_owned_dofs();
    std::vector<Point<dim>> points;
    owned_support_points(points, nullptr);
    std::vector<types::global_dof_index> order(own.n_elements());
    std::iota(order.begin(), order.end(), types::global_dof_index(0));
    std::stable_sort(order.begin(), order.end(), [&](const auto a, const auto b) {
      const Point<dim> &pa = points[a], &pb = points[b];
      for (int d = dim - 1; d >= 0; --d)
        if (pa[d] != pb[d])
          return pa[d] < pb[d];
      return false; // stable: deal.II's order
    });
    std::vector<types::global_dof_index> new_numbers(own.n_elements());
    for (std::size_t k = 0; k < order.size(); ++k)
      new_numbers[order[k]] = own.nth_index_in_set(k);
    dofs.renumber_dofs(new_numbers);
  }

  template <int dim> void PNPSolver<dim>::order_assembly_cells()
  {
    // deal.II visits the cells tree by tree in p4est's z-order, which jumps
    // between the planes of the stack, while each cell writes 2^dim rows of
    // each field. Sorted by their smallest DoF index, the cells come plane
    // by plane and row by row under the plane ordering, so that consecutive
    // cells write neighbouring rows: -2 to -3 % assembly at 7.8e5 unknowns.
    // The list also carries each cell's sides, which deal.II would find
    // through the cell's lines in 3D (-7 to -8 %; docs/performance.md,
    // "Cell order, and the assembly's lookups").
    std::vector<std::pair<types::global_dof_index, typename DoFHandler<dim>::active_cell_iterator>> keyed;
    keyed.reserve(tria.n_locally_owned_active_cells());
    std::vector<types::global_dof_index> idx(fe.n_dofs_per_cell());
    for (const auto &cell : dofs.active_cell_iterators())
      if (cell->is_locally_owned())
        {
          cell->get_dof_indices(idx);
          keyed.emplace_back(*std::min_element(idx.begin(), idx.end()), cell);
        }
    std::stable_sort(keyed.begin(), keyed.end(),
                     [](const auto &a, const auto &b) { return a.first < b.first; });
    assembly_cells.clear();
    assembly_cells.reserve(keyed.size());
    for (const auto &k : keyed)
      assembly_cells.push_back({k.second, box_extents<dim>(k.second)});
  }

  template <int dim> void PNPSolver<dim>::setup(const bool with_jacobian)
  {
    TimerOutput::Scope t(timer, "pnp: setup");
    destroy_krylov_solver(); // its index sets belong to the old DoF numbering
    destroy_lateral_interpolations(); // and so do these
    dofs.distribute_dofs(fe);
    if (parameters.dof_ordering == "planes")
      renumber_by_planes();
    owned = dofs.locally_owned_dofs();
    DoFTools::extract_locally_relevant_dofs(dofs, relevant);
    order_assembly_cells();

    // Which mu-DoFs touch a proton-hosting cell: marked from owned cells,
    // summed over ranks, then read on every locally relevant DoF.
    PETScWrappers::MPI::Vector           touched(owned, comm);
    std::vector<types::global_dof_index> idx(fe.n_dofs_per_cell());
    for (const auto &cell : dofs.active_cell_iterators())
      if (cell->is_locally_owned())
        for (const RegionModel *s : species(regions[cell->material_id()]))
          {
            cell->get_dof_indices(idx);
            for (unsigned int i = 0; i < idx.size(); ++i)
              if (fe.system_to_component_index(i).first == s->mu_component)
                touched(idx[i]) += 1.0; // set() would race between ranks; add is summed
          }
    touched.compress(VectorOperation::add);
    PETScWrappers::MPI::Vector touched_ghosted(owned, relevant, comm);
    touched_ghosted = touched;

    zero_constraints.clear();
    zero_constraints.reinit(relevant);
    DoFTools::make_hanging_node_constraints(dofs, zero_constraints);
    // Every mu field (one, or one per side of a finite-rate channel interface).
    std::vector<bool> mu_fields(fe.n_components(), true);
    mu_fields[0] = false;
    const ComponentMask phi_mask = fe.component_mask(phi_c), mu_mask(mu_fields);
    const IndexSet      all_mu = DoFTools::extract_dofs(dofs, mu_mask);
    for (const auto i : relevant)
      if (all_mu.is_element(i) && touched_ghosted(i) == 0 && !zero_constraints.is_constrained(i))
        zero_constraints.add_line(i);
    contact_phi_dofs.clear();
    for (const auto &[id, v] : contact_voltage)
      {
        contact_phi_dofs[id] = DoFTools::extract_boundary_dofs(dofs, phi_mask, {id});
        // With a Stern layer the gate face potential is an unknown (Robin
        // condition); the set still marks where the metal charge is read.
        if (id == boundary_ids::gate && gate_has_stern_layer())
          continue;
        for (const auto i : contact_phi_dofs[id])
          if (relevant.is_element(i) && !zero_constraints.is_constrained(i))
            zero_constraints.add_line(i);
      }
    // Electrons: every contact but the gate is ohmic (injecting) for the
    // layers with electrons that touch it; their mu there is fixed.
    electron_contact_dofs.clear();
    if (electron_component > 0)
      {
        std::vector<types::global_dof_index> fidx(fe.n_dofs_per_face());
        std::set<types::global_dof_index>    done;
        for (const auto &cell : dofs.active_cell_iterators())
          if (!cell->is_artificial() && regions[cell->material_id()].electrons)
            for (const unsigned int f : cell->face_indices())
              if (cell->face(f)->at_boundary() &&
                  cell->face(f)->boundary_id() != boundary_ids::gate &&
                  contact_voltage.count(cell->face(f)->boundary_id()))
                {
                  cell->face(f)->get_dof_indices(fidx);
                  for (unsigned int k = 0; k < fidx.size(); ++k)
                    if (fe.face_system_to_component_index(k).first == electron_component &&
                        relevant.is_element(fidx[k]) && !zero_constraints.is_constrained(fidx[k]) &&
                        done.insert(fidx[k]).second)
                      {
                        zero_constraints.add_line(fidx[k]);
                        if (owned.is_element(fidx[k]))
                          electron_contact_dofs[cell->face(f)->boundary_id()].emplace_back(
                              fidx[k], regions[cell->material_id()].electrons.get());
                      }
                }
      }
    // Quasi-static electrons: mu_e is the contacts' level at every node of
    // the layers with electrons; they carry no equation of their own and
    // enter only through their density in Poisson.
    electron_equilibrium_dofs.clear();
    if (electron_component > 0 && parameters.electron_transport == "quasi-static")
      for (const auto &cell : dofs.active_cell_iterators())
        if (!cell->is_artificial() && regions[cell->material_id()].electrons)
          {
            cell->get_dof_indices(idx);
            for (unsigned int i = 0; i < idx.size(); ++i)
              if (fe.system_to_component_index(i).first == electron_component &&
                  relevant.is_element(idx[i]) && !zero_constraints.is_constrained(idx[i]))
                {
                  zero_constraints.add_line(idx[i]);
                  if (owned.is_element(idx[i]))
                    electron_equilibrium_dofs.emplace_back(
                        idx[i], regions[cell->material_id()].electrons.get());
                }
          }
    // Electronic conductors (mixed-conductor layers in 'conductor' mode) are
    // equipotentials at the channel potential: all their phi-DoFs are fixed.
    std::vector<types::global_dof_index> list;
    for (const auto &cell : dofs.active_cell_iterators())
      if (!cell->is_artificial() && regions[cell->material_id()].conductor)
        {
          cell->get_dof_indices(idx);
          for (unsigned int i = 0; i < idx.size(); ++i)
            if (fe.system_to_component_index(i).first == 0)
              list.push_back(idx[i]);
        }
    conductor_phi_dofs = index_set_of(std::move(list), dofs.n_dofs());
    for (const auto i : conductor_phi_dofs)
      if (relevant.is_element(i) && !zero_constraints.is_constrained(i))
        zero_constraints.add_line(i);
    gate_region = nullptr;
    for (const auto &cell : tria.active_cell_iterators())
      if (!cell->is_artificial())
        for (const unsigned int f : cell->face_indices())
          if (cell->face(f)->at_boundary() && cell->face(f)->boundary_id() == boundary_ids::gate)
            gate_region = &regions[cell->material_id()];
    // The mu field of the layer under the gate (ranks without a gate face
    // hold none of these DoFs; component 1 is a placeholder there).
    std::vector<bool> gate_field(fe.n_components(), false);
    gate_field[gate_region != nullptr ? gate_region->mu_component : 1] = true;
    const ComponentMask gate_mu_mask(gate_field);
    gate_mu_dofs = IndexSet(dofs.n_dofs());
    if (parameters.gate_exchange == "reservoir")
      {
        gate_mu_dofs = DoFTools::extract_boundary_dofs(dofs, gate_mu_mask, {boundary_ids::gate});
        for (const auto i : gate_mu_dofs)
          if (relevant.is_element(i) && !zero_constraints.is_constrained(i))
            zero_constraints.add_line(i);
      }
    // The same DoFs seen from every owned or ghost cell with a gate face (a
    // cell that only touches the gate at an edge also writes into their
    // rows): the rows whose residual is the flux from the reservoir.
    gate_flux_dofs      = IndexSet(dofs.n_dofs());
    gate_flux_component = gate_region != nullptr ? gate_region->mu_component : 1;
    if (parameters.gate_exchange == "reservoir")
      {
        std::vector<types::global_dof_index> face_idx(fe.n_dofs_per_face());
        std::vector<types::global_dof_index> gate_list;
        for (const auto &cell : dofs.active_cell_iterators())
          if (!cell->is_artificial())
            for (const unsigned int f : cell->face_indices())
              if (cell->face(f)->at_boundary() &&
                  cell->face(f)->boundary_id() == boundary_ids::gate)
                {
                  cell->face(f)->get_dof_indices(face_idx);
                  for (unsigned int i = 0; i < face_idx.size(); ++i)
                    if (fe.face_system_to_component_index(i).first == gate_flux_component)
                      gate_list.push_back(face_idx[i]);
                }
        gate_flux_dofs = index_set_of(std::move(gate_list), dofs.n_dofs());
      }
    gate_flux_active = Utilities::MPI::max(gate_flux_dofs.n_elements(), comm) > 0;
    // Manufactured problems: Dirichlet data on every boundary DoF of both fields.
    manufactured_boundary.clear();
    if (manufactured.exact)
      {
        std::map<types::global_dof_index, Point<dim>> nodes;
        DoFTools::map_dofs_to_support_points(MappingQ1<dim>(), dofs, nodes);
        AssertThrow(fe.n_components() == 2,
                    ExcMessage("manufactured solutions have one mu field"));
        for (const unsigned int c : {0u, 1u})
          for (const auto i : DoFTools::extract_boundary_dofs(dofs, fe.component_mask(
                                                                        FEValuesExtractors::Scalar(c))))
            if (relevant.is_element(i))
              {
                if (!zero_constraints.is_constrained(i))
                  zero_constraints.add_line(i);
                if (owned.is_element(i))
                  manufactured_boundary[i] = {c, nodes.at(i)};
              }
      }
    zero_constraints.close();
    constraints_fix_at_zero =
        std::all_of(zero_constraints.get_lines().begin(), zero_constraints.get_lines().end(),
                    [](const auto &line) { return line.entries.empty() && line.inhomogeneity == 0.; });
    // The same flag per local position (owned, then ghosts): the assembly
    // reads it with the DoF's values instead of searching the constraints
    // 2 x 2^dim times per cell.
    {
      const GhostedArray view(owned, relevant);
      constrained_at.assign(owned.n_elements() + view.ghosts.n_elements(), 0);
      for (const auto i : relevant)
        if (zero_constraints.is_constrained(i))
          constrained_at[view.position(i)] = 1;
    }

    // Nodal (mu, phi, region) triples of owned mu-DoFs for the weighted norms
    // (from ghost cells too: the cells of an owned DoF's layer may all be
    // ghosts, e.g. a channel mu at an interface node owned by the rank of
    // the electrolyte cell).
    mu_nodes.clear();
    std::vector<bool> seen(owned.n_elements(), false);
    for (const auto &cell : dofs.active_cell_iterators())
      if (!cell->is_artificial())
        for (const RegionModel *s : species(regions[cell->material_id()]))
          {
            cell->get_dof_indices(idx);
            for (unsigned int i = 0; i < idx.size(); ++i)
              {
                const auto [comp, base] = fe.system_to_component_index(i);
                if (comp != s->mu_component || !owned.is_element(idx[i]) ||
                    seen[owned.index_within_set(idx[i])])
                  continue;
                for (unsigned int j = 0; j < idx.size(); ++j)
                  if (fe.system_to_component_index(j) == std::make_pair(0u, base))
                    mu_nodes.emplace_back(idx[i], idx[j], s);
                seen[owned.index_within_set(idx[i])] = true;
              }
          }

    list.clear();
    for (const auto &[imu, iphi, r] : mu_nodes)
      list.push_back(imu);
    mu_owned = index_set_of(std::move(list), dofs.n_dofs());
    // The other owned unknowns that weighted_max takes plainly (phi).
    plain_owned = IndexSet(dofs.n_dofs());
    for (const auto i : owned)
      if (!mu_owned.is_element(i) && !zero_constraints.is_constrained(i))
        plain_owned.add_index(i);
    plain_owned.compress();
    // Owned (mu, phi) pairs at the gate face with Butler-Volmer exchange
    // (the DoFs of one vertex share their owner).
    exchange_nodes.clear();
    if (parameters.gate_exchange == "butler-volmer")
      {
        const IndexSet face = DoFTools::extract_boundary_dofs(dofs, mu_mask, {boundary_ids::gate});
        for (const auto &[imu, iphi, s] : mu_nodes)
          if (s->z > 0 && face.is_element(imu) && !zero_constraints.is_constrained(imu))
            exchange_nodes.emplace_back(imu, iphi);
      }
    // Both mu's at the nodes of a finite-rate channel interface (weighted_max).
    list.clear();
    if (finite_rate_interface)
      {
        std::vector<types::global_dof_index> fidx(fe.n_dofs_per_face());
        for (const auto &cell : dofs.active_cell_iterators())
          if (!cell->is_artificial()) // an owned DoF's cells may all be ghosts
            for (const unsigned int f : cell->face_indices())
              if (interface_face(cell, f))
                {
                  cell->face(f)->get_dof_indices(fidx);
                  for (unsigned int k = 0; k < fidx.size(); ++k)
                    if (mu_owned.is_element(fidx[k]) &&
                        fe.face_system_to_component_index(k).first != electron_component)
                      list.push_back(fidx[k]);
                }
      }
    interface_mu = index_set_of(std::move(list), dofs.n_dofs());

    // Every cell an axis-parallel box (stack meshes; gmsh meshes may not be)?
    bool boxes = true;
    for (const auto &cell : tria.active_cell_iterators())
      if (cell->is_locally_owned() && boxes)
        {
          const Point<dim> lo = cell->vertex(0), hi = cell->vertex(cell->n_vertices() - 1);
          for (const unsigned int v : cell->vertex_indices())
            for (unsigned int d = 0; d < dim; ++d)
              {
                const double want = (v >> d) & 1 ? hi[d] : lo[d];
                if (!(hi[d] > lo[d]) || std::abs(cell->vertex(v)[d] - want) > 1e-10 * (hi[d] - lo[d]))
                  boxes = false;
              }
        }
    boxes_only = Utilities::MPI::min(boxes ? 1 : 0, comm) == 1;

    if (with_jacobian)
      {
        DynamicSparsityPattern dsp(relevant);
        DoFTools::make_sparsity_pattern(dofs, dsp, zero_constraints, false);
        SparsityTools::distribute_sparsity_pattern(dsp, owned, comm, relevant);
        jacobian.reinit(owned, owned, dsp, comm);
        // The cell matrices are added whole (assemble): their structural zeros
        // (pairs across a box's diagonals, lumped couplings) are skipped by PETSc.
        check(MatSetOption(jacobian.petsc_matrix(), MAT_IGNORE_ZERO_ENTRIES, PETSC_TRUE),
              "MatSetOption");
      }
    else
      jacobian.clear();
    current.reinit(owned, comm);
    rhs.reinit(owned, comm);
    update.reinit(owned, comm);
    before_step.reinit(owned, comm);
    ghosted.reinit(owned, relevant, comm);
    old_solution.reinit(owned, relevant, comm);
    older_solution.reinit(owned, relevant, comm);
  }

  template <int dim>
  void PNPSolver<dim>::apply_dirichlet_values(PETScWrappers::MPI::Vector &y,
                                              const double                time) const
  {
    const double vt = scaling.thermal_voltage();
    // Gate-face nodes with Butler-Volmer exchange: the density cannot jump
    // with the gate voltage, so mu moves with phi there (eta kept); Newton
    // would otherwise have to undo a jump of eta by the whole voltage step,
    // which its exchange limit does not allow.
    std::vector<double> phi_before;
    for (const auto &[imu, iphi] : exchange_nodes)
      phi_before.push_back(y(iphi));
    for (const auto &[id, set] : contact_phi_dofs)
      {
        if (id == boundary_ids::gate && gate_has_stern_layer())
          continue; // an unknown behind the Stern layer, not a boundary value
        const double v = contact_voltage.at(id)(time) / vt;
        for (const auto i : set)
          if (owned.is_element(i))
            y(i) = v;
      }
    for (const auto i : conductor_phi_dofs)
      if (owned.is_element(i))
        y(i) = channel_potential / vt;
    for (const auto &[id, list] : electron_contact_dofs)
      {
        const double v = contact_voltage.at(id)(time) / vt;
        for (const auto &[i, s] : list)
          y(i) = s->potential_for(s->c0, v);
      }
    if (!electron_equilibrium_dofs.empty())
      {
        // All electron contacts share one voltage (checked with the deck).
        double v = 0;
        for (const auto &[id, f] : contact_voltage)
          if (id != boundary_ids::gate)
            v = f(time) / vt;
        for (const auto &[i, s] : electron_equilibrium_dofs)
          y(i) = s->potential_for(s->c0, v);
      }
    for (const auto &[i, node] : manufactured_boundary)
      y(i) = manufactured.exact(node.second / scaling.length, time / scaling.time())[node.first];
    for (std::size_t k = 0; k < exchange_nodes.size(); ++k)
      {
        const auto [imu, iphi] = exchange_nodes[k];
        y(imu) = double(y(imu)) + double(y(iphi)) - phi_before[k];
      }
    if (gate_mu_dofs.n_elements() > 0)
      {
        // The reservoir fixes the density at the gate face: mu there follows
        // the gate potential. The gate touches one layer (the top one).
        const RegionModel *r = gate_region;
        if (r != nullptr)
          {
            const double mu = r->potential_for(reservoir_density,
                                               contact_voltage.at(boundary_ids::gate)(time) / vt);
            for (const auto i : gate_mu_dofs)
              if (owned.is_element(i))
                y(i) = mu;
          }
      }
    y.compress(VectorOperation::insert);
  }

  template <int dim> void PNPSolver<dim>::set_initial_guess(const double time)
  {
    current = 0;
    std::vector<types::global_dof_index> idx(fe.n_dofs_per_cell());
    for (const auto &cell : dofs.active_cell_iterators())
      if (!cell->is_artificial())
        for (const RegionModel *s : species(regions[cell->material_id()]))
          {
            cell->get_dof_indices(idx);
            for (unsigned int i = 0; i < idx.size(); ++i)
              if (fe.system_to_component_index(i).first == s->mu_component &&
                  owned.is_element(idx[i]))
                current(idx[i]) = s->potential_for(s->c0, 0.0);
          }
    current.compress(VectorOperation::insert);
    balance_shared_nodes();
    // The history holds the as-fabricated state: phi = 0 and c = c0 at every
    // node, so that the number of protons in each closed layer is exactly
    // c0 * volume. The contact values enter with the first Newton iterate.
    old_solution   = current;
    older_solution = current;
    apply_dirichlet_values(current, time);
    ghosted    = current;
    have_older = false;
  }

  template <int dim> void PNPSolver<dim>::balance_shared_nodes()
  {
    // A node shared by two layers of one species with different site
    // energies (PSG/WO3) cannot hold c0 on both sides with one mu: the loop
    // above leaves it at one side's value, and a closed stack would start
    // off c0 * volume by that node's half-cells (-5e-7 relative on the 2D
    // reference device). Here its mu is solved so that the node's stored
    // number, sum over its cells of w_b c_layer(mu) with w_b the lumped
    // (row-sum) weight, equals sum of w_b c0_layer: exact for lumped
    // storage; for consistent storage a shift per charge group follows
    // (below; docs/numerics.md).
    // Newton on log S(mu) - log T per node (S increasing in mu, its log
    // slope in (0, 1]), steps capped at 1 kT; nodes already in balance
    // (every node inside a layer) are left as they are, bit for bit.
    // Only in closed charge groups: where a contact supplies the species the
    // equilibrium does not depend on the starting number, and the start is
    // left as it was (the 2D 10 V `edge` case of test_pnp_2d_high_field,
    // fragile, fails at 1.4 ns from the balanced start; docs/status.md).
    const ChargeGroups groups = charge_groups();
    const unsigned int nr     = regions.size();
    const auto         closed = [&](const RegionModel *s, const unsigned int region) {
      return groups.closed(s->z > 0 ? 0 : 1, region);
    };
    bool any_closed = false;
    for (unsigned int k = 0; k < 2; ++k)
      for (unsigned int i = 0; i < nr; ++i)
        any_closed |= groups.closed(k, i);
    if (!any_closed)
      return;
    const QGauss<dim>  quadrature(fe.degree + 1);
    FEValues<dim>      fv(fe, quadrature, update_values | update_JxW_values);
    const unsigned int n = fe.n_dofs_per_cell();
    std::vector<types::global_dof_index> idx(n);
    PETScWrappers::MPI::Vector f(owned, comm), slope(owned, comm), target(owned, comm),
        moved(owned, comm);
    for (unsigned int it = 0; it < 60; ++it)
      {
        ghosted = current;
        f       = 0;
        slope   = 0;
        target  = 0;
        for (const auto &cell : dofs.active_cell_iterators())
          if (cell->is_locally_owned())
            {
              const SpeciesList sp = species(regions[cell->material_id()]);
              if (sp.size() == 0)
                continue;
              fv.reinit(cell);
              cell->get_dof_indices(idx);
              for (const RegionModel *s : sp)
                for (unsigned int i = 0; i < n; ++i)
                  if (fe.system_to_component_index(i).first == s->mu_component &&
                      closed(s, cell->material_id()))
                    {
                      double w = 0;
                      for (unsigned int q = 0; q < quadrature.size(); ++q)
                        w += fv.shape_value(i, q) * fv.JxW(q);
                      const double mu = ghosted(idx[i]);
                      f(idx[i]) += w * s->density(mu, 0.0);
                      slope(idx[i]) += w * s->density_derivative(mu, 0.0);
                      target(idx[i]) += w * s->c0;
                    }
            }
        f.compress(VectorOperation::add);
        slope.compress(VectorOperation::add);
        target.compress(VectorOperation::add);
        double worst = 0;
        for (const auto i : owned)
          if (target(i) > 0 && !zero_constraints.is_constrained(i))
            {
              const double g = std::log(f(i) / target(i));
              if (std::abs(g) <= 1e-15)
                continue;
              if (it == 0)
                moved(i) = 1;
              worst = std::max(worst, std::abs(g));
              current(i) = ghosted(i) - std::clamp(g * f(i) / slope(i), -1.0, 1.0);
            }
        current.compress(VectorOperation::insert);
        if (it == 0)
          moved.compress(VectorOperation::insert);
        if (Utilities::MPI::max(worst, comm) <= 1e-14) // this update took it to round-off
          break;
      }
    if (lumped_mass())
      return;

    // Consistent storage counts c(mu_h) at the quadrature points, and in a
    // cell between a balanced node and its neighbours at the layer's c0 the
    // density varies (1D reference deck: -2.4e-11 of c0 * volume with the
    // 0.0006 nm WO3 cell, -2e-9 with 0.05 nm). The nodes balanced above are
    // therefore shifted together, by one amount per charge group (layers of
    // a species joined by faces), so that each group holds exactly
    // sum c0 * volume: scalar Newton on the group's number.
    PETScWrappers::MPI::Vector           moved_ghosted(owned, relevant, comm);
    moved_ghosted = moved;
    std::vector<int>                     group_of(owned.n_elements(), -1);
    std::vector<double>                  mu_q(quadrature.size());
    for (unsigned int it = 0; it < 8; ++it)
      {
        ghosted = current;
        std::vector<double> excess(2 * nr, 0.0), rate(2 * nr, 0.0), total(2 * nr, 0.0);
        for (const auto &cell : dofs.active_cell_iterators())
          if (cell->is_locally_owned())
            {
              cell->get_dof_indices(idx);
              fv.reinit(cell);
              for (const RegionModel *s : species(regions[cell->material_id()]))
                {
                  const unsigned int k = s->z > 0 ? 0 : 1;
                  const unsigned int g = k * nr + groups.root[k][cell->material_id()];
                  double             volume = 0;
                  for (unsigned int q = 0; q < quadrature.size(); ++q)
                    volume += fv.JxW(q);
                  total[g] += s->c0 * volume;
                  bool any = false;
                  for (unsigned int i = 0; i < n; ++i)
                    if (fe.system_to_component_index(i).first == s->mu_component &&
                        moved_ghosted(idx[i]) > 0)
                      {
                        any = true;
                        if (owned.is_element(idx[i]))
                          group_of[owned.index_within_set(idx[i])] = g;
                      }
                  if (!any)
                    continue; // every node at the layer's c0: exact
                  for (unsigned int q = 0; q < quadrature.size(); ++q)
                    {
                      double mu = 0, share = 0;
                      for (unsigned int i = 0; i < n; ++i)
                        if (fe.system_to_component_index(i).first == s->mu_component)
                          {
                            mu += fv.shape_value(i, q) * ghosted(idx[i]);
                            if (moved_ghosted(idx[i]) > 0)
                              share += fv.shape_value(i, q);
                          }
                      excess[g] += (s->density(mu, 0.0) - s->c0) * fv.JxW(q);
                      rate[g] += s->density_derivative(mu, 0.0) * share * fv.JxW(q);
                    }
                }
            }
        excess = all_sum(excess, comm);
        rate   = all_sum(rate, comm);
        total  = all_sum(total, comm);
        double worst = 0;
        for (unsigned int g = 0; g < 2 * nr; ++g)
          if (total[g] > 0)
            worst = std::max(worst, std::abs(excess[g]) / total[g]);
        if (worst <= 1e-15)
          break;
        for (const auto i : owned)
          {
            const int g = group_of[owned.index_within_set(i)];
            if (g >= 0 && rate[g] > 0 && !zero_constraints.is_constrained(i))
              current(i) = ghosted(i) - std::clamp(excess[g] / rate[g], -1.0, 1.0);
          }
        current.compress(VectorOperation::insert);
      }
  }

  template <int dim>
  unsigned int
  PNPSolver<dim>::set_initial_profile(const double                                    time,
                                      const std::function<double(const Point<dim> &)> &density)
  {
    TimerOutput::Scope t(timer, "pnp: initial profile");
    // The density of a node fixes eta = mu - phi - E_site/kT there, and with
    // linear (Q_p) interpolation of mu and phi the density at every
    // quadrature point depends on the nodal eta alone. So with the mu-rows
    // replaced by "mu_i - phi_i = eta_i + e_site" Poisson is linear in phi:
    // Newton converges in one step, the second confirms it.
    std::map<types::global_dof_index, Point<dim>> nodes;
    DoFTools::map_dofs_to_support_points(MappingQ1<dim>(), dofs, nodes);
    std::vector<double> target(mu_nodes.size());
    for (std::size_t k = 0; k < mu_nodes.size(); ++k)
      {
        const auto &[imu, iphi, s] = mu_nodes[k];
        (void)iphi;
        AssertThrow(s->z > 0, ExcMessage("an initial profile is for protons only"));
        target[k] = s->potential_for(density(nodes.at(imu)) / scaling.density, 0.0);
      }
    current = 0;
    for (std::size_t k = 0; k < mu_nodes.size(); ++k)
      current(std::get<0>(mu_nodes[k])) = target[k];
    current.compress(VectorOperation::insert);
    assembly_time = time;
    apply_dirichlet_values(current, time);
    ghosted = current;

    std::vector<types::global_dof_index> rows;
    for (const auto &[imu, iphi, region] : mu_nodes)
      if (!zero_constraints.is_constrained(imu))
        rows.push_back(imu);
    unsigned int it = 1;
    for (; it <= 10; ++it)
      {
        newton_iteration = it;
        assemble(1, -1, 0, 1); // Poisson rows; the mu-rows are replaced below
        // Keep the zeroed rows' entries in the pattern: the next assembly and
        // the -1 below write into them.
        MatSetOption(jacobian.petsc_matrix(), MAT_KEEP_NONZERO_PATTERN, PETSC_TRUE);
        jacobian.clear_rows(rows, 1.0);
        for (std::size_t k = 0; k < mu_nodes.size(); ++k)
          {
            const auto &[imu, iphi, region] = mu_nodes[k];
            if (zero_constraints.is_constrained(imu))
              continue;
            // A constrained phi (contact, conductor) has no column here: its
            // value is already final, so the row is just d mu = -residual.
            if (!zero_constraints.is_constrained(iphi))
              jacobian.set(imu, iphi, -1.0);
            rhs(imu) = -(current(imu) - current(iphi) - target[k]);
          }
        jacobian.compress(VectorOperation::insert);
        rhs.compress(VectorOperation::insert);
        solve_linear();
        zero_constraints.distribute(update);
        current += update;
        ghosted = current;
        if (update.linfty_norm() < 1e-10 * std::max(1.0, current.linfty_norm()))
          break;
      }
    if (it > 10)
      throw std::runtime_error("initial profile: the Poisson solve for the given proton density "
                               "did not converge in 10 Newton iterations");
    old_solution   = current;
    older_solution = current;
    have_older     = false;
    return it;
  }

  template <int dim> void PNPSolver<dim>::set_exact_state(const double time)
  {
    AssertThrow(manufactured.exact, ExcMessage("set_exact_state needs a manufactured solution"));
    AssertThrow(fe.n_components() == 2, ExcMessage("manufactured solutions have one mu field"));
    // Nodal interpolation of both components (Lagrange elements: the value
    // at each support point).
    std::map<types::global_dof_index, Point<dim>> nodes;
    DoFTools::map_dofs_to_support_points(MappingQ1<dim>(), dofs, nodes);
    std::vector<types::global_dof_index> idx(fe.n_dofs_per_cell());
    for (const auto &cell : dofs.active_cell_iterators())
      if (cell->is_locally_owned())
        {
          cell->get_dof_indices(idx);
          for (unsigned int i = 0; i < idx.size(); ++i)
            if (owned.is_element(idx[i]))
              current(idx[i]) = manufactured.exact(nodes.at(idx[i]) / scaling.length,
                                                   time / scaling.time())[fe.system_to_component_index(i).first];
        }
    current.compress(VectorOperation::insert);
    old_solution   = current;
    older_solution = current;
    ghosted        = current;
    have_older     = false;
  }

  template <int dim>
  void PNPSolver<dim>::assemble(const double a0, const double a1, const double a2, const double dt)
  {
    TimerOutput::Scope t(timer, "pnp: assembly");
    const auto         started = std::chrono::steady_clock::now();
    if (!gate_rows_only) // the gate pass only sums its rows' residual
      {
        jacobian = 0;
        rhs      = 0;
      }
    const double L = scaling.length, lambda = scaling.poisson_coupling();
    const double jxw_scale = std::pow(L, -dim);

    const QGauss<dim>  quadrature(fe.degree + 1);
    const bool         mms = static_cast<bool>(manufactured.source);
    // On meshes of axis-parallel boxes (every stack mesh) the Cartesian
    // mapping gives the same values as Q1 at a fraction of the reinit cost
    // (FEValues::reinit was the largest part of the assembly:
    // docs/performance.md).
    const MappingQ1<dim>        q1_mapping;
    const MappingCartesian<dim> box_mapping;
    const Mapping<dim>         &mapping = boxes_only ? static_cast<const Mapping<dim> &>(box_mapping)
                                                     : static_cast<const Mapping<dim> &>(q1_mapping);
    FEValues<dim>      fv(mapping, fe, quadrature,
                          update_values | update_gradients | update_JxW_values |
                              (mms ? update_quadrature_points : update_default));
    const unsigned int n = fe.n_dofs_per_cell(), nq = quadrature.size();
    const double       t_hat = assembly_time / scaling.time();
    FullMatrix<double> cell_matrix(n, n);
    Vector<double>     cell_rhs(n);
    std::vector<types::global_dof_index> idx(n);
    std::vector<PetscInt>                petsc_idx(n);
    std::vector<double>         phi(nq), phi_o(nq), phi_oo(nq);
    std::vector<Tensor<1, dim>> gphi(nq);
    // mu of each mobile species of the cell (protons, electrons) at the points.
    std::array<std::vector<double>, 2> mu{{std::vector<double>(nq), std::vector<double>(nq)}},
        mu_o = mu, mu_oo = mu;
    std::array<std::vector<Tensor<1, dim>>, 2> gmu{
        {std::vector<Tensor<1, dim>>(nq), std::vector<Tensor<1, dim>>(nq)}};
    std::vector<double>         row_ell(n, 0.0), val(n), gm_dot(n, 0.0), dir_dot(n, 0.0);
    std::vector<Tensor<1, dim>> grad(n);
    // sys[c][b]: the cell-local index of scalar shape function b of component c.
    const unsigned int                       nb = n / fe.n_components();
    std::vector<std::vector<unsigned int>>   sys(fe.n_components(), std::vector<unsigned int>(nb));
    std::vector<std::vector<double>>         gg(nb, std::vector<double>(nb));
    // The cell's Laplacian of phi: in closed form on box
    // cells with Q1 (QGauss(2) integrates it exactly), else summed over the points.
    const bool box_poisson = boxes_only && fe.degree == 1;
    std::vector<std::vector<double>> poisson_stiffness(nb, std::vector<double>(nb));
    for (unsigned int i = 0; i < n; ++i)
      sys[fe.system_to_component_index(i).first][fe.system_to_component_index(i).second] = i;
    std::vector<bool>           row_saturated(n, false);
    // Edge-averaged mobility (Q1), the box method: the flux between two
    // vertices a, b of a cell is D g_cell K_ab Mbar_ab (mu_b - mu_a), with
    // K the cell's stiffness matrix integrated with the vertex (Gauss-Lobatto)
    // rule and Mbar_ab = (c(eta_b) - c(eta_a)) / (eta_b - eta_a) the exact
    // mean of dc/deta along the pair (below). With dc/deta at quadrature
    // points instead (Galerkin), a cell across which c changes by e^20 or
    // more carries a flux set by its most saturated or most depleted point:
    // the PSG/WO3 interface then blocks (docs/numerics.md).
    const bool edge = (parameters.mobility_average == "edge" || parameters.mobility_average == "sg") &&
                      fe.degree == 1;
    // 'sg': the same box scheme with the Scharfetter-Gummel flux of hopping
    // with site exclusion, G_ab = c_max [B(-dpsi) theta_b (1 - theta_a) -
    // B(dpsi) theta_a (1 - theta_b)] in place of Mbar_ab (mu_b - mu_a)
    // (dpsi = z (phi_b - phi_a), theta = c/c_max): zero exactly where
    // mu_a = mu_b, -> Mbar dmu for small differences, and bounded next to an
    // emptied node (the eta-mean's tail c_b (1 + dpsi/deta) ignores the
    // field there and makes the node a sink whatever its mu; docs/numerics.md).
    const bool sg = edge && parameters.mobility_average == "sg";
    // The vertex rule makes K the finite-volume stiffness on box cells: only
    // the pairs along an axis couple, each with the weight -|cell|/(2^(dim-1)
    // h_d^2) < 0, so every pair is diffusive however thin the cell. The
    // Gauss-rule K of a 10 nm x 0.05 nm cell couples the two ends of its
    // long side with the wrong sign (+(1/6) h_x/h_y), which made the scheme
    // anti-diffusive there and stalled the 2D reference device
    // (docs/numerics.md). In 1D both rules give the same K.
    std::unique_ptr<FEValues<dim>> vertex_values;
    // Mass lumping (Q1): the proton storage and the proton space charge are
    // taken at the nodes with the row sums of the mass matrix, so every
    // Nernst-Planck row holds only its own node's density change and every
    // Poisson row only its own node's charge: with the edge mobility the
    // scheme is the box (Scharfetter-Gummel-like finite-volume) method, whose
    // nodal profile stays monotone where the consistent mass matrix makes an
    // unresolved accumulation layer oscillate (docs/numerics.md).
    const bool                       lump = lumped_mass();
    // The default scheme on box cells (sg or edge, nodal storage, Q1) needs
    // from the points only grad phi (for the field enhancement), the weights
    // and the fixed charge: all in closed form (q1_gauss_gradients), without
    // FEValues' per-cell reinit, which with the loops over its shape data
    // was about half of this function's own time (docs/performance.md).
    const bool closed_points = box_poisson && edge && lump && !mms;
    const auto &gauss_gradients = q1_gauss_gradients<dim>();
    std::vector<double>              lumped_weight(nb);
    std::array<std::vector<double>, 2> dg_cell{{std::vector<double>(nb), std::vector<double>(nb)}};
    std::array<double, 2>              g_sum = {{0, 0}};
    std::vector<double>              eta_node(nb), flux_row(nb), row_factor(nb);
    std::array<std::vector<Sigmoids>, 2> node_now{{std::vector<Sigmoids>(nb), std::vector<Sigmoids>(nb)}};
    struct Pair
    {
      unsigned int a, b;
      double       k, log_mbar, pa, pb; ///< K_ab, log Mbar, dlog Mbar/deta_a, _b
    };
    std::vector<Pair> pairs;
    struct SgPair
    {
      unsigned int a, b;
      double       k, A, C; ///< K_ab, log of the b->a and a->b terms / c_max
      double dA_a, dA_b, dA_psi, dC_a, dC_b, dC_psi; ///< their derivatives
    };
    std::vector<SgPair> sg_pairs;
    // Local index of the phi-DoF at the same node as each local DoF.
    std::vector<unsigned int> phi_partner(n, 0);
    for (unsigned int i = 0; i < n; ++i)
      for (unsigned int j = 0; j < n; ++j)
        if (fe.system_to_component_index(j) ==
            std::make_pair(0u, fe.system_to_component_index(i).second))
          phi_partner[i] = j;

    // Gate faces carry terms only with a Stern layer (Robin condition for
    // phi) or Butler-Volmer exchange (a flux condition for mu).
    const bool gate_faces =
        gate_has_stern_layer() || parameters.gate_exchange == "butler-volmer";
    std::unique_ptr<FEFaceValues<dim>> face_values;
    if (gate_faces)
      face_values = std::make_unique<FEFaceValues<dim>>(
          mapping, fe, nodal_face_quadrature<dim>(fe.degree), update_values | update_JxW_values);

    std::unique_ptr<FEFaceValues<dim>> interface_values;
    if (finite_rate_interface)
      interface_values = std::make_unique<FEFaceValues<dim>>(
          mapping, fe, nodal_face_quadrature<dim>(fe.degree), update_values | update_JxW_values);
    if (edge)
      vertex_values = std::make_unique<FEValues<dim>>(mapping, fe, QGaussLobatto<dim>(2),
                                                      update_gradients | update_JxW_values);
    std::vector<std::vector<double>> vertex_stiffness(nb, std::vector<double>(nb));
    const GhostedArray local_view(owned, relevant);
    const LocalArray   now_array(ghosted), old_array(old_solution), older_array(older_solution);
    std::vector<double> u_now(n), u_old(n), u_older(n);
    gate_residual = 0;
    // PROTONFEM_DEBUG_BALANCE: the gate pass also sums the unscaled residual
    // of every other row of the gate's mu field (what Newton left there).
    const bool debug_balance = gate_rows_only && std::getenv("PROTONFEM_DEBUG_BALANCE");
    double     balance_interior = 0, balance_constrained = 0, balance_worst = 0;
    types::global_dof_index balance_worst_dof = 0;
    // Cell matrices go straight into the Jacobian's compressed rows
    // (solver/csr_adder.h; MatSetValues per cell was ~40 % of the
    // assembly) when every constraint fixes a DoF at zero, as in all our
    // stacks (a dielectric's mu, a conductor's phi); other constraints take
    // AffineConstraints' general path.
    std::optional<CsrAdder> adder;
    std::vector<char>       fixed(n, 0);
    const std::vector<char> none_fixed;
    if (!gate_rows_only && constraints_fix_at_zero)
      adder.emplace(jacobian.petsc_matrix(), rhs);
    for (const auto &assembly_cell : assembly_cells)
        {
          const auto &cell = assembly_cell.cell;
          if (gate_rows_only && !debug_balance)
            {
              cell->get_dof_indices(idx);
              if (std::none_of(idx.begin(), idx.end(),
                               [&](const auto i) { return gate_flux_dofs.is_element(i); }))
                continue;
            }
          if (!closed_points)
            fv.reinit(cell);
          cell_matrix          = 0;
          cell_rhs             = 0;
          const RegionModel &r = regions[cell->material_id()];
          // The layer's mobile species (protons, then electrons if modelled),
          // each with its own mu field (scalar shape functions sys[muc][.]).
          const SpeciesList sp = species(r);
          const unsigned int ns = sp.size();
          // Nodal values of the three time levels straight from the arrays
          // (deal.II's get_function_values on PETSc vectors allocates and
          // looks up every entry; this was ~1/6 of the assembly).
          cell->get_dof_indices(idx);
          for (unsigned int i = 0; i < n; ++i)
            {
              const std::size_t k = local_view.position(idx[i]);
              u_now[i]            = now_array[k];
              u_old[i]            = old_array[k];
              u_older[i]          = older_array[k];
              fixed[i]            = constrained_at[k];
            }
          // With the box scheme and nodal storage (sg, edge + lumping) the
          // species enter only at the nodes: the points need grad phi alone.
          const bool point_species = !(edge && lump) && ns > 0;
          for (unsigned int q = 0; q < (closed_points ? 0 : nq); ++q)
            {
              phi[q] = phi_o[q] = phi_oo[q] = 0;
              gphi[q] = Tensor<1, dim>();
              for (unsigned int k = 0; k < ns; ++k)
                {
                  mu[k][q] = mu_o[k][q] = mu_oo[k][q] = 0;
                  gmu[k][q] = Tensor<1, dim>();
                }
              for (unsigned int b = 0; b < nb; ++b)
                {
                  const unsigned int ip = sys[0][b];
                  gphi[q] += u_now[ip] * fv.shape_grad(ip, q);
                  if (!point_species)
                    continue;
                  const double       v  = fv.shape_value(ip, q);
                  const auto        &gr = fv.shape_grad(ip, q);
                  phi[q] += u_now[ip] * v;
                  phi_o[q] += u_old[ip] * v;
                  phi_oo[q] += u_older[ip] * v;
                  for (unsigned int k = 0; k < ns; ++k)
                    {
                      const unsigned int im = sys[sp[k]->mu_component][b];
                      mu[k][q] += u_now[im] * v;
                      mu_o[k][q] += u_old[im] * v;
                      mu_oo[k][q] += u_older[im] * v;
                      gmu[k][q] += u_now[im] * gr;
                    }
                }
            }
          // Analytic row scaling of the Nernst-Planck rows: where the layer is
          // emptied (or filled) to exp(-|eta|) with |eta| up to hundreds, c and
          // dc/dmu underflow and a plain row would be zero. Each mu-row i is
          // multiplied by exp(ell_i), ell_i = max(0, |eta_i + e_site| - 30) from
          // the nodal values (the same for every cell sharing the node), and
          // the scaled terms are evaluated in log form. Rows on the saturated
          // side use the vacancy form c = c_max - v (a0 + a1 + a2 = 0).
          // An electrolyte cell on a finite-rate channel interface also
          // writes the channel's mu-rows at the interface nodes (the
          // exchange flux), in the channel's row scale.
          const RegionModel *across = nullptr;
          if (finite_rate_interface && r.hosts_protons && r.mu_component == 1)
            for (const unsigned int f : cell->face_indices())
              if (interface_face(cell, f))
                across = &regions[cell->neighbor(f)->material_id()];
          if (ns > 0)
            for (unsigned int i = 0; i < n; ++i)
              {
                const unsigned int c  = fe.system_to_component_index(i).first;
                const RegionModel *ri = (across != nullptr && c == across->mu_component) ? across
                                                                                          : nullptr;
                for (const RegionModel *s : sp)
                  if (c == s->mu_component)
                    ri = s;
                if (ri == nullptr)
                  continue;
                if (!frozen_ell.empty() && !record_row_scales)
                  {
                    const std::size_t k = local_view.position(idx[i]);
                    row_ell[i]          = frozen_ell[k];
                    row_saturated[i]    = frozen_side[k];
                    continue;
                  }
                const double x = u_now[i] - ri->z * u_now[phi_partner[i]];
                row_ell[i] = std::min(600.0, std::max(0.0, std::abs(x) - 30.0)); // no overflow
                row_saturated[i] = x - ri->e_site > 0;
                if (record_row_scales)
                  {
                    const std::size_t k = local_view.position(idx[i]);
                    frozen_ell[k]       = row_ell[i];
                    frozen_side[k]      = row_saturated[i];
                  }
              }
          std::fill(lumped_weight.begin(), lumped_weight.end(), 0.0);
          double w_sum = 0;
          // A box cell's sides, read once (both stiffness matrices and the
          // closed-form points use them).
          std::array<double, dim> sides{};
          if (boxes_only)
            sides = assembly_cell.sides;
          if (edge && ns > 0)
            {
              if (boxes_only)
                box_stiffness<dim>(sides, L * L * jxw_scale, true, vertex_stiffness);
              else
                {
                  vertex_values->reinit(cell);
                  const unsigned int nv = vertex_values->n_quadrature_points;
                  for (unsigned int a = 0; a < nb; ++a)
                    for (unsigned int b = 0; b <= a; ++b)
                      {
                        double kab = 0;
                        for (unsigned int v = 0; v < nv; ++v)
                          kab += vertex_values->shape_grad(sys[0][a], v) *
                                 vertex_values->shape_grad(sys[0][b], v) * vertex_values->JxW(v);
                        vertex_stiffness[a][b] = vertex_stiffness[b][a] = kab * L * L * jxw_scale;
                      }
                }
              for (unsigned int k = 0; k < ns; ++k)
                {
                  std::fill(dg_cell[k].begin(), dg_cell[k].end(), 0.0);
                  g_sum[k] = 0;
                }
            }
          // Space charge at the points only with consistent mass (lumped:
          // at the nodes below).
          const bool point_charge = !lump && ns > 0;
          if (box_poisson)
            box_stiffness<dim>(sides, L * L * jxw_scale, false, poisson_stiffness);
          else
            for (auto &row : poisson_stiffness)
              std::fill(row.begin(), row.end(), 0.0);
          if (closed_points)
            {
              // As the loop below computes it for this scheme: each of the
              // 2^dim points weighs |cell| / 2^dim, so does each node
              // (the lumped weights), and the fixed charge enters phi's
              // rows with those weights.
              std::array<double, dim> to_grad; // d xi_d / d x_d, times L
              double volume = jxw_scale;
              for (unsigned int d = 0; d < dim; ++d)
                {
                  to_grad[d] = L / sides[d];
                  volume *= sides[d];
                }
              const double w_node = volume / nb;
              for (unsigned int a = 0; a < nb; ++a)
                {
                  cell_rhs(sys[0][a]) += lambda * r.fixed_charge * w_node;
                  lumped_weight[a] = w_node;
                }
              w_sum = volume;
              for (unsigned int q = 0; q < (ns > 0 ? nb : 0); ++q)
                {
                  const auto    &ref = gauss_gradients[q];
                  Tensor<1, dim> gp;
                  for (unsigned int b = 0; b < nb; ++b)
                    for (unsigned int d = 0; d < dim; ++d)
                      gp[d] += u_now[sys[0][b]] * ref[b][d];
                  for (unsigned int d = 0; d < dim; ++d)
                    gp[d] *= to_grad[d];
                  const double         gn  = gp.norm();
                  const Tensor<1, dim> dir = gn > 0 ? Tensor<1, dim>(gp / gn) : Tensor<1, dim>();
                  for (unsigned int k = 0; k < ns; ++k)
                    {
                      double g = 1, dg = 0;
                      sp[k]->enhancement(gn, g, dg);
                      g_sum[k] += g * w_node;
                      if (dg == 0)
                        continue;
                      for (unsigned int b = 0; b < nb; ++b)
                        {
                          double dd = 0;
                          for (unsigned int d = 0; d < dim; ++d)
                            dd += dir[d] * ref[b][d] * to_grad[d];
                          dg_cell[k][b] += dg * dd * w_node;
                        }
                    }
                }
            }
          for (unsigned int q = 0; q < (closed_points ? 0 : nq); ++q)
            {
              const double         w   = fv.JxW(q) * jxw_scale;
              const Tensor<1, dim> gp  = gphi[q] * L;
              const double         gn  = gp.norm();
              const Tensor<1, dim> dir = gn > 0 ? Tensor<1, dim>(gp / gn) : Tensor<1, dim>();
              // Shape data of this point once, and the projections every
              // (i, j) pair needs (assembly cost: docs/performance.md).
              // (The box scheme with nodal storage uses phi's functions only.)
              for (unsigned int i = 0; i < n; ++i)
                if (point_species || mms || fe.system_to_component_index(i).first == 0)
                  {
                    val[i]  = fv.shape_value(i, q);
                    grad[i] = fv.shape_grad(i, q) * L;
                  }
              // Space charge rho = rho_fix + sum_s z_s (c_s - c0_s) and its
              // derivatives: d rho/d phi = -sum_s s_s (z^2 = 1), d rho/d mu_s = z_s s_s.
              double rho = r.fixed_charge, drho_phi = 0;
              std::array<double, 2> drho_mu = {{0, 0}};
              for (unsigned int k = 0; k < ns; ++k)
                if (sp[k]->proton_charge && !lump)
                  {
                    const double s = sp[k]->density_derivative(mu[k][q], phi[q]);
                    rho += sp[k]->z * (sp[k]->density(mu[k][q], phi[q]) - sp[k]->c0);
                    drho_phi += s;
                    drho_mu[k] = sp[k]->z * s;
                  }
              // Both components use the same scalar element: the blocks of
              // the cell matrix are built from one table of gradient dot
              // products of the nb scalar shape functions (symmetric).
              if (!edge || !box_poisson) // the Galerkin flux needs gg at the points
                for (unsigned int a = 0; a < nb; ++a)
                  for (unsigned int b = 0; b <= a; ++b)
                    {
                      gg[a][b] = gg[b][a] = grad[sys[0][a]] * grad[sys[0][b]];
                      if (!box_poisson)
                        poisson_stiffness[b][a] = (poisson_stiffness[a][b] += gg[a][b] * w);
                    }
              // Manufactured sources (verification only), nondimensional.
              std::array<double, 2> f = {{0, 0}};
              if (mms)
                f = manufactured.source(fv.quadrature_point(q) / L, t_hat);
              for (unsigned int a = 0; a < nb; ++a)
                {
                  const unsigned int i  = sys[0][a];
                  const double       va = val[i];
                  // (eps grad phi, grad v_i): K phi once per cell, after the points.
                  cell_rhs(i) += (lambda * rho + f[0]) * va * w;
                  if (!point_charge)
                    continue;
                  for (unsigned int b = 0; b < nb; ++b)
                    {
                      const double m = lambda * va * val[sys[0][b]];
                      cell_matrix(i, sys[0][b]) += m * drho_phi * w;
                      for (unsigned int k = 0; k < ns; ++k)
                        cell_matrix(i, sys[sp[k]->mu_component][b]) -= m * drho_mu[k] * w;
                    }
                }
              if (ns == 0)
                continue;
              if (lump)
                for (unsigned int a = 0; a < nb; ++a)
                  lumped_weight[a] += val[sys[0][a]] * w;
              if (edge)
                w_sum += w;
              for (unsigned int b = 0; b < nb; ++b) // read for phi's functions only
                dir_dot[sys[0][b]] = dir * grad[sys[0][b]];
              // Nernst-Planck rows of each species. With z = -1 every
              // derivative by phi changes sign (d eta/d phi = -z).
              for (unsigned int k = 0; k < ns; ++k)
                {
                  const RegionModel &s   = *sp[k];
                  const unsigned int muc = s.mu_component;
                  const double       z   = s.z;
                  double g = 1, dg = 0;
                  s.enhancement(gn, g, dg);
                  if (edge)
                    {
                      for (unsigned int a = 0; a < nb; ++a)
                        dg_cell[k][a] += dg * dir_dot[sys[0][a]] * w;
                      g_sum[k] += g * w;
                    }
                  if (edge && lump)
                    {
                      // Nodal storage and pair fluxes (below): the points
                      // only give the cell's mean enhancement and, in
                      // verification runs, the source (in the row's scale).
                      if (mms && k == 0)
                        for (unsigned int a = 0; a < nb; ++a)
                          {
                            const unsigned int i = sys[muc][a];
                            cell_rhs(i) += std::exp(row_ell[i]) * f[1] * val[i] * w;
                          }
                      continue;
                    }
                  const Tensor<1, dim> gm    = gmu[k][q] * L;
                  const double slope = s.saturation_slope(mu[k][q], phi[q]); // (dM/dmu) / M
                  for (unsigned int i = 0; i < n; ++i)
                    gm_dot[i] = gm * grad[i];
                  // log sigma(+-eta) of the three time levels, shared by all rows.
                  double       ls[3][2];
                  const double etas[3] = {s.eta(mu[k][q], phi[q]), s.eta(mu_o[k][q], phi_o[q]),
                                          s.eta(mu_oo[k][q], phi_oo[q])};
                  for (unsigned int l = 0; l < 3; ++l)
                    {
                      ls[l][0] = RegionModel::log_sigmoid(etas[l]);
                      ls[l][1] = RegionModel::log_sigmoid(-etas[l]);
                    }
                  // Scaled rate and dc/dmu of a row depend only on (ell, side);
                  // most rows of a cell share them, so they are computed once.
                  double cached_ell = -1, cached_rate = 0, cached_ss = 0;
                  bool   cached_side = false;
                  for (unsigned int a = 0; a < nb; ++a)
                    {
                      const unsigned int i   = sys[muc][a];
                      const double       vi  = val[i];
                      const double       ell = row_ell[i];
                      if (ell != cached_ell || row_saturated[i] != cached_side)
                        {
                          // Saturated rows use the vacancy form c = c_max - v
                          // (a0 + a1 + a2 = 0): the scaled densities of the
                          // three levels are c_max exp(ell + log sigma(+-eta)).
                          const unsigned int side = row_saturated[i] ? 1 : 0;
                          const double       sum  = a0 * std::exp(ell + ls[0][side]) +
                                             a1 * std::exp(ell + ls[1][side]) +
                                             a2 * std::exp(ell + ls[2][side]);
                          cached_rate = (side == 1 ? -1.0 : 1.0) * s.c_max * sum / dt;
                          cached_ss   = s.c_max * std::exp(ell + ls[0][0] + ls[0][1]);
                          cached_ell  = ell;
                          cached_side = row_saturated[i];
                        }
                      const double ssi = cached_ss;
                      if (mms && k == 0) // the source in the row's scale exp(ell)
                        cell_rhs(i) += std::exp(ell) * f[1] * vi * w;
                      if (edge)
                        {
                          // Storage only; the flux follows per cell below.
                          cell_rhs(i) -= cached_rate * vi * w;
                          const double mass = a0 / dt * ssi * vi;
                          for (unsigned int b = 0; b < nb; ++b)
                            {
                              const double vb = val[sys[0][b]];
                              cell_matrix(i, sys[muc][b]) += mass * vb * w;
                              cell_matrix(i, sys[0][b]) -= z * mass * vb * w;
                            }
                          continue;
                        }
                      const double keep = lump ? 0.0 : 1.0; // lumped storage: at the nodes below
                      cell_rhs(i) -=
                          (keep * cached_rate * vi + s.diffusivity * ssi * g * gm_dot[i]) * w;
                      const double mass = keep * a0 / dt * ssi * vi, flux = s.diffusivity * ssi;
                      const double drift = flux * slope * g * gm_dot[i];
                      for (unsigned int b = 0; b < nb; ++b)
                        {
                          const double vb = val[sys[0][b]];
                          cell_matrix(i, sys[muc][b]) +=
                              (mass * vb + drift * vb + flux * g * gg[a][b]) * w;
                          cell_matrix(i, sys[0][b]) +=
                              (-z * (mass + drift) * vb + flux * dg * dir_dot[sys[0][b]] * gm_dot[i]) *
                              w;
                        }
                    }
                }
            }
          // The Laplacian of phi: (eps grad phi, grad v_a) = eps sum_b K_ab phi_b.
          for (unsigned int a = 0; a < nb; ++a)
            for (unsigned int b = 0; b < nb; ++b)
              {
                const double k = r.eps_r * poisson_stiffness[a][b];
                cell_matrix(sys[0][a], sys[0][b]) += k;
                cell_rhs(sys[0][a]) -= k * u_now[sys[0][b]];
              }
          // sigma(+-eta) of each species at each node now, once per cell:
          // the nodal storage and the sg pairs both need them.
          if (lump || sg)
            for (unsigned int k = 0; k < ns; ++k)
              for (unsigned int a = 0; a < nb; ++a)
                node_now[k][a] = sigmoids(
                    sp[k]->eta(u_now[sys[sp[k]->mu_component][a]], u_now[sys[0][a]]));
          if (lump)
            for (unsigned int sk = 0; sk < ns; ++sk)
              for (unsigned int a = 0; a < nb; ++a)
                {
                  const RegionModel *s = sp[sk];
                  // Nodal storage (in the row's scale and side, as above) and
                  // nodal space charge, each with the node's lumped weight.
                  const unsigned int im = sys[s->mu_component][a], ip = sys[0][a];
                  const double       wa = lumped_weight[a], ell = row_ell[im], z = s->z;
                  const bool         saturated = row_saturated[im];
                  // Now: sigma(+-eta) and their logs (shared with the sg
                  // pairs); the two earlier levels need only the row side's
                  // sigma (or its log beyond |eta| = 650).
                  const Sigmoids    &now = node_now[sk][a];
                  const double eta_old   = s->eta(u_old[im], u_old[ip]),
                               eta_older = s->eta(u_older[im], u_older[ip]);
                  double sum, ss; // the three levels' sigma on the row's side; dc/dmu
                  if (std::max(std::abs(eta_old), std::abs(eta_older)) < 650 &&
                      std::abs(now.log_p - now.log_m) < 650) // = |eta| now
                    {
                      // Every sigma is above e^-650 (no underflow) and exp(ell)
                      // below e^600: the sum scaled as a whole, from one exp
                      // per level (the log form below costs five exp and two
                      // log1p per node; this loop was a fifth of the
                      // assembly's transcendentals, docs/performance.md).
                      const double scale = std::exp(ell);
                      const auto   side  = [&](const double eta) {
                        const double e = std::exp(-std::abs(eta)), big = 1.0 / (1.0 + e);
                        return (saturated ? -eta : eta) > 0 ? big : e * big;
                      };
                      sum = scale * (a0 * (saturated ? now.m : now.p) + a1 * side(eta_old) +
                                     a2 * side(eta_older));
                      // dc/dmu exp(ell) = c_max sigma(eta) sigma(-eta) exp(ell).
                      ss = s->c_max * scale * now.p * now.m;
                    }
                  else
                    {
                      sum = a0 * std::exp(ell + (saturated ? now.log_m : now.log_p)) +
                            a1 * std::exp(ell + RegionModel::log_sigmoid(saturated ? -eta_old : eta_old)) +
                            a2 * std::exp(ell + RegionModel::log_sigmoid(saturated ? -eta_older
                                                                                   : eta_older));
                      ss = s->c_max * std::exp(ell + now.log_p + now.log_m);
                    }
                  cell_rhs(im) -= (saturated ? -1.0 : 1.0) * s->c_max * sum / dt * wa;
                  cell_matrix(im, im) += a0 / dt * ss * wa;
                  cell_matrix(im, ip) -= z * a0 / dt * ss * wa;
                  if (s->proton_charge)
                    {
                      // Poisson row: -lambda z (c_a - c0) w_a in the residual.
                      const double c  = s->c_max * now.p;
                      const double dc = s->c_max * now.p * now.m;
                      cell_rhs(ip) += lambda * z * (c - s->c0) * wa;
                      cell_matrix(ip, ip) += lambda * dc * wa;
                      cell_matrix(ip, im) -= lambda * z * dc * wa;
                    }
                }
          if (edge)
            for (unsigned int k = 0; k < ns; ++k)
              {
                const RegionModel &s = *sp[k];
                const unsigned int muc = s.mu_component;
                const double       z   = s.z;
                // Everything in log form: log Mbar = log c_max +
                // log(sinh(d/2)/d) - log 2 - log cosh(eta_a/2) - log cosh(eta_b/2),
                // d = eta_b - eta_a; d eta/d mu = 1, d eta/d phi = -z. The
                // pair terms carry exp(-log_top), log_top the largest log Mbar
                // of the cell, which the row scale multiplies back.
                const double g_cell = g_sum[k] / w_sum;
                for (unsigned int a = 0; a < nb; ++a)
                  eta_node[a] = s.eta(u_now[sys[muc][a]], u_now[sys[0][a]]);
                double log_top = -1e300, k_top = 0;
                for (unsigned int a = 0; a < nb; ++a)
                  k_top = std::max(k_top, std::abs(vertex_stiffness[a][a]));
                std::fill(flux_row.begin(), flux_row.end(), 0.0);
                if (sg)
                  {
                    // sigma(+-eta) of each node once (a node is in dim
                    // pairs of the cell), and log c_max once.
                    const std::vector<Sigmoids> &node_sigmoids = node_now[k];
                    const double log_c_max = std::log(s.c_max);
                    sg_pairs.clear();
                    for (unsigned int a = 0; a < nb; ++a)
                      for (unsigned int b = a + 1; b < nb; ++b)
                        {
                          if (std::abs(vertex_stiffness[a][b]) <= 1e-12 * k_top)
                            continue;
                          const Sigmoids &na = node_sigmoids[a], &nb_ = node_sigmoids[b];
                          const double dpsi = z * (u_now[sys[0][b]] - u_now[sys[0][a]]);
                          const LogBernoulliPair lb = log_bernoulli_pair(dpsi);
                          SgPair e;
                          e.a = a, e.b = b, e.k = vertex_stiffness[a][b];
                          // d log sigma(x)/dx = sigma(-x).
                          e.A = lb.at_minus_x + nb_.log_p + na.log_m;
                          e.C = lb.at_x + na.log_p + nb_.log_m;
                          e.dA_a = -na.p, e.dA_b = nb_.m, e.dA_psi = -lb.d_at_minus_x;
                          e.dC_a = na.m, e.dC_b = -nb_.p, e.dC_psi = lb.d_at_x;
                          log_top = std::max(log_top, log_c_max + std::max(e.A, e.C));
                          sg_pairs.push_back(e);
                        }
                    // The row factor of each node once (not once per pair).
                    for (unsigned int a = 0; a < nb; ++a)
                      row_factor[a] = s.diffusivity * g_cell *
                                      std::exp(row_ell[sys[muc][a]] + log_top);
                    for (const auto &e : sg_pairs)
                      {
                        const double pA = s.c_max * std::exp(e.A - log_top),
                                     pC = s.c_max * std::exp(e.C - log_top);
                        const double G = pA - pC; // (scaled) G_ab
                        const double dG_a = pA * e.dA_a - pC * e.dC_a,
                                     dG_b = pA * e.dA_b - pC * e.dC_b,
                                     dG_psi = pA * e.dA_psi - pC * e.dC_psi;
                        for (const unsigned int row : {e.a, e.b})
                          {
                            const unsigned int i     = sys[muc][row];
                            const double       scale = (row == e.a ? 1.0 : -1.0) * e.k * row_factor[row];
                            flux_row[row] += scale * G;
                            // eta = mu - z phi - e_site; dpsi = z (phi_b - phi_a)
                            cell_matrix(i, sys[muc][e.a]) += scale * dG_a;
                            cell_matrix(i, sys[muc][e.b]) += scale * dG_b;
                            cell_matrix(i, sys[0][e.a]) += scale * (-z * dG_a - z * dG_psi);
                            cell_matrix(i, sys[0][e.b]) += scale * (-z * dG_b + z * dG_psi);
                          }
                      }
                  }
                pairs.clear();
                if (!sg) // the eta-mean pairs (with 'sg', pairs stays empty)
                  {
                    for (unsigned int a = 0; a < nb; ++a)
                      for (unsigned int b = a + 1; b < nb; ++b)
                        {
                          // The pairs across a box's diagonals have K_ab = 0.
                          if (std::abs(vertex_stiffness[a][b]) <= 1e-12 * k_top)
                            continue;
                          const double d = eta_node[b] - eta_node[a];
                          const double l = std::log(s.c_max) + log_sinhc(d) - std::log(2.0) -
                                           log_cosh(0.5 * eta_node[a]) - log_cosh(0.5 * eta_node[b]);
                          const double q = dlog_sinhc(d);
                          pairs.push_back(Pair{a, b, vertex_stiffness[a][b], l,
                                               -q - 0.5 * std::tanh(0.5 * eta_node[a]),
                                               q - 0.5 * std::tanh(0.5 * eta_node[b])});
                          log_top = std::max(log_top, l);
                        }
                  }
                // The weak form of -div(D g M grad mu) in row a: since the
                // rows of K sum to zero, sum_b K_ab M mu_b becomes
                // R_a = sum_b K_ab Mbar_ab (mu_b - mu_a) with one mean per pair.
                for (const auto &e : pairs)
                  {
                    const double t   = e.k * std::exp(e.log_mbar - log_top);
                    const double dmu = u_now[sys[muc][e.b]] - u_now[sys[muc][e.a]];
                    for (const unsigned int row : {e.a, e.b})
                      {
                        const unsigned int other = row == e.a ? e.b : e.a;
                        const unsigned int i     = sys[muc][row];
                        const double       scale =
                            s.diffusivity * g_cell * std::exp(row_ell[i] + log_top);
                        // f = K_ab Mbar_ab (mu_other - mu_row); Mbar depends on
                        // eta_a and eta_b (d log Mbar/d eta = pa, pb).
                        const double f = (row == e.a ? 1.0 : -1.0) * t * dmu;
                        flux_row[row] += scale * f;
                        cell_matrix(i, sys[muc][row]) -= scale * t;
                        cell_matrix(i, sys[muc][other]) += scale * t;
                        cell_matrix(i, sys[muc][e.a]) += scale * f * e.pa;
                        cell_matrix(i, sys[muc][e.b]) += scale * f * e.pb;
                        cell_matrix(i, sys[0][e.a]) -= z * scale * f * e.pa;
                        cell_matrix(i, sys[0][e.b]) -= z * scale * f * e.pb;
                      }
                  }
                // d g_cell / d phi_c = dg_cell[c] / w_sum; every flux is
                // proportional to g_cell.
                const double to_dg = 1.0 / (w_sum * g_cell);
                for (unsigned int a = 0; a < nb; ++a)
                  {
                    const unsigned int i = sys[muc][a];
                    cell_rhs(i) -= flux_row[a];
                    const double f = flux_row[a] * to_dg;
                    for (unsigned int c = 0; c < nb; ++c)
                      cell_matrix(i, sys[0][c]) += f * dg_cell[k][c];
                  }
              }
          if (gate_faces && cell->at_boundary())
            for (const unsigned int f : cell->face_indices())
              if (cell->face(f)->at_boundary() &&
                  cell->face(f)->boundary_id() == boundary_ids::gate)
                assemble_gate_face(cell, f, *face_values, r, u_now, row_ell, cell_matrix,
                                   cell_rhs);
          // Finite-rate electrolyte/channel interface: assembled once, from
          // the electrolyte side (its cell holds both mu fields' face DoFs).
          if (across != nullptr)
            for (const unsigned int f : cell->face_indices())
              if (interface_face(cell, f))
                assemble_interface_face(cell, f, *interface_values, r,
                                        regions[cell->neighbor(f)->material_id()], u_now, row_ell,
                                        cell_matrix, cell_rhs);
          if (gate_rows_only)
            {
              // The gate rows' residual, unscaled (cell_rhs = -exp(ell) R).
              for (unsigned int i = 0; i < n; ++i)
                if (fe.system_to_component_index(i).first == gate_flux_component)
                  {
                    const double R = -cell_rhs(i) * std::exp(-row_ell[i]);
                    if (gate_flux_dofs.is_element(idx[i]))
                      gate_residual += R;
                    else if (debug_balance)
                      {
                        (zero_constraints.is_constrained(idx[i]) ? balance_constrained
                                                                 : balance_interior) += R;
                        if (std::abs(R) > std::abs(balance_worst))
                          {
                            balance_worst     = R;
                            balance_worst_dof = idx[i];
                          }
                      }
                  }
              continue;
            }
          if (adder)
            {
              bool any = false;
              for (unsigned int i = 0; i < n; ++i)
                any = any || fixed[i] != 0;
              adder->add(idx, cell_matrix, cell_rhs, any ? fixed : none_fixed);
            }
          // Cells without constrained DoFs go to PETSc in one call (zeros
          // skipped there: MAT_IGNORE_ZERO_ENTRIES, setup).
          else if (std::none_of(idx.begin(), idx.end(),
                                [&](const auto i) { return zero_constraints.is_constrained(i); }))
            {
              std::copy(idx.begin(), idx.end(), petsc_idx.begin());
              check(MatSetValues(jacobian.petsc_matrix(), n, petsc_idx.data(), n, petsc_idx.data(),
                                 &cell_matrix(0, 0), ADD_VALUES),
                    "MatSetValues");
              check(VecSetValues(rhs, n, petsc_idx.data(), cell_rhs.begin(), ADD_VALUES),
                    "VecSetValues");
            }
          else
            zero_constraints.distribute_local_to_global(cell_matrix, cell_rhs, idx, jacobian, rhs);
        }
    if (gate_rows_only)
      {
        gate_residual = Utilities::MPI::sum(gate_residual, comm);
        if (debug_balance)
          {
            balance_interior    = Utilities::MPI::sum(balance_interior, comm);
            balance_constrained = Utilities::MPI::sum(balance_constrained, comm);
            pcout << std::setprecision(6) << "BALANCE t=" << assembly_time
                  << " gate*dt/a0=" << dt * gate_residual / a0
                  << " interior*dt/a0=" << dt * balance_interior / a0
                  << " constrained*dt/a0=" << dt * balance_constrained / a0;
            // The largest single cell contribution to one of those rows
            // (cells' shares of a row cancel in part: a pointer, not a sum).
            const double worst = Utilities::MPI::max(std::abs(balance_worst), comm);
            const unsigned int me = Utilities::MPI::this_mpi_process(comm);
            const unsigned int who =
                Utilities::MPI::max(std::abs(balance_worst) == worst ? me : 0u, comm);
            const auto dof = Utilities::MPI::broadcast(comm, balance_worst_dof, who);
            const DofLocation l = locate(dof);
            pcout << " worst*dt/a0=" << dt * worst / a0 << " at x_last=" << l.point.back()
                  << " region " << l.region << std::endl;
          }
        return;
      }
    if (adder)
      adder->finish();
    const double cell_loop_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    jacobian.compress(VectorOperation::add);
    rhs.compress(VectorOperation::add);

    if (!equilibrate_rows)
      {
        ++work.assemblies;
        return;
      }
    // Row equilibration: where protons are depleted (c down to 1e-80 of c0)
    // every entry of a Nernst-Planck row is as small as c, and LU loses the
    // update there. Scaling each row by 1/max|J_ij| changes nothing in exact
    // arithmetic and restores quadratic convergence.
    // One pass over the owned rows (solver/csr_adder.h); a row left all
    // zero (c underflowed to 0: mu there is irrelevant) gets 1 on its
    // diagonal, which keeps mu fixed where no proton is left at all.
    scale_rows_to_unit_max(jacobian.petsc_matrix(), rhs);
    ++work.assemblies;
    work.cell_loop_s += cell_loop_s;
    work.assembly_s +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  }

  template <int dim>
  void PNPSolver<dim>::assemble_gate_face(
      const typename DoFHandler<dim>::active_cell_iterator &cell, const unsigned int face,
      FEFaceValues<dim> &ffv, const RegionModel &r, const std::vector<double> &u_now,
      const std::vector<double> &row_ell, FullMatrix<double> &cell_matrix,
      Vector<double> &cell_rhs) const
  {
    ffv.reinit(cell, face);
    const double L       = scaling.length;
    const double v_gate  = contact_voltage.at(boundary_ids::gate)(assembly_time) /
                          scaling.thermal_voltage();
    const bool   stern   = gate_has_stern_layer();
    const bool   bv      = parameters.gate_exchange == "butler-volmer" && r.hosts_protons;
    const double eps_s   = parameters.gate_stern_permittivity > 0 ? parameters.gate_stern_permittivity
                                                                  : r.eps_r;
    // Stern capacitance per area in units of eps0 / L; the rate constant in
    // units of L / t0 = D_ref / L.
    const double c_stern = stern ? eps_s * L / parameters.gate_stern_thickness : 0;
    const double k_hat   = parameters.gate_rate_constant * L / scaling.diffusivity;
    const double alpha   = parameters.gate_transfer_coefficient;
    const unsigned int n = fe.n_dofs_per_cell();
    const double       face_scale = std::pow(L, -(dim - 1));
    // log R = log(c_res / (c_max - c_res)) and log c_max (used only with bv).
    const double log_r = bv ? std::log(reservoir_density / (r.c_max - reservoir_density)) : 0.0;
    const double lcm   = std::log(r.c_max);
    const auto   ex    = [](const double x) { return std::exp(std::min(x, 700.0)); };
    for (unsigned int q = 0; q < ffv.n_quadrature_points; ++q)
      {
        double phi = 0, mu = 0;
        for (unsigned int i = 0; i < n; ++i)
          {
            const unsigned int c = fe.system_to_component_index(i).first;
            if (c == 0)
              phi += u_now[i] * ffv.shape_value(i, q);
            else if (c == r.mu_component)
              mu += u_now[i] * ffv.shape_value(i, q);
          }
        const double w     = ffv.JxW(q) * face_scale;
        const double dphi  = v_gate - phi; // drop across the Stern layer (0 without one)
        if (stern)
          // Robin: eps_r dphi/dn = (eps_S / lambda_S)(V_gate - phi), i.e. the
          // weak form gains  int C (phi - V_gate) v.
          for (unsigned int i = 0; i < n; ++i)
            if (fe.system_to_component_index(i).first == 0)
              {
                const double vi = ffv.shape_value(i, q);
                if (vi == 0)
                  continue;
                cell_rhs(i) -= c_stern * (phi - v_gate) * vi * w;
                for (unsigned int j = 0; j < n; ++j)
                  if (fe.system_to_component_index(j).first == 0)
                    cell_matrix(i, j) += c_stern * vi * ffv.shape_value(j, q) * w;
              }
        if (!bv)
          continue;
        // Flux into the electrolyte J = k [R (c_max - c) e^(alpha dphi) -
        // c e^(-(1 - alpha) dphi)], R = c_res / (c_max - c_res): zero exactly
        // where mu equals the reservoir's (the ideal reservoir's state), so
        // large k approaches 'reservoir'. The row of node i is scaled by
        // exp(ell_i) like its bulk terms; everything in log form (emptied
        // layers: c ~ e^-300 c_max).
        const double eta  = mu - phi - r.e_site;
        const double ls_p = RegionModel::log_sigmoid(eta), ls_m = RegionModel::log_sigmoid(-eta);
        for (unsigned int i = 0; i < n; ++i)
          if (fe.system_to_component_index(i).first == r.mu_component)
            {
              const double vi = ffv.shape_value(i, q);
              if (vi == 0)
                continue;
              const double ell   = row_ell[i];
              const double inj   = ex(lcm + ell + log_r + ls_m + alpha * dphi);
              const double out   = ex(lcm + ell + ls_p - (1 - alpha) * dphi);
              const double s_inj = ex(lcm + ell + log_r + ls_p + ls_m + alpha * dphi);
              const double s_out = ex(lcm + ell + ls_p + ls_m - (1 - alpha) * dphi);
              const double flux  = k_hat * (inj - out);
              const double d_mu  = -k_hat * (s_inj + s_out);
              const double d_phi = k_hat * (s_inj + s_out) - k_hat * (alpha * inj + (1 - alpha) * out);
              // Residual term -int J v: the rhs holds minus the residual.
              cell_rhs(i) += flux * vi * w;
              for (unsigned int j = 0; j < n; ++j)
                {
                  const double       vj = ffv.shape_value(j, q);
                  const unsigned int cj = fe.system_to_component_index(j).first;
                  if (vj == 0 || (cj != 0 && cj != r.mu_component))
                    continue;
                  cell_matrix(i, j) -= (cj == 0 ? d_phi : d_mu) * vi * vj * w;
                }
            }
      }
  }

  template <int dim>
  bool PNPSolver<dim>::interface_face(const typename DoFHandler<dim>::active_cell_iterator &cell,
                                      const unsigned int face) const
  {
    if (cell->face(face)->at_boundary())
      return false;
    const RegionModel &a = regions[cell->material_id()];
    const RegionModel &b = regions[cell->neighbor(face)->material_id()];
    return a.hosts_protons && b.hosts_protons && a.mu_component != b.mu_component;
  }

  template <int dim>
  void PNPSolver<dim>::assemble_interface_face(
      const typename DoFHandler<dim>::active_cell_iterator &cell, const unsigned int face,
      FEFaceValues<dim> &ffv, const RegionModel &rp, const RegionModel &rw,
      const std::vector<double> &u_now, const std::vector<double> &row_ell,
      FullMatrix<double> &cell_matrix, Vector<double> &cell_rhs) const
  {
    ffv.reinit(cell, face);
    const double L     = scaling.length;
    const double k_hat = parameters.channel_interface_rate_constant * L / scaling.diffusivity;
    const double alpha = parameters.channel_interface_transfer_coefficient;
    // s: the site-energy step from the electrolyte into the channel [kT]
    // (phi is continuous, so it adds nothing).
    const double       s          = rp.e_site - rw.e_site;
    const double       lcm        = std::log(rp.c_max);
    const unsigned int n          = fe.n_dofs_per_cell();
    const double       face_scale = std::pow(L, -(dim - 1));
    const unsigned int cp = rp.mu_component, cw = rw.mu_component;
    const auto         ex = [](const double x) { return std::exp(std::min(x, 700.0)); };
    for (unsigned int q = 0; q < ffv.n_quadrature_points; ++q)
      {
        // Nodal quadrature: at each point one node's values (Q_p, Gauss-Lobatto).
        double phi = 0, mu_p = 0, mu_w = 0;
        for (unsigned int i = 0; i < n; ++i)
          {
            const unsigned int c = fe.system_to_component_index(i).first;
            const double       v = ffv.shape_value(i, q) * u_now[i];
            (c == 0 ? phi : c == cp ? mu_p : mu_w) += v;
          }
        const double w     = ffv.JxW(q) * face_scale;
        const double eta_p = mu_p - phi - rp.e_site, eta_w = mu_w - phi - rw.e_site;
        // J = k c_max,P [th_P (1 - th_W) e^(alpha s) - th_W (1 - th_P) e^(-(1 - alpha) s)]
        // from the electrolyte into the channel; th = sigma(eta). It vanishes
        // exactly at mu_P = mu_W (the ideal interface's state). Each row in
        // its own scale exp(ell) and in log form (emptied layers).
        const double lp = RegionModel::log_sigmoid(eta_p), lpm = RegionModel::log_sigmoid(-eta_p);
        const double lw = RegionModel::log_sigmoid(eta_w), lwm = RegionModel::log_sigmoid(-eta_w);
        // d log sigma(x)/dx = sigma(-x); d log sigma(-x)/dx = -sigma(x).
        const double sp = std::exp(lp), spm = std::exp(lpm), sw = std::exp(lw), swm = std::exp(lwm);
        for (unsigned int i = 0; i < n; ++i)
          {
            const unsigned int c = fe.system_to_component_index(i).first;
            if (c != cp && c != cw)
              continue;
            const double vi = ffv.shape_value(i, q);
            if (vi == 0)
              continue;
            const double ell  = row_ell[i];
            const double fwd  = k_hat * ex(lcm + ell + lp + lwm + alpha * s);
            const double back = k_hat * ex(lcm + ell + lw + lpm - (1 - alpha) * s);
            const double flux = fwd - back;
            const double d_mu_p = fwd * spm + back * sp;
            const double d_mu_w = -fwd * sw - back * swm;
            const double d_phi  = -(d_mu_p + d_mu_w); // J depends on eta_P, eta_W only
            // Residual: +int J v in the electrolyte's rows (outflow), -int J v
            // in the channel's (inflow); the rhs holds minus the residual.
            const double sign = c == cp ? 1.0 : -1.0;
            cell_rhs(i) -= sign * flux * vi * w;
            for (unsigned int j = 0; j < n; ++j)
              {
                const double vj = ffv.shape_value(j, q);
                if (vj == 0)
                  continue;
                const unsigned int cj = fe.system_to_component_index(j).first;
                const double d = cj == 0 ? d_phi : cj == cp ? d_mu_p : cj == cw ? d_mu_w : 0.0;
                cell_matrix(i, j) += sign * d * vi * vj * w;
              }
          }
      }
  }

  template <int dim>
  double PNPSolver<dim>::weighted_max(const PETScWrappers::MPI::Vector &v, const double floor) const
  {
    // phi: plain max. mu: weighted by min(1, dc/dmu / floor): where the
    // layer is emptied (c -> 0) or filled (c -> c_max) far beyond 'floor'
    // (relative to c_ref), changes of mu move no measurable charge and must
    // not hold up Newton or the step size (there mu is fixed only to
    // round-off). Read from the raw arrays: element access to a PETSc vector
    // (VecGetValues per entry) made this ~5 % of a run (docs/performance.md).
    const PetscScalar *values = nullptr;
    check(VecGetArrayRead(v, &values), "VecGetArrayRead");
    const types::global_dof_index first = owned.n_elements() > 0 ? owned.nth_index_in_set(0) : 0;
    double                        m     = 0;
    for (const auto i : plain_owned)
      m = std::max(m, std::abs(values[i - first]));
    {
      const GhostedArray local_view(owned, relevant);
      const LocalArray   now(ghosted);
      for (const auto &[imu, iphi, sp] : mu_nodes)
        m = std::max(m, std::abs(values[imu - first]) *
                            mu_weight_at(imu, now[local_view.position(imu)],
                                         now[local_view.position(iphi)], *sp, floor));
    }
    check(VecRestoreArrayRead(v, &values), "VecRestoreArrayRead");
    return Utilities::MPI::max(m, comm);
  }

  template <int dim>
  double PNPSolver<dim>::mu_weight(const types::global_dof_index imu,
                                   const types::global_dof_index iphi, const RegionModel &sp,
                                   const double floor) const
  {
    return mu_weight_at(imu, ghosted(imu), ghosted(iphi), sp, floor);
  }

  template <int dim>
  double PNPSolver<dim>::mu_weight_at(const types::global_dof_index imu, const double mu,
                                      const double phi, const RegionModel &sp,
                                      const double floor) const
  {
    const double s = sp.density_derivative(mu, phi);
    // Emptied nodes keep the full floor: their mu must stay accurate for
    // the layer to refill. Filled nodes (vacancies -> 0) are limited by
    // round-off in c_max - c at 1e-10 of c_ref whatever the floor.
    const bool   filled = sp.eta(mu, phi) > 0;
    const double f      = filled ? std::max(floor, 1e-10) : floor;
    // At a finite-rate channel interface the exchange flux does not
    // vanish with the node's vacancies (k c_max th_P (1 - th_W)): a filled
    // electrolyte node there must still balance it, so its mu counts in
    // full (down-weighted, a saturated node's mu drifted unchecked to
    // 1e8 kT at 1 V/nm, docs/numerics.md).
    return interface_mu.is_element(imu) ? 1.0 : std::min(1.0, s / f);
  }

  namespace
  {
    /// Put a default into PETSc's options database unless the user gave the
    /// option (command line or PETSC_OPTIONS): defaults here, overrides there.
    void default_option(const std::string &name, const std::string &value)
    {
      PetscBool given = PETSC_FALSE;
      PetscOptionsHasName(nullptr, nullptr, name.c_str(), &given);
      if (!given)
        PetscOptionsSetValue(nullptr, name.c_str(), value.empty() ? nullptr : value.c_str());
    }

    /// BoomerAMG defaults for one (sub)preconditioner with options prefix
    /// @p prefix. In 3D: HMIS coarsening with ext+i interpolation, strength
    /// 0.7 and one level of aggressive coarsening (the combination measured
    /// best for 3D electrostatics, benchmarks/results/electrostatics_amg_r1.md).
    void default_boomeramg(const std::string &prefix, const int dim)
    {
      default_option(prefix + "pc_type", "hypre");
      default_option(prefix + "pc_hypre_type", "boomeramg");
      default_option(prefix + "pc_hypre_boomeramg_strong_threshold", dim == 3 ? "0.7" : "0.25");
      default_option(prefix + "pc_hypre_boomeramg_agg_nl", dim == 3 ? "1" : "0");
      default_option(prefix + "pc_hypre_boomeramg_coarsen_type", "HMIS");
      default_option(prefix + "pc_hypre_boomeramg_interp_type", "ext+i");
      default_option(prefix + "pc_hypre_boomeramg_max_row_sum", "0.9");
    }

    /// Largest |entry| of a PETSc vector and its global index (collective).
    void largest_entry(const PETScWrappers::MPI::Vector &v, double &value,
                       types::global_dof_index &index)
    {
      PetscInt  imax = 0, imin = 0;
      PetscReal vmax = 0, vmin = 0;
      VecMax(v, &imax, &vmax);
      VecMin(v, &imin, &vmin);
      const bool use_max = std::abs(vmax) >= std::abs(vmin);
      value              = use_max ? vmax : vmin;
      index              = static_cast<types::global_dof_index>(use_max ? imax : imin);
    }

  } // namespace

  template <int dim> void PNPSolver<dim>::create_krylov_solver()
  {
    const std::string prefix = "-pnp_";
    check(KSPCreate(comm, &ksp), "KSPCreate");
    check(KSPSetOptionsPrefix(ksp, "pnp_"), "KSPSetOptionsPrefix");
    check(KSPSetType(ksp, KSPGMRES), "KSPSetType");
    check(KSPGMRESSetRestart(ksp, 200), "KSPGMRESSetRestart");
    // Right preconditioning: the convergence test then measures the true
    // (row-scaled) residual, the quantity Newton's accuracy depends on.
    check(KSPSetPCSide(ksp, PC_RIGHT), "KSPSetPCSide");
    check(KSPSetTolerances(ksp, parameters.linear_tolerance, 1e-300, PETSC_DEFAULT,
                           parameters.max_linear_iterations),
          "KSPSetTolerances");
    PC pc;
    check(KSPGetPC(ksp, &pc), "KSPGetPC");
    if (parameters.preconditioner == "fieldsplit-amg")
      {
        // Unknowns interleave per node; split them by component.
        const IndexSet phi_all = DoFTools::extract_dofs(dofs, fe.component_mask(phi_c));
        std::vector<PetscInt> phi_rows, mu_rows;
        for (const auto i : owned)
          (phi_all.is_element(i) ? phi_rows : mu_rows).push_back(static_cast<PetscInt>(i));
        check(ISCreateGeneral(comm, phi_rows.size(), phi_rows.data(), PETSC_COPY_VALUES, &is_phi),
              "ISCreateGeneral");
        check(ISCreateGeneral(comm, mu_rows.size(), mu_rows.data(), PETSC_COPY_VALUES, &is_mu),
              "ISCreateGeneral");
        check(PCSetType(pc, PCFIELDSPLIT), "PCSetType");
        check(PCFieldSplitSetIS(pc, "phi", is_phi), "PCFieldSplitSetIS");
        check(PCFieldSplitSetIS(pc, "mu", is_mu), "PCFieldSplitSetIS");
        // Block Gauss-Seidel: the potential first (its block is the stiff
        // elliptic one), then the protons given the new potential.
        check(PCFieldSplitSetType(pc, PC_COMPOSITE_MULTIPLICATIVE), "PCFieldSplitSetType");
        for (const std::string f : {"phi", "mu"})
          {
            default_option(prefix + "fieldsplit_" + f + "_ksp_type", "preonly");
            default_boomeramg(prefix + "fieldsplit_" + f + "_", dim);
          }
      }
    else if (parameters.preconditioner == "lateral-mg")
      {
        // Multigrid coarsening along the layers only (solver/lateral_multigrid.h):
        // ILU(0) in the plane order solves the lines across the stack, the
        // coarse levels keep every plane. Galerkin coarse operators; the
        // coarsest level (lateral lines thinned until the next level would
        // have fewer than 2000 DoFs, or to 3 lines per direction) by one
        // GAMG cycle. Measured against GAMG in docs/performance.md.
        // Built once per DoF numbering and kept across solver rebuilds
        // (after the equilibrium and every snapshot): they depend only on
        // the mesh.
        if (lateral_interpolation.empty())
          {
            std::vector<Point<dim>>   points;
            std::vector<unsigned int> component;
            owned_support_points(points, &component);
            lateral_interpolation =
                lateral_interpolations<dim>(comm, owned, points, component, 20, 2000);
          }
        const std::vector<Mat> &p = lateral_interpolation;
        check(PCSetType(pc, PCMG), "PCSetType");
        const PetscInt levels = static_cast<PetscInt>(p.size()) + 1;
        check(PCMGSetLevels(pc, levels, nullptr), "PCMGSetLevels");
        for (std::size_t s = 0; s < p.size(); ++s)
          {
            // PETSc numbers the levels from the coarsest; p[s] maps our level
            // s + 1 to s (0 the finest).
            check(PCMGSetInterpolation(pc, levels - 1 - static_cast<PetscInt>(s), p[s]),
                  "PCMGSetInterpolation"); // PCMG holds its own reference
          }
        check(PCMGSetGalerkin(pc, PC_MG_GALERKIN_BOTH), "PCMGSetGalerkin");
        default_option(prefix + "mg_levels_ksp_type", "richardson");
        default_option(prefix + "mg_levels_pc_type", "bjacobi");
        default_option(prefix + "mg_levels_sub_pc_type", "ilu");
        default_option(prefix + "mg_levels_sub_pc_factor_shift_type", "nonzero");
        default_option(prefix + "mg_coarse_ksp_type", "preonly");
        default_option(prefix + "mg_coarse_pc_type", "gamg");
        default_option(prefix + "mg_coarse_mg_levels_ksp_type", "richardson");
        default_option(prefix + "mg_coarse_mg_levels_pc_type", "bjacobi");
        default_option(prefix + "mg_coarse_mg_levels_sub_pc_type", "ilu");
        default_option(prefix + "mg_coarse_mg_levels_sub_pc_factor_shift_type", "nonzero");
        if (levels != reported_mg_levels) // once per mesh, not at every rebuild
          pcout << "  lateral multigrid: " << levels << " levels" << std::endl;
        reported_mg_levels = levels;
      }
    else if (parameters.preconditioner == "amg")
      {
        // Smoothed-aggregation AMG (PETSc GAMG) over the interleaved (phi, mu)
        // unknowns, with ILU(0) per rank as the smoother: the smoother
        // resolves the strong pointwise phi-mu coupling of the Debye layers
        // (which defeats per-field AMG, see docs/performance.md), the
        // coarse levels the long-range electrostatics.
        check(PCSetType(pc, PCGAMG), "PCSetType");
        // GAMG aggregates on the graph of A + A^T, which PETSc 3.18 builds
        // from a copy of A, its transpose and their sum in a newly
        // preallocated matrix: four copies of the Jacobian at once, the peak
        // memory of a run (docs/performance.md). Our Jacobian is not
        // symmetric, but its pattern is (a cell couples its free DoFs both
        // ways), and MIS aggregation uses the graph's pattern: flagged
        // symmetric, GAMG takes A's own graph and the same aggregates
        // (7.8e5 unknowns: the same Krylov iterations and time series, peak
        // 1,729 -> 1,600 MiB; 6e6: 2,145 -> 1,772 B per unknown). The time
        // series with and without the flag agree in every digit, so nothing
        // else on this path (GMRES, the ILU smoother, the Galerkin products)
        // acts on it. Only with GAMG: the other preconditioners do not need it.
        check(MatSetOption(jacobian.petsc_matrix(), MAT_SYMMETRIC, PETSC_TRUE), "MatSetOption");
        check(MatSetOption(jacobian.petsc_matrix(), MAT_SYMMETRY_ETERNAL, PETSC_TRUE),
              "MatSetOption");
        default_option(prefix + "mg_levels_ksp_type", "richardson");
        default_option(prefix + "mg_levels_pc_type", "bjacobi");
        default_option(prefix + "mg_levels_sub_pc_type", "ilu");
        // A row-scaled Nernst-Planck row can have a zero pivot in ILU(0)
        // (a node whose own coefficient underflowed next to a filled one;
        // the 2D reference device at the start of a pulse): shift it
        // instead of failing the preconditioner setup.
        default_option(prefix + "mg_levels_sub_pc_factor_shift_type", "nonzero");
      }
    else
      {
        check(PCSetType(pc, PCBJACOBI), "PCSetType");
        default_option(prefix + "sub_pc_type", "ilu");
        default_option(prefix + "sub_pc_factor_shift_type", "nonzero");
      }
    check(KSPSetFromOptions(ksp), "KSPSetFromOptions");
  }

  template <int dim> DofLocation PNPSolver<dim>::locate(const types::global_dof_index dof) const
  {
    // The owner of the DoF finds it on one of its (owned or ghost) cells
    // and broadcasts the answer.
    const unsigned int me    = Utilities::MPI::this_mpi_process(comm);
    const unsigned int owner = Utilities::MPI::max(owned.is_element(dof) ? me : 0u, comm);
    DofLocation        where;
    if (me == owner)
      {
        std::vector<types::global_dof_index> idx(fe.n_dofs_per_cell());
        bool                                 found = false;
        for (const auto &cell : dofs.active_cell_iterators())
          if (!found && !cell->is_artificial())
            {
              cell->get_dof_indices(idx);
              const SpeciesList here = species(regions[cell->material_id()]);
              for (unsigned int k = 0; k < idx.size() && !found; ++k)
                if (idx[k] == dof &&
                    // a mu-DoF belongs to the layers that use its field
                    (fe.system_to_component_index(k).first == 0 || here.size() == 0 ||
                     std::any_of(here.begin(), here.end(), [&](const RegionModel *s) {
                       return s->mu_component == fe.system_to_component_index(k).first;
                     })))
                  {
                    const Point<dim> x = StaticMappingQ1<dim>::mapping.transform_unit_to_real_cell(
                        cell, fe.unit_support_point(k));
                    where.component = fe.system_to_component_index(k).first;
                    where.region    = cell->material_id();
                    where.point.assign(dim, 0.0);
                    for (unsigned int d = 0; d < dim; ++d)
                      where.point[d] = x[d]; // the mesh is in metres
                    found = true;
                  }
            }
      }
    std::vector<double> packed = {double(where.component), double(where.region)};
    packed.insert(packed.end(), where.point.begin(), where.point.end());
    packed.resize(2 + dim, 0.0);
    packed = Utilities::MPI::broadcast(comm, packed, owner);
    where.component = static_cast<unsigned int>(packed[0]);
    where.region    = static_cast<unsigned int>(packed[1]);
    where.electrons = electron_component > 0 && where.component == electron_component;
    where.point.assign(packed.begin() + 2, packed.end());
    return where;
  }

  template <int dim>
  std::string PNPSolver<dim>::describe_failure(const NewtonReport &report) const
  {
    const auto where = [&](const types::global_dof_index dof) {
      const DofLocation l = locate(dof);
      return std::string(l.component == 0 ? "Poisson"
                         : l.electrons     ? "Nernst-Planck (electrons)"
                                           : "Nernst-Planck") +
             " equation in " +
             layer_and_position(l, region_names);
    };
    const std::string  residual_at = where(report.worst_residual_dof);
    const std::string  update_at   = where(report.worst_update_dof);
    std::ostringstream s;
    if (!report.linear_failure.empty())
      {
        s << "The linear solver failed in Newton iteration " << report.iterations << " ("
          << report.linear_failure << "); largest (row-scaled) residual " << std::setprecision(3)
          << report.worst_residual << ": " << residual_at;
        return s.str();
      }
    s << std::setprecision(3) << "Largest (row-scaled) residual " << report.worst_residual << ": "
      << residual_at << "; largest Newton update " << report.worst_update << " kT: " << update_at;
    return s.str();
  }

  template <int dim>
  double PNPSolver<dim>::check_jacobian(const double a0, const double a1, const double a2,
                                        const double dt, const double h)
  {
    const GhostedArray view(owned, relevant);
    frozen_ell.assign(owned.n_elements() + view.ghosts.n_elements(), 0.0);
    frozen_side.assign(frozen_ell.size(), 0);
    equilibrate_rows  = false;
    record_row_scales = true;
    assemble(a0, a1, a2, dt);
    record_row_scales = false;
    Mat j0;
    check(MatDuplicate(jacobian.petsc_matrix(), MAT_COPY_VALUES, &j0), "MatDuplicate");
    PETScWrappers::MPI::Vector base(owned, comm), plus(owned, comm), column(owned, comm),
        unit(owned, comm), row_max(owned, comm);
    base = current;
    MatGetRowMaxAbs(j0, row_max, nullptr);

    double                  worst = -1.0, worst_j = 0, worst_fd = 0;
    types::global_dof_index worst_row = 0, worst_col = 0;
    unsigned int            above = 0, columns = 0;
    const auto              set_entry = [&](PETScWrappers::MPI::Vector &v, const types::global_dof_index j,
                               const double value) {
      if (owned.is_element(j))
        v(j) = value;
      v.compress(VectorOperation::insert);
    };
    for (types::global_dof_index j = 0; j < dofs.n_dofs(); ++j)
      {
        const bool constrained =
            Utilities::MPI::max(relevant.is_element(j) && zero_constraints.is_constrained(j) ? 1 : 0,
                                comm) > 0;
        if (constrained)
          continue;
        ++columns;
        const double u = owned.is_element(j) ? double(base(j)) : 0.0;
        set_entry(current, j, u + h);
        ghosted = current;
        assemble(a0, a1, a2, dt);
        plus = rhs;
        set_entry(current, j, u - h);
        ghosted = current;
        assemble(a0, a1, a2, dt);
        set_entry(current, j, u);
        ghosted = current;
        // rhs = -R: dR/du_j = -(rhs(u + h) - rhs(u - h)) / 2h.
        plus -= rhs;
        plus *= -0.5 / h;
        unit = 0;
        set_entry(unit, j, 1.0);
        MatMult(j0, unit, column);
        for (const auto i : owned)
          {
            const double scale = row_max(i) > 0 ? double(row_max(i)) : 1.0;
            const double e     = std::abs(double(plus(i)) - double(column(i))) / scale;
            if (e > 1e-6)
              ++above;
            if (e > worst)
              {
                worst       = e;
                worst_row   = i;
                worst_col   = j;
                worst_j     = column(i);
                worst_fd    = plus(i);
              }
          }
      }
    MatDestroy(&j0);
    frozen_ell.clear();
    frozen_side.clear();
    equilibrate_rows = true;
    above            = Utilities::MPI::sum(above, comm);
    const int             owner = rank_of_largest(worst, comm);
    std::array<double, 4> w = {{double(worst_row), double(worst_col), worst_j, worst_fd}};
    MPI_Bcast(w.data(), 4, MPI_DOUBLE, owner, comm);
    const auto where = [&](const double dof) {
      const DofLocation l = locate(static_cast<types::global_dof_index>(dof));
      return std::string(l.component == 0 ? "phi" : "mu") + " in " +
             layer_and_position(l, region_names);
    };
    pcout << "  jacobian check: " << columns << " columns, largest difference from central "
          << "differences " << worst << " of the row's largest entry (" << above
          << " entries above 1e-6); worst: row " << where(w[0]) << ", column " << where(w[1])
          << ": assembled " << w[2] << ", finite difference " << w[3] << std::endl;
    return worst;
  }

  template <int dim> unsigned int PNPSolver<dim>::solve_linear()
  {
    TimerOutput::Scope t(timer, "pnp: linear solve");
    const auto         started = std::chrono::steady_clock::now();
    const auto         account = [&](const unsigned int its) {
      ++work.linear_solves;
      work.krylov_iterations += its;
      work.largest_solve = std::max<unsigned long long>(work.largest_solve, its);
      work.linear_solve_s +=
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      return its;
    };
    update = 0;
    if (parameters.linear_solver == "direct")
      {
        SolverControl control(1000, 1e-12 * rhs.l2_norm() + 1e-300, false, false);
        PETScWrappers::SparseDirectMUMPS direct(control, comm);
        direct.solve(jacobian, update, rhs);
        return account(1);
      }
    if (ksp == nullptr)
      create_krylov_solver();
    check(KSPSetOperators(ksp, jacobian.petsc_matrix(), jacobian.petsc_matrix()),
          "KSPSetOperators");
    // 'Preconditioner reuse = newton': the preconditioner built at the first
    // Newton iteration of a solve serves the later ones (the Jacobian changes
    // little once Newton is close); the AMG setup was a large part of the
    // linear-solve time (docs/performance.md). If GMRES fails with the old
    // one, it is rebuilt and the solve repeated.
    const bool lag = parameters.preconditioner_reuse == "newton" && newton_iteration > 1;
    check(KSPSetReusePreconditioner(ksp, lag ? PETSC_TRUE : PETSC_FALSE),
          "KSPSetReusePreconditioner");
    check(KSPSolve(ksp, rhs, update), "KSPSolve");
    KSPConvergedReason reason;
    PetscInt           its = 0;
    KSPGetConvergedReason(ksp, &reason);
    KSPGetIterationNumber(ksp, &its);
    if (reason < 0 && lag)
      {
        PetscInt first = its;
        check(KSPSetReusePreconditioner(ksp, PETSC_FALSE), "KSPSetReusePreconditioner");
        update = 0;
        check(KSPSolve(ksp, rhs, update), "KSPSolve");
        KSPGetConvergedReason(ksp, &reason);
        KSPGetIterationNumber(ksp, &its);
        its += first;
      }
    if (reason < 0)
      throw std::runtime_error("GMRES did not converge (PETSc reason " + std::to_string(reason) +
                               ") after " + std::to_string(its) + " iterations");
    return account(static_cast<unsigned int>(its));
  }

  template <int dim>
  NewtonReport PNPSolver<dim>::newton(const double time, const double a0, const double a1,
                                      const double a2, const double dt)
  {
    NewtonReport report;
    assembly_time = time;
    apply_dirichlet_values(current, time);
    ghosted = current;
    // PROTONFEM_CHECK_JACOBIAN=N: finite-difference check of the Jacobian at
    // the first iterate of the N-th Newton solve of the run (verification).
    if (const char *check_at = std::getenv("PROTONFEM_CHECK_JACOBIAN"))
      if (++newton_calls == static_cast<unsigned int>(std::max(1, std::atoi(check_at))))
        check_jacobian(a0, a1, a2, dt,
                       std::getenv("PROTONFEM_CHECK_JACOBIAN_STEP") ?
                           std::atof(std::getenv("PROTONFEM_CHECK_JACOBIAN_STEP")) :
                           1e-5);
    unsigned int stalled = 0;
    for (unsigned int it = 1; it <= parameters.max_newton_iterations; ++it)
      {
        newton_iteration = it;
        assemble(a0, a1, a2, dt);
        try
          {
            report.linear_iterations += solve_linear();
          }
        catch (const std::exception &e)
          {
            if (std::getenv("PROTONFEM_DEBUG_NEWTON"))
              pcout << "    linear solver failed: " << e.what() << std::endl;
            report.linear_failure = e.what();
            largest_entry(rhs, report.worst_residual, report.worst_residual_dof);
            report.worst_update_dof = report.worst_residual_dof;
            report.iterations       = it;
            return report; // linear failure: caller cuts the step
          }
        zero_constraints.distribute(update);
        largest_entry(rhs, report.worst_residual, report.worst_residual_dof);
        largest_entry(update, report.worst_update, report.worst_update_dof);
        // Update limiting on the thermal-voltage scale.
        double raw = update.linfty_norm();
        if (!std::isfinite(raw))
          {
            report.iterations = it;
            return report;
          }
        if (raw > update_limit)
          {
            for (const auto i : owned)
              update(i) = std::max(-update_limit, std::min(update_limit, double(update(i))));
            update.compress(VectorOperation::insert);
          }
        if (parameters.gate_exchange == "butler-volmer") // collective compress below
          {
            for (const auto &[imu, iphi] : exchange_nodes)
              {
                const double dphi = update(iphi), deta = double(update(imu)) - dphi;
                update(imu) = dphi + std::max(-exchange_update_limit,
                                              std::min(exchange_update_limit, deta));
              }
            update.compress(VectorOperation::insert);
          }
        current += update;
        // Densities below c_max e^-600 (~1e-233 m^-3) or vacancies below that
        // are zero for every purpose: eta is kept within +-600. Beyond it a
        // node's row no longer depends on its own mu (an emptied node next
        // to a filled one is a perfect sink whatever its mu: the edge flux
        // tends to D c_b / h), so Newton had no hold on that mu and the
        // clipped updates walked it away: in a WO3 channel emptied of
        // electrons by a -10 V pulse mu_e reached -2e8 kT, and the layer could
        // not refill after the pulse. The change is recorded in the update.
        double held = 0; // the largest shift the bound applied
        {
          for (const auto &[imu, iphi, sp] : mu_nodes)
            {
              if (zero_constraints.is_constrained(imu))
                continue;
              const double eta = sp->eta(current(imu), current(iphi));
              if (std::abs(eta) > eta_bound)
                {
                  const double shift = (eta > 0 ? eta_bound : -eta_bound) - eta;
                  current(imu) = double(current(imu)) + shift;
                  update(imu)  = double(update(imu)) + shift;
                  held         = std::max(held, std::abs(shift));
                }
            }
          current.compress(VectorOperation::insert);
          update.compress(VectorOperation::insert);
        }
        report.held_at_eta_bound = Utilities::MPI::max(held, comm) > 1e-2;
        ghosted           = current;
        report.iterations = it;
        // Weighted: where the layer is emptied (or filled) beyond the floor
        // (relative to c_ref), mu moves no measurable charge.
        report.last_update = weighted_max(update, 1e-20);
        if (std::getenv("PROTONFEM_DEBUG_NEWTON"))
          {
            const auto r = locate(report.worst_residual_dof), u = locate(report.worst_update_dof);
            pcout << "    newton " << it << ": raw max update " << raw << ", weighted "
                  << report.last_update << ", |rhs| " << rhs.l2_norm() << "; largest residual "
                  << report.worst_residual << " (equation " << r.component << ", layer "
                  << r.region << ", x_last " << r.point.back() << " m), largest update at equation "
                  << u.component << ", layer " << u.region << ", x_last " << u.point.back()
                  << " m" << std::endl;
            // At the node of the largest update: Newton's signed request
            // (before the 20 kT limit and the eta bound) and eta after the
            // applied update. Printed when rank 0 owns that node.
            for (const auto &[imu, iphi, sp] : mu_nodes)
              if (imu == report.worst_update_dof)
                pcout << "      node of largest update: update " << report.worst_update
                      << " kT, eta now " << sp->eta(ghosted(imu), ghosted(iphi)) << ", phi "
                      << double(ghosted(iphi)) << std::endl;
          }
        if (report.last_update < parameters.newton_tolerance)
          {
            report.converged = true;
            return report;
          }
        // Round-off floor: near saturation and depletion the scaled rows
        // carry terms of 1e10 and more that cancel, so updates can stall at
        // 1e-7..1e-5 kT (nanovolts) however small the step. Such an iterate is
        // accepted after four iterations at that level instead of cutting the
        // step forever; the run summary counts these acceptances.
        // (The raw update must be small too: while an emptied layer refills,
        // its nodes move by many kT with a weight of ~0.)
        stalled = ((report.last_update < roundoff_floor && raw < 1e-2) ||
                   report.last_update < 1e-2 * roundoff_floor)
                      ? stalled + 1
                      : 0;
        if (stalled >= 4)
          {
            report.converged   = true;
            report.at_roundoff = true;
            return report;
          }
      }
    return report;
  }

  template <int dim>
  NewtonReport PNPSolver<dim>::step(const double time, const double dt, const bool second_order,
                                    const double dt_previous)
  {
    TimerOutput::Scope t(timer, "pnp: time step");
    before_step = old_solution;
    // Predictor: linear extrapolation of the history (constant on the first step).
    current = old_solution;
    if (second_order && have_older)
      {
        const double r = dt / dt_previous;
        current *= (1 + r);
        PETScWrappers::MPI::Vector older(owned, comm);
        older = older_solution;
        current.add(-r, older);
      }
    PETScWrappers::MPI::Vector predicted(owned, comm);
    predicted = current;

    double a0 = 1, a1 = -1, a2 = 0; // implicit Euler
    const bool bdf2 = second_order && have_older && !bdf2_history_without_root(dt / dt_previous);
    if (bdf2)
      {
        const double w = dt / dt_previous; // variable-step BDF2
        a0             = (1 + 2 * w) / (1 + w);
        a1             = -(1 + w);
        a2             = w * w / (1 + w);
      }
    const double dt_hat = dt / scaling.time();
    NewtonReport report = newton(time, a0, a1, a2, dt_hat);
    report.first_order  = second_order && have_older && !bdf2;
    if (report.converged && gate_flux_active)
      {
        // Protons taken from the reservoir, from the gate rows' residual at
        // the converged state (the consistent boundary flux): with the other
        // rows at zero, sum of all rows = BDF(N)/dt, so the BDF recursion
        // below gives N - N(0) exactly when every other row is solved; what
        // it differs by is the unscaled residual left in the other rows
        // (Newton tolerance, round-off acceptances, the eta bound).
        gate_rows_only = true;
        assemble(a0, a1, a2, dt_hat);
        gate_rows_only = false;
        exchanged[0]   = (dt_hat * gate_residual - a1 * exchanged[1] - a2 * exchanged[2]) / a0;
      }
    if (report.converged)
      {
        predicted -= current;
        // Relative control above the deck's density floor, absolute below it.
        const double floor = parameters.error_density_floor / scaling.density;
        error_estimate     = weighted_max(predicted, floor);
        if (std::getenv("PROTONFEM_DEBUG_STEP"))
          {
            // Where the step-error estimate peaks (diagnostics of stalls).
            double                  best = -1, eta = 0, weight = 0, mu_old = 0, mu_new = 0,
                                    phi_old = 0, phi_new = 0;
            types::global_dof_index at   = 0;
            for (const auto &[imu, iphi, sp] : mu_nodes)
              {
                const double w = mu_weight(imu, iphi, *sp, floor);
                if (std::abs(predicted(imu)) * w > best)
                  {
                    best   = std::abs(predicted(imu)) * w;
                    at     = imu;
                    eta    = sp->eta(ghosted(imu), ghosted(iphi));
                    weight = w;
                    mu_old = old_solution(imu), mu_new = ghosted(imu);
                    phi_old = old_solution(iphi), phi_new = ghosted(iphi);
                  }
              }
            const int             owner = rank_of_largest(best, comm);
            std::array<double, 7> v = {{double(at), eta, weight, mu_old, mu_new, phi_old, phi_new}};
            MPI_Bcast(v.data(), 7, MPI_DOUBLE, owner, comm);
            const auto l = locate(static_cast<types::global_dof_index>(v[0]));
            pcout << "    step (" << (bdf2 ? "BDF2" : "BDF1") << ") error " << error_estimate
                  << ": largest weighted mu change "
                  << best << " in " << layer_and_position(l, region_names) << ", eta " << v[1]
                  << ", weight " << v[2] << "; this step: mu " << v[3] << " changed by " << v[4] - v[3]
                  << ", phi by " << v[6] - v[5] << std::endl;
          }
        if (!(second_order && have_older))
          error_estimate *= 0.5; // predictor was constant: first-order difference
      }
    return report;
  }

  template <int dim> bool PNPSolver<dim>::bdf2_history_without_root(const double w) const
  {
    // BDF2 at a node: a0 c + a1 c^n + a2 c^{n-1} = dt (net inflow), with
    // a1 < 0 < a2. Where the node only loses protons (outflow ~ c), the
    // positive root exists only if -a1 c^n > a2 c^{n-1}, i.e. if the density
    // fell by less than (1+w)^2/w^2 (4 at equal steps) in the last step;
    // likewise for the vacancies c_max - c of a filling node. A node emptied
    // faster than that asks for c < 0 (or c > c_max), which the log-density
    // unknown cannot reach: Newton walks the node down at the update limit
    // until it gives up (docs/numerics.md, Time). Such a step is taken with
    // implicit Euler, which always has the root and, over the whole step,
    // conserves each species like BDF2 does.
    const double limit = std::log((1 + w) * (1 + w) / (w * w));
    bool         drop  = false;
    for (const auto &[imu, iphi, sp] : mu_nodes)
      {
        const double e_new = sp->eta(old_solution(imu), old_solution(iphi));
        const double e_old = sp->eta(older_solution(imu), older_solution(iphi));
        if (RegionModel::log_sigmoid(e_old) - RegionModel::log_sigmoid(e_new) >= limit ||
            RegionModel::log_sigmoid(-e_old) - RegionModel::log_sigmoid(-e_new) >= limit)
          {
            drop = true;
            break;
          }
      }
    return Utilities::MPI::logical_or(drop, comm);
  }

  template <int dim> void PNPSolver<dim>::accept_step()
  {
    older_solution = old_solution;
    old_solution   = current;
    have_older     = true;
    exchanged[2]   = exchanged[1];
    exchanged[1]   = exchanged[0];
  }

  template <int dim> double PNPSolver<dim>::owned_cells_fingerprint() const
  {
    return protonfem::owned_cells_fingerprint(tria, scaling.length);
  }

  template <int dim> void PNPSolver<dim>::save_history(BinaryOut &out) const
  {
    out << RankFileHead{std::uint64_t(dofs.n_dofs()), std::uint64_t(owned.n_elements()),
                        owned_cells_fingerprint()}
        << std::uint64_t(have_older) << exchanged[1] << exchanged[2];
    for (const auto *v : {&old_solution, &older_solution})
      {
        std::vector<double> values;
        values.reserve(owned.n_elements());
        for (const auto i : owned)
          values.push_back((*v)(i));
        out << values;
      }
  }

  template <int dim> void PNPSolver<dim>::load_history(BinaryIn &in)
  {
    RankFileHead  head;
    std::uint64_t older = 0;
    in >> head >> older >> exchanged[1] >> exchanged[2];
    exchanged[0] = exchanged[1];
    const std::uint64_t n = head.n_dofs, n_owned = head.n_owned;
    // Collective, so that every rank stops (the run reports it as bad input).
    const bool cells = same_cells(head.cells, owned_cells_fingerprint());
    const bool sizes = n == dofs.n_dofs() && n_owned == owned.n_elements();
    if (Utilities::MPI::min(cells && sizes ? 1 : 0, comm) == 0)
      throw std::runtime_error(
          "a checkpoint of this deck's mesh, 'Geometry/Partition' and number of MPI ranks (it has " +
          std::to_string(n) + " DoFs, " + std::to_string(n_owned) + " on rank 0" +
          (cells ? "" : ", and rank 0 owns other cells") + "; this run " +
          std::to_string(dofs.n_dofs()) + " and " + std::to_string(owned.n_elements()) + ")");
    for (auto *v : {&old_solution, &older_solution})
      {
        std::vector<double> values;
        in >> values;
        PETScWrappers::MPI::Vector plain(owned, comm);
        std::size_t                k = 0;
        for (const auto i : owned)
          plain(i) = values.at(k++);
        plain.compress(VectorOperation::insert);
        *v = plain;
      }
    have_older = older != 0;
    current    = old_solution;
    ghosted    = current;
  }

  template <int dim> void PNPSolver<dim>::reject_step()
  {
    current = before_step;
    ghosted = current;
  }

  template <int dim>
  void PNPSolver<dim>::species_density(
      const typename Triangulation<dim>::active_cell_iterator &tria_cell,
      const Quadrature<dim> &quadrature, const bool electrons, std::vector<double> &density) const
  {
    const typename DoFHandler<dim>::active_cell_iterator cell(&tria, tria_cell->level(),
                                                              tria_cell->index(), &dofs);
    const RegionModel &r = regions.at(cell->material_id());
    const RegionModel *s = electrons ? r.electrons.get() : (r.hosts_protons ? &r : nullptr);
    density.assign(quadrature.size(), 0.0);
    if (s == nullptr)
      return;
    FEValues<dim>       fv(fe, quadrature, update_values);
    std::vector<double> phi(quadrature.size()), mu(quadrature.size());
    fv.reinit(cell);
    fv[phi_c].get_function_values(ghosted, phi);
    fv[FEValuesExtractors::Scalar(s->mu_component)].get_function_values(ghosted, mu);
    for (unsigned int q = 0; q < quadrature.size(); ++q)
      density[q] = s->density(mu[q], phi[q]) * scaling.density;
  }

  template <int dim> PNPObservables PNPSolver<dim>::observables(const double time) const
  {
    PNPObservables o;
    o.time                = time;
    const unsigned int nr = regions.size();
    const double       L = scaling.length, vt = scaling.thermal_voltage();
    o.gate_voltage = contact_voltage.count(boundary_ids::gate)
                         ? contact_voltage.at(boundary_ids::gate)(time)
                         : 0;
    // Per region and species kind (0 protons, 1 electrons): number and smallest density.
    std::array<std::vector<double>, 2> number{{std::vector<double>(nr, 0.0), std::vector<double>(nr, 0.0)}};
    std::array<std::vector<double>, 2> min_c{{std::vector<double>(nr, 1e300), std::vector<double>(nr, 1e300)}};
    std::vector<double> peak(nr, 0.0), field_integral(nr, 0.0), volume(nr, 0.0);

    const QGauss<dim> quadrature(fe.degree + 1);
    FEValues<dim>     fv(fe, quadrature, update_values | update_gradients | update_JxW_values);
    const QGaussLobatto<dim>    corners(fe.degree + 1);
    FEValues<dim>               fc(fe, corners, update_values | update_gradients);
    std::vector<double>         mu(quadrature.size());
    std::vector<double>         phic(corners.size()), muc(corners.size());
    std::vector<Tensor<1, dim>> gphi(corners.size());
    // Gate metal charge from the Poisson residual at the gate's phi-DoFs
    // (consistent flux: exact for the discrete solution).
    PETScWrappers::MPI::Vector           res(owned, comm);
    const unsigned int                   n = fe.n_dofs_per_cell();
    std::vector<types::global_dof_index> idx(n);
    Vector<double>                       local(n);
    std::vector<double>                  qphi(quadrature.size()), rho(quadrature.size());
    std::vector<Tensor<1, dim>>          qgphi(quadrature.size());
    const bool                           lump = lumped_mass();
    // Local index of each field's DoF at each node (lumped counts):
    // of_node[c][b], c = 0 for phi.
    const unsigned int                     nb = n / fe.n_components();
    std::vector<std::vector<unsigned int>> of_node(fe.n_components(), std::vector<unsigned int>(nb));
    for (unsigned int i = 0; i < n; ++i)
      of_node[fe.system_to_component_index(i).first][fe.system_to_component_index(i).second] = i;
    const auto         &phi_of_node = of_node[0];
    std::vector<double> node_c(nb, 0.0), node_dw(nb, 0.0), node_rho(nb, 0.0);
    for (const auto &cell : dofs.active_cell_iterators())
      if (cell->is_locally_owned())
        {
          const auto         id = cell->material_id();
          const RegionModel &r  = regions[id];
          fv.reinit(cell);
          fc.reinit(cell);
          fc[phi_c].get_function_gradients(ghosted, gphi);
          for (const auto &g : gphi)
            peak[id] = std::max(peak[id], g.norm() * vt); // mesh in m: grad phi_hat [1/m]
          fv[phi_c].get_function_values(ghosted, qphi);
          fv[phi_c].get_function_gradients(ghosted, qgphi);
          for (unsigned int q = 0; q < quadrature.size(); ++q)
            {
              field_integral[id] += qgphi[q].norm() * vt * fv.JxW(q);
              volume[id] += fv.JxW(q);
            }
          cell->get_dof_indices(idx);
          std::fill(rho.begin(), rho.end(), r.fixed_charge);
          std::fill(node_rho.begin(), node_rho.end(), 0.0);
          for (unsigned int b = 0; b < nb && lump; ++b)
            {
              node_dw[b] = 0;
              for (unsigned int q = 0; q < quadrature.size(); ++q)
                node_dw[b] += fv.shape_value(phi_of_node[b], q) * fv.JxW(q);
            }
          for (const RegionModel *s : species(r))
            {
              const unsigned int               kind = s->z > 0 ? 0 : 1;
              const FEValuesExtractors::Scalar mu_c(s->mu_component);
              const auto                      &mu_of_node = of_node[s->mu_component];
              fv[mu_c].get_function_values(ghosted, mu);
              // Lumped mass: the conserved number is sum_a c_a w_a (w_a the row
              // sums of the mass matrix, as in the assembly), and the Poisson
              // residual that gives the gate charge takes the charge at the nodes.
              if (lump)
                for (unsigned int b = 0; b < nb; ++b)
                  {
                    node_c[b] = s->density(ghosted(idx[mu_of_node[b]]), ghosted(idx[phi_of_node[b]]));
                    number[kind][id] += node_c[b] * node_dw[b];
                    if (s->proton_charge)
                      node_rho[b] += s->z * (node_c[b] - s->c0);
                  }
              else
                for (unsigned int q = 0; q < quadrature.size(); ++q)
                  {
                    const double c = s->density(mu[q], qphi[q]);
                    number[kind][id] += c * fv.JxW(q);
                    if (s->proton_charge)
                      rho[q] += s->z * (c - s->c0);
                  }
              fc[phi_c].get_function_values(ghosted, phic);
              fc[mu_c].get_function_values(ghosted, muc);
              for (unsigned int q = 0; q < corners.size(); ++q)
                min_c[kind][id] = std::min(min_c[kind][id], s->density(muc[q], phic[q]));
            }
          local = 0;
          for (unsigned int q = 0; q < quadrature.size(); ++q)
            {
              const double w = fv.JxW(q) * std::pow(L, -dim);
              for (unsigned int i = 0; i < n; ++i)
                if (fe.system_to_component_index(i).first == 0)
                  local(i) += (r.eps_r * (qgphi[q] * L) * (fv.shape_grad(i, q) * L) -
                               scaling.poisson_coupling() * rho[q] * fv.shape_value(i, q)) *
                              w;
            }
          if (lump)
            for (unsigned int i = 0; i < n; ++i)
              if (fe.system_to_component_index(i).first == 0)
                {
                  const unsigned int b = fe.system_to_component_index(i).second;
                  local(i) -= scaling.poisson_coupling() * node_rho[b] * node_dw[b] * std::pow(L, -dim);
                }
          for (unsigned int i = 0; i < n; ++i)
            res(idx[i]) += local(i);
        }
    res.compress(VectorOperation::add);
    double gate_sum = 0;
    if (contact_phi_dofs.count(boundary_ids::gate))
      for (const auto i : contact_phi_dofs.at(boundary_ids::gate))
        if (owned.is_element(i))
          gate_sum += res(i);
    gate_sum = Utilities::MPI::sum(gate_sum, comm);
    // Q = eps0 * int eps_r grad phi . n  =  eps0 V_T L^(dim-2) * (nondim residual)
    o.gate_metal_charge = constants::vacuum_permittivity * vt * std::pow(L, dim - 2) * gate_sum;
    // N-hat = N / (c_ref L^dim): the rows integrate over x / L.
    o.reservoir_exchange = gate_flux_active ? exchanged[1] * scaling.density * std::pow(L, dim)
                                            : std::numeric_limits<double>::quiet_NaN();

    for (unsigned int kind = 0; kind < 2; ++kind)
      {
        number[kind] = all_sum(number[kind], comm);
        min_c[kind]  = all_reduce(min_c[kind], MPI_MIN, comm);
      }
    peak = all_max(peak, comm);
    o.protons_per_region.resize(nr);
    o.min_density_per_region.resize(nr);
    o.electrons_per_region.resize(nr);
    o.min_electron_density_per_region.resize(nr);
    o.peak_field_per_region = peak;
    field_integral          = all_sum(field_integral, comm);
    volume                  = all_sum(volume, comm);
    o.mean_field_per_region.resize(nr);
    for (unsigned int i = 0; i < nr; ++i)
      o.mean_field_per_region[i] = volume[i] > 0 ? field_integral[i] / volume[i] : 0.0;
    for (unsigned int i = 0; i < nr; ++i)
      {
        // JxW in m^dim already
        o.protons_per_region[i]     = number[0][i] * scaling.density;
        o.min_density_per_region[i] = regions[i].hosts_protons ? min_c[0][i] * scaling.density : 0.0;
        o.electrons_per_region[i]   = number[1][i] * scaling.density;
        o.min_electron_density_per_region[i] =
            regions[i].electrons ? min_c[1][i] * scaling.density : 0.0;
        o.peak_field_per_region[i] = peak[i];
      }
    return o;
  }

  template class PNPSolver<1>;
  template class PNPSolver<2>;
  template class PNPSolver<3>;
} // namespace protonfem
