#!/usr/bin/env python3
"""Build ``wordnet-hypernyms``, a general-English short-text XMC dataset, from WordNet 3.0.

The shared datasets (``debian-tags``, ``debian-deps``) are software descriptions full of
jargon. This third set checks skxml's defaults on plain English, with a label space the
size of WordNet's, on data none of the defaults were chosen on.

Source: the WordNet 3.0 database files of Debian's ``wordnet-base`` package
(``apt-get download wordnet-base && dpkg-deb -x wordnet-base_*.deb wordnet-base``), or
any WordNet 3.0 ``dict`` directory (``data.noun``, ``data.verb``, ``index.noun``,
``index.verb``).

Usage::

    python benchmarks/build_wordnet.py wordnet-base/usr/share/wordnet \
        --out benchmarks/data [--max-distance 3]

Writes ``OUT/wordnet-hypernyms/{train,test}_{texts,labels}.txt``, a ``README.md`` with the
build rules and statistics, and ``LICENSE`` (WordNet 3.0's licence).

Records
-------
* one record per noun or verb synset that has a hypernym (``@``) or an instance hypernym
  (``@i``);
* text = the synset's definition: its gloss up to the first example sentence (the first
  ``"`` or ``; "``), whitespace-normalised. The synset's own words are never added;
* labels = the synsets reached by 1 to ``--max-distance`` hypernym or instance-hypernym
  steps, named as NLTK names them (``lemma.pos.NN``, the sense number from the index
  file's order);
* records whose exact (text, label set) duplicates another record are dropped, keeping
  the smallest synset name;
* split: ``int(sha1(name).hexdigest(), 16) % 5 == 0`` -> test, else train (~80/20);
* labels that occur in no training record are removed from the test set; test records
  left without labels are dropped;
* records within each split are ordered by ``sha1(name)``, so the first ``n`` lines of a
  split are a pseudo-random sample of it; labels in a line are sorted.
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import os
import re
import shutil

SPLIT_MOD = 5
POS = {"noun": "n", "verb": "v"}
HYPERNYM_POINTERS = {"@", "@i"}


def _data_lines(path: str):
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if not line.startswith("  "):  # the licence header
                yield line.rstrip("\n")


def read_synsets(wordnet_dir: str) -> dict[tuple[str, int], dict]:
    """Parse ``data.noun`` and ``data.verb`` (wndb(5)): words, hypernyms, gloss."""
    synsets = {}
    for part, pos in POS.items():
        for line in _data_lines(os.path.join(wordnet_dir, f"data.{part}")):
            head, _, gloss = line.partition(" | ")
            fields = head.split()
            offset = int(fields[0])
            n_words = int(fields[3], 16)
            words = [fields[4 + 2 * i] for i in range(n_words)]
            at = 4 + 2 * n_words
            n_pointers = int(fields[at])
            hypernyms = []
            for i in range(n_pointers):
                symbol, target, target_pos = fields[at + 1 + 4 * i : at + 4 + 4 * i]
                if symbol in HYPERNYM_POINTERS and target_pos == pos:
                    hypernyms.append((pos, int(target)))
            synsets[(pos, offset)] = {"words": words, "hypernyms": hypernyms, "gloss": gloss}
    return synsets


def read_sense_numbers(wordnet_dir: str) -> dict[tuple[str, int, str], int]:
    """Map (pos, offset, lemma) to the lemma's sense number (``index.pos`` order)."""
    senses = {}
    for part, pos in POS.items():
        for line in _data_lines(os.path.join(wordnet_dir, f"index.{part}")):
            fields = line.split()
            lemma, n_synsets, n_pointers = fields[0], int(fields[2]), int(fields[3])
            offsets = fields[4 + n_pointers + 2 :]
            assert len(offsets) == n_synsets, line
            for rank, offset in enumerate(offsets, start=1):
                senses[(pos, int(offset), lemma)] = rank
    return senses


def synset_name(key, synsets, senses) -> str:
    pos, offset = key
    lemma = synsets[key]["words"][0].lower()
    lemma = re.sub(r"\(.*\)$", "", lemma)  # adjective markers such as "(a)"
    return f"{lemma}.{pos}.{senses[(pos, offset, lemma)]:02d}"


