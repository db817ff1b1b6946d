// Deck parameters of what a device engineer reads out of a PNP run: the
// channel conductance (subsection Conductance) and the design targets a run
// or sweep point is judged against (subsection Design targets).
#pragma once

#include <deal.II/base/parameter_handler.h>

#include <string>

namespace protonfem
{
  struct ReadoutParameters
  {
    std::string  mode         = "auto"; ///< auto | on | off
    double       read_voltage = 0.1;    ///< V_read between drain and source [V]
    unsigned int every        = 1;      ///< read out every N accepted steps (and at corners)
    /// proton-fraction: sigma_e(x) of the material's law; electrons: sigma =
    /// q mu_e n from the modelled electron density (Mobile species with electrons).
    std::string conductivity = "proton-fraction";

    static void declare(dealii::ParameterHandler &prm);
    void        parse(dealii::ParameterHandler &prm, const std::string &file);
  };

  /// Targets of one programming pulse; 0 switches a target off.
  struct DesignTargets
  {
    double min_delta_g = 0; ///< |Delta G| per pulse >= this [S]
    double max_energy  = 0; ///< energy per pulse <= this [J]
    double min_margin  = 1; ///< breakdown field / field in each layer >= this
    /// Which field the margin uses: "mean" (volume-averaged |E| of the layer,
    /// the bulk field a breakdown path sees) or "peak" (largest at any vertex,
    /// dominated by sub-nm Debye layers at the interfaces).
    std::string breakdown_measure = "mean";
    double      target_charge = 0; ///< charge into the channel whose arrival time is reported [C]
    double      max_time_to_charge = 0; ///< the target charge must arrive within this [s]

    static void declare(dealii::ParameterHandler &prm);
    void        parse(dealii::ParameterHandler &prm, const std::string &file);
  };
} // namespace protonfem
