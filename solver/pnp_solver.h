// Transient Poisson-Nernst-Planck solver for protons, fully coupled.
//
// Unknowns (nondimensional, see pnp_model.h): phi_hat everywhere and the
// proton electrochemical potential mu in the proton-hosting layers, both
// continuous Q_p fields of one FESystem. mu-DoFs that touch no
// proton-hosting cell are constrained to 0 and carry no equation, so the
// dielectric layers see only Poisson and the interface to them is
// automatically blocking.
//
//   Poisson:        -div(eps_r grad phi) = lambda (rho_fix + c - c0)    (electrolyte)
//   Nernst-Planck:  d c(mu,phi)/dt - div(D c (1 - c/c_max) g(|E|) grad mu) = 0
//
// The flux is a pure gradient of mu: no convection term, so Galerkin is
// stable at any cell Peclet number, the discrete flux vanishes exactly at
// equilibrium (mu constant), and c > 0 for any value of the unknowns.
// Time: variable-step BDF2 on the conservative form (c itself is
// differenced), so with blocking boundaries the number of protons is
// conserved to the Newton tolerance. Newton with the exact Jacobian
// (including d g/d grad phi), updates clipped on the thermal-voltage scale.
#pragma once

#include "checkpoint.h"
#include "pnp_model.h"
#include "pnp_parameters.h"

#include <deal.II/base/conditional_ostream.h>
#include <deal.II/base/point.h>
#include <deal.II/base/index_set.h>
#include <deal.II/base/timer.h>
#include <deal.II/distributed/tria.h>
#include <deal.II/distributed/tria_base.h>
#include <deal.II/dofs/dof_handler.h>
#include <deal.II/fe/fe_system.h>
#include <deal.II/fe/fe_values.h>
#include <deal.II/lac/full_matrix.h>
#include <deal.II/lac/vector.h>
#include <deal.II/lac/affine_constraints.h>
#include <deal.II/lac/petsc_sparse_matrix.h>
#include <deal.II/lac/petsc_vector.h>

#include <petscksp.h>

#include <algorithm>
#include <array>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

namespace protonfem
{
  /// Electronic conductors: with 'Channel electrostatics = conductor' every
  /// mixed-conductor layer is an equipotential at the channel potential (its
  /// electrons screen the field), so protons there only diffuse.
  struct PNPObservables
  {
    double              time = 0, gate_voltage = 0;
    std::vector<double> protons_per_region;     ///< number (3D), per m (2D), per m^2 (1D)
    std::vector<double> min_density_per_region; ///< [m^-3]
    /// Electrons (when modelled; 0 in layers without them), as the protons.
    std::vector<double> electrons_per_region, min_electron_density_per_region;
    std::vector<double> peak_field_per_region;  ///< [V/m], largest at any vertex
    std::vector<double> mean_field_per_region;  ///< volume average of |E| [V/m]
    double              gate_metal_charge = 0;  ///< [C] (3D), C/m (2D), C/m^2 (1D)
    /// Protons taken from the gate reservoir since the transient started, from
    /// the consistent gate flux (as protons_per_region; NaN without a reservoir).
    double reservoir_exchange = 0;
  };

  struct NewtonReport
  {
    bool         converged         = false;
    unsigned int iterations        = 0;
    unsigned int linear_iterations = 0;
    double       last_update       = 0;
    bool         at_roundoff       = false; ///< accepted at the round-off floor, not the tolerance
    /// The step was asked for BDF2 but taken with implicit Euler (the BDF2
    /// history admits no positive density at some node).
    bool first_order = false;
    /// Converged with a node held at the eta bound against Newton's request
    /// (by more than 1e-2 kT in the last iteration): that node's row is left
    /// unsolved, and the protons its neighbours send into it are lost from
    /// the balance (docs/numerics.md, Observables).
    bool held_at_eta_bound = false;
    /// Where Newton stood last: the largest (row-scaled) residual entry and
    /// the largest update, as global DoF indices (for failure diagnostics).
    double                          worst_residual = 0, worst_update = 0;
    dealii::types::global_dof_index worst_residual_dof = 0, worst_update_dof = 0;
    std::string                     linear_failure; ///< the linear solver's error, if it failed
  };