def definition(gloss: str) -> str:
    """The gloss without its example sentences, whitespace-normalised."""
    text = gloss.split('"', 1)[0]
    text = " ".join(text.split())
    return text.rstrip(" ;").strip()


def ancestors(key, synsets, max_distance: int) -> set:
    found, frontier = set(), {key}
    for _ in range(max_distance):
        frontier = {parent for node in frontier for parent in synsets[node]["hypernyms"]}
        frontier -= found
        found |= frontier
    return found


def _order(name: str) -> int:
    return int(hashlib.sha1(name.encode("utf-8")).hexdigest(), 16)


def build(wordnet_dir: str, max_distance: int):
    synsets = read_synsets(wordnet_dir)
    senses = read_sense_numbers(wordnet_dir)
    names = {key: synset_name(key, synsets, senses) for key in synsets}
    records = {}
    for key, synset in synsets.items():
        if not synset["hypernyms"]:
            continue
        text = definition(synset["gloss"])
        if not text:
            continue
        labels = tuple(sorted(names[a] for a in ancestors(key, synsets, max_distance)))
        records[names[key]] = (text, labels)
    return split_records(records)


def split_records(records: dict) -> tuple[dict, dict, dict]:
    """Drop exact (text, label set) duplicates (keeping the smallest name), split by
    ``sha1(name) % SPLIT_MOD``, and remove from the test split the labels no training record
    has (and the test records left without labels). Returns (train, test, counts)."""
    seen, kept = set(), {}
    for name in sorted(records):  # the smallest name of each duplicate group is kept
        if records[name] not in seen:
            seen.add(records[name])
            kept[name] = records[name]
    train = {n: r for n, r in kept.items() if _order(n) % SPLIT_MOD != 0}
    test = {n: r for n, r in kept.items() if _order(n) % SPLIT_MOD == 0}
    train_labels = {label for _, labels in train.values() for label in labels}
    removed_labels, removed_occurrences, dropped = set(), 0, 0
    cleaned = {}
    for name, (text, labels) in test.items():
        keep = tuple(label for label in labels if label in train_labels)
        removed_occurrences += len(labels) - len(keep)
        removed_labels.update(set(labels) - train_labels)
        if keep:
            cleaned[name] = (text, keep)
        else:
            dropped += 1
    info = {
        "candidates": len(records),
        "duplicates": len(records) - len(kept),
        "removed_labels": len(removed_labels),
        "removed_occurrences": removed_occurrences,
        "dropped_test": dropped,
        "test_before": len(test),
    }
    return train, cleaned, info


def write_split(directory: str, split: str, records: dict) -> None:
    names = sorted(records, key=_order)
    with open(os.path.join(directory, f"{split}_texts.txt"), "w", encoding="utf-8") as t:
        with open(os.path.join(directory, f"{split}_labels.txt"), "w", encoding="utf-8") as y:
            for name in names:
                text, labels = records[name]
                t.write(text + "\n")
                y.write(" ".join(labels) + "\n")


