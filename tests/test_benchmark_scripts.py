"""Every script in ``benchmarks/`` answers ``--help``: its imports and argument parser work.

The benchmarks are run by hand (their figures are in the docs), so nothing else would notice
a script that no longer starts. One subprocess runs them all (one torch import).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"

# Runs each script as __main__ with --help and reports how it ended.
DRIVER = r"""
import contextlib, io, json, os, runpy, sys
results = {}
# As `python benchmarks/x.py` does: the script's folder first on the path (for _common).
sys.path.insert(0, os.path.dirname(sys.argv[1]))
for path in sys.argv[1:]:
    sys.argv = [path, "--help"]
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            runpy.run_path(path, run_name="__main__")
        results[path] = ["returned", out.getvalue()]
    except SystemExit as exc:
        results[path] = ["exit " + str(exc.code if exc.code is not None else 0), out.getvalue()]
    except ModuleNotFoundError as exc:
        results[path] = ["missing " + str(exc.name), ""]
    except BaseException as exc:
        results[path] = [type(exc).__name__ + ": " + str(exc), ""]
print(json.dumps(results))
"""

# Peer libraries and psutil come with the [bench] extra, which the test environment lacks.
BENCH_ONLY = {"napkinxc", "omikuji", "pecos", "psutil"}


def test_every_benchmark_script_answers_help():
    scripts = sorted(
        str(path) for path in BENCHMARKS.glob("*.py") if not path.name.startswith("_")
    )
    assert len(scripts) >= 15
    finished = subprocess.run(
        [sys.executable, "-c", DRIVER, *scripts],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=BENCHMARKS.parent,
        check=True,
    )
    results = json.loads(finished.stdout.strip().splitlines()[-1])
    failures = {
        Path(path).name: how
        for path, (how, text) in results.items()
        if not (how in ("exit 0", "returned") and text.strip())
        and not (how.startswith("missing ") and how.split()[1] in BENCH_ONLY)
    }
    assert failures == {}
