#!/usr/bin/env bash
# The test command of the README: set up, build and run the whole test suite. Results (TRX) go to
# artifacts/test-results/; the last line printed is "tests: N passed, N failed, N skipped".
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
results=artifacts/test-results
rm -rf "$results"
set +e
dotnet test tests/PixelCnn.ML.Tests -c Release --no-build --logger "trx;LogFileName=results.trx" \
  --logger "console;verbosity=normal" --results-directory "$results"
status=$?
set -e
trx="$results/results.trx"
if [ ! -f "$trx" ]; then
  echo "tests: no results file ($trx); the test run failed to start" >&2
  exit 1
fi
counters=$(grep -o '<Counters [^>]*>' "$trx")
get() { echo "$counters" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*'; }
passed=$(get passed); failed=$(get failed); total=$(get total); executed=$(get executed)
skipped=$((total - executed))
echo "tests: ${passed} passed, ${failed} failed, ${skipped} skipped"
exit $status
