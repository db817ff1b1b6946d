// Version string: the project version (CMake) and the git revision of the
// build (scripts/git_revision.cmake; "+" marks uncommitted changes).
#pragma once

#include <string>

namespace protonfem
{
  /// "0.1.0 (abc1234)".
  std::string version_string();
} // namespace protonfem
