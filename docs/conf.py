"""Sphinx configuration of the skxml documentation (built offline, warnings are errors)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS.parent))
sys.path.insert(0, str(DOCS / "sphinxext"))
os.environ.setdefault("MPLBACKEND", "Agg")

import skxml

project = "skxml"
author = "The skxml developers"
copyright = "2026, The skxml developers"
release = skxml.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
    "matplotlib.sphinxext.plot_directive",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "auto_examples/*.ipynb"]
templates_path = ["_templates"]

autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": False}
numpydoc_show_class_members = False
numpydoc_xref_param_type = False
numpydoc_validation_checks: set[str] = set()

# No network at build time: no intersphinx, no remote images, MathJax served locally when
# available (Sphinx falls back to its CDN URL only in the rendered page, never at build time).
myst_heading_anchors = 3

sphinx_gallery_conf = {
    "examples_dirs": str(DOCS.parent / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "download_all_examples": False,
    "remove_config_comments": True,
    "show_memory": False,
    "within_subsection_order": "gallery_order.ExampleOrder",
}

# Figures drawn by the build (``.. plot:: figures/<script>.py``, paths from docs/): PNG
# only, no source or format links.
plot_include_source = False
plot_html_show_source_link = False
plot_html_show_formats = False
plot_formats = [("png", 110)]

html_theme = "pydata_sphinx_theme"
html_title = f"skxml {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_prev_next": False,
}
html_static_path = ["_static"]
html_css_files = ["skxml.css"]
# Without a default, the theme's first page view (empty localStorage) logs a console error
# "Got invalid theme mode: ." (found by docs/check_render.py).
html_context = {"default_mode": "auto"}

# scikit-learn's generated set_*_request docstrings link to its own glossary and user guide,
# which do not exist in this offline build.
suppress_warnings = ["ref.term", "ref.ref"]
