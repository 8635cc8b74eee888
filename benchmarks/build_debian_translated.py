#!/usr/bin/env python3
"""Build ``debian-tags-<lang>``: debian-tags with the package descriptions in another language.

The shared datasets are English. Debian's Description Translation Project publishes the
packages' descriptions in other languages, so the same task as ``debian-tags`` (debtags
of a package from its one-line description) can be set in ``<lang>``: a check of the
defaults on languages they were not chosen on (Italian, French and German have the most
translations), and, in Japanese, on a language written without spaces between words,
which a white-space tokenizer reads as one token per phrase.

Sources: a Debian ``Packages`` index (for the debtags; as in ``../shared/data``'s
``build_debian.py``, e.g. bookworm main amd64 as left by ``apt-get update``, plain or
``.lz4``) and the same release's ``Translation-<lang>`` file (plain or ``.bz2``), e.g.
``http://deb.debian.org/debian/dists/bookworm/main/i18n/Translation-ja.bz2``.

Usage::

    python benchmarks/build_debian_translated.py \\
        /var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages.lz4 \\
        Translation-ja.bz2 --lang ja --out benchmarks/data

Writes ``OUT/debian-tags-<lang>/{train,test}_{texts,labels}.txt`` and a ``README.md`` with
the build rules and statistics.

Records
-------
* one record per package of the index that has a ``Tag`` field and a translation of its
  description: the translation's ``Description-md5`` must match the package's, so the
  translated text describes this version of the package;
* text = the first line of ``Description-<lang>`` (the short description), white space
  normalised; labels = the debtags of ``Tag``, as in ``debian-tags``;
* records whose exact (text, label set) duplicates another record are dropped, keeping the
  smallest package name;
* split: ``int(sha1(package_name).hexdigest(), 16) % 5 == 0`` -> test, else train, as in
  ``debian-tags`` (a package is in the same split in both);
* labels that occur in no training record are removed from the test set; test records
  left without labels are dropped;
* records within each split are ordered by ``sha1(package_name)``; labels in a line are
  sorted.
"""

from __future__ import annotations

import argparse
import bz2
import os
import subprocess

from build_wordnet import split_records, statistics, statistics_table, write_split


def _read(path: str) -> str:
    if path.endswith(".lz4"):
        return subprocess.run(["lz4", "-dc", path], check=True, capture_output=True).stdout.decode(
            "utf-8"
        )
    if path.endswith(".bz2"):
        with bz2.open(path, "rt", encoding="utf-8") as handle:
            return handle.read()
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def _stanzas(text: str):
    """One dict per stanza; a field's continuation lines are kept apart after a newline."""
    for block in text.split("\n\n"):
        record: dict[str, str] = {}
        key = None
        for line in block.split("\n"):
            if not line:
                continue
            if line[0] in " \t":
                if key is not None:
                    record[key] += "\n" + line.strip()
                continue
            key, _, value = line.partition(":")
            record[key] = value.strip()
        if "Package" in record:
            yield record


def build(packages_path: str, translation_path: str, lang: str):
    tags = {}
    for stanza in _stanzas(_read(packages_path)):
        if "Tag" in stanza and "Description-md5" in stanza:
            labels = sorted({t.strip() for t in stanza["Tag"].replace("\n", " ").split(",")})
            tags[(stanza["Package"], stanza["Description-md5"])] = tuple(t for t in labels if t)
    records, translations = {}, 0
    for stanza in _stanzas(_read(translation_path)):
        translations += 1
        key = (stanza["Package"], stanza.get("Description-md5", ""))
        description = stanza.get(f"Description-{lang}", "")
        text = " ".join(description.split("\n", 1)[0].split())
        if key in tags and text and tags[key]:
            records[stanza["Package"]] = (text, tags[key])
    train, test, info = split_records(records)
    info["translations"] = translations
    return train, test, info


README = """# debian-tags-{lang}

`debian-tags` with the packages' one-line descriptions in `{lang}` (Debian Description
Translation Project): a translated short description -> the package's debtags.

## Source

Debian `Packages` index `{packages}` (debtags and `Description-md5`) and `{translation}`
({translations} translated descriptions). Debian's package descriptions and their
translations are distributed under the licences of the packages they describe and of the
DDTP (free licences, as all of Debian main).

## How records were built

Built by `benchmarks/build_debian_translated.py` (its docstring gives the rules): packages
with a `Tag` field whose description translation matches the index's `Description-md5`;
{candidates} candidate records; {duplicates} exact (text, label set) duplicates dropped.

## Split

`int(sha1(package_name).hexdigest(), 16) % 5 == 0` -> test, else train (as debian-tags).
Labels that occur in no training record were removed from the test set
({removed_occurrences} occurrences); {dropped_test} of {test_before} test records lost all
their labels and were dropped.

## Statistics

{table}

- Characters per text: mean {chars_per_text:.1f}. Words per text count white-space pieces,
  which is one phrase or more in a language written without spaces.
- Points per label: median {median_points_per_label}; {labels_with_one_point} labels have
  exactly one training point, {labels_with_at_most_five} have at most five.
- Most frequent labels (share of training points): {top}.

Propensity-scored metrics: A=0.55, B=1.5.
"""


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("packages", help="Debian Packages index (plain or .lz4)")
    parser.add_argument("translation", help="Translation-<lang> file (plain or .bz2)")
    parser.add_argument("--lang", required=True, help="language code, e.g. ja or zh_CN")
    parser.add_argument("--out", default="benchmarks/data")
    parser.add_argument(
        "--spaced-copy",
        action="store_true",
        help="also write debian-tags-<lang>-spaced, the same records with every Han "
        "ideograph and kana spaced out by skxml.text.space_cjk (for peers.py, whose "
        "TF-IDF features do not split them)",
    )
    args = parser.parse_args(argv)
    train, test, info = build(args.packages, args.translation, args.lang)
    directory = os.path.join(args.out, f"debian-tags-{args.lang}")
    os.makedirs(directory, exist_ok=True)
    write_split(directory, "train", train)
    write_split(directory, "test", test)
    stats = statistics(train, test)
    top = ", ".join(f"`{label}` {share:.1f}%" for label, share in stats.pop("top_labels"))
    texts = [text for text, _ in (*train.values(), *test.values())]
    text = README.format(
        lang=args.lang,
        packages=os.path.basename(args.packages),
        translation=os.path.basename(args.translation),
        top=top,
        table=statistics_table(stats),
        chars_per_text=sum(map(len, texts)) / len(texts),
        **info,
        **stats,
    )
    with open(os.path.join(directory, "README.md"), "w", encoding="utf-8") as handle:
        handle.write(text)
    print(text)
    if args.spaced_copy:
        from skxml.text import space_cjk

        spaced = os.path.join(args.out, f"debian-tags-{args.lang}-spaced")
        os.makedirs(spaced, exist_ok=True)
        for split, records in (("train", train), ("test", test)):
            write_split(spaced, split, {n: (space_cjk(t), y) for n, (t, y) in records.items()})
        with open(os.path.join(spaced, "README.md"), "w", encoding="utf-8") as handle:
            handle.write(
                f"# debian-tags-{args.lang}-spaced\n\nThe records of "
                f"`debian-tags-{args.lang}` with every Han ideograph and Japanese kana spaced "
                "out (`skxml.text.space_cjk`), so that any white-space or word tokenizer "
                "reads them as tokens of their own. Built by "
                "`benchmarks/build_debian_translated.py --spaced-copy`.\n"
            )


if __name__ == "__main__":
    main()
