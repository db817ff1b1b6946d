#include "material.h"

#include "../solver/input_error.h"

#include <limits>

namespace protonfem
{
  std::string to_string(const ValueStatus status)
  {
    switch (status)
      {
      case ValueStatus::literature:
        return "lit";
      case ValueStatus::estimate:
        return "est";
      case ValueStatus::open:
        return "open";
      }
    return "open";
  }

  std::string to_string(const MaterialKind kind)
  {
    switch (kind)
      {
      case MaterialKind::dielectric:
        return "dielectric";
      case MaterialKind::electrolyte:
        return "electrolyte";
      case MaterialKind::mixed_conductor:
        return "mixed conductor";
      case MaterialKind::metal:
        return "metal";
      }
    return "dielectric";
  }

  MaterialKind material_kind_from_string(const std::string &name)
  {
    for (const auto k : {MaterialKind::dielectric, MaterialKind::electrolyte,
                         MaterialKind::mixed_conductor, MaterialKind::metal})
      if (to_string(k) == name)
        return k;
    throw InputError("", "Kind", name, "dielectric|electrolyte|mixed conductor|metal");
  }

  bool Material::has(const std::string &p) const { return properties.count(p) > 0; }

  const MaterialProperty &Material::property(const std::string &p) const
  {
    const auto it = properties.find(p);
    if (it == properties.end())
      throw InputError(file, p, "(absent)",
                       "material '" + name + "' must define '" + p + "' for the way it is used");
    return it->second;
  }

  double Material::value(const std::string &p) const { return property(p).value; }

  const std::vector<PropertySchema> &material_property_schema()
  {
    constexpr double inf = std::numeric_limits<double>::infinity();
    using namespace property_names;
    // Physical bounds only: the literature ranges live in the files.
    static const std::vector<PropertySchema> schema = {
        {relative_permittivity, "1", 1.0, true, 1e5, "static relative permittivity"},
        {breakdown_field, "V/m", 0.0, false, 1e11, "dielectric breakdown field"},
        {fixed_charge_density, "C/m^3", -inf, false, inf,
         "immobile background charge density (net, without compensation)"},
        {proton_density, "m^-3", 0.0, true, 1e30, "equilibrium mobile proton density c0"},
        {proton_site_density, "m^-3", 0.0, false, 1e31,
         "proton site density c_max (lattice-gas limit)"},
        {proton_diffusivity_prefactor, "m^2/s", 0.0, false, 1.0,
         "Arrhenius prefactor D0 of the proton diffusivity"},
        {proton_activation_energy, "eV", 0.0, true, 5.0, "activation energy Ea of D(T)"},
        {proton_hopping_distance, "m", 0.0, false, 1e-7,
         "apparent hopping distance a (E0 = 2kT/(q a))"},
        {proton_attempt_frequency, "Hz", 0.0, false, 1e15, "hopping attempt frequency"},
        {proton_site_energy, "eV", -10.0, true, 10.0,
         "proton site energy offset (sets the concentration jump at ideal interfaces)"},
        {proton_conductivity, "S/m", 0.0, true, 1e4, "measured proton conductivity"},
        {tungsten_site_density, "m^-3", 0.0, false, 1e31, "tungsten site density c_W"},
        {electronic_conductivity_prefactor, "S/m", 0.0, false, 1e8,
         "electronic conductivity sigma0 at zero proton fraction"},
        {electronic_conductivity_exponent, "1", -1e3, true, 1e3,
         "alpha in sigma_e = sigma0 exp(alpha x)"},
        {hydrogen_diffusivity, "m^2/s", 0.0, false, 1.0, "hydrogen diffusivity in the metal"},
        {electron_density, "m^-3", 0.0, false, 1e30,
         "equilibrium density n0 of mobile electrons/polarons (with 'Mobile species' "
         "including electrons; neutral with the background)"},
        {electron_site_density, "m^-3", 0.0, false, 1e31,
         "electron/polaron site density n_max (lattice-gas limit)"},
        {electron_diffusivity_prefactor, "m^2/s", 0.0, false, 1.0,
         "Arrhenius prefactor of the electron/polaron diffusivity"},
        {electron_activation_energy, "eV", 0.0, true, 5.0,
         "activation energy of the electron/polaron diffusivity"},
    };
    return schema;
  }

  const PropertySchema &property_schema(const std::string &name)
  {
    for (const auto &p : material_property_schema())
      if (p.name == name)
        return p;
    throw InputError("", "property", name, "one of the names in material_property_schema()");
  }
} // namespace protonfem
