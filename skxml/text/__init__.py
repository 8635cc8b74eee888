"""Text input of InceptionXML: the paper's tokenizer, token-id sequences, word vectors.

- :func:`tokenize` / :class:`Tokenizer`: lower-case, white-space split, punctuation and
  NLTK English stop words removed (paper §6); Han ideographs and Japanese kana are tokens
  of their own (:func:`space_cjk`); text is first brought to Unicode NFKC form
  (:func:`normalize_text`).
- :func:`get_stop_words`: NLTK's stop-word list, from NLTK's corpus or the bundled copy.
- :class:`SequenceEncoder`: raw texts to zero-padded arrays of token ids (``PAD_ID`` = 0,
  ``UNK_ID`` = 1).
- :func:`load_word_vectors`: GloVe / word2vec vectors aligned with those ids
  (:class:`WordVectors`).
"""

from skxml.text._sequence_encoder import PAD_ID, UNK_ID, UNK_TOKEN, SequenceEncoder
from skxml.text._stop_words import get_stop_words
from skxml.text._tokenizer import Tokenizer, normalize_text, space_cjk, tokenize
from skxml.text._word_vectors import WordVectors, load_word_vectors

__all__ = [
    "PAD_ID",
    "UNK_ID",
    "UNK_TOKEN",
    "SequenceEncoder",
    "Tokenizer",
    "WordVectors",
    "get_stop_words",
    "load_word_vectors",
    "normalize_text",
    "space_cjk",
    "tokenize",
]
