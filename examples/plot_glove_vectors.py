"""
============================================
Pretrained GloVe vectors versus random init
============================================

The paper initialises InceptionXML's embedding table with 300-d GloVe vectors. skxml takes
pretrained vectors through the ``word_vectors`` parameter: the path of a GloVe or word2vec
file (read for the fitted vocabulary only; words missing from the file get
:math:`U(-0.25, 0.25)` vectors) or an array aligned with the fitted vocabulary.

This example compares the 50-d GloVe subset shipped with the project's shared data
(``glove.6B.50d.subset.txt``) with a random initialisation of the same width, on 5,000
*debian-tags* training texts. Vectors narrower than 64 are projected to 128 dimensions by a
learned linear map before the convolutions (``model_dim``), so both models have the same
shape. The TF-IDF side inputs are switched off: they do not use the word vectors and would
hide the difference.

The GloVe file is not part of skxml. The example looks for it in ``$SKXML_SHARED_DATA``,
then in ``../shared/data`` beside the repository; without it, only the random
initialisation is trained and a message says so.
"""

# %%
# Find the vectors
# ----------------
import os
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import MaxNLocator

from skxml import InceptionXMLClassifier
from skxml.datasets import load_debian_tags
from skxml.metrics import precision_at_k

GLOVE_FILE = "glove.6B.50d.subset.txt"


def find_shared_file(name):
    """The path of ``name`` in the project's shared data directory, or None."""
    try:
        repository = Path(__file__).resolve().parents[1]
    except NameError:  # run as a notebook: no __file__
        repository = Path.cwd().parent
    directories = [repository.parent / "shared" / "data"]
    if "SKXML_SHARED_DATA" in os.environ:
        directories.insert(0, Path(os.environ["SKXML_SHARED_DATA"]))
    for directory in directories:
        if (directory / name).is_file():
            return directory / name
    return None


glove_path = find_shared_file(GLOVE_FILE)
if glove_path is None:
    print(
        f"{GLOVE_FILE} was not found: set SKXML_SHARED_DATA to the directory holding it. "
        "Only the random initialisation is trained below."
    )
else:
    print(f"using {glove_path.name} ({glove_path.stat().st_size / 1e6:.1f} MB)")

# %%
# Train both models
# -----------------
# The same parameters and seed; only the initial embedding table differs. The first 2,000
# test texts are passed as ``validation_data`` to record P@1 after every epoch in
# ``history_`` (only recorded here: without ``n_iter_no_change`` nothing depends on it).
train = load_debian_tags(subset="train")
test = load_debian_tags(subset="test")
n_subset = 5000
texts, Y = train.data[:n_subset], train.target[:n_subset]
validation = (test.data[:2000], test.target[:2000])

common = dict(
    embedding_dim=50,
    tfidf_embedding=False,
    tfidf_linear=False,
    n_epochs=5,
    random_state=0,
)
models = {"random init (50-d)": InceptionXMLClassifier(**common)}
if glove_path is not None:
    models["GloVe 50-d"] = InceptionXMLClassifier(word_vectors=glove_path, **common)

for name, model in models.items():
    started = time.perf_counter()
    model.fit(texts, Y, validation_data=validation)
    print(
        f"{name}: fit in {time.perf_counter() - started:.1f} s, "
        f"embedding table {tuple(model.network_.encoder.embedding.weight.shape)}, "
        f"projected to {model.network_.encoder.model_dim}"
    )
    if hasattr(model, "word_vectors_coverage_"):
        print(f"    share of the vocabulary found in GloVe: {model.word_vectors_coverage_:.1%}")

# %%
# Results on the whole test split
# -------------------------------
ks = (1, 3, 5)
table = {}
for name, model in models.items():
    scores = model.decision_function(test.data)
    table[name] = [100 * precision_at_k(test.target, scores, k=k) for k in ks]
    print(
        f"{name:<20}"
        + "".join(f"  P@{k} {value:.2f}" for k, value in zip(ks, table[name], strict=True))
    )

# %%
# Validation P@1 after each epoch (on the first 2,000 test texts):
fig, (ax_curve, ax_bars) = plt.subplots(1, 2, figsize=(10, 3.8))
for name, model in models.items():
    epochs = [record["epoch"] for record in model.history_]
    p_at_1 = [100 * record["validation_precision_at_1"] for record in model.history_]
    ax_curve.plot(epochs, p_at_1, marker="o", label=name)
ax_curve.set(xlabel="epoch", ylabel="validation P@1 (%)", title="Learning curve")
ax_curve.xaxis.set_major_locator(MaxNLocator(integer=True))
ax_curve.legend()
positions = np.arange(len(ks))
width = 0.8 / len(table)
for offset, (name, values) in enumerate(table.items()):
    ax_bars.bar(
        positions + (offset - (len(table) - 1) / 2) * width, values, width=width, label=name
    )
ax_bars.set_xticks(positions, [f"P@{k}" for k in ks])
ax_bars.set(ylabel="% on the test split", title="After 5 epochs")
ax_bars.legend()
fig.tight_layout()
plt.show()

# %%
# The difference, in points:
if len(table) == 2:
    glove, random_init = table["GloVe 50-d"], table["random init (50-d)"]
    print(", ".join(f"P@{k} {g - r:+.2f}" for k, g, r in zip(ks, glove, random_init, strict=True)))

# %%
# Whether pretrained vectors help depends on the data. GloVe 6B was trained on Wikipedia
# and news text: many words of package descriptions (``python3``, ``qt5``, ``gobject``) are
# missing from it and start from random vectors anyway (see the coverage printed above),
# and the 50-d subset is much narrower than the paper's 300-d vectors. On a different
# subset size or number of epochs the comparison can turn out differently; measure it on
# your own data. ``freeze_embeddings=True`` keeps the pretrained vectors fixed during
# training, and :func:`skxml.text.load_word_vectors` reads a vector file for a vocabulary
# when you want to inspect or transform the vectors before passing them as an array.
