// Named property laws, selected per material in the database by name (the
// ASPECT plugin idea in miniature): each law documents itself and checks that
// the material defines the parameters it needs.
#pragma once

#include "material.h"

#include <memory>
#include <string>
#include <vector>

namespace protonfem
{
  /// D(T) = D0 exp(-Ea / kT), Ea in eV, T in K.
  double arrhenius(double prefactor, double activation_energy_ev, double temperature);

  /// sinh(u)/u, evaluated by its Taylor series near 0 where the quotient
  /// loses digits.
  double sinh_over_x(double u);

  /// E0 = 2kT/(q a): the field scale of the hopping enhancement [V/m].
  double hopping_field_scale(double hopping_distance, double temperature);

  struct LawInfo
  {
    std::string name;
    std::string description;
  };

  /// Proton transport law of a material: the diffusivity D(T) and the
  /// high-field enhancement g(|E|) that multiplies the drift term.
  class ProtonMobilityLaw
  {
  public:
    virtual ~ProtonMobilityLaw() = default;
    /// Diffusivity [m^2/s] at temperature T [K].
    virtual double diffusivity(double temperature) const = 0;
    /// Drift enhancement g(|E|) (dimensionless, g(0) = 1).
    virtual double field_enhancement(double field_magnitude, double temperature) const;
    /// Mobility mu = D / V_T [m^2/(V s)] at low field (Einstein relation).
    double low_field_mobility(double temperature) const;

    static const std::vector<LawInfo> &available();
    static std::string                 names_pattern();
    static std::string                 description(const std::string &name);
    /// The law the material selects, with its parameters; nullptr for "none".
    /// Throws InputError if a parameter the law needs is absent.
    static std::unique_ptr<ProtonMobilityLaw> create(const Material &material);
  };

  /// Electronic conductivity of the channel as a function of the local proton
  /// fraction x = c_H / c_W.
  class ElectronicConductivityLaw
  {
  public:
    virtual ~ElectronicConductivityLaw() = default;
    /// sigma_e [S/m] at proton fraction x.
    virtual double conductivity(double proton_fraction) const = 0;

    static const std::vector<LawInfo>                &available();
    static std::string                                names_pattern();
    static std::string                                description(const std::string &name);
    static std::unique_ptr<ElectronicConductivityLaw> create(const Material &material);
  };
} // namespace protonfem
