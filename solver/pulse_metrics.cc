#include "pulse_metrics.h"

#include <algorithm>
#include <stdexcept>

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

  namespace
  {
    constexpr unsigned int sample_size = 10, record_size = 14;

    void put(std::vector<double> &v, const PulseSample &s)
    {
      v.insert(v.end(), {s.time, s.gate_voltage, s.gate_charge, s.ionic_charge, s.channel_charge,
                         s.gate_current, s.ionic_current, s.field_ratio, s.conductance, 0.0});
    }
    PulseSample get_sample(const double *p)
    {
      PulseSample s;
      s.time           = p[0];
      s.gate_voltage   = p[1];
      s.gate_charge    = p[2];
      s.ionic_charge   = p[3];
      s.channel_charge = p[4];
      s.gate_current   = p[5];
      s.ionic_current  = p[6];
      s.field_ratio    = p[7];
      s.conductance    = p[8];
      return s;
    }
  } // namespace

  std::vector<double> PulseTracker::state() const
  {
    std::vector<double> v = {double(records.size()), double(have_previous), g_lo, g_hi};
    put(v, previous);
    for (std::size_t k = 0; k < records.size(); ++k)
      {
        const auto &r = records[k];
        v.insert(v.end(), {double(r.index), r.start, r.end, r.gate_charge, r.channel_charge,
                           r.energy, r.ionic_energy, r.peak_gate_current, r.peak_ionic_current,
                           r.peak_field_ratio, r.g_start, r.g_end, 0.0, 0.0});
        put(v, channel_at_start[k]);
      }
    return v;
  }

  void PulseTracker::set_state(const std::vector<double> &v)
  {
    const std::size_t n = static_cast<std::size_t>(v.at(0));
    if (n != records.size() || v.size() != 4 + sample_size + n * (record_size + sample_size))
      throw std::runtime_error("checkpoint: the pulse windows differ from the deck's waveform");
    have_previous   = v[1] != 0;
    g_lo            = v[2];
    g_hi            = v[3];
    previous        = get_sample(&v[4]);
    const double *p = &v[4 + sample_size];
    for (std::size_t k = 0; k < n; ++k, p += record_size + sample_size)
      {
        auto &r              = records[k];
        r.index              = static_cast<unsigned int>(p[0]);
        r.start              = p[1];
        r.end                = p[2];
        r.gate_charge        = p[3];
        r.channel_charge     = p[4];
        r.energy             = p[5];
        r.ionic_energy       = p[6];
        r.peak_gate_current  = p[7];
        r.peak_ionic_current = p[8];
        r.peak_field_ratio   = p[9];
        r.g_start            = p[10];
        r.g_end              = p[11];
        channel_at_start[k]  = get_sample(p + record_size);
      }
  }
} // namespace protonfem
