#!/usr/bin/env bash
# Coverage-guided fuzzing (cargo-fuzz / libFuzzer) of the pure core: claim
# resolution, token verification (raw text, and signed payloads that reach
# claim parsing) and JWKS parsing. Each target runs FUZZ_SECONDS (default 20)
# from the committed seeds (fuzz/seeds/<target>) plus what earlier runs found
# (fuzz/corpus/<target>, not committed). A crash or a failed assertion fails
# the run and leaves the input in fuzz/artifacts/<target>/.
#
#   bash scripts/fuzz.sh                          # every target, 20 s each (the test command)
#   FUZZ_SECONDS=3600 bash scripts/fuzz.sh verify_token signed_payload
#
# Stable Rust: built without sanitizers (-s none; Rust code is memory-safe,
# the instrumentation still guides the search).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-20}
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(resolve_claims verify_token signed_payload parse_jwks)
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz: cargo-fuzz is not installed (bash scripts/setup.sh installs it)" >&2
  exit 1
fi
log=$(mktemp)
for t in "${targets[@]}"; do
  cargo fuzz build -s none --release "$t" >"$log" 2>&1 || { cat "$log"; exit 1; }
done
rm -f "$log"
rc=0
for t in "${targets[@]}"; do
  mkdir -p "fuzz/corpus/$t"
  out=$(mktemp)
  if cargo fuzz run -s none --release "$t" "fuzz/corpus/$t" "fuzz/seeds/$t" -- \
      -max_total_time="$seconds" -max_len=20000 -print_final_stats=1 >"$out" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$out" | tail -1)
    echo "fuzz: $t: ${runs:-?} inputs in ${seconds} s, ${cov:-cov: ?} edges, no crash"
  else
    echo "fuzz: $t: FAILED"
    grep -E "panicked|ERROR|SUMMARY|Test unit written|assert" "$out" | head -20
    rc=1
  fi
  rm -f "$out"
done
exit "$rc"
