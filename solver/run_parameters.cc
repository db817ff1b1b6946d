#include "run_parameters.h"

#include "input_error.h"

#include <deal.II/base/exceptions.h>
#include <deal.II/base/utilities.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <sstream>

namespace protonfem
{
  using dealii::ParameterHandler;
  namespace Patterns = dealii::Patterns;

  void ElectrostaticsParameters::declare(ParameterHandler &prm)
  {
    prm.enter_subsection("Electrostatics");
    prm.declare_entry("Gate voltage", "1.0", Patterns::Double(-1e3, 1e3), "Gate potential [V].");
    prm.declare_entry("Source voltage", "0", Patterns::Double(-1e3, 1e3),
                      "Source contact potential [V].");
    prm.declare_entry("Drain voltage", "0", Patterns::Double(-1e3, 1e3),
                      "Drain contact potential [V].");
    prm.declare_entry("Back voltage", "0", Patterns::Double(-1e3, 1e3),
                      "Back contact potential [V] (if Geometry/Back contact).");
    prm.declare_entry("Finite element degree", "1", Patterns::Integer(1, 4),
                      "Polynomial degree of the Lagrange (Q_p) elements for the potential.");
    LinearSolverSettings::declare(prm);
    prm.leave_subsection();
  }

  void ElectrostaticsParameters::parse(ParameterHandler &prm)
  {
    prm.enter_subsection("Electrostatics");
    gate_voltage   = prm.get_double("Gate voltage");
    source_voltage = prm.get_double("Source voltage");
    drain_voltage  = prm.get_double("Drain voltage");
    back_voltage   = prm.get_double("Back voltage");
    fe_degree      = prm.get_integer("Finite element degree");
    linear_solver.parse(prm);
    prm.leave_subsection();
  }

  void OutputParameters::declare(ParameterHandler &prm)
  {
    prm.enter_subsection("Output");
    prm.declare_entry("Directory", "output", Patterns::Anything(),
                      "Folder for all results (created; relative to the working directory).");
    prm.declare_entry("Base name", "device", Patterns::Anything(),
                      "File name stem of the field and summary files (letters, digits, _ - .).");
    prm.declare_entry("Write fields", "true", Patterns::Bool(),
                      "Write the HDF5/XDMF field file for ParaView.");
    prm.leave_subsection();
  }

