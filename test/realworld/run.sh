#!/usr/bin/env bash
# test/realworld/run.sh — real C programs from Debian sources, built four ways
# (glibc, escalloc runtime drop-in, escc, LLVM Attributor), tested with their own
# test suites; writes a report (realworld.md, .json, plots) into report/ of the work
# directory, or into docs/ with `--docs docs`.  `run.sh --help` for options.
#
# The work happens in realworld.py (orchestration), programs.py (the recipes) and
# report.py (markdown and gnuplot).  This wrapper picks the system's Python, the
# one whose packages tools/dev.sh installs.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
python=/usr/bin/python3
[[ -x $python ]] || python=python3
exec "$python" "$here/realworld.py" "$@"
