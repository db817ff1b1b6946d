#include "material_database.h"

#include "../solver/input_error.h"
#include "property_laws.h"

#include <deal.II/base/exceptions.h>
#include <deal.II/base/parameter_handler.h>
#include <deal.II/base/utilities.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>

#ifndef PROTONFEM_MATERIALS_DIR
#define PROTONFEM_MATERIALS_DIR "materials/db"
#endif

namespace protonfem
{
  namespace
  {
    using dealii::ParameterHandler;
    namespace Patterns = dealii::Patterns;

    std::string join(const std::vector<std::string> &v, const std::string &sep = ", ")
    {
      std::string s;
      for (std::size_t i = 0; i < v.size(); ++i)
        s += (i ? sep : "") + v[i];
      return s;
    }

    void declare_material_file(ParameterHandler &prm)
    {
      prm.declare_entry("Name", "", Patterns::Anything(),
                        "Material name; must equal the file name without .prm.");
      prm.declare_entry("Description", "", Patterns::Anything(), "One-line description.");
      prm.declare_entry("Kind", "dielectric",
                        Patterns::Selection("dielectric|electrolyte|mixed conductor|metal"),
                        "What the material does in the device.");
      prm.declare_entry("Proton mobility law", "none",
                        Patterns::Selection(ProtonMobilityLaw::names_pattern()),
                        "Law for the proton diffusivity/mobility (see `protonfem materials`).");
      prm.declare_entry("Electronic conductivity law", "none",
                        Patterns::Selection(ElectronicConductivityLaw::names_pattern()),
                        "Law for the electronic conductivity sigma_e(x).");
      for (const auto &p : material_property_schema())
        {
          prm.enter_subsection(p.name);
          // Value is parsed by us so that NaN, inf and garbage get a message
          // that names the property; empty means "not defined".
          prm.declare_entry("Value", "", Patterns::Anything(), p.meaning + " [" + p.unit + "]");
          prm.declare_entry("Unit", "", Patterns::Anything(), "SI unit; must be '" + p.unit + "'.");
          prm.declare_entry("Range", "", Patterns::Anything(),
                            "Literature range 'min, max' in SI units.");
          prm.declare_entry("Status", "open", Patterns::Selection("lit|est|open"), "Provenance.");
          prm.declare_entry("Source", "", Patterns::Anything(), "Reference for value and range.");
          prm.leave_subsection();
        }
    }

    double parse_finite(const std::string &text, const std::string &file,
                        const std::string &parameter, const std::string &allowed)
    {
      // strtod accepts "nan" and "inf"; the isfinite check rejects them with
      // the same message as text that is not a number at all.
      const std::string t   = dealii::Utilities::trim(text);
      char             *end = nullptr;
      const double      v   = t.empty() ? 0.0 : std::strtod(t.c_str(), &end);
      if (t.empty() || end != t.c_str() + t.size() || !std::isfinite(v))
        throw InputError(file, parameter, text, allowed);
      return v;
    }

    /// A number as a user would write it (5e+26, not std::to_string's
    /// 500000000000000006643777536.000000).
    std::string number(const double v)
    {
      std::ostringstream s;
      s << v;
      return s.str();
    }

    ValueStatus status_from(const std::string &s)
    {
      if (s == "lit")
        return ValueStatus::literature;
      if (s == "est")
        return ValueStatus::estimate;
      return ValueStatus::open;
    }
  } // namespace

  std::string default_material_directory()
  {
    if (const char *env = std::getenv("PROTONFEM_MATERIALS"))
      return env;
    return PROTONFEM_MATERIALS_DIR;
  }

  Material MaterialDatabase::load_file(const std::string &filename)
  {
    ParameterHandler prm;
    declare_material_file(prm);
    {
      std::ifstream probe(filename);
      if (!probe)
        throw InputError("cannot open material file '" + filename + "'");
    }
    try
      {
        prm.parse_input(filename);
      }
    catch (const dealii::ExceptionBase &e)
      {
        std::ostringstream info;
        e.print_info(info);
        throw InputError("input error in material file " + filename + ": " + info.str());
      }

    Material m;
    m.file                        = filename;
    m.name                        = prm.get("Name");
    m.description                 = prm.get("Description");
    m.kind                        = material_kind_from_string(prm.get("Kind"));
    m.proton_mobility_law         = prm.get("Proton mobility law");
    m.electronic_conductivity_law = prm.get("Electronic conductivity law");

    const std::string stem = std::filesystem::path(filename).stem().string();
    if (m.name != stem)
      throw InputError(filename, "Name", m.name, "the file name without .prm ('" + stem + "')");

    for (const auto &schema : material_property_schema())
      {
        prm.enter_subsection(schema.name);
        const std::string value_text = prm.get("Value");
        const std::string path       = schema.name + "/Value";
        if (value_text.find_first_not_of(" \t") != std::string::npos)
          {
            MaterialProperty p;
            p.value = parse_finite(value_text, filename, path, "a finite number in " + schema.unit);
            p.unit  = prm.get("Unit");
            p.status = status_from(prm.get("Status"));
            p.source = prm.get("Source");
            if (p.unit != schema.unit)
              throw InputError(filename, schema.name + "/Unit", p.unit,
                               "'" + schema.unit + "' (SI)");
            const bool below = schema.lower_bound_inclusive ? p.value < schema.lower_bound
                                                            : p.value <= schema.lower_bound;
            if (below || p.value > schema.upper_bound)
              {
                std::ostringstream allowed;
                allowed << (schema.lower_bound_inclusive ? "[" : "(") << schema.lower_bound << ", "
                        << schema.upper_bound << "] " << schema.unit;
                throw InputError(filename, path, value_text, allowed.str());
              }
            const std::string range = prm.get("Range");
            const auto        comma = range.find(',');
            if (comma == std::string::npos)
              throw InputError(filename, schema.name + "/Range", range,
                               "'min, max' in " + schema.unit);
            p.min = parse_finite(range.substr(0, comma), filename, schema.name + "/Range",
                                 "'min, max' with finite numbers");
            p.max = parse_finite(range.substr(comma + 1), filename, schema.name + "/Range",
                                 "'min, max' with finite numbers");
            if (p.min > p.max)
              throw InputError(filename, schema.name + "/Range", range, "min <= max");
            if (p.value < p.min || p.value > p.max)
              throw InputError(filename, path, value_text,
                               "a value inside the stated range [" + range + "]");
            if (p.source.find_first_not_of(" \t") == std::string::npos)
              throw InputError(filename, schema.name + "/Source", "", "a reference for the value");
            m.properties[schema.name] = p;
          }
        prm.leave_subsection();
      }

    validate_material(m);
    return m;
  }

