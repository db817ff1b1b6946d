#include "design_parameters.h"

#include "input_error.h"

#include <cmath>
#include <sstream>

namespace protonfem
{
  namespace Patterns = dealii::Patterns;

  namespace
  {

    double non_negative(dealii::ParameterHandler &prm, const std::string &name,
                        const std::string &section, const std::string &file)
    {
      const double v = prm.get_double(name);
      if (!(v >= 0) || !std::isfinite(v))
        throw InputError(file, section + "/" + name, prm.get(name),
                         "a finite value >= 0 (0 = off)");
      return v;
    }
  } // namespace

  void ReadoutParameters::declare(dealii::ParameterHandler &prm)
  {
    prm.enter_subsection("Conductance");
    prm.declare_entry("Read-out", "auto", Patterns::Selection("auto|on|off"),
                      "Channel conductance G between source and drain from sigma_e(x) of the "
                      "conducting layers. auto: whenever the device has a conducting layer "
                      "(and, in 2D/3D, source and drain); on: required (error if impossible).");
    prm.declare_entry("Read voltage", "0.1", Patterns::Double(),
                      "V_read applied drain-to-source for the read-out [V], > 0.");
    prm.declare_entry("Every", "1", Patterns::Integer(1),
                      "Read out every N accepted steps; always at waveform corners, pulse "
                      "boundaries and the end.");
    prm.declare_entry("Channel conductivity", "proton-fraction",
                      Patterns::Selection("proton-fraction|electrons"),
                      "proton-fraction: sigma_e(x), x = c_H/c_W, from the material's electronic "
                      "conductivity law; electrons: sigma = q mu_e n with the modelled electron "
                      "density n and mobility mu_e = q D_e/kT (needs 'Transport/Mobile species = "
                      "protons, electrons').");
    prm.leave_subsection();
  }

  void ReadoutParameters::parse(dealii::ParameterHandler &prm, const std::string &file)
  {
    prm.enter_subsection("Conductance");
    mode         = prm.get("Read-out");
    read_voltage = prm.get_double("Read voltage");
    every        = prm.get_integer("Every");
    conductivity = prm.get("Channel conductivity");
    prm.leave_subsection();
    if (!(read_voltage > 0) || !std::isfinite(read_voltage))
      throw InputError(file, "Conductance/Read voltage", value_text(read_voltage),
                       "a voltage > 0 V");
  }

  void DesignTargets::declare(dealii::ParameterHandler &prm)
  {
    prm.enter_subsection("Design targets");
    prm.declare_entry("Min delta G per pulse", "0", Patterns::Double(),
                      "|Delta G| of the first pulse must reach this [S]; 0 = no target.");
    prm.declare_entry("Max energy per pulse", "0", Patterns::Double(),
                      "Energy delivered by the gate in the first pulse must stay below [J]; "
                      "0 = no target.");
    prm.declare_entry("Min breakdown margin", "1", Patterns::Double(),
                      "Breakdown field / field (see 'Breakdown field measure') must be at least "
                      "this in every layer with "
                      "a known breakdown field; 0 = no target.");
    prm.declare_entry("Breakdown field measure", "mean", Patterns::Selection("mean|peak"),
                      "Field compared with the breakdown field for the margin: mean = volume "
                      "average of |E| over the layer (the bulk field across it); peak = the "
                      "largest |E| at any vertex (in the sub-nm Debye layers at the interfaces "
                      "it exceeds the bulk field many times). Both are reported.");
    prm.declare_entry("Target charge", "0", Patterns::Double(),
                      "Charge into the channel [C] whose arrival time is reported "
                      "(time_to_target_charge_s); 0 = not reported.");
    prm.declare_entry("Max time to target charge", "0", Patterns::Double(),
                      "The target charge must arrive within this time [s]; 0 = no target.");
    prm.leave_subsection();
  }

  void DesignTargets::parse(dealii::ParameterHandler &prm, const std::string &file)
  {
    const std::string s = "Design targets";
    prm.enter_subsection(s);
    min_delta_g        = non_negative(prm, "Min delta G per pulse", s, file);
    max_energy         = non_negative(prm, "Max energy per pulse", s, file);
    min_margin         = non_negative(prm, "Min breakdown margin", s, file);
    breakdown_measure  = prm.get("Breakdown field measure");
    target_charge      = non_negative(prm, "Target charge", s, file);
    max_time_to_charge = non_negative(prm, "Max time to target charge", s, file);
    prm.leave_subsection();
    if (max_time_to_charge > 0 && target_charge == 0)
      throw InputError(file, s + "/Max time to target charge", value_text(max_time_to_charge),
                       "0 unless 'Target charge' is set (> 0)");
  }
} // namespace protonfem
