"""The order of the example gallery: from a first model to the paper's experiments."""

from __future__ import annotations

from pathlib import Path

# Examples not listed here come after these, by file name.
ORDER = (
    "plot_quickstart.py",
    "plot_grid_search.py",
    "plot_inceptionxml_plus.py",
    "plot_glove_vectors.py",
    "plot_label_distribution.py",
    "plot_tail_labels.py",
    "plot_word_order.py",
    "plot_embedding_permutation.py",
)


class ExampleOrder:
    """Sort key for sphinx-gallery's ``within_subsection_order``.

    Parameters
    ----------
    src_dir : str or path-like
        The gallery's source directory (passed by sphinx-gallery, unused).
    """

    def __init__(self, src_dir: str | Path) -> None:
        self.src_dir = src_dir

    def __call__(self, filename: str | Path) -> tuple[int, str]:
        name = Path(filename).name
        return (ORDER.index(name) if name in ORDER else len(ORDER), name)

    def __repr__(self) -> str:
        return "ExampleOrder"