  void OutputParameters::parse(ParameterHandler &prm, const std::string &file)
  {
    prm.enter_subsection("Output");
    directory    = prm.get("Directory");
    base_name    = prm.get("Base name");
    write_fields = prm.get_bool("Write fields");
    prm.leave_subsection();
    if (dealii::Utilities::trim(directory).empty())
      throw InputError(file, "Output/Directory", directory, "a non-empty path");
    if (base_name.empty() ||
        base_name.find_first_not_of(
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") !=
            std::string::npos)
      throw InputError(file, "Output/Base name", base_name, "letters, digits, '_', '-', '.'");
    // A folder that can never be created (its path runs through a regular
    // file) would otherwise only fail after the solve, when results are written.
    namespace fs = std::filesystem;
    std::error_code ec;
    for (fs::path d = fs::absolute(directory, ec); !d.empty(); d = d.parent_path())
      {
        if (fs::exists(d, ec))
          {
            if (!fs::is_directory(d, ec))
              throw InputError(file, "Output/Directory", directory,
                               "a folder path; " + d.string() + " exists and is not a folder");
            break;
          }
        if (d == d.parent_path())
          break;
      }
  }

  void SweepParameters::declare(ParameterHandler &prm)
  {
    prm.enter_subsection("Sweep");
    for (unsigned int i = 1; i <= max_parameters; ++i)
      {
        prm.declare_entry("Parameter " + std::to_string(i), "", Patterns::Anything(),
                          "Path of a deck parameter varied by `protonfem sweep`, e.g. "
                          "'Geometry/Layer electrolyte/Thickness'. Parameter 1 is the design "
                          "variable: the smallest passing value is reported per combination of "
                          "the others.");
        prm.declare_entry("Values " + std::to_string(i), "", Patterns::Anything(),
                          "Its values: a list 'a, b, c', a linear range 'start:stop:count' or a "
                          "logarithmic range 'start:stop:count:log'.");
      }
    prm.declare_entry("Retry failed points", "false", Patterns::Bool(),
                      "When a sweep is re-run, recompute points recorded as failed (finished "
                      "points are always skipped).");
    prm.leave_subsection();
  }

  namespace
  {
    std::string number_text(const double v)
    {
      std::ostringstream s;
      s << std::setprecision(12) << v;
      return s.str();
    }

    /// Expand one 'Values' entry (list or range) into deck texts.
    std::vector<std::string> expand_values(const std::string &text, const std::string &file,
                                           const std::string &name)
    {
      const std::string allowed =
          "a list 'a, b, c', 'start:stop:count' or 'start:stop:count:log' (count >= 1; log "
          "ranges need start, stop > 0)";
      if (text.find(':') == std::string::npos)
        {
          auto list = dealii::Utilities::split_string_list(text, ',');
          for (const auto &v : list)
            if (v.empty())
              throw InputError(file, name, text, allowed);
          if (list.empty())
            throw InputError(file, name, text, allowed);
          return list;
        }
      const auto parts = dealii::Utilities::split_string_list(text, ':');
      double     a = 0, b = 0;
      int        n = 0;
      try
        {
          if (parts.size() < 3 || parts.size() > 4 || (parts.size() == 4 && parts[3] != "log"))
            throw std::invalid_argument("form");
          a = dealii::Utilities::string_to_double(parts[0]);
          b = dealii::Utilities::string_to_double(parts[1]);
          n = dealii::Utilities::string_to_int(parts[2]);
        }
      catch (...)
        {
          throw InputError(file, name, text, allowed);
        }
      const bool log = parts.size() == 4;
      if (n < 1 || n > 100000 || !std::isfinite(a) || !std::isfinite(b) ||
          (log && (a <= 0 || b <= 0)))
        throw InputError(file, name, text, allowed);
      std::vector<std::string> v;
      for (int i = 0; i < n; ++i)
        {
          const double f = n == 1 ? 0.0 : double(i) / (n - 1);
          v.push_back(number_text(log ? a * std::pow(b / a, f) : a + (b - a) * f));
        }
      return v;
    }
  } // namespace

  void SweepParameters::parse(ParameterHandler &prm, const std::string &file)
  {
    paths.clear();
    values.clear();
    prm.enter_subsection("Sweep");
    retry_failed = prm.get_bool("Retry failed points");
    for (unsigned int i = 1; i <= max_parameters; ++i)
      {
        const std::string path = dealii::Utilities::trim(prm.get("Parameter " + std::to_string(i)));
        const std::string text = dealii::Utilities::trim(prm.get("Values " + std::to_string(i)));
        if (path.empty() && text.empty())
          continue;
        if (path.empty() || text.empty())
          throw InputError(file,
                           "Sweep/Parameter " + std::to_string(i) + ", Values " + std::to_string(i),
                           path + " | " + text, "both set (or both empty)");
        if (path.rfind("Sweep/", 0) == 0)
          throw InputError(file, "Sweep/Parameter " + std::to_string(i), path,
                           "a parameter outside the Sweep subsection");
        for (const auto &p : paths)
          if (p == path)
            throw InputError(file, "Sweep/Parameter " + std::to_string(i), path,
                             "each parameter at most once");
        paths.push_back(path);
        values.push_back(expand_values(text, file, "Sweep/Values " + std::to_string(i)));
      }
    prm.leave_subsection();
  }

  void apply_overrides(ParameterHandler &prm, const std::vector<Override> &overrides,
                       const std::string &deck, const bool skip_unknown)
  {
    for (const auto &[path, value] : overrides)
      {
        const auto   parts   = dealii::Utilities::split_string_list(path, '/');
        unsigned int entered = 0;
        try
          {
            for (std::size_t i = 0; i + 1 < parts.size(); ++i, ++entered)
              prm.enter_subsection(parts[i]);
            prm.set(parts.back(), value);
          }
        catch (const dealii::ExceptionBase &e)
          {
            for (; entered > 0; --entered)
              prm.leave_subsection();
            if (skip_unknown)
              continue;
            std::ostringstream info;
            e.print_info(info);
            throw InputError(deck + " (override)", path, value,
                             "an existing deck parameter path (see `protonfem print-parameters`) "
                             "and a value it accepts: " +
                                 dealii::Utilities::trim(info.str()));
          }
        for (; entered > 0; --entered)
          prm.leave_subsection();
      }
  }

  void RunParameters::declare(ParameterHandler &prm, const std::vector<std::string> &layer_names)
  {
    prm.declare_entry(
        "Problem", "electrostatics", Patterns::Selection("electrostatics|pnp"),
        "electrostatics: the field of the as-built device at the contact voltages; "
        "pnp: transient Poisson-Nernst-Planck proton transport under the gate waveform.");
    prm.declare_entry(
        "Dimension", "3", Patterns::Integer(1, 3),
        "1: vertical line through the gate; 2: cross-section along the channel; 3: full device.");
    prm.declare_entry("Temperature", "300", Patterns::Double(), "Device temperature [K], > 0.");
    prm.declare_entry("Materials directory", "", Patterns::Anything(),
                      "Folder of material files; empty = the built-in database (" +
                          default_material_directory() + ").");
    GeometryParameters::declare(prm, layer_names);
    ElectrostaticsParameters::declare(prm);
    OutputParameters::declare(prm);
    PNPParameters::declare(prm);
    ReadoutParameters::declare(prm);
    DesignTargets::declare(prm);
    SweepParameters::declare(prm);
    CheckpointParameters::declare(prm);
  }

  void parse_deck(ParameterHandler &prm, const std::string &deck, const bool skip_undefined)
  {
    try
      {
        prm.parse_input(deck, "", skip_undefined);
      }
    catch (const dealii::ExceptionBase &e)
      {
        std::ostringstream info;
        e.print_info(info);
        std::string text = dealii::Utilities::trim(info.str());
        // deal.II names the line and the entry but, for an unknown entry, not
        // what would have been allowed: point to the full list.
        throw InputError("input error in deck " + deck + ": " + text +
                         "\n(allowed: the parameters listed by `protonfem print-parameters`, "
                         "with their values and units)");
      }
  }

  RunParameters RunParameters::read(const std::string &deck, const std::vector<Override> &overrides)
  {
    namespace fs = std::filesystem;
    if (!fs::exists(deck))
      throw InputError("cannot open deck file '" + deck + "': no such file");
    if (fs::is_directory(deck) || !std::ifstream(deck))
      throw InputError("cannot open deck file '" + deck + "': not a readable file");

    // Pass 1: only the layer list (everything else skipped).
    std::vector<std::string> names;
    {
      ParameterHandler first;
      first.enter_subsection("Geometry");
      first.declare_entry("Layers", "substrate, channel, electrolyte",
                          Patterns::List(Patterns::Anything(), 1));
      first.leave_subsection();
      parse_deck(first, deck, true);
      apply_overrides(first, overrides, deck, true);
      first.enter_subsection("Geometry");
      names = dealii::Utilities::split_string_list(first.get("Layers"), ',');
      first.leave_subsection();
      for (const auto &n : names)
        if (n.empty())
          throw InputError(deck, "Geometry/Layers", first.get("Layers"), "non-empty layer names");
    }

    // Pass 2: strict.
    ParameterHandler prm;
    declare(prm, names);
    parse_deck(prm, deck, false);
    apply_overrides(prm, overrides, deck, false);

    RunParameters p;
    p.deck_file   = deck;
    p.dimension   = prm.get_integer("Dimension");
    p.temperature = prm.get_double("Temperature");
    if (!(p.temperature > 0))
      throw InputError(deck, "Temperature", prm.get("Temperature"), "a temperature > 0 K");
    p.materials_directory = prm.get("Materials directory");
    if (dealii::Utilities::trim(p.materials_directory).empty())
      p.materials_directory = default_material_directory();
    else if (fs::path(p.materials_directory).is_relative())
      p.materials_directory = (fs::path(deck).parent_path() / p.materials_directory).string();
    // Checked here as well as in the database so that the message names the deck.
    if (!fs::is_directory(p.materials_directory))
      throw InputError(deck, "Materials directory", prm.get("Materials directory"),
                       "an existing directory of *.prm material files (relative to the deck's "
                       "folder); " +
                           p.materials_directory + " is not a directory");
    p.materials = MaterialDatabase::load(p.materials_directory);
    p.geometry.parse(prm, names, p.materials, deck, p.dimension);
    p.electrostatics.parse(prm);
    p.output.parse(prm, deck);
    p.problem = prm.get("Problem");
    p.pnp.parse(prm, deck);
    p.readout.parse(prm, deck);
    p.targets.parse(prm, deck);
    p.sweep.parse(prm, deck);
    p.checkpoint.parse(prm, deck);
    return p;
  }
} // namespace protonfem
