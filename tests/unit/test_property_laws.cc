// Property laws against their closed forms and limits.
#define BOOST_TEST_DYN_LINK
#include "materials/material_database.h"
#include "materials/property_laws.h"
#include "solver/physical_constants.h"

#include <boost/test/unit_test.hpp>

#include <cmath>

using namespace protonfem;

BOOST_AUTO_TEST_SUITE(property_laws)

BOOST_AUTO_TEST_CASE(sinh_over_x_series_and_large_argument)
{
  BOOST_TEST(sinh_over_x(0.0) == 1.0);
  // Across the series/closed-form switch the two agree to round-off.
  for (const double u : {1e-8, 5e-4, 9.99e-4, 1.001e-3, 0.1, 1.0, 10.0, -3.0})
    BOOST_TEST(sinh_over_x(u) == (u == 0 ? 1.0 : std::sinh(std::abs(u)) / std::abs(u)),
               boost::test_tools::tolerance(1e-14));
  BOOST_TEST(sinh_over_x(20.0) == std::sinh(20.0) / 20.0, boost::test_tools::tolerance(1e-14));
}

BOOST_AUTO_TEST_CASE(arrhenius_law)
{
  const double t = 300;
  BOOST_TEST(arrhenius(2.0, 0.0, t) == 2.0);
  const double kt_ev = constants::boltzmann * t / constants::electron_volt;
  BOOST_TEST(arrhenius(1.0, 0.5, t) == std::exp(-0.5 / kt_ev), boost::test_tools::tolerance(1e-14));
  // Doubling Ea squares the Boltzmann factor.
  BOOST_TEST(arrhenius(1.0, 1.0, t) == std::pow(arrhenius(1.0, 0.5, t), 2),
             boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(hopping_field_scale_matches_physics_md)
{
  // physics.md: E0 = 5.2 MV/cm at a = 0.1 nm, 1.0 MV/cm at a = 0.5 nm (300 K).
  BOOST_TEST(hopping_field_scale(0.1e-9, 300) / 1e8 == 5.17, boost::test_tools::tolerance(0.01));
  BOOST_TEST(hopping_field_scale(0.5e-9, 300) / 1e8 == 1.03, boost::test_tools::tolerance(0.01));
}

BOOST_AUTO_TEST_CASE(psg_hopping_mobility)
{
  const auto  db  = MaterialDatabase::load(PROTONFEM_MATERIALS_DIR);
  const auto &m   = db.get("PSG");
  const auto  law = ProtonMobilityLaw::create(m);
  BOOST_REQUIRE(law);
  const double t = 300;
  const double d = arrhenius(m.value(property_names::proton_diffusivity_prefactor),
                             m.value(property_names::proton_activation_energy), t);
  BOOST_TEST(law->diffusivity(t) == d, boost::test_tools::tolerance(1e-14));
  BOOST_TEST(law->field_enhancement(0.0, t) == 1.0);
  const double e0 = hopping_field_scale(m.value(property_names::proton_hopping_distance), t);
  BOOST_TEST(law->field_enhancement(3 * e0, t) == std::sinh(3.0) / 3.0,
             boost::test_tools::tolerance(1e-13));
  // High-field drift flux approaches 2 c a nu' sinh(qaE/2kT): g(E) E grows
  // exponentially, so doubling a large field multiplies g by ~exp(E/E0).
  const double ratio = law->field_enhancement(20 * e0, t) / law->field_enhancement(10 * e0, t);
  BOOST_TEST(ratio == std::exp(10.0) / 2.0, boost::test_tools::tolerance(1e-6));
  BOOST_TEST(law->low_field_mobility(t) == d / constants::thermal_voltage(t),
             boost::test_tools::tolerance(1e-14));
}

BOOST_AUTO_TEST_CASE(wo3_exponential_conductivity)
{
  const auto  db  = MaterialDatabase::load(PROTONFEM_MATERIALS_DIR);
  const auto &m   = db.get("WO3");
  const auto  law = ElectronicConductivityLaw::create(m);
  BOOST_REQUIRE(law);
  const double s0 = m.value(property_names::electronic_conductivity_prefactor);
  const double a  = m.value(property_names::electronic_conductivity_exponent);
  BOOST_TEST(law->conductivity(0.0) == s0);
  BOOST_TEST(law->conductivity(0.3) == s0 * std::exp(0.3 * a), boost::test_tools::tolerance(1e-14));
  // physics.md: 5-6 orders of magnitude from x = 0 to 0.3.
  const double orders = std::log10(law->conductivity(0.3) / law->conductivity(0.0));
  BOOST_TEST(orders > 5.0);
  BOOST_TEST(orders < 6.0);
  BOOST_TEST(!ElectronicConductivityLaw::create(db.get("PSG")));
}

BOOST_AUTO_TEST_CASE(law_registry_documents_every_law)
{
  for (const auto &l : ProtonMobilityLaw::available())
    BOOST_TEST(!ProtonMobilityLaw::description(l.name).empty());
  BOOST_TEST(ProtonMobilityLaw::names_pattern() == "none|constant|arrhenius|hopping");
  BOOST_TEST(ElectronicConductivityLaw::names_pattern() == "none|constant|exponential");
}

BOOST_AUTO_TEST_SUITE_END()
