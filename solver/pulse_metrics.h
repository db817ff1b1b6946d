// Per-pulse accounting of a programming run: each pulse window (from the
// pulse's start to the next pulse's start) gets the charge through the gate,
// the protons that entered the channel, the energy delivered by the gate,
// the conductance before and after, and the peak field against breakdown.
// Fed with one sample per accepted time step; trapezoidal in time, so the
// totals are exact for the step sequence the integrator took.
#pragma once

#include <cmath>
#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace protonfem
{
  struct PulseSample
  {
    double time           = 0;
    double gate_voltage   = 0; ///< [V]
    double gate_charge    = 0; ///< charge that has entered through the gate since t = 0 [C]
    double ionic_charge   = 0; ///< protons injected since t = 0, times q [C]
    double channel_charge = 0; ///< protons in the channel layers, times q [C]
    double gate_current   = 0; ///< [A]
    double ionic_current  = 0; ///< proton current through the gate face [A]
    double field_ratio    = 0; ///< max over layers of peak |E| / breakdown field
    double conductance    = std::numeric_limits<double>::quiet_NaN(); ///< [S], NaN = not read
  };

  struct PulseRecord
  {
    unsigned int index = 0;
    double       start = 0, end = 0;
    double       gate_charge        = 0; ///< net charge through the gate in the window [C]
    double       channel_charge     = 0; ///< change of the channel's proton charge [C]
    double       energy             = 0; ///< int V_gate I_gate dt [J]
    double       ionic_energy       = 0; ///< int V_gate I_ionic dt [J]
    double       peak_gate_current  = 0; ///< max |I_gate| [A]
    double       peak_ionic_current = 0; ///< max |I_ionic| [A]
    double       peak_field_ratio   = 0; ///< max peak |E| / breakdown
    double       g_start            = std::numeric_limits<double>::quiet_NaN();
    double       g_end              = std::numeric_limits<double>::quiet_NaN();
    double       delta_g() const { return g_end - g_start; }
  };

  /// What one run tells the device engineer, from its first pulse (the
  /// programming pulse of a sweep point) and the whole run.
  struct DesignMetrics
  {
    double charge_per_pulse       = 0; ///< protons into the channel in pulse 1, times q [C]
    double gate_charge_per_pulse  = 0; ///< net charge through the gate in pulse 1 [C]
    double delta_g_per_pulse      = std::numeric_limits<double>::quiet_NaN(); ///< [S]
    double energy_per_pulse       = 0; ///< int V I dt in pulse 1 [J]
    double ionic_energy_per_pulse = 0; ///< int V I_ionic dt in pulse 1 [J]
    double peak_gate_current      = 0; ///< [A]
    double peak_ionic_current     = 0; ///< [A]
    double g_initial = std::numeric_limits<double>::quiet_NaN(), g_final = g_initial;
    double g_min = g_initial, g_max = g_initial;
    double peak_field_ratio = 0; ///< max peak |E| / breakdown over the run
    double mean_field_ratio = 0; ///< max layer-mean |E| / breakdown over the run
    double breakdown_margin =
        std::numeric_limits<double>::quiet_NaN(); ///< per the targets' measure
    double       time_to_target_charge = std::numeric_limits<double>::quiet_NaN(); ///< [s]
    unsigned int pulses                = 0;
    bool         pass                  = true;
    std::string  verdict; ///< "pass" or the targets missed
  };

  class PulseTracker
  {
  public:
    explicit PulseTracker(const std::vector<std::pair<double, double>> &windows);
    void                            add(const PulseSample &sample);
    const std::vector<PulseRecord> &pulses() const { return records; }
    /// Smallest and largest conductance read out during the run.
    double g_min() const { return g_lo; }
    double g_max() const { return g_hi; }
    /// All of the tracker's state as numbers, for a checkpoint.
    std::vector<double> state() const;
    void                set_state(const std::vector<double> &s);

  private:
    /// The window that holds time t (the last one whose start is <= t).
    int window_of(double t) const;

    std::vector<PulseRecord> records;
    std::vector<PulseSample> channel_at_start; ///< sample at each window start
    PulseSample              previous;
    bool                     have_previous = false;
    double                   g_lo = std::numeric_limits<double>::quiet_NaN(), g_hi = g_lo;
  };
} // namespace protonfem
