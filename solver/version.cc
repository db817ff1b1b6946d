#include "version.h"

#include "protonfem_git_revision.h" // generated at every build

#ifndef PROTONFEM_VERSION
#define PROTONFEM_VERSION "0.0.0"
#endif

namespace protonfem
{
  std::string version_string()
  {
    return std::string(PROTONFEM_VERSION) + " (" + PROTONFEM_GIT_REVISION + ")";
  }
} // namespace protonfem
