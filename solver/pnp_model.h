// Nondimensional description of the PNP model per region, built from the
// materials database and the deck through one scaling object.
//
// Scaling: length L0 = 1 nm, potential V_T = kT/q, density c_ref (largest
// equilibrium proton density of the proton-hosting layers), diffusivity
// D_ref (largest proton diffusivity), time t0 = L0^2 / D_ref.
// Unknowns: phi_hat = phi / V_T and the proton electrochemical potential in
// units of kT, mu = ln(c/(c_max - c)) + phi_hat + E_site/kT. The density
// c = c_max / (1 + exp(-(mu - phi_hat - e_site))) is positive and below
// c_max for every value of the unknowns, and mu is continuous across the
// PSG/WO3 interface (ideal interface; c jumps with c_max and E_site).
// Electrons/polarons in the channel ('Transport/Mobile species = protons,
// electrons') are the same lattice gas with charge number z = -1 and their
// own mu field: eta = mu - z phi_hat - e_site in every formula below.
#pragma once

#include "physical_constants.h"

#include <array>
#include <cmath>
#include <memory>
#include <vector>

namespace protonfem
{
  struct Scaling
  {
    double length      = 1e-9;
    double temperature = 300;
    double density     = 1e26;
    double diffusivity = 1e-10;

    double thermal_voltage() const { return constants::thermal_voltage(temperature); }
    double time() const { return length * length / diffusivity; }
    /// Poisson coupling q c_ref L0^2 / (eps0 V_T): (L0 / Debye length at c_ref)^2.
    double poisson_coupling() const
    {
      return constants::elementary_charge * density * length * length /
             (constants::vacuum_permittivity * thermal_voltage());
    }
  };

  /// A layer and its protons; the same struct describes the layer's
  /// electrons (z = -1, 'electrons' below), so that one Nernst-Planck
  /// assembly serves both species.
  struct RegionModel
  {
    double eps_r         = 1;
    /// The layer hosts this model's species (protons; for an electron model:
    /// electrons).
    bool   hosts_protons = false;
    /// Charge number of the species: +1 protons, -1 electrons/polarons.
    int z = 1;
    /// The layer's electrons when they are modelled (mixed-conductor layers
    /// with 'Mobile species' including electrons), else null. Their charge
    /// always enters Poisson; their own 'fixed_charge' is unused (the layer's
    /// is here).
    std::shared_ptr<const RegionModel> electrons;
    /// Mobile proton charge enters Poisson (electrolyte) or is compensated
    /// locally by electrons (mixed conductor such as HxWO3).
    bool proton_charge = false;
    /// Electronic conductor (phi fixed at the channel potential in the layer).
    bool   conductor    = false;
    double c0           = 0; ///< nondim equilibrium density (also the background charge)
    double c_max        = 1; ///< nondim site density
    double e_site       = 0; ///< E_site / kT
    double diffusivity  = 0; ///< D / D_ref
    double field_scale  = 0; ///< E0 L0 / V_T in units of |grad phi_hat|; 0 = no enhancement
    double fixed_charge = 0; ///< rho_fix / (q c_ref)
    double breakdown    = 0; ///< [V/m], 0 = unknown
    /// FESystem component of this layer's mu: 1 everywhere, except 2 in the
    /// mixed-conductor (channel) layers with 'Channel interface =
    /// butler-volmer', where mu may jump across the interface.
    unsigned int mu_component = 1;

    /// The density variable eta = mu - z phi - e_site: c = c_max sigma(eta).
    double eta(const double mu, const double phi) const { return mu - z * phi - e_site; }
    /// Density from the unknowns (nondim).
    double density(const double mu, const double phi) const
    {
      return c_max / (1.0 + std::exp(-eta(mu, phi)));
    }
    /// dc/dmu = c (1 - c/c_max) (= -z dc/dphi), evaluated from eta without
    /// the cancellation of 1 - c/c_max near saturation.
    double density_derivative(const double mu, const double phi) const
    {
      const double eta = this->eta(mu, phi);
      const double e   = std::exp(-std::abs(eta));
      return c_max * e / ((1.0 + e) * (1.0 + e));
    }
    /// 1 - 2 c/c_max = tanh(-eta/2), the relative change of the mobility
    /// factor c (1 - c/c_max) with c.
    double saturation_slope(const double mu, const double phi) const
    {
      return std::tanh(-0.5 * eta(mu, phi));
    }
    /// log(sigma(x)) = -log(1 + exp(-x)), without overflow for any x.
    static double log_sigmoid(const double x)
    {
      return x > 0 ? -std::log1p(std::exp(-x)) : x - std::log1p(std::exp(x));
    }
    /// c * exp(ell) for a row scaled by exp(ell), from eta:
    /// finite even where c itself underflows (c < 1e-308 c_ref).
    double scaled_density(const double eta, const double ell) const
    {
      return c_max * std::exp(ell + log_sigmoid(eta));
    }
    /// (c_max - c) * exp(ell): the vacancy density, for rows in saturation.
    double scaled_vacancies(const double eta, const double ell) const
    {
      return c_max * std::exp(ell + log_sigmoid(-eta));
    }
    /// dc/dmu * exp(ell).
    double scaled_derivative(const double eta, const double ell) const
    {
      return c_max * std::exp(ell + log_sigmoid(eta) + log_sigmoid(-eta));
    }
    /// mu for a density c (nondim) at potential phi.
    double potential_for(const double c, const double phi) const
    {
      return std::log(c / (c_max - c)) + z * phi + e_site;
    }
    /// Hopping enhancement g and dg/de at e = |grad phi_hat| / field_scale.
    void enhancement(const double grad_norm, double &g, double &dg_dgrad) const
    {
      if (field_scale <= 0)
        {
          g        = 1;
          dg_dgrad = 0;
          return;
        }
      // Fields beyond 50 E0 (> 5 V/nm for a = 0.5 nm) are unphysical here
      // (far above breakdown) but occur in intermediate Newton iterates right
      // after a gate step; capping g there keeps sinh from overflowing.
      constexpr double e_cap = 50.0;
      const double     e     = grad_norm / field_scale;
      if (e > e_cap)
        {
          g        = std::sinh(e_cap) / e_cap;
          dg_dgrad = 0;
          return;
        }
      if (e < 1e-3)
        {
          g        = 1 + e * e / 6 + e * e * e * e / 120;
          dg_dgrad = (e / 3 + e * e * e / 30) / field_scale;
          return;
        }
      g        = std::sinh(e) / e;
      dg_dgrad = (std::cosh(e) - g) / e / field_scale;
    }
  };

  /// The mobile species of a layer: its protons (if it hosts them), then its
  /// electrons (if modelled). Iterable: for (const RegionModel *s : species(r)).
  struct SpeciesList
  {
    std::array<const RegionModel *, 2> s{{nullptr, nullptr}};
    unsigned int                       n = 0;
    const RegionModel *const          *begin() const { return s.data(); }
    const RegionModel *const          *end() const { return s.data() + n; }
    unsigned int                       size() const { return n; }
    const RegionModel                 *operator[](const unsigned int k) const { return s[k]; }
  };
  inline SpeciesList species(const RegionModel &r)
  {
    SpeciesList l;
    if (r.hosts_protons)
      l.s[l.n++] = &r;
    if (r.electrons)
      l.s[l.n++] = r.electrons.get();
    return l;
  }
} // namespace protonfem
