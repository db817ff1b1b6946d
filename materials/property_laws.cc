#include "property_laws.h"

#include "../solver/input_error.h"
#include "../solver/physical_constants.h"

#include <cmath>

namespace protonfem
{
  double arrhenius(const double prefactor, const double activation_energy_ev,
                   const double temperature)
  {
    return prefactor * std::exp(-activation_energy_ev * constants::electron_volt /
                                (constants::boltzmann * temperature));
  }

  double sinh_over_x(const double u)
  {
    // Below |u| = 1e-3 the series to u^4 is exact to double precision
    // (next term u^6/5040 < 2e-22).
    const double a = std::abs(u);
    if (a < 1e-3)
      return 1.0 + a * a / 6.0 + a * a * a * a / 120.0;
    return std::sinh(a) / a;
  }

  double hopping_field_scale(const double hopping_distance, const double temperature)
  {
    return 2.0 * constants::thermal_voltage(temperature) / hopping_distance;
  }

  double ProtonMobilityLaw::field_enhancement(const double, const double) const { return 1.0; }

  double ProtonMobilityLaw::low_field_mobility(const double temperature) const
  {
    return diffusivity(temperature) / constants::thermal_voltage(temperature);
  }

  namespace
  {
    using namespace property_names;

    class ConstantMobility : public ProtonMobilityLaw
    {
    public:
      explicit ConstantMobility(const Material &m) : d0(m.value(proton_diffusivity_prefactor)) {}
      double diffusivity(double) const override { return d0; }

    private:
      double d0;
    };

    class ArrheniusMobility : public ProtonMobilityLaw
    {
    public:
      explicit ArrheniusMobility(const Material &m)
          : d0(m.value(proton_diffusivity_prefactor)), ea(m.value(proton_activation_energy))
      {
      }
      double diffusivity(const double t) const override { return arrhenius(d0, ea, t); }

    private:
      double d0, ea;
    };

    class HoppingMobility : public ArrheniusMobility
    {
    public:
      explicit HoppingMobility(const Material &m)
          : ArrheniusMobility(m), a(m.value(proton_hopping_distance))
      {
      }
      double field_enhancement(const double e, const double t) const override
      {
        return sinh_over_x(e / hopping_field_scale(a, t));
      }

    private:
      double a;
    };

    class ConstantConductivity : public ElectronicConductivityLaw
    {
    public:
      explicit ConstantConductivity(const Material &m)
          : sigma0(m.value(electronic_conductivity_prefactor))
      {
      }
      double conductivity(double) const override { return sigma0; }

    private:
      double sigma0;
    };

    class ExponentialConductivity : public ElectronicConductivityLaw
    {
    public:
      explicit ExponentialConductivity(const Material &m)
          : sigma0(m.value(electronic_conductivity_prefactor)),
            alpha(m.value(electronic_conductivity_exponent))
      {
        // x = c_H / c_W needs the tungsten site density.
        m.value(tungsten_site_density);
      }
      double conductivity(const double x) const override { return sigma0 * std::exp(alpha * x); }

    private:
      double sigma0, alpha;
    };

    std::string pattern_of(const std::vector<LawInfo> &laws)
    {
      std::string s;
      for (const auto &l : laws)
        s += (s.empty() ? "" : "|") + l.name;
      return s;
    }

    std::string description_of(const std::vector<LawInfo> &laws, const std::string &name)
    {
      for (const auto &l : laws)
        if (l.name == name)
          return l.description;
      throw InputError("", "law", name, pattern_of(laws));
    }
  } // namespace

  const std::vector<LawInfo> &ProtonMobilityLaw::available()
  {
    static const std::vector<LawInfo> laws = {
        {"none", "no mobile protons"},
        {"constant", "D = D0 (Proton diffusivity prefactor), temperature independent, g = 1"},
        {"arrhenius", "D = D0 exp(-Ea/kT), g = 1 (Einstein relation at all fields)"},
        {"hopping", "D = D0 exp(-Ea/kT) with drift enhanced by g(|E|) = sinh(|E|/E0)/(|E|/E0), "
                    "E0 = 2kT/(q a), a = Proton hopping distance (Mott-Gurney ion hopping)"},
    };
    return laws;
  }

  std::string ProtonMobilityLaw::names_pattern() { return pattern_of(available()); }

  std::string ProtonMobilityLaw::description(const std::string &name)
  {
    return description_of(available(), name);
  }

  std::unique_ptr<ProtonMobilityLaw> ProtonMobilityLaw::create(const Material &m)
  {
    const auto &n = m.proton_mobility_law;
    if (n == "none")
      return nullptr;
    if (n == "constant")
      return std::make_unique<ConstantMobility>(m);
    if (n == "arrhenius")
      return std::make_unique<ArrheniusMobility>(m);
    if (n == "hopping")
      return std::make_unique<HoppingMobility>(m);
    throw InputError(m.file, "Proton mobility law", n, names_pattern());
  }

  const std::vector<LawInfo> &ElectronicConductivityLaw::available()
  {
    static const std::vector<LawInfo> laws = {
        {"none", "electronic insulator"},
        {"constant", "sigma_e = sigma0 (Electronic conductivity prefactor)"},
        {"exponential", "sigma_e = sigma0 exp(alpha x), x = c_H / c_W (Electronic conductivity "
                        "exponent, Tungsten site density)"},
    };
    return laws;
  }

  std::string ElectronicConductivityLaw::names_pattern() { return pattern_of(available()); }

  std::string ElectronicConductivityLaw::description(const std::string &name)
  {
    return description_of(available(), name);
  }

  std::unique_ptr<ElectronicConductivityLaw> ElectronicConductivityLaw::create(const Material &m)
  {
    const auto &n = m.electronic_conductivity_law;
    if (n == "none")
      return nullptr;
    if (n == "constant")
      return std::make_unique<ConstantConductivity>(m);
    if (n == "exponential")
      return std::make_unique<ExponentialConductivity>(m);
    throw InputError(m.file, "Electronic conductivity law", n, names_pattern());
  }
} // namespace protonfem
