// Deck parameters of the transient Poisson-Nernst-Planck (PNP) solve:
// time stepping, gate waveform, proton exchange at the gate, Newton and
// linear solver, snapshots.
#pragma once

#include "gate_waveform.h"

#include <deal.II/base/parameter_handler.h>

#include <string>
#include <vector>

namespace protonfem
{
  struct PNPParameters
  {
    // Time stepping
    double              end_time        = 10e-9;
    double              initial_step    = 1e-12;
    double              min_step        = 1e-18;
    double              max_step        = 1e-9;
    double              error_tolerance = 1e-2; ///< local error per step, thermal units
    double              error_density_floor = 1e20; ///< [m^-3] below it the step error is absolute in c
    unsigned int        max_step_cuts   = 12;
    GateWaveform        waveform;
    std::vector<double> snapshot_times;
    unsigned int        progress_every     = 1;
    double              max_voltage_change = 0.25; ///< gate voltage change per step [V]

    // Transport model
    std::string gate_exchange          = "reservoir"; ///< reservoir | blocking | butler-volmer
    double      reservoir_density      = -1;          ///< [m^-3]; <0: the top layer's c0
    /// Butler-Volmer exchange at the gate (physics.md §2): the proton flux
    /// into the electrolyte is k0 [c_res (c_max - c)/(c_max - c_res)
    /// exp(alpha dphi/V_T) - c exp(-(1 - alpha) dphi/V_T)], dphi = V_gate -
    /// phi at the electrolyte's gate face.
    double gate_rate_constant        = 1e-3; ///< k0 [m/s]
    double gate_transfer_coefficient = 0.5;  ///< alpha, in (0, 1)
    /// Compact (Stern) layer between the gate metal and the electrolyte:
    /// 0 = none (phi = V_gate at the gate face); otherwise a Robin condition
    /// eps_r dphi/dn = (eps_S / lambda_S) (V_gate - phi) with the drop across
    /// it driving the Butler-Volmer exchange.
    double gate_stern_thickness    = 0;  ///< lambda_S [m]
    double gate_stern_permittivity = -1; ///< eps_S; < 0: the top layer's eps_r
    /// PSG/WO3 (electrolyte/mixed-conductor) interface: ideal = one
    /// continuous mu (local equilibrium, c jumps with c_max and E_site);
    /// butler-volmer = a mu per side and the finite-rate flux from the
    /// electrolyte into the channel k0 c_max,P [th_P (1 - th_W) e^(alpha s) -
    /// th_W (1 - th_P) e^(-(1 - alpha) s)], th = c / c_max, s = (E_site,P -
    /// E_site,W)/kT (docs/numerics.md).
    std::string channel_interface                      = "ideal";
    double      channel_interface_rate_constant        = 1e-3; ///< k0 [m/s]
    double      channel_interface_transfer_coefficient = 0.5;  ///< alpha, in (0, 1)
    std::string field_enhancement      = "material";  ///< material | off
    /// sg: Scharfetter-Gummel flux of hopping per pair of nodes (Q1 box
    /// scheme); edge: secant mean of dc/deta over each pair (edge-averaged
    /// finite elements); galerkin: at quadrature points (docs/numerics.md).
    /// The defaults are the deck's (Q1); Q2 needs galerkin and no lumping.
    std::string mobility_average = "sg";
    /// on: proton storage and space charge at the nodes (Q1; with the sg or
    /// edge mobility a monotone box scheme, docs/numerics.md); off: consistent.
    /// The deck's 'auto' is resolved in parse(): on for sg, off for edge and
    /// galerkin. Code that sets mobility_average directly sets this too.
    std::string mass_lumping = "on";
    std::string channel_electrostatics = "conductor"; ///< conductor | dielectric
    /// Electrons/polarons as a mobile species in the mixed-conductor
    /// (channel) layers ('Mobile species = protons, electrons').
    bool electrons = false;
    /// drift-diffusion | quasi-static (electrons in equilibrium with the
    /// contacts at every instant: mu_e fixed at the contacts' level).
    std::string electron_transport = "drift-diffusion";
    double      channel_potential      = 0;           ///< [V]
    /// equilibrium: the state at t = 0 is the equilibrium at the contact
    /// potentials of t = 0 (solved); profile: protons placed by
    /// 'initial_density' (an expression of the coordinates, [m^-3]) and phi
    /// from Poisson for that charge (drift experiments, e.g. a thin sheet).
    std::string initial_state = "equilibrium";
    /// Relax the t = 0 equilibrium on the coarser meshes of the uniform
    /// refinement first (PNPSolver::relax_to_equilibrium_nested).
    bool nested_equilibrium = true;
    /// planes: unknowns ordered plane by plane across the stack
    /// (PNPSolver::renumber_by_planes); cells: deal.II's order.
    std::string dof_ordering = "planes";
    std::string initial_density;

    // Newton
    unsigned int max_newton_iterations = 25;
    double       newton_tolerance      = 1e-9;     ///< max update, thermal units
    /// direct: MUMPS LU; gmres: GMRES with 'preconditioner'.
    std::string linear_solver = "direct";
    /// amg: PETSc GAMG on the coupled system with ILU(0) smoothing;
    /// fieldsplit-amg: block Gauss-Seidel over (phi, mu), one BoomerAMG V-cycle
    /// per block; block-jacobi: ILU(0) per rank (all measured in
    /// docs/performance.md).
    std::string  preconditioner        = "amg";
    /// off: a new preconditioner for every linear solve; newton: the one of
    /// a Newton solve's first iteration is reused by its later iterations.
    std::string  preconditioner_reuse  = "off";
    double       linear_tolerance      = 1e-10; ///< relative residual reduction (GMRES)
    unsigned int max_linear_iterations = 1000;
    /// Stop after this many accepted steps (0: run to End time); benchmarks
    /// time a fixed number of steps with it.
    unsigned int max_steps = 0;

    static void declare(dealii::ParameterHandler &prm);
    void        parse(dealii::ParameterHandler &prm, const std::string &file);
  };
} // namespace protonfem
