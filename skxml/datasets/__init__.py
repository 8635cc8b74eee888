"""Dataset readers and writers for extreme multi-label text data, and a bundled dataset.

Formats:

- the AttentionXML text layout (``train_texts.txt`` + ``train_labels.txt``):
  :func:`load_attentionxml`, :func:`load_attentionxml_split`, :func:`dump_attentionxml`;
- the Extreme Classification Repository sparse format (``trn_X_Y.txt``):
  :func:`load_xc_sparse`, :func:`dump_xc_sparse`, and its older combined
  features-and-labels files: :func:`load_xc_bow`;
- the LF-* raw-text JSON lines (``trn.json.gz``, ``lbl.json.gz``): :func:`load_lf_json`,
  :func:`load_lf_label_names`;
- token corpora on disk for fits larger than memory: :func:`write_token_corpus`,
  :func:`load_token_corpus`, :class:`TokenCorpus`.

Every reader accepts plain or gzip-compressed files (recognised by their content) and
names the file and line of malformed input. :func:`load_debian_tags` loads the bundled
default dataset; :func:`describe_dataset` computes the usual dataset statistics.
"""

from skxml.datasets._attentionxml import (
    dump_attentionxml,
    load_attentionxml,
    load_attentionxml_split,
)
from skxml.datasets._debian_tags import load_debian_tags
from skxml.datasets._lf_json import load_lf_json, load_lf_label_names
from skxml.datasets._statistics import describe_dataset
from skxml.datasets._token_corpus import TokenCorpus, load_token_corpus, write_token_corpus
from skxml.datasets._xc_sparse import dump_xc_sparse, load_xc_bow, load_xc_sparse

__all__ = [
    "TokenCorpus",
    "describe_dataset",
    "dump_attentionxml",
    "dump_xc_sparse",
    "load_attentionxml",
    "load_attentionxml_split",
    "load_debian_tags",
    "load_lf_json",
    "load_lf_label_names",
    "load_token_corpus",
    "load_xc_bow",
    "load_xc_sparse",
    "write_token_corpus",
]
