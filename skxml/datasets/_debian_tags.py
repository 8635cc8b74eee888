"""The bundled default dataset: Debian package descriptions tagged with their debtags.

23,334 training and 5,879 test one-line package descriptions, 595 labels
(``role::program``, ``implemented-in::c``, …), built from the Debian bookworm package
index; provenance and statistics are in ``data/debian_tags/README.md``, returned as
``DESCR``.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import numpy as np
import scipy.sparse as sp
from sklearn.utils import Bunch
from sklearn.utils._param_validation import StrOptions, validate_params

from skxml.datasets._attentionxml import load_attentionxml

__all__ = ["load_debian_tags"]

_DATA = ("data", "debian_tags")


def _resource(name: str) -> resources.abc.Traversable:
    location = resources.files("skxml.datasets")
    for part in (*_DATA, name):
        location = location / part
    return location


def _load_pair(
    subset: str, label_names: np.ndarray | None
) -> tuple[list[str], sp.csr_matrix, np.ndarray]:
    # as_file gives a real path even when the package is imported from a zip archive.
    with (
        resources.as_file(_resource(f"{subset}_texts.txt.gz")) as texts_path,
        resources.as_file(_resource(f"{subset}_labels.txt.gz")) as labels_path,
    ):
        return load_attentionxml(
            texts_path, labels_path, label_names=label_names, on_unknown_label="error"
        )


@cache
def _load_cached() -> tuple[
    tuple[str, ...], sp.csr_matrix, tuple[str, ...], sp.csr_matrix, np.ndarray, str
]:
    """Parse the bundled files once per process; callers receive copies."""
    texts_train, Y_train, label_names = _load_pair("train", None)
    # Every test label occurs in training (guaranteed by the data's build), so the test
    # split is read in the training columns and any unknown label is a corrupt file.
    texts_test, Y_test, _ = _load_pair("test", label_names)
    descr = _resource("README.md").read_text(encoding="utf-8")
    return tuple(texts_train), Y_train, tuple(texts_test), Y_test, label_names, descr


@validate_params(
    {"subset": [StrOptions({"train", "test", "all"})], "return_X_y": ["boolean"]},
    prefer_skip_nested_validation=True,
)
def load_debian_tags(
    *, subset: str = "train", return_X_y: bool = False
) -> Bunch | tuple[list[str], sp.csr_matrix]:
    """Load the bundled debian-tags dataset (short text to Debian tags).

    Each sample is the one-line description of a Debian package (6.4 words on average);
    its labels are the package's debtags, e.g. ``role::program``,
    ``implemented-in::python``, ``devel::library``: 595 labels, 3.8 per package. The
    split is fixed (by a hash of the package name).

    =================   ==============
    Samples (train)     23334
    Samples (test)      5879
    Labels              595
    Labels per sample   3.77 (train)
    Samples per label   147.84 (train)
    =================   ==============

    Propensity-scored metrics are usually computed with ``A=0.55, B=1.5`` on this data.
    The files are read once per process and cached; every call returns fresh copies.

    Parameters
    ----------
    subset : {"train", "test", "all"}, default="train"
        The split to load; ``"all"`` is the training samples followed by the test
        samples.
    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the attributes

        data : list of str of length n_samples
            The package descriptions.
        target : scipy.sparse.csr_matrix of shape (n_samples, 595), dtype float32
            0/1 label matrix. The columns are the same for every subset.
        target_names : ndarray of str of shape (595,), dtype object
            The tag of each column, sorted.
        DESCR : str
            Description of the dataset: source, construction, statistics.
        subset : str
            The subset that was loaded.

    (data, target) : tuple if ``return_X_y`` is True
        The texts and the label matrix.

    See Also
    --------
    load_attentionxml_split : Load another dataset stored in the same layout.

    Examples
    --------
    >>> from skxml.datasets import load_debian_tags
    >>> dataset = load_debian_tags()
    >>> len(dataset.data), dataset.target.shape
    (23334, (23334, 595))
    >>> dataset.target_names[:2].tolist()
    ['accessibility::TODO', 'accessibility::input']
    >>> texts, Y = load_debian_tags(subset="test", return_X_y=True)
    >>> Y.shape
    (5879, 595)
    """
    texts_train, Y_train, texts_test, Y_test, label_names, descr = _load_cached()
    if subset == "train":
        texts, Y = list(texts_train), Y_train.copy()
    elif subset == "test":
        texts, Y = list(texts_test), Y_test.copy()
    else:
        texts = [*texts_train, *texts_test]
        Y = sp.vstack([Y_train, Y_test], format="csr", dtype=np.float32)
    if return_X_y:
        return texts, Y
    return Bunch(data=texts, target=Y, target_names=label_names.copy(), DESCR=descr, subset=subset)
