"""Write smaller training sets of the shared datasets, for the small-data benchmarks.

For each dataset and size n, ``<out>/<dataset>-<n>/`` gets the first n training records
(the shared datasets order each split by a hash of the package name, so the first n are a
pseudo-random sample) and the whole test split, in the same AttentionXML layout, so that
``peers.py`` and ``inceptionxml.py`` read it with ``--data-dir <out>``. As when the shared
datasets were built, test labels that no kept training record has are removed, and test
records left without labels are dropped; each folder's README.md says how many.

    python benchmarks/subsets.py --data-dir ../shared/data --out /tmp/small \\
        --sizes debian-tags=1000,4000 debian-deps=5000,15000
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from _common import command_line, read_attentionxml


def _write_lines(path: Path, lines: Sequence[str]) -> None:
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")


def write_subset(source: Path, target: Path, n_train: int) -> dict[str, int]:
    """Write the first ``n_train`` training records of ``source`` and its test split.

    Returns the counts written to the subset's README.md.
    """
    data = read_attentionxml(source.parent, source.name)  # checks the files' lengths
    train_texts, train_labels = data["train_texts"], data["train_labels"]
    if not 0 < n_train <= len(train_texts):
        raise ValueError(
            f"--sizes: {source.name} has {len(train_texts)} training records, got {n_train}."
        )
    kept_labels = {label for labels in train_labels[:n_train] for label in labels}
    test = []
    removed_occurrences = 0
    for text, labels in zip(data["test_texts"], data["test_labels"], strict=True):
        seen = [label for label in labels if label in kept_labels]
        removed_occurrences += len(labels) - len(seen)
        if seen:
            test.append((text, " ".join(seen)))
    target.mkdir(parents=True, exist_ok=True)
    _write_lines(target / "train_texts.txt", train_texts[:n_train])
    _write_lines(
        target / "train_labels.txt", [" ".join(labels) for labels in train_labels[:n_train]]
    )
    _write_lines(target / "test_texts.txt", [text for text, _ in test])
    _write_lines(target / "test_labels.txt", [labels for _, labels in test])
    counts = {
        "train": n_train,
        "labels": len(kept_labels),
        "test": len(test),
        "test_dropped": len(data["test_texts"]) - len(test),
        "test_label_occurrences_removed": removed_occurrences,
    }
    (target / "README.md").write_text(
        f"# {target.name}\n\n"
        f"The first {n_train} training records of `{source.name}` (of {len(train_texts)}) and "
        f"its test split, written by `{command_line()}`. {len(kept_labels)} labels occur in "
        f"these training records; {removed_occurrences} test label occurrences of other "
        f"labels were removed, and {counts['test_dropped']} test records left without "
        f"labels were dropped ({len(test)} kept). Provenance and licence: "
        f"`{source.name}/README.md`.\n",
        encoding="utf-8",
    )
    return counts


def _parse_sizes(items: Sequence[str]) -> dict[str, list[int]]:
    sizes: dict[str, list[int]] = {}
    for item in items:
        name, _, values = item.partition("=")
        try:
            sizes[name] = [int(value) for value in values.split(",")]
        except ValueError:
            raise SystemExit(f"--sizes: expected NAME=N[,N...], got {item!r}") from None
    return sizes


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default="../shared/data", help="datasets' parent folder")
    parser.add_argument("--out", required=True, help="folder to write the subsets into")
    parser.add_argument(
        "--sizes",
        nargs="+",
        required=True,
        metavar="NAME=N[,N...]",
        help="training sizes per dataset, e.g. debian-tags=1000,4000",
    )
    args = parser.parse_args(argv)
    for name, values in _parse_sizes(args.sizes).items():
        for n_train in values:
            target = Path(args.out) / f"{name}-{n_train}"
            counts = write_subset(Path(args.data_dir) / name, target, n_train)
            print(target, counts, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
