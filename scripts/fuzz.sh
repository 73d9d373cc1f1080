#!/usr/bin/env bash
# Runs every native Go fuzz test of the module for a while and prints, per
# target, how many inputs it tried and whether it found a failure. The
# committed corpora (testdata/fuzz/…) already run as plain tests in
# `go test`; this explores beyond them. A failing input is written under
# the package's testdata/fuzz/ by Go and fails the script.
#
# Usage: scripts/fuzz.sh [seconds per target, default $MASTRA_ADMIN_FUZZTIME or 5]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-${MASTRA_ADMIN_FUZZTIME:-5}}
printf '== fuzzing each target for %ss\n' "$secs" >&2
failed=0
total=0
for file in $(grep -rl --include='*_test.go' '^func Fuzz' . | sort); do
  pkg=./$(dirname "${file#./}")
  for target in $(grep -o '^func Fuzz[A-Za-z0-9_]*' "$file" | cut -d' ' -f2); do
    out=$(go test -run '^$' -fuzz "^${target}\$" -fuzztime "${secs}s" "$pkg" 2>&1) || {
      # Go's fuzzing engine sometimes ends a run at its -fuzztime with
      # "context deadline exceeded" and no failing input: not a finding.
      if grep -q 'context deadline exceeded' <<<"$out" && ! grep -q 'Failing input written' <<<"$out"; then
        printf '%-32s %-24s ended by its time limit mid-input (no failing input)\n' "$target" "$pkg"
        continue
      fi
      failed=$((failed + 1))
      printf '%-32s %-24s FAILED\n%s\n' "$target" "$pkg" "$out"
      continue
    }
    # The last progress line: "fuzz: elapsed: 5s, execs: 12345 (2469/sec), new interesting: 0 (total: 12)".
    last=$(grep -o 'execs: [0-9]* ([0-9]*/sec), new interesting: [0-9]* (total: [0-9]*)' <<<"$out" | tail -n1) || true
    execs=$(sed -E 's/execs: ([0-9]+).*/\1/' <<<"$last")
    total=$((total + ${execs:-0}))
    printf '%-32s %-24s %s\n' "$target" "$pkg" "${last:-ran (no progress line)}"
  done
done
printf '== fuzzing: %d inputs tried, %d targets failed\n' "$total" "$failed"
[ "$failed" -eq 0 ]
