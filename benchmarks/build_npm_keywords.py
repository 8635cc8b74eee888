#!/usr/bin/env python3
"""Build ``npm-keywords``: an npm package's one-line description -> its author-given keywords.

A short-text set from outside Debian, to check skxml's defaults on data they were not
chosen on: free-form tags written by thousands of authors (``"Fast, unopinionated,
minimalist web framework"`` -> ``api app express framework http rest restful router sinatra
web``), with the long tail of an extreme multi-label task.

Two steps, so the build itself is offline and repeatable:

1. ``crawl``: fetch ``https://registry.npmjs.org/<name>/latest`` (the package.json of the
   latest version, a few KB) breadth first from a list of seed packages through their
   ``dependencies``, ``devDependencies`` and ``peerDependencies``, until ``--max-packages``
   documents are stored or no package is left to fetch, one JSON object per line (name,
   description, keywords, dependencies, date of the crawl) in ``CACHE``. The registry
   has no search or listing here, so the packages are those reachable from the seeds:
   libraries that others depend on, not a uniform sample of npm (on 2026-12-06 the
   crawl ran out of packages at 29,390 documents, in about 25 minutes).
2. ``build``: records from ``CACHE`` and a split, written as the shared datasets.

Usage::

    python benchmarks/build_npm_keywords.py crawl --cache benchmarks/data/npm-latest.jsonl
    python benchmarks/build_npm_keywords.py build --cache benchmarks/data/npm-latest.jsonl \\
        --out benchmarks/data

Records
-------
* one record per package whose ``description`` is a string of 2 to 40 white-space
  separated words and whose ``keywords`` is a list holding at least one string;
* text = the description, white space normalised;
* labels = the keywords, each lower-cased with its white space runs replaced by ``-``
  (a label file separates labels by spaces), empty ones dropped, duplicates merged;
* records whose exact (text, label set) duplicates another record are dropped, keeping the
  smallest package name;
* split: ``int(sha1(package_name).hexdigest(), 16) % 5 == 0`` -> test, else train, as in
  the Debian sets;
* labels that occur in no training record are removed from the test set; test records
  left without labels are dropped;
* records within each split are ordered by ``sha1(package_name)``; labels in a line are
  sorted.
"""

from __future__ import annotations

import argparse
import collections
import concurrent.futures
import datetime
import json
import os
import urllib.parse
import urllib.request

from build_wordnet import split_records, write_dataset

REGISTRY = "https://registry.npmjs.org"

SEEDS = (
    "express react react-dom lodash webpack typescript eslint jest vue @angular/core axios "
    "next gatsby @babel/core rollup vite prettier mocha chai karma gulp grunt browserify "
    "socket.io mongoose sequelize typeorm prisma graphql apollo-server koa fastify hapi "
    "electron three d3 chart.js leaflet moment date-fns rxjs redux mobx svelte ember-source "
    "jquery bootstrap tailwindcss postcss sass less styled-components @mui/material "
    "antd semantic-ui-react puppeteer playwright cypress commander yargs inquirer chalk "
    "winston pino debug dotenv uuid ws request node-fetch got cheerio jsdom marked "
    "markdown-it highlight.js handlebars ejs pug nunjucks passport jsonwebtoken bcrypt "
    "nodemailer aws-sdk firebase @google-cloud/storage stripe sharp jimp canvas pdfkit "
    "xlsx csv-parse papaparse ajv joi yup zod immutable ramda underscore async bluebird "
    "ioredis redis pg mysql2 sqlite3 knex level nedb lowdb elasticsearch kafkajs amqplib "
    "@tensorflow/tfjs brain.js natural compromise franc i18next react-intl @storybook/react "
    "@testing-library/react enzyme sinon nock supertest nyc c8 husky lint-staged "
    "semantic-release lerna nx turbo @nestjs/core loopback sails meteor-node-stub "
    "react-native expo ionic @capacitor/core cordova phaser pixi.js babylonjs matter-js "
    "tone howler video.js hls.js ffmpeg-static fluent-ffmpeg web3 ethers bitcoinjs-lib "
    "crypto-js node-forge tweetnacl openpgp serialport johnny-five mqtt node-red "
    "@aws-cdk/core serverless netlify-cli vercel pm2 nodemon forever concurrently "
    "cross-env rimraf glob chokidar fs-extra archiver adm-zip tar yaml js-yaml toml "
    "xml2js fast-xml-parser protobufjs msgpack-lite cbor bignumber.js mathjs numeric "
    "ml-matrix simple-statistics geolib turf @turf/turf proj4 ol mapbox-gl cesium "
    "quill slate draft-js prosemirror-model codemirror monaco-editor ace-builds "
    "xterm blessed ink ora listr cli-table3 boxen figlet"
).split()