  void validate_material(const Material &m)
  {
    using namespace property_names;
    const auto require = [&](const std::string &p, const std::string &why) {
      if (!m.has(p))
        throw InputError(m.file, p + "/Value", "(absent)", "a value, because " + why);
    };
    if (m.kind != MaterialKind::metal)
      require(relative_permittivity, "a " + to_string(m.kind) + " fills a volume of the device");
    if (m.kind == MaterialKind::electrolyte || m.kind == MaterialKind::mixed_conductor)
      {
        require(proton_density, "protons are mobile in a " + to_string(m.kind));
        require(proton_site_density, "protons are mobile in a " + to_string(m.kind));
        if (m.value(proton_density) >= m.value(proton_site_density))
          throw InputError(m.file, proton_density + "/Value", number(m.value(proton_density)),
                           "less than the proton site density (" +
                               number(m.value(proton_site_density)) + " m^-3)");
        if (m.proton_mobility_law == "none")
          throw InputError(m.file, "Proton mobility law", "none",
                           "a law other than none for a " + to_string(m.kind));
      }
    // The selected laws check that their own parameters are present.
    ProtonMobilityLaw::create(m);
    ElectronicConductivityLaw::create(m);
  }

  MaterialDatabase MaterialDatabase::load(const std::string &directory)
  {
    namespace fs = std::filesystem;
    if (!fs::is_directory(directory))
      throw InputError("", "Materials directory", directory,
                       "an existing directory of *.prm material files");
    MaterialDatabase db;
    db.directory_ = directory;
    std::vector<fs::path> files;
    for (const auto &entry : fs::directory_iterator(directory))
      if (entry.path().extension() == ".prm")
        files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    if (files.empty())
      throw InputError("", "Materials directory", directory,
                       "a directory containing *.prm material files");
    for (const auto &f : files)
      {
        Material m = load_file(f.string());
        db.materials_.emplace(m.name, std::move(m));
      }
    return db;
  }

  bool MaterialDatabase::contains(const std::string &name) const
  {
    return materials_.count(name) > 0;
  }

  std::vector<std::string> MaterialDatabase::names() const
  {
    std::vector<std::string> n;
    for (const auto &m : materials_)
      n.push_back(m.first);
    return n;
  }

  std::string MaterialDatabase::names_joined() const { return join(names(), "|"); }

  const Material &MaterialDatabase::get(const std::string &name, const std::string &context_file,
                                        const std::string &context_parameter) const
  {
    const auto it = materials_.find(name);
    if (it == materials_.end())
      throw InputError(context_file, context_parameter, name,
                       "a material of the database in " + directory_ + ": " + join(names()));
    return it->second;
  }

  void MaterialDatabase::print(std::ostream &out, const std::string &name) const
  {
    const Material &m = get(name, "the command line", "materials NAME");
    out << m.name << " (" << to_string(m.kind) << "): " << m.description << "\n"
        << "  file: " << m.file << "\n"
        << "  proton mobility law: " << m.proton_mobility_law << " -- "
        << ProtonMobilityLaw::description(m.proton_mobility_law) << "\n"
        << "  electronic conductivity law: " << m.electronic_conductivity_law << " -- "
        << ElectronicConductivityLaw::description(m.electronic_conductivity_law) << "\n";
    for (const auto &schema : material_property_schema())
      {
        if (!m.has(schema.name))
          continue;
        const auto &p = m.property(schema.name);
        out << "  " << std::left << std::setw(34) << schema.name << std::right << std::setw(12)
            << std::setprecision(4) << p.value << " " << std::left << std::setw(6) << p.unit
            << " range [" << p.min << ", " << p.max << "]  [" << to_string(p.status) << "] "
            << p.source << "\n";
      }
  }

  void MaterialDatabase::print_all(std::ostream &out) const
  {
    out << "materials database: " << directory_ << "\n\n";
    for (const auto &m : materials_)
      {
        print(out, m.first);
        out << "\n";
      }
  }
} // namespace protonfem
