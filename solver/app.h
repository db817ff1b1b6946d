// The command line of the protonfem executable (run, print-parameters,
// materials, --help, --version). Returns the process exit code:
// 0 success, 1 usage error, 2 bad input, 3 numerical failure.
#pragma once

namespace protonfem
{
  int run_application(int argc, char **argv);
} // namespace protonfem
