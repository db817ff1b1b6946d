#!/usr/bin/env bash
# One command: install what is missing, build (Release) and run the whole test
# suite (unit + integration/verification, on 1 and 2 MPI ranks).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_dependencies.sh
bash scripts/build.sh
source scripts/mpi_env.sh
cd build
ctest --output-on-failure --timeout 1200 "$@"
