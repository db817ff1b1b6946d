#include "app.h"

#include "../materials/material_database.h"
#include "electrostatic_run.h"
#include "input_error.h"
#include "pnp_run.h"
#include "run_parameters.h"
#include "sweep.h"
#include "version.h"

#include <deal.II/base/exceptions.h>
#include <deal.II/base/mpi.h>
#include <deal.II/base/parameter_handler.h>

#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

namespace protonfem
{
  namespace
  {
    constexpr int exit_usage     = 1;
    constexpr int exit_input     = 2;
    constexpr int exit_numerical = 3;
    /// SIGTERM/SIGUSR1: checkpoint written, run stopped; resume with --resume.
    constexpr int exit_interrupted = 5;

    void print_help(std::ostream &out)
    {
      out << "protonfem " << version_string() << "\n"
          << "Finite-element Poisson-Nernst-Planck solver for protonic programmable resistors\n"
          << "(Pd gate / PSG electrolyte / WO3 channel), MPI-parallel, deal.II + PETSc.\n\n"
          << "usage:\n"
          << "  protonfem run DECK.prm [--set Section/Entry=value ...] [--resume]\n"
          << "                                   solve the device described by the deck\n"
          << "  protonfem sweep DECK.prm [--ranks-per-run K] [--retry-failed]\n"
          << "                                   run the deck at every point of its Sweep "
             "subsection;\n"
          << "                                   table of design metrics, resumable\n"
          << "  protonfem print-parameters [--format text|prm|json]\n"
          << "                                   every deck parameter with default, allowed "
             "values, unit\n"
          << "  protonfem materials [NAME] [--directory DIR]\n"
          << "                                   the materials database: values, units, ranges, "
             "sources\n"
          << "  protonfem --help | --version\n\n"
          << "parallel: mpirun -np N protonfem run DECK.prm; PETSc options (-ksp_view, ...) may "
             "follow.\n"
          << "exit codes: 0 ok, 1 usage, 2 bad input (nothing written), 3 numerical failure,\n"
             "5 stopped by SIGTERM/SIGUSR1 after writing a checkpoint (resume with --resume).\n";
    }

    bool is_root() { return dealii::Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0; }

    int print_parameters(const std::vector<std::string> &args)
    {
      std::string format = "text";
      for (std::size_t i = 0; i < args.size(); ++i)
        if (args[i] == "--format" && i + 1 < args.size())
          format = args[++i];
        else
          {
            if (is_root())
              std::cerr << "protonfem print-parameters: unknown argument '" << args[i]
                        << "'; allowed: --format text|prm|json\n";
            return exit_usage;
          }
      dealii::ParameterHandler prm;
      RunParameters::declare(prm, GeometryParameters::default_layer_names());
      const auto style = format == "json"  ? dealii::ParameterHandler::JSON
                         : format == "prm" ? dealii::ParameterHandler::PRM
                                           : dealii::ParameterHandler::Text;
      if (format != "json" && format != "prm" && format != "text")
        {
          if (is_root())
            std::cerr << "protonfem print-parameters: --format '" << format
                      << "' unknown; allowed: text|prm|json\n";
          return exit_usage;
        }
      if (is_root())
        {
          // JSON has no comments: the header would make the output unparsable.
          if (format != "json")
            std::cout << "# protonfem " << version_string()
                      << " deck parameters (SI units). Layer subsections exist for each name in\n"
                      << "# Geometry/Layers; shown here for the default layers.\n";
          prm.print_parameters(std::cout, style);
        }
      return 0;
    }

    int materials(const std::vector<std::string> &args)
    {
      std::string directory = default_material_directory();
      std::string name;
      for (std::size_t i = 0; i < args.size(); ++i)
        if (args[i] == "--directory" && i + 1 < args.size())
          directory = args[++i];
        else if (name.empty() && args[i].rfind("-", 0) != 0)
          name = args[i];
        else
          {
            if (is_root())
              std::cerr << "protonfem materials: unknown argument '" << args[i] << "'\n";
            return exit_usage;
          }
      const auto db = MaterialDatabase::load(directory);
      if (is_root())
        {
          if (name.empty())
            db.print_all(std::cout);
          else
            db.print(std::cout, name);
        }
      return 0;
    }

    /// A word on the command line that names the deck (ends in .prm or is
    /// an existing file), so it is not taken for a PETSc option's value.
    bool is_deck_name(const std::string &word)
    {
      return (word.size() > 4 && word.compare(word.size() - 4, 4, ".prm") == 0) ||
             std::filesystem::is_regular_file(word);
    }

