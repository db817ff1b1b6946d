// Everything one `protonfem run DECK.prm` reads: declared in one place per
// component (geometry, electrostatics, output) and validated before any work.
// The layer table needs two passes: the first reads `Geometry/Layers`, the
// second declares one subsection per layer and parses the deck strictly.
#pragma once

#include "../geometry/geometry_parameters.h"
#include "../materials/material_database.h"
#include "checkpoint.h"
#include "design_parameters.h"
#include "linear_solver_settings.h"
#include "pnp_parameters.h"

#include <deal.II/base/parameter_handler.h>

#include <string>
#include <utility>
#include <vector>

namespace protonfem
{
  struct ElectrostaticsParameters
  {
    double               gate_voltage   = 1.0;
    double               source_voltage = 0.0;
    double               drain_voltage  = 0.0;
    double               back_voltage   = 0.0;
    unsigned int         fe_degree      = 1;
    LinearSolverSettings linear_solver;

    static void declare(dealii::ParameterHandler &prm);
    void        parse(dealii::ParameterHandler &prm);
  };

  struct OutputParameters
  {
    std::string directory    = "output";
    std::string base_name    = "device";
    bool        write_fields = true;

    static void declare(dealii::ParameterHandler &prm);
    void        parse(dealii::ParameterHandler &prm, const std::string &file);
  };

  /// A deck parameter set from outside the deck (a sweep point, --set):
  /// path "Section/Subsection/Entry" and value.
  using Override = std::pair<std::string, std::string>;

  /// The `Sweep` subsection: which parameters `protonfem sweep` varies.
  struct SweepParameters
  {
    static constexpr unsigned int         max_parameters = 4;
    std::vector<std::string>              paths;  ///< parameter paths, in order
    std::vector<std::vector<std::string>> values; ///< the values of each, as deck text
    bool                                  retry_failed = false;

    static void declare(dealii::ParameterHandler &prm);
    void        parse(dealii::ParameterHandler &prm, const std::string &file);
  };

  struct RunParameters
  {
    std::string              deck_file;
    std::string              problem     = "electrostatics"; ///< electrostatics | pnp
    unsigned int             dimension   = 3;
    double                   temperature = 300;
    std::string              materials_directory;
    GeometryParameters       geometry;
    ElectrostaticsParameters electrostatics;
    OutputParameters         output;
    PNPParameters            pnp;
    ReadoutParameters        readout;
    DesignTargets            targets;
    SweepParameters          sweep;
    CheckpointParameters     checkpoint;
    MaterialDatabase         materials;

    /// Declare every entry (layer subsections for @p layer_names).
    static void declare(dealii::ParameterHandler &prm, const std::vector<std::string> &layer_names);

    /// Read and validate @p deck with @p overrides applied on top; throws
    /// InputError.
    static RunParameters read(const std::string &deck, const std::vector<Override> &overrides = {});
  };

  /// Parse a deck file into @p prm, turning deal.II's exceptions into an
  /// InputError that names the file (and line, parameter, value, pattern).
  void parse_deck(dealii::ParameterHandler &prm, const std::string &deck, bool skip_undefined);
} // namespace protonfem
