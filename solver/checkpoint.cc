#include "checkpoint.h"

#include "input_error.h"

#include <deal.II/base/mpi.h>

#include <csignal>
#include <filesystem>

namespace protonfem
{
  namespace fs = std::filesystem;

  void CheckpointParameters::declare(dealii::ParameterHandler &prm)
  {
    prm.enter_subsection("Checkpoint");
    prm.declare_entry("Every steps", "0", dealii::Patterns::Integer(0),
                      "Write a restart checkpoint every N accepted time steps (0 = off).");
    prm.declare_entry("Every minutes", "0", dealii::Patterns::Double(0),
                      "Write a restart checkpoint when this much wall-clock time has passed "
                      "since the last one (0 = off). SIGTERM/SIGUSR1 always write one.");
    prm.leave_subsection();
  }

  void CheckpointParameters::parse(dealii::ParameterHandler &prm, const std::string &)
  {
    prm.enter_subsection("Checkpoint");
    every_steps   = prm.get_integer("Every steps");
    every_minutes = prm.get_double("Every minutes");
    prm.leave_subsection();
  }

  BinaryOut &BinaryOut::operator<<(const double v)
  {
    out.write(reinterpret_cast<const char *>(&v), sizeof v);
    return *this;
  }
  BinaryOut &BinaryOut::operator<<(const std::uint64_t v)
  {
    out.write(reinterpret_cast<const char *>(&v), sizeof v);
    return *this;
  }
  BinaryOut &BinaryOut::operator<<(const std::string &s)
  {
    *this << std::uint64_t(s.size());
    out.write(s.data(), s.size());
    return *this;
  }
  BinaryOut &BinaryOut::operator<<(const std::vector<double> &v)
  {
    *this << std::uint64_t(v.size());
    out.write(reinterpret_cast<const char *>(v.data()), v.size() * sizeof(double));
    return *this;
  }

  namespace
  {
    void check(std::istream &in)
    {
      if (!in)
        throw std::runtime_error("checkpoint file is truncated or unreadable");
    }
  } // namespace

  BinaryIn &BinaryIn::operator>>(double &v)
  {
    in.read(reinterpret_cast<char *>(&v), sizeof v);
    check(in);
    return *this;
  }
  BinaryIn &BinaryIn::operator>>(std::uint64_t &v)
  {
    in.read(reinterpret_cast<char *>(&v), sizeof v);
    check(in);
    return *this;
  }
  BinaryIn &BinaryIn::operator>>(std::string &s)
  {
    std::uint64_t n = 0;
    *this >> n;
    if (n > (1u << 30))
      throw std::runtime_error("checkpoint file is corrupt");
    s.resize(n);
    in.read(s.data(), n);
    check(in);
    return *this;
  }
  BinaryIn &BinaryIn::operator>>(std::vector<double> &v)
  {
    std::uint64_t n = 0;
    *this >> n;
    if (n > (std::uint64_t(1) << 34))
      throw std::runtime_error("checkpoint file is corrupt");
    v.resize(n);
    in.read(reinterpret_cast<char *>(v.data()), n * sizeof(double));
    check(in);
    return *this;
  }

  std::string checkpoint_directory(const std::string &output_dir, const std::string &base)
  {
    return (fs::path(output_dir) / (base + "_checkpoint")).string();
  }

  std::string checkpoint_rank_file(const std::string &directory, MPI_Comm comm)
  {
    return (fs::path(directory) /
            ("solver_rank" + std::to_string(dealii::Utilities::MPI::this_mpi_process(comm)) +
             ".bin"))
        .string();
  }

  std::string find_checkpoint(const std::string &directory)
  {
    // state.bin is the last file written into a checkpoint: a folder
    // without it is incomplete.
    for (const std::string &d : {directory, directory + ".old"})
      if (fs::exists(fs::path(d) / "state.bin"))
        return d;
    return "";
  }

  void commit_checkpoint(const std::string &directory, MPI_Comm comm)
  {
    MPI_Barrier(comm);
    if (dealii::Utilities::MPI::this_mpi_process(comm) == 0)
      {
        const std::string fresh = directory + ".new", old = directory + ".old";
        fs::remove_all(old);
        if (fs::exists(directory))
          fs::rename(directory, old);
        fs::rename(fresh, directory);
        fs::remove_all(old);
      }
    MPI_Barrier(comm);
  }

  namespace
  {
    volatile std::sig_atomic_t stop_signal = 0;
    extern "C" void            on_stop_signal(const int s) { stop_signal = s; }
  } // namespace

  void install_stop_signal_handlers()
  {
    std::signal(SIGTERM, on_stop_signal);
    std::signal(SIGUSR1, on_stop_signal);
  }

  int stop_signal_received(MPI_Comm comm)
  {
    return dealii::Utilities::MPI::max(static_cast<int>(stop_signal), comm);
  }
} // namespace protonfem
