// Database loader and validation: the shipped database loads, values carry
// units/ranges/sources, and each class of bad material file is rejected with
// a message naming the file and the property.
#define BOOST_TEST_DYN_LINK
#include "materials/material_database.h"
#include "solver/input_error.h"

#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

using namespace protonfem;
namespace fs = std::filesystem;

namespace
{
  /// A scratch copy of one shipped material file with one line replaced.
  std::string mutated(const std::string &material, const std::string &pattern,
                      const std::string &replacement)
  {
    const fs::path dir =
        fs::temp_directory_path() / ("protonfem_unit_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    std::ifstream     in(fs::path(PROTONFEM_MATERIALS_DIR) / (material + ".prm"));
    std::stringstream buf;
    buf << in.rdbuf();
    const std::string text = std::regex_replace(buf.str(), std::regex(pattern), replacement,
                                                std::regex_constants::format_first_only);
    BOOST_REQUIRE(text != buf.str());
    const fs::path out = dir / (material + ".prm");
    std::ofstream(out) << text;
    return out.string();
  }

  std::string error_of(const std::string &file)
  {
    try
      {
        MaterialDatabase::load_file(file);
      }
    catch (const InputError &e)
      {
        return e.what();
      }
    return "";
  }

  bool contains(const std::string &s, const std::string &part)
  {
    return s.find(part) != std::string::npos;
  }
} // namespace

BOOST_AUTO_TEST_SUITE(materials)

BOOST_AUTO_TEST_CASE(shipped_database_loads_with_provenance)
{
  const auto db = MaterialDatabase::load(PROTONFEM_MATERIALS_DIR);
  for (const auto *name : {"PSG", "WO3", "Pd", "SiO2", "Si", "Al2O3"})
    BOOST_TEST(db.contains(name));
  const auto &psg = db.get("PSG");
  BOOST_TEST(to_string(psg.kind) == "electrolyte");
  const auto &eps = psg.property(property_names::relative_permittivity);
  BOOST_TEST(eps.value == 4.0);
  BOOST_TEST(eps.unit == "1");
  BOOST_TEST(eps.min == 3.5);
  BOOST_TEST(eps.max == 4.5);
  BOOST_TEST(to_string(eps.status) == "lit");
  BOOST_TEST(contains(eps.source, "Pavelescu"));
  BOOST_TEST(db.get("SiO2").value(property_names::relative_permittivity) == 3.9);
  BOOST_TEST(to_string(db.get("Pd").kind) == "metal");
  BOOST_TEST(db.get("WO3").value(property_names::tungsten_site_density) == 1.86e28);
}

BOOST_AUTO_TEST_CASE(unknown_material_lists_known_ones)
{
  const auto db = MaterialDatabase::load(PROTONFEM_MATERIALS_DIR);
  try
    {
      db.get("Unobtainium", "deck.prm", "Geometry/Layer x/Material");
      BOOST_FAIL("no error");
    }
  catch (const InputError &e)
    {
      const std::string m = e.what();
      BOOST_TEST(contains(m, "Unobtainium"));
      BOOST_TEST(contains(m, "deck.prm"));
      BOOST_TEST(contains(m, "PSG, Pd, Si, SiO2, WO3"));
    }
}

BOOST_AUTO_TEST_CASE(rejects_zero_permittivity)
{
  const auto m = error_of(mutated("SiO2", "Value  = 3.9", "Value  = 0"));
  BOOST_TEST(contains(m, "Relative permittivity/Value"));
  BOOST_TEST(contains(m, "'0'"));
}

BOOST_AUTO_TEST_CASE(rejects_nan_and_text)
{
  BOOST_TEST(contains(error_of(mutated("SiO2", "Value  = 3.9", "Value  = nan")), "finite number"));
  BOOST_TEST(
      contains(error_of(mutated("SiO2", "Value  = 3.9", "Value  = 3.9abc")), "finite number"));
}

BOOST_AUTO_TEST_CASE(rejects_value_outside_stated_range)
{
  const auto m = error_of(mutated("PSG", "Value  = 4.0", "Value  = 5.0"));
  BOOST_TEST(contains(m, "inside the stated range"));
}

BOOST_AUTO_TEST_CASE(rejects_wrong_unit)
{
  const auto m = error_of(mutated("PSG", "Unit   = V/m", "Unit   = MV/cm"));
  BOOST_TEST(contains(m, "Breakdown field/Unit"));
  BOOST_TEST(contains(m, "'V/m'"));
}

BOOST_AUTO_TEST_CASE(rejects_density_above_site_density)
{
  const auto m = error_of(mutated("PSG", "Value  = 1e26", "Value  = 2e27"));
  // 2e27 is outside the stated range too; check the range check fires first
  // and then the cross-check with a range that admits it.
  BOOST_TEST(!m.empty());
  const auto        f = mutated("PSG", "Range  = 1e25, 1e27", "Range  = 1e25, 1e28");
  std::ifstream     in(f);
  std::stringstream buf;
  buf << in.rdbuf();
  std::ofstream(f) << std::regex_replace(buf.str(), std::regex("Value  = 1e26"), "Value  = 2e27");
  BOOST_TEST(contains(error_of(f), "less than the proton site density"));
}

BOOST_AUTO_TEST_CASE(rejects_missing_law_parameter)
{
  // PSG's hopping law needs the hopping distance.
  const auto m = error_of(mutated("PSG", "Value  = 0.5e-9", "Value  = "));
  BOOST_TEST(contains(m, "Proton hopping distance"));
}

BOOST_AUTO_TEST_CASE(rejects_unknown_entry_and_name_mismatch)
{
  BOOST_TEST(
      contains(error_of(mutated("SiO2", "set Kind", "set Colour = blue\nset Kind")), "Colour"));
  BOOST_TEST(contains(error_of(mutated("SiO2", "set Name = SiO2", "set Name = Quartz")), "Quartz"));
}

BOOST_AUTO_TEST_CASE(missing_file_and_directory)
{
  BOOST_CHECK_THROW(MaterialDatabase::load_file("/nonexistent/X.prm"), InputError);
  BOOST_CHECK_THROW(MaterialDatabase::load("/nonexistent"), InputError);
}

BOOST_AUTO_TEST_SUITE_END()