def _fetch(name: str) -> dict | None:
    url = f"{REGISTRY}/{urllib.parse.quote(name, safe='@')}/latest"
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            document = json.load(response)
    except Exception:  # a missing, unpublished or malformed package: skipped
        return None
    return document if isinstance(document, dict) else None


def _dependencies(document: dict) -> list[str]:
    names = []
    for field in ("dependencies", "devDependencies", "peerDependencies"):
        value = document.get(field)
        if isinstance(value, dict):
            names.extend(name for name in value if isinstance(name, str))
    return names


def crawl(cache: str, max_packages: int, workers: int) -> None:
    """Breadth-first crawl from ``SEEDS``; resumes from an existing ``cache``."""
    stored, frontier = set(), []
    if os.path.exists(cache):
        with open(cache, encoding="utf-8") as handle:
            for line in handle:
                row = json.loads(line)
                stored.add(row["name"])
                frontier.extend(row["dependencies"])
    seen = set(stored)
    queue = collections.deque(n for n in (*SEEDS, *frontier) if n not in seen)
    seen.update(queue)
    date = datetime.date.today().isoformat()
    with (
        open(cache, "a", encoding="utf-8") as out,
        concurrent.futures.ThreadPoolExecutor(workers) as pool,
    ):
        # Keep ``2 · workers`` requests in flight; a slow response holds up no other.
        pending: dict = {}
        while (queue or pending) and len(stored) < max_packages:
            while queue and len(pending) < 2 * workers:
                name = queue.popleft()
                pending[pool.submit(_fetch, name)] = name
            done, _ = concurrent.futures.wait(
                pending, return_when=concurrent.futures.FIRST_COMPLETED
            )
            for future in done:
                name, document = pending.pop(future), future.result()
                if document is None or len(stored) >= max_packages:
                    continue
                dependencies = _dependencies(document)
                row = {
                    "name": name,
                    "description": document.get("description"),
                    "keywords": document.get("keywords"),
                    "dependencies": dependencies,
                    "crawled": date,
                }
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
                stored.add(name)
                for dependency in dependencies:
                    if dependency not in seen:
                        seen.add(dependency)
                        queue.append(dependency)
            if len(stored) % 500 < len(done):
                print(f"\r{len(stored)} stored, {len(queue)} queued", end="", flush=True)
        for future in pending:
            future.cancel()
    print()


def _label(keyword: str) -> str:
    return "-".join(keyword.lower().split())


def build(cache: str):
    records, documents, dates = {}, 0, set()
    with open(cache, encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            documents += 1
            dates.add(row["crawled"])
            description, keywords = row["description"], row["keywords"]
            if not isinstance(description, str) or not isinstance(keywords, list):
                continue
            words = description.split()
            labels = tuple(sorted({_label(k) for k in keywords if isinstance(k, str)} - {""}))
            if 2 <= len(words) <= 40 and labels:
                records[row["name"]] = (" ".join(words), labels)
    train, test, info = split_records(records)
    info["documents"] = documents
    info["dates"] = ", ".join(sorted(dates))
    return train, test, info


README = """# npm-keywords

Short-text XMC from the npm registry: an npm package's one-line `description` -> the
`keywords` its author gave it (lower-cased, white space as `-`).

## Source

The package.json of the latest version of {documents} npm packages
(`https://registry.npmjs.org/<name>/latest`), crawled on {dates} breadth first from the
seed packages listed in `benchmarks/build_npm_keywords.py` through their dependencies.
Package metadata is published by each package's authors under their package's licence.

## How records were built

Built by `benchmarks/build_npm_keywords.py` (its docstring gives the rules): packages with
a description of 2 to 40 words and at least one keyword; {candidates} candidate records;
{duplicates} exact (text, label set) duplicates dropped.

## Split

`int(sha1(package_name).hexdigest(), 16) % 5 == 0` -> test, else train (as the Debian
sets). Labels that occur in no training record were removed from the test set
({removed_labels} labels, {removed_occurrences} occurrences); {dropped_test} of
{test_before} test records lost all their labels and were dropped.

"""


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    crawl_parser = commands.add_parser("crawl", help="fetch package.json documents")
    crawl_parser.add_argument("--cache", required=True, help="JSON-lines file, appended to")
    crawl_parser.add_argument("--max-packages", type=int, default=80_000)
    crawl_parser.add_argument("--workers", type=int, default=48)
    build_parser = commands.add_parser("build", help="write the dataset from the cache")
    build_parser.add_argument("--cache", required=True)
    build_parser.add_argument("--out", default="benchmarks/data")
    args = parser.parse_args(argv)
    if args.command == "crawl":
        crawl(args.cache, args.max_packages, args.workers)
        return
    train, test, info = build(args.cache)
    text = write_dataset(os.path.join(args.out, "npm-keywords"), train, test, README, **info)
    print(text)


if __name__ == "__main__":
    main()