  /// Where a DoF lives: equation (0 Poisson/phi, 1 Nernst-Planck/mu), layer
  /// index and node coordinates [m]; electrons: their Nernst-Planck equation.
  struct DofLocation
  {
    unsigned int        component = 0, region = 0;
    bool                electrons = false;
    std::vector<double> point;
  };

  /// Layers that hold one species kind (0 protons, 1 electrons) and share
  /// faces form one charge group; per kind and layer index: present, the
  /// group's representative layer, and (at that representative) whether a
  /// contact supplies the group.
  struct ChargeGroups
  {
    std::array<std::vector<bool>, 2>         present, open;
    std::array<std::vector<unsigned int>, 2> root;
    /// Layer @p i holds species kind @p k and no contact supplies its group.
    bool closed(const unsigned int k, const unsigned int i) const
    {
      return present[k][i] && !open[k][root[k][i]];
    }
  };

  /// Running totals of the work in Newton iterations (for the benchmarks:
  /// differences of two snapshots give the cost of one stage of a run).
  struct SolverStats
  {
    unsigned long long assemblies = 0, linear_solves = 0, krylov_iterations = 0;
    double             assembly_s = 0, linear_solve_s = 0;
    /// The part of assembly_s spent in this rank's own cell loop, before
    /// the exchange of the rows other ranks share (compress). Unlike
    /// assembly_s, it excludes waiting for the slowest rank, so its spread
    /// over the ranks measures load imbalance.
    double cell_loop_s = 0;
    /// Krylov iterations of the longest single linear solve since the last
    /// PNPSolver::reset_largest_solve(). A maximum cannot be differenced:
    /// operator- keeps this side's. It sizes the GMRES basis (one vector
    /// per iteration, kept until the solver state is released).
    unsigned long long largest_solve = 0;
    SolverStats        operator-(const SolverStats &o) const
    {
      SolverStats d = *this;
      d.assemblies -= o.assemblies;
      d.linear_solves -= o.linear_solves;
      d.krylov_iterations -= o.krylov_iterations;
      d.assembly_s -= o.assembly_s;
      d.linear_solve_s -= o.linear_solve_s;
      d.cell_loop_s -= o.cell_loop_s;
      return d;
    }
    SolverStats &operator+=(const SolverStats &o)
    {
      assemblies += o.assemblies;
      linear_solves += o.linear_solves;
      krylov_iterations += o.krylov_iterations;
      assembly_s += o.assembly_s;
      linear_solve_s += o.linear_solve_s;
      cell_loop_s += o.cell_loop_s;
      largest_solve = std::max(largest_solve, o.largest_solve);
      return *this;
    }
  };

  /// Method of manufactured solutions (verification only): an exact state
  /// and the source terms that make it a solution of the discretized
  /// equations' continuous problem. Both take the nondimensional position
  /// x / L0 and time t / t0 (pnp_model.h) and return nondimensional values:
  /// exact = (phi_hat, mu), source = (f_Poisson, f_Nernst-Planck) with
  ///   -div(eps_r grad phi_hat) = lambda rho + f_Poisson,
  ///   dc/dt - div(D c (1 - c/c_max) g grad mu) = f_Nernst-Planck.
  /// The exact state is imposed on every boundary DoF of both fields.
  template <int dim> struct ManufacturedSolution
  {
    std::function<std::array<double, 2>(const dealii::Point<dim> &, double)> exact, source;
  };