    int run(const std::vector<std::string> &args)
    {
      std::string           deck;
      std::vector<Override> overrides;
      bool                  resume = false;
      for (std::size_t i = 0; i < args.size(); ++i)
        {
          const std::string &a = args[i];
          if (a == "--set")
            {
              const std::string kv = i + 1 < args.size() ? args[++i] : "";
              const auto        eq = kv.find('=');
              if (eq == std::string::npos || eq == 0)
                {
                  if (is_root())
                    std::cerr << "protonfem run: --set needs 'Section/Entry=value', got '" << kv
                              << "'\n";
                  return exit_usage;
                }
              overrides.emplace_back(dealii::Utilities::trim(kv.substr(0, eq)),
                                     dealii::Utilities::trim(kv.substr(eq + 1)));
              continue;
            }
          if (a == "--resume")
            {
              resume = true;
              continue;
            }
          if (a.rfind("-", 0) == 0)
            {
              // A PETSc option, read by PETSc itself; its value (if any) is
              // the next word unless that is an option or the deck.
              if (i + 1 < args.size() && args[i + 1].rfind("-", 0) != 0 &&
                  !is_deck_name(args[i + 1]))
                ++i;
              continue;
            }
          if (!deck.empty())
            {
              if (is_root())
                std::cerr << "protonfem run: more than one deck given ('" << deck << "', '" << a
                          << "')\n";
              return exit_usage;
            }
          deck = a;
        }
      if (deck.empty())
        {
          if (is_root())
            std::cerr << "protonfem run: missing deck file; usage: protonfem run DECK.prm\n";
          return exit_usage;
        }
      const RunParameters p = RunParameters::read(deck, overrides);
      if (resume && p.problem != "pnp")
        throw InputError(deck, "--resume", "(given)",
                         "a deck with Problem = pnp (only transient "
                         "runs write checkpoints)");
      install_stop_signal_handlers();
      const bool pnp = p.problem == "pnp";
      switch (p.dimension)
        {
        case 1:
          if (pnp)
            run_pnp<1>(p, MPI_COMM_WORLD, std::cout, resume);
          else
            run_electrostatics<1>(p, MPI_COMM_WORLD);
          break;
        case 2:
          if (pnp)
            run_pnp<2>(p, MPI_COMM_WORLD, std::cout, resume);
          else
            run_electrostatics<2>(p, MPI_COMM_WORLD);
          break;
        default:
          if (pnp)
            run_pnp<3>(p, MPI_COMM_WORLD, std::cout, resume);
          else
            run_electrostatics<3>(p, MPI_COMM_WORLD);
        }
      return 0;
    }
    int sweep(const std::vector<std::string> &args)
    {
      SweepOptions o;
      for (std::size_t i = 0; i < args.size(); ++i)
        {
          const std::string &a = args[i];
          if (a == "--ranks-per-run")
            {
              int k = 0;
              try
                {
                  k = i + 1 < args.size() ? std::stoi(args[++i]) : 0;
                }
              catch (...)
                {
                }
              if (k < 1)
                {
                  if (is_root())
                    std::cerr << "protonfem sweep: --ranks-per-run needs a positive integer\n";
                  return exit_usage;
                }
              o.ranks_per_run = k;
            }
          else if (a == "--retry-failed")
            o.retry_failed = true;
          else if (a.rfind("-", 0) == 0)
            continue; // PETSc options
          else if (o.deck.empty())
            o.deck = a;
          else
            {
              if (is_root())
                std::cerr << "protonfem sweep: more than one deck given ('" << o.deck << "', '" << a
                          << "')\n";
              return exit_usage;
            }
        }
      if (o.deck.empty())
        {
          if (is_root())
            std::cerr << "protonfem sweep: missing deck file; usage: protonfem sweep DECK.prm "
                         "[--ranks-per-run K] [--retry-failed]\n";
          return exit_usage;
        }
      return run_sweep(o, MPI_COMM_WORLD);
    }
  } // namespace

  int run_application(int argc, char **argv)
  {
    const std::vector<std::string> all(argv + 1, argv + argc);
    if (all.empty() || all[0] == "--help" || all[0] == "-h" || all[0] == "help")
      {
        if (is_root())
          print_help(std::cout);
        return all.empty() ? exit_usage : 0;
      }
    if (all[0] == "--version")
      {
        if (is_root())
          std::cout << "protonfem " << version_string() << "\n";
        return 0;
      }
    const std::vector<std::string> rest(all.begin() + 1, all.end());
    try
      {
        if (all[0] == "run")
          return run(rest);
        if (all[0] == "sweep")
          return sweep(rest);
        if (all[0] == "print-parameters")
          return print_parameters(rest);
        if (all[0] == "materials")
          return materials(rest);
        if (is_root())
          std::cerr << "protonfem: unknown command '" << all[0]
                    << "'; allowed: run, sweep, print-parameters, materials, --help, --version\n";
        return exit_usage;
      }
    catch (const InputError &e)
      {
        // Every rank reads the same input and fails the same way; rank 0 speaks.
        if (is_root())
          std::cerr << "protonfem: " << e.what() << std::endl;
        return exit_input;
      }
    catch (const RunInterrupted &e)
      {
        if (is_root())
          std::cerr << "protonfem: " << e.what() << std::endl;
        return exit_interrupted;
      }
    catch (const std::runtime_error &e)
      {
        if (is_root())
          std::cerr << "protonfem: numerical failure: " << e.what() << std::endl;
        return exit_numerical;
      }
  }
} // namespace protonfem
