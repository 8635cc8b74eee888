"""Run ``inceptionxml.py`` with InceptionXML+'s default shortlist rule replaced by ⌈C·√n_clusters⌉.

Each dataset then gets ``C`` square roots of its own number of clusters, which a fixed
``--param n_shortlist=...`` cannot give across datasets of different sizes. ``C`` comes from
the ``SHORTLIST_C`` environment variable; every other argument goes to ``inceptionxml.py``
(whose results file records its own command line, so say ``C`` in ``--notes``)::

    SHORTLIST_C=8 python benchmarks/shortlist_rule.py --data-dir benchmarks/data \\
        --datasets npm-keywords --models plus --comparison none \\
        --name explore_plus_npm_wide8 --notes "shortlist ceil(8*sqrt(n_clusters))"
"""

from __future__ import annotations

import math
import os
import runpy
import sys
from pathlib import Path

import skxml.nn._plus_network as plus_network


def main() -> None:
    if any(argument in ("-h", "--help") for argument in sys.argv[1:]):
        print(__doc__)
        print("The arguments of inceptionxml.py: python benchmarks/inceptionxml.py --help")
        return
    value = os.environ.get("SHORTLIST_C", "")
    try:
        multiple = float(value)
    except ValueError:
        multiple = 0.0
    if not (math.isfinite(multiple) and multiple > 0):
        sys.exit(
            f"shortlist_rule.py: set SHORTLIST_C to a finite positive number (the C of "
            f"ceil(C*sqrt(n_clusters))), got {value!r}; --help says more."
        )
    # default_shortlist_size reads its constant at each call: set it, keep the rule.
    if not hasattr(plus_network, "_SHORTLIST_PER_ROOT"):
        sys.exit("shortlist_rule.py: skxml no longer has _SHORTLIST_PER_ROOT; update this script.")
    plus_network._SHORTLIST_PER_ROOT = multiple  # type: ignore[assignment]
    here = Path(__file__).resolve().parent
    sys.path.insert(0, str(here))
    sys.argv = ["benchmarks/inceptionxml.py", *sys.argv[1:]]
    runpy.run_path(str(here / "inceptionxml.py"), run_name="__main__")


if __name__ == "__main__":
    main()
