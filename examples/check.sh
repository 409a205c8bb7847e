#!/usr/bin/env bash
# CI for the example project (issue 20), after `mvn install` of the ringlab build: builds examples/counter
# against the installed artifacts (through the BOM, offline) and checks that
#   1. the correct G-counter passes its 500 seeded simulation runs (and the 2 netty runs), and how long they took;
#   2. the planted bug (BrokenCounterTest) is caught, with a seed and a replay line;
#   3. that replay line reproduces the same failure;
#   4. the bug is caught for >= 95 % of master seeds 1..CATCH_SEEDS (default 30).
# Extra arguments go to every mvn call (e.g. -Dmaven.repo.local=DIR).
set -euo pipefail
cd "$(dirname "$0")/counter"
mvn=(mvn -B -ntp -o "$@")
log() { echo "== examples: $*" >&2; }
out="$(mktemp)"
trap 'rm -f "$out"' EXIT

log "1. correct variant: mvn test (500 runs on sim, 2 on netty)"
"${mvn[@]}" test > "$out" 2>&1 || { tail -n 60 "$out"; log "the correct counter's tests failed"; exit 1; }
grep -E "Tests run: .*CounterTest" "$out" >&2
report=target/surefire-reports/TEST-org.example.counter.CounterTest.xml
# Sum of the 500 simulator invocations' times, as Surefire recorded them (the netty runs are separate).
awk -F'"' '/<testcase name="convergesUnderFaults\(SimulationRun\)/ { for (i = 1; i < NF; i++) if ($i ~ / time=$/) { s += $(i + 1); n++ } }
  END { printf "== examples: %d simulator runs took %.2f s (load average %s)\n", n, s, load }' \
  load="$(cut -d' ' -f1-3 /proc/loadavg)" "$report" >&2

log "2. broken variant: mvn test -Dtest=BrokenCounterTest (must fail with a seed)"
if "${mvn[@]}" test -Dtest=BrokenCounterTest > "$out" 2>&1; then
  log "the planted bug was NOT caught"; exit 1
fi
failure="$(grep -m1 '^  failure:' "$out" || true)"
replay="$(grep -m1 -o -- '-Dringlab.replay=[0-9a-f]\{16\}' "$out" || true)"
[[ -n "$failure" && -n "$replay" ]] || { tail -n 80 "$out"; log "the failure printed no seed or no replay line"; exit 1; }
sed -n '/^simulation run failed/,/^  e.g./p' "$out" | head -n 8 >&2

log "3. replay: mvn test -Dtest=BrokenCounterTest $replay (must fail the same way)"
if "${mvn[@]}" test -Dtest=BrokenCounterTest "$replay" > "$out" 2>&1; then
  log "the replay passed: it did not reproduce the failure"; exit 1
fi
again="$(grep -m1 '^  failure:' "$out" || true)"
grep -q "Tests run: 1, Failures: 1" "$out" || { tail -n 40 "$out"; log "the replay did not run exactly one failing run"; exit 1; }
[[ "$again" == "$failure" ]] || { log "the replay failed differently: '$again' vs '$failure'"; exit 1; }
log "replay reproduced: $again"

log "4. catch rate over master seeds 1..${CATCH_SEEDS:-30}"
"${mvn[@]}" test -Dtest=BrokenCatchRateTest -Dcatch.seeds="${CATCH_SEEDS:-30}" > "$out" 2>&1 \
  || { tail -n 60 "$out"; log "the planted bug was caught for fewer than 95 % of master seeds"; exit 1; }
grep -m1 '^catch rate:' "$out" >&2
log "ok"
