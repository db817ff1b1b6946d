#!/usr/bin/env bash
# Plots a protonfem run folder or sweep folder into FOLDER/plots (or DIR):
#   bash scripts/plot.sh FOLDER [--out DIR]
# Uses Debian's python3 on purpose: matplotlib and numpy come from apt
# (scripts/install_dependencies.sh), which a pyenv/venv python may lack.
# See postprocess/README.md for what is drawn.
set -euo pipefail
exec /usr/bin/python3 "$(dirname "$0")/../postprocess/plot.py" "$@"
