// Gate voltage waveforms: DC, trapezoidal pulse, pulse train (optionally
// alternating sign) and piecewise-linear table. The time integrator asks for
// the breakpoints (corners of the waveform) so that steps land on them.
#pragma once

#include <deal.II/base/parameter_handler.h>

#include <string>
#include <utility>
#include <vector>

namespace protonfem
{
  class GateWaveform
  {
  public:
    std::string                            type            = "dc"; ///< dc | pulse | train | table
    double                                 initial_voltage = 0;    ///< V before and between pulses
    double                                 amplitude       = 1; ///< pulse height above the base [V]
    double                                 delay           = 0; ///< start of the first pulse [s]
    double                                 rise_time       = 0; ///< [s]
    double                                 width           = 0; ///< time at full amplitude [s]
    double                                 fall_time       = 0; ///< [s]
    double                                 period          = 0; ///< train period [s]
    unsigned                               count           = 1; ///< pulses in a train
    bool                                   alternate_sign  = false;
    std::vector<std::pair<double, double>> table; ///< (t, V), t increasing

    static void declare(dealii::ParameterHandler &prm);
    void        parse(dealii::ParameterHandler &prm, const std::string &file);

    double value(double t) const;
    /// Times in [0, t_end] where the waveform has a corner, sorted.
    std::vector<double> breakpoints(double t_end) const;

    /// The programming windows in [0, t_end]: one per pulse, from its start
    /// to the start of the next pulse (the last to t_end), so each includes
    /// the relaxation after its pulse. DC and table waveforms: one window.
    std::vector<std::pair<double, double>> pulse_windows(double t_end) const;

  private:
    double single_pulse(double t_in_pulse) const; ///< 0..1 shape
  };
} // namespace protonfem
