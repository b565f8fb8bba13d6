#!/usr/bin/env bash
# Prints "tests: N passed, N failed" from the TRX reports in the given folder; exits 1 when there are none.
set -euo pipefail
dir="${1:-TestResults}"
passed=0; failed=0; found=0
while IFS= read -r -d '' trx; do
  found=1
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  p=$(printf '%s' "$counters" | sed -n 's/.* passed="\([0-9]*\)".*/\1/p')
  f=$(printf '%s' "$counters" | sed -n 's/.* failed="\([0-9]*\)".*/\1/p')
  e=$(printf '%s' "$counters" | sed -n 's/.* error="\([0-9]*\)".*/\1/p')
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0} + ${e:-0}))
done < <(find "$dir" -name '*.trx' -print0 2>/dev/null)
if [ "$found" -eq 0 ]; then
  echo "tests: 0 passed, 1 failed"
  exit 1
fi
echo "tests: $passed passed, $failed failed"