def statistics(train: dict, test: dict) -> dict:
    counts = collections.Counter(label for _, labels in train.values() for label in labels)
    words = [len(text.split()) for text, _ in list(train.values()) + list(test.values())]
    words.sort()
    return {
        "n_train": len(train),
        "n_test": len(test),
        "n_labels": len(counts),
        "labels_per_point_train": sum(len(ls) for _, ls in train.values()) / len(train),
        "labels_per_point_test": sum(len(ls) for _, ls in test.values()) / len(test),
        "points_per_label": sum(counts.values()) / len(counts),
        "median_points_per_label": sorted(counts.values())[len(counts) // 2],
        "labels_with_one_point": sum(1 for c in counts.values() if c == 1),
        "labels_with_at_most_five": sum(1 for c in counts.values() if c <= 5),
        "words_per_text": sum(words) / len(words),
        "median_words": words[len(words) // 2],
        "max_words": words[-1],
        "share_at_most_8_words": 100 * sum(1 for w in words if w <= 8) / len(words),
        "top_labels": [(label, 100 * c / len(train)) for label, c in counts.most_common(10)],
    }


STATISTICS_SECTION = """## Statistics

{table}

- Points per label: median {median_points_per_label}; {labels_with_one_point} labels have
  exactly one training point, {labels_with_at_most_five} have at most five.
- Words per text (white-space split): median {median_words}, max {max_words}.
- Most frequent labels (share of training points): {top}.

Propensity-scored metrics: A=0.55, B=1.5.
"""


README = """# wordnet-hypernyms

General-English short-text XMC: a WordNet 3.0 noun or verb definition -> the synsets
1 to {max_distance} hypernym steps above it (its parent, grandparent, ...).

## Source

WordNet 3.0 (Princeton University), from Debian's `wordnet-base` package
(`apt-get download wordnet-base`), files `data.noun`, `data.verb`, `index.noun`,
`index.verb`. Licence: WordNet 3.0 licence, in `LICENSE` beside this file.

## How records were built

Built by `benchmarks/build_wordnet.py` (its docstring gives the rules): one record per noun
or verb synset with a hypernym; text = the definition without its example sentences (the
synset's own words are not added); labels = the synsets 1 to {max_distance} hypernym or
instance-hypernym steps above it, named `lemma.pos.NN` as NLTK names them.
{candidates} candidate records; {duplicates} exact (text, label set) duplicates dropped.

## Split

`int(sha1(synset_name).hexdigest(), 16) % 5 == 0` -> test, else train. Labels that occur
in no training record were removed from the test set: {removed_labels} labels,
{removed_occurrences} occurrences. {dropped_test} of {test_before} test records lost all
their labels and were dropped.

"""

TABLE_COLUMNS = (
    ("#train", "{n_train}"),
    ("#test", "{n_test}"),
    ("#labels", "{n_labels}"),
    (
        "avg labels/point (train / test)",
        "{labels_per_point_train:.2f} / {labels_per_point_test:.2f}",
    ),
    ("avg points/label (train)", "{points_per_label:.2f}"),
    ("avg words/text", "{words_per_text:.2f}"),
    ("% texts <= 8 words", "{share_at_most_8_words:.1f}"),
)


def write_dataset(directory: str, train: dict, test: dict, readme: str, **fields) -> str:
    """Write both splits and ``README.md`` (``readme`` followed by ``STATISTICS_SECTION``,
    formatted with the statistics, ``top``, ``table`` and ``fields``) into ``directory``;
    returns the README's text."""
    os.makedirs(directory, exist_ok=True)
    write_split(directory, "train", train)
    write_split(directory, "test", test)
    stats = statistics(train, test)
    top = ", ".join(f"`{label}` {share:.1f}%" for label, share in stats.pop("top_labels"))
    text = (readme + STATISTICS_SECTION).format(
        top=top, table=statistics_table(stats), **fields, **stats
    )
    with open(os.path.join(directory, "README.md"), "w", encoding="utf-8") as handle:
        handle.write(text)
    return text


def statistics_table(stats: dict) -> str:
    header = "| " + " | ".join(name for name, _ in TABLE_COLUMNS) + " |"
    rule = "|" + "---:|" * len(TABLE_COLUMNS)
    row = "| " + " | ".join(cell.format(**stats) for _, cell in TABLE_COLUMNS) + " |"
    return "\n".join((header, rule, row))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("wordnet_dir", help="directory with data.noun, index.noun, ...")
    parser.add_argument("--out", default="benchmarks/data")
    parser.add_argument("--max-distance", type=int, default=3)
    args = parser.parse_args(argv)
    licence = next(
        (
            path
            for path in (
                os.path.join(args.wordnet_dir, "LICENSE"),
                os.path.join(args.wordnet_dir, "../doc/wordnet-base/copyright"),
            )
            if os.path.exists(path)
        ),
        None,
    )
    if licence is None:
        raise SystemExit("WordNet's licence (LICENSE or the Debian copyright file) not found")
    train, test, info = build(args.wordnet_dir, args.max_distance)
    directory = os.path.join(args.out, "wordnet-hypernyms")
    text = write_dataset(directory, train, test, README, max_distance=args.max_distance, **info)
    shutil.copyfile(licence, os.path.join(directory, "LICENSE"))
    print(text)


if __name__ == "__main__":
    main()