  template <int dim> class PNPSolver
  {
  public:
    /// @p contact_voltage: potential [V] of each Dirichlet contact as a function of time [s].
    PNPSolver(
        dealii::parallel::TriangulationBase<dim> &tria, unsigned int fe_degree,
        const std::vector<RegionModel> &regions, const Scaling &scaling,
        const PNPParameters                                                       &parameters,
        const std::map<dealii::types::boundary_id, std::function<double(double)>> &contact_voltage,
        double reservoir_density_hat, double channel_potential, dealii::TimerOutput &timer,
        dealii::ConditionalOStream &pcout);

    ~PNPSolver();
    PNPSolver(const PNPSolver &)            = delete;
    PNPSolver &operator=(const PNPSolver &) = delete;

    /// Switch to a manufactured problem (before setup()): the exact state
    /// becomes the boundary data of phi and mu on every boundary, and the
    /// sources enter the residual.
    void set_manufactured_solution(const ManufacturedSolution<dim> &m) { manufactured = m; }
    /// History := the manufactured exact state at @p time [s] (nodal interpolation).
    void set_exact_state(double time);
    /// DoFs, constraints, vectors and (unless @p with_jacobian is false: a
    /// state that is only carried to another mesh) the Jacobian's pattern.
    void setup(bool with_jacobian = true);
    /// Support point of every owned DoF (and its field if @p component is
    /// given), in the order of the owned index set.
    void owned_support_points(std::vector<dealii::Point<dim>> &points,
                              std::vector<unsigned int>       *component) const;
    /// Orders each rank's DoFs plane by plane across the stack
    /// ('Transport/DoF ordering = planes'; called by setup()).
    void renumber_by_planes();
    /// Fills assembly_cells (called by setup()).
    void order_assembly_cells();
    /// Uniform equilibrium densities c0 per region at potential 0.
    void set_initial_guess(double time);
    /// mu at nodes shared by layers of different site energy such that the
    /// node stores the c0-weighted sum of its sides (called by set_initial_guess).
    void balance_shared_nodes();
    /// History := protons placed by @p density ([m^-3] at a position [m],
    /// read at every mu node for the layer that node was assigned to; the
    /// other side of an interface node follows from continuous mu) and the
    /// potential of Poisson for that charge at the contact potentials of
    /// @p time. Returns the Newton iterations (2 when the solve is linear).
    unsigned int
    set_initial_profile(double time,
                        const std::function<double(const dealii::Point<dim> &)> &density);
    /// Pseudo-transient relaxation (implicit Euler, growing steps) to the
    /// equilibrium at the contact potentials of @p time; conserves protons in
    /// closed layers. Returns the number of pseudo-steps.
    unsigned int relax_to_equilibrium(double time);
    /// The same equilibrium, relaxed first on the mesh @p unrefined builds --
    /// this device's mesh before its @p levels uniform refinements, a p4est
    /// mesh, freed before the relaxation on this solver's mesh -- and carried up one refinement at a time (interpolated,
    /// then relaxed again with the same stopping test); the last refinement
    /// reproduces this solver's mesh cell by cell, and the fine relaxation
    /// starts from it at the coarse meshes' final pseudo-step. Falls back to
    /// relax_to_equilibrium() (and says why) if a fine relaxation does not
    /// converge. Only for meshes where closed_charge_layer() is empty.
    /// Returns the pseudo-steps per mesh, coarsest first (one entry after a
    /// fall-back). When this solver's mesh was repartitioned into columns,
    /// @p owner is its owner of a cell centre (copy_state_from()).
    /// pnp_equilibrium.cc.
    std::vector<unsigned int> relax_to_equilibrium_nested(
        double                                                                      time,
        const std::function<std::unique_ptr<dealii::parallel::TriangulationBase<dim>>()> &unrefined,
        unsigned int                                                                levels,
        const std::function<unsigned int(const dealii::Point<dim> &)> &owner = {});
    /// The name of a layer whose mobile charge is closed (no chain of
    /// charge-exchanging layers to a contact that supplies it: gate reservoir
    /// or Butler-Volmer for protons, ohmic contacts for electrons), with the
    /// species; empty if there is none (collective).
    std::string closed_charge_layer() const;
    /// The layers of each species kind joined by shared faces (connected
    /// components) and which of those components a contact supplies.
    ChargeGroups charge_groups() const;

    /// One time step from the stored history to @p time (size dt): BDF2 if
    /// @p second_order and a previous step of size @p dt_previous exists.
    /// On failure the state is restored and false returned.
    NewtonReport step(double time, double dt, bool second_order, double dt_previous);
    /// Estimated local error of the last step (weighted max-norm of the
    /// difference from the linear-extrapolation predictor, thermal units).
    double last_error_estimate() const { return error_estimate; }
    /// Accept the last step: shift the history.
    void accept_step();
    /// Undo the last step (restore the previous solution).
    void reject_step();
    /// Free the iterative linear solver's state (GMRES basis, GAMG hierarchy,
    /// ILU factors); the next solve builds it again, as on first use. Called
    /// before a field snapshot, so that the snapshot's transient buffers do
    /// not add to the solver state in the peak memory (docs/performance.md),
    /// and after the t = 0 equilibrium, with the freed pages handed back to
    /// the system. No effect with the direct solver.
    void release_linear_solver();
    /// This rank's part of the time history (after accept_step) for a
    /// checkpoint, and its restoration (same deck, same number of ranks).
    void save_history(BinaryOut &out) const;
    void load_history(BinaryIn &in);
    /// This rank's owned cells in one number (checkpoints compare it).
    double owned_cells_fingerprint() const;

    PNPObservables observables(double time) const;
    /// Proton density [m^-3] of the present solution at the points of
    /// @p quadrature on a locally owned @p cell (0 in layers without protons).
    void proton_density(const typename dealii::Triangulation<dim>::active_cell_iterator &cell,
                        const dealii::Quadrature<dim> &quadrature, std::vector<double> &density) const
    {
      species_density(cell, quadrature, false, density);
    }
    /// The same for the electrons (0 in layers without them).
    void electron_density(const typename dealii::Triangulation<dim>::active_cell_iterator &cell,
                          const dealii::Quadrature<dim> &quadrature, std::vector<double> &density) const
    {
      species_density(cell, quadrature, true, density);
    }
    double n_dofs() const { return dofs.n_dofs(); }
    /// Equation, layer and position of a DoF (collective: every rank calls).
    DofLocation locate(dealii::types::global_dof_index dof) const;
    /// Layer names for messages (index = material id).
    void set_region_names(const std::vector<std::string> &names) { region_names = names; }
    /// "Largest (row-scaled) residual R: <equation> in layer '<name>' at
    /// (x, y) nm; largest Newton update U kT: ..." for a failed Newton solve
    /// (collective).
    std::string describe_failure(const NewtonReport &report) const;
    /// Compare the assembled Jacobian with central finite differences of the
    /// residual (step @p h in thermal units) in every unconstrained column,
    /// at the present iterate and BDF weights (a0, a1, a2) / dt, with the
    /// row scales of the Nernst-Planck rows frozen at the iterate and the row
    /// equilibration off. Returns the largest difference relative to the
    /// row's largest entry and prints the worst entry with its location
    /// (collective). Used by test_pnp_jacobian (PROTONFEM_CHECK_JACOBIAN=N at the
    /// N-th Newton solve, PROTONFEM_CHECK_JACOBIAN_STEP=h).
    double check_jacobian(double a0, double a1, double a2, double dt, double h = 1e-5);
    /// Totals so far (rank 0's wall clock; every rank does the same work).
    const SolverStats &stats() const { return work; }
    /// Start a new stage for SolverStats::largest_solve.
    void reset_largest_solve() { work.largest_solve = 0; }
    const dealii::DoFHandler<dim>            &dof_handler() const { return dofs; }
    const dealii::PETScWrappers::MPI::Vector &solution() const { return ghosted; }
    const std::vector<RegionModel>           &region_models() const { return regions; }
    const Scaling                            &scales() const { return scaling; }

  private:
    /// Outcome of a pseudo-transient relaxation (relax()).
    struct Relaxation
    {
      unsigned int steps    = 0;
      double       final_dt = 0;    ///< nondimensional pseudo-step of the settled state
      bool         settled  = false;
      bool         diverged = false; ///< Newton failed down to the step floor
      std::string  last_failure;     ///< describe_failure() of the last failed pseudo-step
    };
    /// Implicit-Euler pseudo-steps from old_solution, growing x4 from
    /// @p dt_start, cut x4 on failure down to @p dt_floor, until the
    /// weighted change of a step is below 1e-9 at a step above 1e3 (at most
    /// 200 steps). No timer section, no exception.
    Relaxation relax(double time, double dt_start, double dt_floor);
    /// relax() from the first pseudo-step (1e-3) down to 1e-12; throws
    /// (with the last failure) unless it settled. Returns its steps.
    unsigned int relax_fully(double time);
    /// Uniform refinement of this solver's (p4est) mesh with the present
    /// state interpolated onto it (setup() in between); the state becomes the
    /// history of the next relax().
    void refine_with_state(double time, bool with_jacobian = true);
    /// this->current := @p other's state, cell by cell, where both meshes
    /// have the same cells. Without @p owner both must have the same
    /// partition too (checked cell by cell: CellId and ownership); with it
    /// (this mesh repartitioned, geometry/column_partition.h) each rank sends
    /// its cells' values to owner(cell centre) of this mesh, by CellId.
    /// Returns false (on every rank) if a cell is missing or left over.
    bool copy_state_from(const PNPSolver<dim> &other,
                         const std::function<unsigned int(const dealii::Point<dim> &)> &owner = {});
    bool copy_state_across_partitions(
        const PNPSolver<dim> &other, const std::function<unsigned int(const dealii::Point<dim> &)> &owner);
    /// Density [m^-3] of the layer's protons or electrons at the points of
    /// @p quadrature (0 where the layer has none).
    void species_density(const typename dealii::Triangulation<dim>::active_cell_iterator &cell,
                         const dealii::Quadrature<dim> &quadrature, bool electrons,
                         std::vector<double> &density) const;
    void apply_dirichlet_values(dealii::PETScWrappers::MPI::Vector &y, double time) const;
    /// Whether the BDF2 step with step ratio @p w = dt / dt_previous would
    /// ask some node for a density below 0 or above c_max (collective).
    bool bdf2_history_without_root(double w) const;
    /// Assemble J and -R for BDF weights (a0, a1, a2) / dt.
    void         assemble(double a0, double a1, double a2, double dt);
    /// Gate-face terms of one cell face: the Stern layer's Robin condition
    /// (Poisson rows) and the Butler-Volmer exchange flux (mu rows, scaled
    /// by exp(row_ell) like the bulk terms of the row).
    void assemble_gate_face(const typename dealii::DoFHandler<dim>::active_cell_iterator &cell,
                            unsigned int face, dealii::FEFaceValues<dim> &face_values,
                            const RegionModel &region, const std::vector<double> &u_now,
                            const std::vector<double> &row_ell,
                            dealii::FullMatrix<double> &cell_matrix,
                            dealii::Vector<double>     &cell_rhs) const;
    /// Finite-rate electrolyte/channel interface: the proton flux from the
    /// electrolyte (region rp, mu field 1) into the channel (rw, mu field 2)
    /// on one face of an electrolyte cell, into both mu-rows of each face
    /// node, each scaled by exp(row_ell) like its bulk terms.
    void assemble_interface_face(const typename dealii::DoFHandler<dim>::active_cell_iterator &cell,
                                 unsigned int face, dealii::FEFaceValues<dim> &face_values,
                                 const RegionModel &rp, const RegionModel &rw,
                                 const std::vector<double> &u_now,
                                 const std::vector<double> &row_ell,
                                 dealii::FullMatrix<double> &cell_matrix,
                                 dealii::Vector<double>     &cell_rhs) const;
    /// A face between two proton-hosting layers with different mu fields.
    bool interface_face(const typename dealii::DoFHandler<dim>::active_cell_iterator &cell,
                        unsigned int face) const;
    /// Electrolyte/channel interface with finite-rate (Butler-Volmer)
    /// insertion: the channel's protons use mu field 2.
    bool finite_rate_interface = false;
    /// FESystem component of the electrons' mu (0: electrons not modelled).
    unsigned int electron_component = 0;
    bool gate_has_stern_layer() const { return parameters.gate_stern_thickness > 0; }
    /// Proton storage and space charge at the nodes (Q1 only).
    bool lumped_mass() const { return parameters.mass_lumping == "on" && fe.degree == 1; }
    /// Every cell an axis-parallel box: assemble with MappingCartesian.
    bool boxes_only = false;
    unsigned int newton_iteration = 0; ///< of the Newton solve in progress (1-based)
    NewtonReport newton(double time, double a0, double a1, double a2, double dt);
    double weighted_max(const dealii::PETScWrappers::MPI::Vector &v, double density_floor) const;
    /// The weight of one mu-DoF's change in weighted_max (at the current iterate).
    double mu_weight(dealii::types::global_dof_index imu, dealii::types::global_dof_index iphi,
                     const RegionModel &species, double density_floor) const;
    /// The same from the node's values of mu and phi.
    double mu_weight_at(dealii::types::global_dof_index imu, double mu, double phi,
                        const RegionModel &sp, double density_floor) const;
    /// Solve jacobian * update = rhs with the deck's linear solver; returns
    /// the number of Krylov iterations (1 for LU); throws on failure.
    unsigned int solve_linear();
    /// The persistent PETSc Krylov solver for 'Linear solver = gmres', built
    /// on first use: its options (prefix -pnp_) are read once, and the index
    /// sets of the phi and mu DoFs for the field split are kept.
    void create_krylov_solver();
    void destroy_krylov_solver();

    MPI_Comm                                                            comm;
    dealii::parallel::TriangulationBase<dim>                           &tria;
    dealii::FESystem<dim>                                               fe;
    dealii::DoFHandler<dim>                                             dofs;
    std::vector<RegionModel>                                            regions;
    Scaling                                                             scaling;
    PNPParameters                                                       parameters;
    std::map<dealii::types::boundary_id, std::function<double(double)>> contact_voltage;
    double                                                              reservoir_density;
    double                                                              channel_potential; ///< [V]
    dealii::IndexSet                                                    conductor_phi_dofs;
    dealii::TimerOutput                                                &timer;
    dealii::ConditionalOStream                                         &pcout;

    dealii::IndexSet                                       owned, relevant;
    /// This rank's cells in the order of their smallest DoF index (setup):
    /// the assembly's order, so that consecutive cells write neighbouring
    /// Jacobian rows (with the plane ordering: plane by plane, row by row).
    /// With each cell its bounding box's sides (a box cell's sides: in 3D
    /// deal.II finds a hex's vertices through its lines: 7-8 % of the
    /// assembly at 7.8e5 unknowns when read per cell and Newton iteration).
    struct AssemblyCell
    {
      typename dealii::DoFHandler<dim>::active_cell_iterator cell;
      std::array<double, dim>                                sides;
    };
    std::vector<AssemblyCell> assembly_cells;
    dealii::AffineConstraints<double>                      zero_constraints;
    /// Every line of zero_constraints fixes a DoF at zero (no entries, no
    /// inhomogeneity): the assembly may then use CsrAdder (setup).
    bool                                                   constraints_fix_at_zero = false;
    /// 1 where zero_constraints constrains the DoF, by local position
    /// (owned DoFs, then the ghosts in index order; setup).
    std::vector<char>                                      constrained_at;
    std::map<dealii::types::boundary_id, dealii::IndexSet> contact_phi_dofs;
    dealii::IndexSet                                       gate_mu_dofs;
    /// Owned (mu, phi) DoF pairs at gate-face nodes with Butler-Volmer
    /// exchange (their Newton updates of mu - phi are limited more tightly,
    /// and mu follows jumps of the gate voltage: pnp_solver.cc).
    std::vector<std::pair<dealii::types::global_dof_index, dealii::types::global_dof_index>>
        exchange_nodes;
    /// Owned mu-DoFs with the phi-DoF at the same node and the species (of a
    /// layer that touches the node) whose mu it is (for nodal densities).
    std::vector<std::tuple<dealii::types::global_dof_index, dealii::types::global_dof_index,
                           const RegionModel *>>
        mu_nodes;
    /// Owned electron mu-DoFs on ohmic contacts (every contact but the gate)
    /// with their species: mu there is the contact's equilibrium value, c = c0
    /// at phi = the contact potential (flat-band, injecting).
    std::map<dealii::types::boundary_id,
             std::vector<std::pair<dealii::types::global_dof_index, const RegionModel *>>>
        electron_contact_dofs;
    /// 'Electron transport = quasi-static': every other owned electron mu-DoF
    /// of the layers with electrons, fixed at the contacts' level like the
    /// contact DoFs (no Nernst-Planck row).
    std::vector<std::pair<dealii::types::global_dof_index, const RegionModel *>>
        electron_equilibrium_dofs;

    dealii::IndexSet   mu_owned;              ///< the first entries of mu_nodes, as a set
    dealii::IndexSet   plain_owned; ///< owned unknowns neither mu (of mu_nodes) nor constrained
    dealii::IndexSet   interface_mu; ///< owned mu-DoFs (both sides) at a finite-rate channel interface
    const RegionModel *gate_region = nullptr; ///< the layer under the gate (reservoir)
    /// Gate-reservoir mu-DoFs of every owned or ghost cell with a gate face,
    /// their FESystem component, and whether any rank has one.
    dealii::IndexSet gate_flux_dofs;
    unsigned int     gate_flux_component = 1;
    bool             gate_flux_active    = false;
    /// assemble() only sums the unscaled residual of those rows into
    /// gate_residual (nondim N-hat per t-hat), touching nothing else.
    bool   gate_rows_only = false;
    double gate_residual  = 0;
    /// Protons from the reservoir (N-hat = N / (c_ref L^dim)): the last
    /// step's candidate, the accepted level n and n-1.
    std::array<double, 3> exchanged{{0, 0, 0}};

    dealii::PETScWrappers::MPI::SparseMatrix jacobian;
    dealii::PETScWrappers::MPI::Vector       current, rhs, update;
    dealii::PETScWrappers::MPI::Vector       ghosted, old_solution, older_solution, before_step;
    SolverStats                              work;
    std::vector<std::string>                 region_names;
    KSP                                      ksp    = nullptr;
    IS                                       is_phi = nullptr, is_mu = nullptr;
    /// The lateral multigrid's interpolations for the current DoF numbering
    /// (solver/lateral_multigrid.h; empty until 'lateral-mg' first builds them).
    std::vector<Mat> lateral_interpolation;
    void             destroy_lateral_interpolations();
    /// Levels of the lateral multigrid last reported in the log.
    PetscInt reported_mg_levels = 0;
    bool                                     have_older     = false;
    double                                   error_estimate = 0;
    ManufacturedSolution<dim>                manufactured;
    /// Owned boundary DoFs of a manufactured problem: (component, node [m]).
    std::map<dealii::types::global_dof_index, std::pair<unsigned int, dealii::Point<dim>>>
           manufactured_boundary;
    double assembly_time = 0; ///< [s], the time level being solved for (for sources)
    /// Jacobian check: the Nernst-Planck row scales (exp(ell), density or
    /// vacancy form) per local-form position, recorded at the base iterate
    /// and then frozen; empty = computed from the iterate as usual.
    std::vector<double> frozen_ell;
    std::vector<char>   frozen_side;
    bool                record_row_scales = false, equilibrate_rows = true;
    unsigned int        newton_calls      = 0;
  };
} // namespace protonfem
