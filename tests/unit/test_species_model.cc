// The lattice-gas species model (solver/pnp_model.h) for both charge signs:
// protons (z = +1) and electrons/polarons (z = -1) share every formula through
// eta = mu - z phi - e_site, so a sign slip shows up here first.
#define BOOST_TEST_DYN_LINK
#include "solver/pnp_model.h"

#include <boost/test/unit_test.hpp>

#include <cmath>
#include <memory>

using namespace protonfem;

namespace
{
  RegionModel species_with(const int z)
  {
    RegionModel r;
    r.hosts_protons = true;
    r.z             = z;
    r.c_max         = 186.0; // c_W / c_ref for WO3 polarons
    r.e_site        = z > 0 ? 6.96 : 0.0;
    return r;
  }
} // namespace

BOOST_AUTO_TEST_SUITE(species_model)

BOOST_AUTO_TEST_CASE(density_and_potential_are_inverse_for_both_signs)
{
  for (const int z : {+1, -1})
    {
      const RegionModel r = species_with(z);
      for (const double c : {1e-30, 1e-3, 1.0, 93.0, 185.9})
        for (const double phi : {-40.0, 0.0, 3.7})
          {
            const double mu = r.potential_for(c, phi);
            BOOST_TEST(std::abs(r.density(mu, phi) / c - 1) < 1e-12);
            BOOST_TEST(std::abs(r.eta(mu, phi) - std::log(c / (r.c_max - c))) < 1e-9);
          }
    }
}

BOOST_AUTO_TEST_CASE(derivatives_match_finite_differences_and_phi_enters_with_minus_z)
{
  const double h = 1e-6;
  for (const int z : {+1, -1})
    {
      const RegionModel r = species_with(z);
      for (const double mu : {-20.0, 0.5, 9.0})
        for (const double phi : {-2.0, 0.0, 1.5})
          {
            const double s     = r.density_derivative(mu, phi);
            const double d_mu  = (r.density(mu + h, phi) - r.density(mu - h, phi)) / (2 * h);
            const double d_phi = (r.density(mu, phi + h) - r.density(mu, phi - h)) / (2 * h);
            BOOST_TEST(std::abs(d_mu - s) <= 1e-6 * s + 1e-300);
            BOOST_TEST(std::abs(d_phi + z * s) <= 1e-6 * s + 1e-300); // dc/dphi = -z dc/dmu
            // saturation_slope = d log(c (1 - c/c_max)) / d mu
            const auto   m     = [&](const double x) { return r.density_derivative(x, phi); };
            const double slope = (std::log(m(mu + h)) - std::log(m(mu - h))) / (2 * h);
            BOOST_TEST(std::abs(slope - r.saturation_slope(mu, phi)) < 1e-6);
          }
    }
}

BOOST_AUTO_TEST_CASE(positive_potential_attracts_electrons_and_repels_protons)
{
  const RegionModel p = species_with(+1), e = species_with(-1);
  BOOST_TEST(p.density(0.0, 1.0) < p.density(0.0, 0.0));
  BOOST_TEST(e.density(0.0, 1.0) > e.density(0.0, 0.0));
}

BOOST_AUTO_TEST_CASE(species_list_is_protons_then_electrons)
{
  RegionModel channel = species_with(+1);
  BOOST_TEST(species(channel).size() == 1u);
  auto electrons          = std::make_shared<RegionModel>(species_with(-1));
  electrons->mu_component = 3;
  channel.electrons       = electrons;
  const SpeciesList l     = species(channel);
  BOOST_TEST(l.size() == 2u);
  BOOST_TEST(l[0] == &channel);
  BOOST_TEST(l[1] == electrons.get());
  RegionModel dielectric;
  BOOST_TEST(species(dielectric).size() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
