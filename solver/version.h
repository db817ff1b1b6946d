// Version string, set by CMake from the project version and the git revision.
#pragma once

#include <string>

#ifndef PROTONFEM_VERSION
#define PROTONFEM_VERSION "0.0.0"
#endif
#ifndef PROTONFEM_GIT_REVISION
#define PROTONFEM_GIT_REVISION "unknown"
#endif

namespace protonfem
{
  inline std::string version_string()
  {
    return std::string(PROTONFEM_VERSION) + " (" + PROTONFEM_GIT_REVISION + ")";
  }
} // namespace protonfem
