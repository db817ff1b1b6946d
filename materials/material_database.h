// The materials database: one deal.II-format parameter file per material in a
// directory (materials/db by default). Loading validates every value (finite,
// in its physical bounds and inside the literature range the file states,
// with the SI unit the schema expects) so a bad file stops the run at start-up.
#pragma once

#include "material.h"

#include <iosfwd>
#include <map>
#include <string>
#include <vector>

namespace protonfem
{
  class MaterialDatabase
  {
  public:
    /// Read and validate every `*.prm` file in @p directory. Throws InputError
    /// naming the file, the parameter, the value and what is allowed.
    static MaterialDatabase load(const std::string &directory);

    /// Read and validate one material file.
    static Material load_file(const std::string &filename);

    /// The material called @p name; an InputError listing the known names
    /// otherwise. @p context names the deck/parameter that asked for it.
    const Material &get(const std::string &name, const std::string &context_file = "",
                        const std::string &context_parameter = "Material") const;

    bool                     contains(const std::string &name) const;
    std::vector<std::string> names() const;
    std::string              names_joined() const;
    const std::string       &directory() const { return directory_; }

    /// Human-readable listing: every value with unit, range, status and source.
    void print(std::ostream &out, const std::string &name) const;
    void print_all(std::ostream &out) const;

  private:
    std::string                     directory_;
    std::map<std::string, Material> materials_;
  };

  /// Check the property combinations a material's kind and laws require
  /// (e.g. an electrolyte needs a proton density below its site density).
  void validate_material(const Material &material);

  /// The compiled-in default database directory (the source tree's
  /// materials/db), overridable with the environment variable PROTONFEM_MATERIALS.
  std::string default_material_directory();
} // namespace protonfem
