#!/usr/bin/env bash
# One command: install what is missing, build (Release), run the default
# reference device (2D, two alternating programming pulses) on 2 MPI ranks,
# and say where the results are.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_dependencies.sh
bash scripts/build.sh
source scripts/mpi_env.sh
DECK="${1:-inputs/reference_device_2d.prm}"
mpirun -np "${NP:-2}" build/protonfem run "$DECK"
echo
echo "[protonfem] per-pulse table above; the folder printed above holds the time series (CSV),"
echo "[protonfem] the per-pulse table (_pulses.csv), the summary (_summary.json) and the fields"
echo "[protonfem] for ParaView (.xdmf). Plots: bash scripts/plot.sh output/reference_device_2d"
