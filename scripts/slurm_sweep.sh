#!/usr/bin/env bash
# Example Slurm batch script: a thickness x voltage sweep under mpirun.
#
#   sbatch scripts/slurm_sweep.sh inputs/sweep_thickness_voltage_1d.prm
#
# 2 nodes x 32 ranks; every sweep point runs on a group of RANKS_PER_RUN
# ranks (1 is best for 1D decks, 4-16 for 2D/3D), so 64/RANKS_PER_RUN points
# run at once. The job may be cut at its time limit or requeued: submitting
# the same command again resumes the sweep and skips every finished point
# (sweep.csv / sweep.h5 always hold all finished points).
#SBATCH --job-name=protonfem-sweep
#SBATCH --nodes=2
#SBATCH --ntasks-per-node=32
#SBATCH --cpus-per-task=1
#SBATCH --time=04:00:00
#SBATCH --output=protonfem-sweep-%j.log
#SBATCH --requeue
set -euo pipefail

DECK="${1:?usage: sbatch scripts/slurm_sweep.sh DECK.prm}"
RANKS_PER_RUN="${RANKS_PER_RUN:-1}"
PROTONFEM="${PROTONFEM:-$(dirname "$0")/../build/protonfem}"

# One thread per rank: PETSc/MUMPS and BLAS must not oversubscribe the cores.
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1

# The number of ranks must be a multiple of RANKS_PER_RUN (protonfem checks).
# srun where the MPI library was built with Slurm support, mpirun otherwise.
if [ "${USE_MPIRUN:-0}" = 1 ]; then
  mpirun -np "$SLURM_NTASKS" "$PROTONFEM" sweep "$DECK" --ranks-per-run "$RANKS_PER_RUN"
else
  srun "$PROTONFEM" sweep "$DECK" --ranks-per-run "$RANKS_PER_RUN"
fi

# Plots of the finished table (heat maps with the design window and the
# breakdown limit, ln I vs V/d): on the login node, or here if matplotlib is installed.
python3 "$(dirname "$0")/../postprocess/plot.py" "$(grep -E '^\s*set Directory' "$DECK" | head -1 | sed 's/.*= *//')" || true
