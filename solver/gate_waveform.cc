#include "gate_waveform.h"

#include "input_error.h"

#include <deal.II/base/utilities.h>

#include <algorithm>
#include <cmath>
#include <sstream>

namespace protonfem
{
  namespace Patterns = dealii::Patterns;

  void GateWaveform::declare(dealii::ParameterHandler &prm)
  {
    prm.enter_subsection("Gate waveform");
    prm.declare_entry("Type", "pulse", Patterns::Selection("dc|pulse|train|table"),
                      "dc: constant Base voltage + Amplitude; pulse: one trapezoidal pulse; train: "
                      "Count pulses every Period; table: piecewise linear from Table.");
    prm.declare_entry("Base voltage", "0", Patterns::Double(-1e3, 1e3),
                      "Voltage outside pulses [V].");
    prm.declare_entry("Amplitude", "10", Patterns::Double(-1e3, 1e3),
                      "Pulse height above the base [V].");
    prm.declare_entry("Delay", "1e-9", Patterns::Double(0), "Start of the first pulse [s].");
    prm.declare_entry("Rise time", "0.1e-9", Patterns::Double(0), "Linear rise [s].");
    prm.declare_entry("Width", "5e-9", Patterns::Double(0), "Time at full amplitude [s].");
    prm.declare_entry("Fall time", "0.1e-9", Patterns::Double(0), "Linear fall [s].");
    prm.declare_entry("Period", "20e-9", Patterns::Double(0), "Pulse period of a train [s].");
    prm.declare_entry("Count", "1", Patterns::Integer(1, 1000000), "Pulses in a train.");
    prm.declare_entry("Alternate sign", "false", Patterns::Bool(),
                      "Train: every second pulse has the opposite sign (potentiation/depression).");
    prm.declare_entry("Table", "", Patterns::Anything(),
                      "Piecewise-linear waveform 't0:V0, t1:V1, ...' [s:V], t increasing.");
    prm.leave_subsection();
  }

  void GateWaveform::parse(dealii::ParameterHandler &prm, const std::string &file)
  {
    const std::string p = "Time stepping/Gate waveform/";
    prm.enter_subsection("Gate waveform");
    type                   = prm.get("Type");
    initial_voltage        = prm.get_double("Base voltage");
    amplitude              = prm.get_double("Amplitude");
    delay                  = prm.get_double("Delay");
    rise_time              = prm.get_double("Rise time");
    width                  = prm.get_double("Width");
    fall_time              = prm.get_double("Fall time");
    period                 = prm.get_double("Period");
    count                  = prm.get_integer("Count");
    alternate_sign         = prm.get_bool("Alternate sign");
    const std::string text = prm.get("Table");
    prm.leave_subsection();
    if (type == "train" && period < rise_time + width + fall_time)
      throw InputError(file, p + "Period", std::to_string(period),
                       ">= Rise time + Width + Fall time (pulses must not overlap)");
    if (type == "table")
      {
        table.clear();
        for (const auto &entry : dealii::Utilities::split_string_list(text, ','))
          {
            const auto tv = dealii::Utilities::split_string_list(entry, ':');
            double     t = 0, v = 0;
            bool       ok = tv.size() == 2;
            try
              {
                if (ok)
                  {
                    t = dealii::Utilities::string_to_double(tv[0]);
                    v = dealii::Utilities::string_to_double(tv[1]);
                  }
              }
            catch (...)
              {
                ok = false;
              }
            if (!ok || !std::isfinite(t) || !std::isfinite(v) ||
                (!table.empty() && t <= table.back().first))
              throw InputError(file, p + "Table", text,
                               "'t0:V0, t1:V1, ...' with finite values and t increasing");
            table.emplace_back(t, v);
          }
        if (table.empty())
          throw InputError(file, p + "Table", text, "at least one 't:V' point when Type = table");
      }
  }

  double GateWaveform::single_pulse(const double s) const
  {
    if (s <= 0)
      return 0;
    if (s < rise_time)
      return s / rise_time;
    if (s <= rise_time + width)
      return 1;
    if (s < rise_time + width + fall_time)
      return 1 - (s - rise_time - width) / fall_time;
    return 0;
  }

  double GateWaveform::value(const double t) const
  {
    if (type == "dc")
      return initial_voltage + amplitude;
    if (type == "pulse")
      return initial_voltage + amplitude * single_pulse(t - delay);
    if (type == "train")
      {
        if (t < delay)
          return initial_voltage;
        const unsigned k = static_cast<unsigned>(std::floor((t - delay) / period));
        if (k >= count)
          return initial_voltage;
        const double sign = (alternate_sign && k % 2 == 1) ? -1.0 : 1.0;
        return initial_voltage + sign * amplitude * single_pulse(t - delay - k * period);
      }
    // table: constant before the first and after the last point
    if (t <= table.front().first)
      return table.front().second;
    for (std::size_t i = 1; i < table.size(); ++i)
      if (t <= table[i].first)
        {
          const auto &[t0, v0] = table[i - 1];
          const auto &[t1, v1] = table[i];
          return v0 + (v1 - v0) * (t - t0) / (t1 - t0);
        }
    return table.back().second;
  }

  std::vector<double> GateWaveform::breakpoints(const double t_end) const
  {
    std::vector<double> b;
    const auto          pulse_corners = [&](const double start) {
      for (const double s : {0.0, rise_time, rise_time + width, rise_time + width + fall_time})
        b.push_back(start + s);
    };
    if (type == "pulse")
      pulse_corners(delay);
    else if (type == "train")
      for (unsigned k = 0; k < count && delay + k * period <= t_end; ++k)
        pulse_corners(delay + k * period);
    else if (type == "table")
      for (const auto &tv : table)
        b.push_back(tv.first);
    std::vector<double> inside;
    for (const double t : b)
      if (t > 0 && t < t_end)
        inside.push_back(t);
    inside.push_back(t_end);
    std::sort(inside.begin(), inside.end());
    inside.erase(std::unique(inside.begin(), inside.end(),
                             [&](double a, double c) { return std::abs(a - c) <= 1e-15 * t_end; }),
                 inside.end());
    return inside;
  }

  std::vector<std::pair<double, double>> GateWaveform::pulse_windows(const double t_end) const
  {
    std::vector<double> starts;
    if (type == "pulse")
      starts.push_back(std::max(0.0, delay));
    else if (type == "train")
      for (unsigned k = 0; k < count && delay + k * period < t_end; ++k)
        starts.push_back(std::max(0.0, delay + k * period));
    else
      starts.push_back(0.0);
    std::vector<std::pair<double, double>> w;
    for (std::size_t k = 0; k < starts.size(); ++k)
      if (starts[k] < t_end)
        w.emplace_back(starts[k], k + 1 < starts.size() ? starts[k + 1] : t_end);
    return w;
  }
} // namespace protonfem
