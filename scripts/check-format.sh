#!/usr/bin/env bash
# Checks that every C++ file git tracks is formatted as .clang-format says
# (Google style); prints the offending lines and exits non-zero otherwise.
# Fix with: git ls-files '*.cc' '*.h' | xargs clang-format -i
set -euo pipefail
cd "$(dirname "$0")/.."
git ls-files -z '*.cc' '*.h' | xargs -0 clang-format --dry-run --Werror
