#!/usr/bin/env bash
# CI for ringlab as a library (issue 20), after `mvn install` of the ringlab build. Offline, against the installed
# artifacts:
#   A. a NEW Maven project made here: its pom.xml is README's block (section "Test your own protocol"), extracted
#      verbatim, so README and this check cannot drift; only examples/counter's protocol and test sources, and
#      README's test (its java block), are copied in. In it:
#        1. the correct G-counter passes its 500 seeded simulation runs (and how long they took), and so does
#           README's test;
#        2. the planted bug (BrokenCounterTest) is caught, with a seed and a replay line;
#        3. that replay line reproduces the identical failure line (and fault plan);
#        4. the same test method runs on netty, the engine changed from the command line (-Dringlab.engine=netty,
#           with -Dringlab.runs=2 since netty runs take real time); with ENGINES="netty:2 processes:1" also on
#           processes (one JVM per node: the protocol and its CounterValue observations cross from the node JVMs).
#   B. in examples/counter (whose pom adds the JUnit launcher): the bug is caught for >= 95 % of master seeds
#      1..CATCH_SEEDS (default 30).
# Maven must run on a JDK >= 21 for A (README: "Maven runs on a JDK 21 or later"); if JAVA_HOME is older, a JDK
# >= 21 under /usr/lib/jvm is used for those calls. Extra arguments go to every mvn call (e.g.
# -Dmaven.repo.local=DIR).
set -euo pipefail
began=$SECONDS
here="$(cd "$(dirname "$0")" && pwd)"
readme="$here/../README.md"
log() { echo "== examples [$((SECONDS - began)) s]: $*" >&2; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
out="$work/out.txt"


jdk_version() { "$1/bin/java" -XshowSettings:properties -version 2>&1 \
  | sed -n 's/^ *java\.specification\.version = \([0-9][0-9]*\).*/\1/p' | head -n1; }
jdk=""
for d in ${JAVA_HOME:-} /usr/lib/jvm/*; do
  if [[ -x "$d/bin/javac" ]]; then
    v="$(jdk_version "$d")"
    if [[ -n "$v" ]] && (( v >= 21 )); then jdk="$d"; break; fi
  fi
done
[[ -n "$jdk" ]] || { log "no JDK >= 21 found (JAVA_HOME or /usr/lib/jvm): install one"; exit 1; }
fresh_mvn=(env JAVA_HOME="$jdk" mvn -B -ntp -o "$@")

# ---- A. a new project from README's pom.xml block ----
project="$work/my-protocol"
mkdir -p "$project"
# The first ```xml block of the section "## Test your own protocol", verbatim.
awk '/^## Test your own protocol/ { s = 1; next } s && /^## / { exit }
     s && !b && /^```xml$/ { b = 1; next } b && /^```$/ { exit } b { print }' "$readme" > "$project/pom.xml"
grep -q '<artifactId>ringlab-testkit</artifactId>' "$project/pom.xml" \
  || { log "README.md has no pom.xml block with ringlab-testkit in 'Test your own protocol'"; exit 1; }
mkdir -p "$project/src/main/java/org/example/counter" "$project/src/test/java/org/example/counter" \
  "$project/src/main/resources/META-INF/services"
cp "$here"/counter/src/main/java/org/example/counter/*.java "$project/src/main/java/org/example/counter/"
cp "$here"/counter/src/main/resources/META-INF/services/* "$project/src/main/resources/META-INF/services/"
# The tests, but not the catch-rate harness: it needs the JUnit launcher, which README's pom does not have (part B).
for t in CounterScenario CounterTest BrokenCounterTest; do
  cp "$here/counter/src/test/java/org/example/counter/$t.java" "$project/src/test/java/org/example/counter/"
done
# README's test (the section's first ```java block) as ReadmeCounterTest, in the example's package.
{ echo "package org.example.counter;"; echo
  awk '/^## Test your own protocol/ { s = 1; next } s && /^## / { exit }
       s && !b && /^```java$/ { b = 1; next } b && /^```$/ { exit } b { print }' "$readme" \
    | sed 's/^class CounterTest /class ReadmeCounterTest /'
} > "$project/src/test/java/org/example/counter/ReadmeCounterTest.java"
grep -q '^class ReadmeCounterTest ' "$project/src/test/java/org/example/counter/ReadmeCounterTest.java" \
  || { log "README.md has no test class CounterTest in a java block of 'Test your own protocol'"; exit 1; }
log "A. a new project: README's pom.xml ($(wc -l < "$project/pom.xml") lines) + examples/counter's sources, in $project"
cd "$project"

log "A1. correct variant: mvn test -Dtest=CounterTest,ReadmeCounterTest (500 runs on sim each)"
"${fresh_mvn[@]}" test -Dtest=CounterTest,ReadmeCounterTest > "$out" 2>&1 \
  || { tail -n 60 "$out"; log "the correct counter's tests failed"; exit 1; }
grep -E "Tests run: .*CounterTest" "$out" >&2
grep -q "Tests run: 500, Failures: 0, Errors: 0, Skipped: 0, .* in org.example.counter.ReadmeCounterTest" "$out" \
  || { log "README's test did not pass 500 runs"; exit 1; }
report=target/surefire-reports/TEST-org.example.counter.CounterTest.xml
# Sum of the 500 invocations' times as Surefire recorded them, and the whole test class's time.
awk -F'"' '/<testsuite / { for (i = 1; i < NF; i++) if ($i ~ / time=$/) t = $(i + 1) }
  /<testcase name="convergesUnderFaults\(SimulationRun\)/ { for (i = 1; i < NF; i++) if ($i ~ / time=$/) { s += $(i + 1); n++ } }
  END { printf "== examples: %d simulator runs took %.2f s (the test class %.2f s; load average %s)\n", n, s, t, load
        if (n != 500) exit 1 }' \
  load="$(cut -d' ' -f1-3 /proc/loadavg)" "$report" >&2 || { log "not 500 simulator runs"; exit 1; }

log "A2. broken variant: mvn test -Dtest=BrokenCounterTest (must fail with a seed)"
if "${fresh_mvn[@]}" test -Dtest=BrokenCounterTest > "$out" 2>&1; then
  log "the planted bug was NOT caught"; exit 1
fi
failure="$(grep -m1 '^  failure:' "$out" || true)"
plan="$(grep -m1 '^  fault plan:' "$out" || true)"
replay="$(grep -m1 -o -- '-Dringlab.replay=[0-9a-f]\{16\}' "$out" || true)"
[[ -n "$failure" && -n "$replay" ]] || { tail -n 80 "$out"; log "the failure printed no seed or no replay line"; exit 1; }
sed -n '/^simulation run failed/,/^  e.g./p' "$out" | head -n 8 >&2

log "A3. replay: mvn test -Dtest=BrokenCounterTest $replay (must fail with the identical failure line)"
if "${fresh_mvn[@]}" test -Dtest=BrokenCounterTest "$replay" > "$out" 2>&1; then
  log "the replay passed: it did not reproduce the failure"; exit 1
fi
again="$(grep -m1 '^  failure:' "$out" || true)"
plan_again="$(grep -m1 '^  fault plan:' "$out" || true)"
grep -q "Tests run: 1, Failures: 1" "$out" || { tail -n 40 "$out"; log "the replay did not run exactly one failing run"; exit 1; }
[[ "$again" == "$failure" ]] || { log "the replay failed differently: '$again' vs '$failure'"; exit 1; }
[[ "$plan_again" == "$plan" ]] || { log "the replay ran another plan: '$plan_again' vs '$plan'"; exit 1; }
log "replay reproduced: $again"

# ENGINES (default "netty:2") lists ENGINE:RUNS; "netty:2 processes:1" adds the processes engine, whose five node
# JVMs cost about half a minute more on a loaded 2-core machine (TestClusterTest covers custom observations on
# processes in every `mvn verify`).
log "A4. the same test on another engine: mvn test -Dtest=CounterTest -Dringlab.engine=E -Dringlab.runs=N for ${ENGINES:-netty:2}"
for e in ${ENGINES:-netty:2}; do
  "${fresh_mvn[@]}" test -Dtest=CounterTest -Dringlab.engine="${e%%:*}" -Dringlab.runs="${e##*:}" > "$out" 2>&1 \
    || { tail -n 60 "$out"; log "the correct counter failed on ${e%%:*}"; exit 1; }
  grep -E "Tests run: .*CounterTest" "$out" >&2
  grep -q "Tests run: ${e##*:}, Failures: 0, Errors: 0, Skipped: 0" "$out" \
    || { tail -n 40 "$out"; log "not ${e##*:} passing run(s) on ${e%%:*}"; exit 1; }
done

# ---- B. the catch rate, in examples/counter ----
log "B. catch rate over master seeds 1..${CATCH_SEEDS:-30} (examples/counter)"
cd "$here/counter"
mvn -B -ntp -o "$@" test -Dtest=BrokenCatchRateTest -Dcatch.seeds="${CATCH_SEEDS:-30}" > "$out" 2>&1 \
  || { tail -n 60 "$out"; log "the planted bug was caught for fewer than 95 % of master seeds"; exit 1; }
grep -m1 '^catch rate:' "$out" >&2
log "ok in $((SECONDS - began)) s"
