#!/usr/bin/env bash
# Issue 17: a study through a real Slurm gives the results directory the same study gives locally.
# Starts a one-node Slurm (.ci/slurm-local.sh: Debian's slurmctld, slurmd and munge, as root), runs the 16 cells of
# .ci/slurm-study.toml once with `ringlab run` and once with `ringlab submit --wait` (4 array tasks of 4 cells,
# then collect), and compares: cells.csv row by row, every cell's JSON output, every compare cell's run.json trace
# hashes and CSV tables (wall-clock columns aside: no two runs share them), then replays the collected study's
# run.json (every trace hash). Stops the daemons it started at the end. Needs root; about 1-2 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
log() { echo "== slurm-check: $*" >&2; }
t0=$SECONDS

work="$(mktemp -d)"
cleanup() { .ci/slurm-local.sh stop "$work/slurm" || true; rm -rf "$work"; }
trap cleanup EXIT

# Build the CLI first (outside the timed Slurm part): every task runs the study's copy of this jar.
./ringlab --version >/dev/null

SLURM_CONF="$(.ci/slurm-local.sh start "$work/slurm")"
export SLURM_CONF

log "local: ringlab run .ci/slurm-study.toml"
./ringlab run .ci/slurm-study.toml --out "$work/local" --json > "$work/local.json" 2> "$work/local.err" \
  || { cat "$work/local.err" >&2; exit 1; }
log "slurm: ringlab submit .ci/slurm-study.toml --cells-per-task 4 --wait (then collect)"
t1=$SECONDS
./ringlab submit .ci/slurm-study.toml --out "$work/shared" --cells-per-task 4 --wait --json > "$work/slurm.json" \
  2> "$work/slurm.err" || { cat "$work/slurm.err" >&2; tail -n 20 "$work"/shared/*/slurm/*.log >&2 || true; exit 1; }
log "slurm part took $((SECONDS - t1)) s"
grep -h 'ringlab submit\|ringlab collect' "$work/slurm.err" >&2 || true

python3 - "$work/local.json" "$work/slurm.json" <<'PY'
import csv, json, os, re, sys, glob
local = json.load(open(sys.argv[1]))["results_dir"]
slurm = json.load(open(sys.argv[2]))["results_dir"]
WALL = {"wall_ms", "events_per_s"}

def generic(v, study):
    # A compare cell's results_dir: the study's path and the directory's UTC stamp differ between any two runs.
    return re.sub(r"compare-\d{8}-\d{6}(-\d+)?", "compare-STAMP", v.replace(study, "STUDY")) if isinstance(v, str) else v

def rows(path, study=""):
    with open(path, newline="") as f:
        r = list(csv.reader(f))
    assert r, path
    keep = [i for i, h in enumerate(r[0]) if h not in WALL]
    return [[generic(row[i], study) if study else row[i] for i in keep] for row in r]

def same(a, b, what):
    if a != b:
        sys.exit("slurm-check: %s differs:\n  local %s\n  slurm %s" % (what, a, b))

a, b = rows(os.path.join(local, "cells.csv"), local), rows(os.path.join(slurm, "cells.csv"), slurm)
same(len(a), 17, "cells.csv line count (header + 16)")
same(a, b, "cells.csv")
ra, rb = (json.load(open(os.path.join(d, "run.json"))) for d in (local, slurm))
for k in ("status", "cells_total", "cells_finished", "cells_failed", "parts"):
    same(ra[k], rb[k], "run.json " + k)
assert rb.get("slurm") and rb["slurm"][0]["job_id"], "run.json names the Slurm job"
hashes = 0
for cell in sorted(os.listdir(os.path.join(local, "cells"))):
    ca, cb = (json.load(open(os.path.join(d, "cells", cell, "cell.json"))) for d in (local, slurm))
    same(ca["argv"], cb["argv"], cell + " argv")
    same(cb["exit"], 0, cell + " exit")
    xa, xb = ({k: generic(v, d) for k, v in c["result"].items() if k not in WALL} for c, d in ((ca, local), (cb, slurm)))
    same(xa, xb, cell + " output")
    if "trace_hash" in xb:
        hashes += 1
    da, db = (glob.glob(os.path.join(d, "cells", cell, "compare-*", "run.json")) for d in (local, slurm))
    same(len(da), len(db), cell + " results directories")
    for fa, fb in zip(da, db):
        runs = json.load(open(fb))["runs"]
        same(json.load(open(fa))["runs"], runs, cell + " run.json runs (trace hashes)")
        hashes += len(runs)
        for t in ("broadcast.csv", "broadcast-runs.csv"):
            same(rows(os.path.join(os.path.dirname(fa), t)), rows(os.path.join(os.path.dirname(fb), t)), cell + " " + t)
print("slurm-check: 16 cells equal (cells.csv rows, outputs, %d trace hashes) between %s and %s" % (hashes, local, slurm),
      file=sys.stderr)
PY

study="$(ls -d "$work"/shared/slurm-check-*)"
./ringlab replay "$study/run.json" >&2 2>"$work/replay.err" || { cat "$work/replay.err" >&2; log "replay of the Slurm study failed"; exit 1; }
log "replay: the collected study's run.json replays to every recorded trace hash"
log "ok in $((SECONDS - t0)) s"
