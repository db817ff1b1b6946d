#include "atomic_file.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <unistd.h>

namespace protonfem
{
  std::string temporary_name(const std::string &final_path) { return final_path + ".tmp"; }

  void commit_file(const std::string &temporary, const std::string &final_path)
  {
    if (std::rename(temporary.c_str(), final_path.c_str()) != 0)
      throw std::runtime_error("cannot rename " + temporary + " to " + final_path + ": " +
                               std::strerror(errno));
  }

  void write_file_atomically(const std::string                         &final_path,
                             const std::function<void(std::ostream &)> &writer)
  {
    const std::string tmp = temporary_name(final_path);
    {
      std::ofstream out(tmp);
      if (!out)
        throw std::runtime_error("cannot open " + tmp + " for writing: " + std::strerror(errno));
      writer(out);
      out.flush();
      if (!out)
        throw std::runtime_error("error while writing " + tmp);
    }
    commit_file(tmp, final_path);
  }
} // namespace protonfem
