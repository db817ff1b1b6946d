#include "pulse_metrics.h"

#include <algorithm>

namespace protonfem
{
  PulseTracker::PulseTracker(const std::vector<std::pair<double, double>> &windows)
  {
    for (unsigned int k = 0; k < windows.size(); ++k)
      {
        PulseRecord r;
        r.index = k + 1;
        r.start = windows[k].first;
        r.end   = windows[k].second;
        records.push_back(r);
      }
    channel_at_start.resize(records.size());
  }

  int PulseTracker::window_of(const double t) const
  {
    int k = -1;
    for (unsigned int i = 0; i < records.size(); ++i)
      if (records[i].start <= t)
        k = i;
    return k;
  }

  void PulseTracker::add(const PulseSample &s)
  {
    const double tol = 1e-9 * std::max(1e-30, records.empty() ? 1.0 : records.back().end);
    if (!std::isnan(s.conductance))
      {
        g_lo = std::isnan(g_lo) ? s.conductance : std::min(g_lo, s.conductance);
        g_hi = std::isnan(g_hi) ? s.conductance : std::max(g_hi, s.conductance);
      }
    for (unsigned int k = 0; k < records.size(); ++k)
      {
        auto &r = records[k];
        if (std::abs(s.time - r.start) <= tol)
          {
            channel_at_start[k] = s;
            if (!std::isnan(s.conductance))
              r.g_start = s.conductance;
          }
        if (std::abs(s.time - r.end) <= tol && !std::isnan(s.conductance))
          r.g_end = s.conductance;
      }
    if (have_previous)
      {
        // The interval (previous, s] belongs to the window of its midpoint.
        const int k = window_of(0.5 * (previous.time + s.time));
        if (k >= 0)
          {
            auto        &r     = records[k];
            const double v_mid = 0.5 * (previous.gate_voltage + s.gate_voltage);
            r.energy += v_mid * (s.gate_charge - previous.gate_charge);
            r.ionic_energy += v_mid * (s.ionic_charge - previous.ionic_charge);
            r.gate_charge        = s.gate_charge - channel_at_start[k].gate_charge;
            r.channel_charge     = s.channel_charge - channel_at_start[k].channel_charge;
            r.peak_gate_current  = std::max(r.peak_gate_current, std::abs(s.gate_current));
            r.peak_ionic_current = std::max(r.peak_ionic_current, std::abs(s.ionic_current));
            r.peak_field_ratio   = std::max(r.peak_field_ratio, s.field_ratio);
          }
      }
    previous      = s;
    have_previous = true;
  }
} // namespace protonfem
