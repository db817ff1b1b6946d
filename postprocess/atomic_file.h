// Output is never half-written: every file goes to "<name>.tmp.<pid>" first
// and is renamed into place once complete (rename is atomic on POSIX).
#pragma once

#include <functional>
#include <iosfwd>
#include <string>

namespace protonfem
{
  /// Temporary name used while @p final_path is being written.
  std::string temporary_name(const std::string &final_path);

  /// Rename @p temporary onto @p final_path; throws std::runtime_error on failure.
  void commit_file(const std::string &temporary, const std::string &final_path);

  /// Serial (one-process) atomic write of a text file.
  void write_file_atomically(const std::string                         &final_path,
                             const std::function<void(std::ostream &)> &writer);
} // namespace protonfem
