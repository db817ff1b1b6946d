// A material as the database describes it: named properties in SI units, each
// with its valid range and provenance, plus the names of the property laws
// (mobility, electronic conductivity) selected for it.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace protonfem
{
  /// Provenance of a value, as in shared/physics.md: a published value, an
  /// estimate derived from published values, or a value not pinned down yet.
  enum class ValueStatus
  {
    literature,
    estimate,
    open
  };

  std::string to_string(ValueStatus status);

  /// One material property: value in SI units, the range of values the
  /// literature supports (users sweep inside it), and where it comes from.
  struct MaterialProperty
  {
    double      value = 0;
    std::string unit;
    double      min    = 0;
    double      max    = 0;
    ValueStatus status = ValueStatus::open;
    std::string source;
  };

  enum class MaterialKind
  {
    dielectric,      ///< no mobile charge (SiO2, Si treated as insulator, Al2O3)
    electrolyte,     ///< mobile protons, blocks electrons (PSG)
    mixed_conductor, ///< protons and electrons (WO3 / HxWO3)
    metal            ///< boundary, not a volume (Pd gate/reservoir)
  };

  std::string  to_string(MaterialKind kind);
  MaterialKind material_kind_from_string(const std::string &name);

  struct Material
  {
    std::string  name;
    std::string  description;
    MaterialKind kind                        = MaterialKind::dielectric;
    std::string  proton_mobility_law         = "none";
    std::string  electronic_conductivity_law = "none";
    /// The file this material was read from (for error messages).
    std::string file;
    /// Properties present in the file, keyed by their schema name.
    std::map<std::string, MaterialProperty> properties;

    bool has(const std::string &property) const;
    /// The property's SI value; throws InputError naming the material if absent.
    double                  value(const std::string &property) const;
    const MaterialProperty &property(const std::string &property) const;
  };

  /// The properties a material file may define: schema name, SI unit, the
  /// physical bounds any value must respect (independent of the literature
  /// range stored in the file) and a one-line meaning.
  struct PropertySchema
  {
    std::string name;
    std::string unit;
    double      lower_bound;
    bool        lower_bound_inclusive;
    double      upper_bound;
    std::string meaning;
  };

  const std::vector<PropertySchema> &material_property_schema();
  const PropertySchema              &property_schema(const std::string &name);

  namespace property_names
  {
    inline const std::string relative_permittivity        = "Relative permittivity";
    inline const std::string breakdown_field              = "Breakdown field";
    inline const std::string fixed_charge_density         = "Fixed charge density";
    inline const std::string proton_density               = "Proton density";
    inline const std::string proton_site_density          = "Proton site density";
    inline const std::string proton_diffusivity_prefactor = "Proton diffusivity prefactor";
    inline const std::string proton_activation_energy     = "Proton activation energy";
    inline const std::string proton_hopping_distance      = "Proton hopping distance";
    inline const std::string proton_attempt_frequency     = "Proton attempt frequency";
    inline const std::string proton_site_energy           = "Proton site energy";
    inline const std::string proton_conductivity          = "Proton conductivity";
    inline const std::string tungsten_site_density        = "Tungsten site density";
    inline const std::string electronic_conductivity_prefactor =
        "Electronic conductivity prefactor";
    inline const std::string electronic_conductivity_exponent = "Electronic conductivity exponent";
    inline const std::string hydrogen_diffusivity             = "Hydrogen diffusivity";
    inline const std::string electron_density                 = "Electron density";
    inline const std::string electron_site_density            = "Electron site density";
    inline const std::string electron_diffusivity_prefactor   = "Electron diffusivity prefactor";
    inline const std::string electron_activation_energy       = "Electron activation energy";
  } // namespace property_names
} // namespace protonfem
