#!/usr/bin/env bash
# One command: install what is missing, build (Release), run the default
# device deck on 2 MPI ranks, and say where the results are.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_dependencies.sh
bash scripts/build.sh
source scripts/mpi_env.sh
DECK="${1:-inputs/default_device.prm}"
mpirun -np "${NP:-2}" build/protonfem run "$DECK"
echo
echo "[protonfem] open the .xdmf file above in ParaView; the _summary.json next to it holds"
echo "[protonfem] DoFs, timings and the peak field of every layer against its breakdown field."
