// Physical constants in SI units (CODATA 2018 exact or recommended values).
// Every part of protonfem takes its constants from here so that a change of
// convention happens in one place.
#pragma once

namespace protonfem::constants
{
  /// Elementary charge [C] (exact since the 2019 SI redefinition).
  constexpr double elementary_charge = 1.602176634e-19;
  /// Boltzmann constant [J/K] (exact).
  constexpr double boltzmann = 1.380649e-23;
  /// Vacuum permittivity [F/m] (CODATA 2018).
  constexpr double vacuum_permittivity = 8.8541878128e-12;
  /// One electron-volt in joule, for activation and site energies given in eV.
  constexpr double electron_volt = elementary_charge;

  /// Thermal voltage kT/q [V] at temperature T [K].
  constexpr double thermal_voltage(const double temperature)
  {
    return boltzmann * temperature / elementary_charge;
  }
} // namespace protonfem::constants
