"""Which results directory a notebook reads, said first (issue 15).

Every notebook calls ``choose(experiment, RUN)`` in its first code cell. The run is, in this order:

1. ``RINGLAB_RUN`` in the environment (one run directory);
2. the notebook's ``RUN`` parameter (its parameters cell, papermill style: ``papermill -p RUN results/...``);
3. ``<results>/latest`` (the run that finished last, see the README) when it is a run of this experiment;
4. the newest ``<results>/<prefix>-*`` directory holding a run.json,

where ``<results>`` is ``RINGLAB_RESULTS`` or the ``RESULTS`` parameter (default ``../results``). It prints the
directory and how it was chosen before anything else, then the command, version and git commit, and warns
when the run is smaller than the command's defaults (fewer seeds, sizes, topologies, timeouts or broadcasts:
``defaults.json`` beside this file, checked against the CLI by a Java test), since a quick run's intervals
and trends say less than the figures in the README.
"""
import glob
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
# The results-directory prefix of each experiment (recover-sweep writes results/recover-*).
PREFIX = {"compare": "compare", "recover-sweep": "recover", "fidelity": "fidelity", "datacenters": "datacenters"}


def newest(root, prefix):
    """The newest <root>/<prefix>-<yyyyMMdd-HHmmss>[-k] directory that holds a run.json, or None."""
    dirs = [d for d in glob.glob(os.path.join(root, prefix + "-*")) if os.path.isfile(os.path.join(d, "run.json"))]
    if not dirs:
        return None

    def key(d):
        return [int(p) for p in os.path.basename(d).split("-")[1:] if p.isdigit()]

    return max(dirs, key=key)


def latest(root):
    """What <root>/latest points to (a symlink, or latest.txt where the file system has none), or None."""
    link = os.path.join(root, "latest")
    if os.path.isdir(link) and os.path.islink(link):
        return os.path.realpath(link)
    txt = os.path.join(root, "latest.txt")
    if os.path.isfile(txt):
        with open(txt) as f:
            return os.path.join(root, f.read().strip())
    return None


def choose(experiment, run=None, results="../results"):
    """Returns (run directory, its run.json as a dict) for ``experiment`` (compare, recover-sweep, fidelity)."""
    prefix = PREFIX[experiment]
    results = os.environ.get("RINGLAB_RESULTS") or results
    if os.environ.get("RINGLAB_RUN"):
        path, how = os.environ["RINGLAB_RUN"], "RINGLAB_RUN"
    elif run:
        path, how = run, "the RUN parameter"
    else:
        last = latest(results)
        if last and os.path.basename(last).startswith(prefix + "-") and os.path.isfile(os.path.join(last, "run.json")):
            path, how = last, f"{results}/latest (no run given; set RINGLAB_RUN=<dir> to choose one)"
        else:
            path = newest(results, prefix)
            how = f"the newest {prefix}-* under {results} (no run given; set RINGLAB_RUN=<dir> to choose one)"
            if path is None:
                raise FileNotFoundError(f"no {prefix}-* run under {os.path.abspath(results)}: run ./ringlab {experiment} "
                                        f"first, or set RINGLAB_RUN=<a {prefix}-* directory> or RINGLAB_RESULTS=<results root>")
    runjson = os.path.join(path, "run.json")
    if not os.path.isfile(runjson):
        raise FileNotFoundError(f"{path} has no run.json: RINGLAB_RUN / RUN must name one results directory "
                                f"(results/{prefix}-<timestamp>)")
    with open(runjson) as f:
        meta = json.load(f)
    if meta.get("experiment") != experiment:
        raise ValueError(f"{path} is a {meta.get('experiment')!r} run; this notebook reads {experiment!r} runs")
    print(f"run: {os.path.abspath(path)}")
    print(f"  chosen by {how}")
    print(f"  command: {meta.get('command')}")
    commit = meta.get("git_commit")
    dirty = " (dirty: tracked files differed from it)" if meta.get("git_dirty") else ""
    print(f"  version {meta.get('version')}, git commit {commit if commit else 'unknown (not run from a checkout)'}{dirty}")
    warn_if_smaller(experiment, meta)
    return path, meta


def _size(v):
    return len(v) if isinstance(v, list) else v


def smaller_than_defaults(experiment, meta):
    """The ways this run is smaller than the command's defaults, as readable strings (empty: not smaller)."""
    with open(os.path.join(HERE, "defaults.json")) as f:
        d = dict(json.load(f)[experiment])
    d.update(d.pop("by_engine", {}).get(meta.get("engine"), {}))
    out = []
    for key, default in d.items():
        if key not in meta or meta[key] is None:
            continue
        have, want = _size(meta[key]), _size(default)
        if have < want:
            what = f"{have} {key}" + (f" ({', '.join(map(str, meta[key]))})" if isinstance(meta[key], list) else "")
            out.append(f"{what} where the default is {want}")
    return out


def warn_if_smaller(experiment, meta):
    small = smaller_than_defaults(experiment, meta)
    if small:
        msg = ("this run is smaller than `ringlab " + experiment + "`'s defaults: " + "; ".join(small)
               + ". Its intervals are wider and its trends shorter than the README's figures.")
        print("  WARNING: " + msg)
    return small
