#!/usr/bin/env bash
# Formats every C++ file of the project with clang-format (.clang-format).
#   scripts/format.sh          rewrite files in place
#   scripts/format.sh --check  change nothing; list unformatted files, exit 1 if any
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files '*.cc' '*.h' 2>/dev/null || find src include tests bench fuzz python -name '*.cc' -o -name '*.h')
if [ "${1:-}" = "--check" ]; then
  bad=()
  for f in "${files[@]}"; do
    [ -f "$f" ] || continue
    clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || bad+=("$f")
  done
  if ((${#bad[@]})); then
    echo "format: ${#bad[@]} file(s) differ from .clang-format (run scripts/format.sh):" >&2
    printf '  %s\n' "${bad[@]}" >&2
    exit 1
  fi
  echo "format: ok (${#files[@]} files)"
else
  clang-format -i "${files[@]}"
fi
