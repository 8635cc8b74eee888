"""InceptionXMLClassifier: the InceptionXML model (paper §3–4) as a scikit-learn estimator."""

from __future__ import annotations

import math
from numbers import Integral, Real
from typing import Any

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.base import _fit_context
from sklearn.utils._param_validation import Interval, StrOptions

from skxml._base import BaseInceptionXML
from skxml._sparse_rows import _csr_rows_to_positions
from skxml.nn import (
    ExtremeClassifierHead,
    FrozenInceptionXMLNetwork,
    InceptionXMLNetwork,
    SparseLinearHead,
    hard_negative_bce,
    sparse_target_bce,
)
from skxml.nn._network import BagOfWordsBatch

# "auto" hard negatives: 5 % of the labels, at least 128 (tested on 595 and 43,614 labels).
_AUTO_HARD_NEGATIVE_FRACTION = 0.05
_AUTO_MIN_HARD_NEGATIVES = 128


def resolve_hard_negatives(hard_negatives: int | str | None, n_labels: int) -> int:
    """The number of full-weight negatives per sample that ``hard_negatives`` means.

    Examples
    --------
    >>> from skxml.models._inception_xml import resolve_hard_negatives
    >>> resolve_hard_negatives("auto", 595), resolve_hard_negatives("auto", 43_614)
    (128, 2181)
    >>> resolve_hard_negatives(None, 595), resolve_hard_negatives(50, 595)
    (595, 50)
    """
    if hard_negatives is None:
        return n_labels  # every negative: plain BCE
    if hard_negatives == "auto":
        return max(_AUTO_MIN_HARD_NEGATIVES, math.ceil(_AUTO_HARD_NEGATIVE_FRACTION * n_labels))
    return int(hard_negatives)


def hard_negative_loss_weight(n_hard: int, n_entries: float, easy_weight: float) -> float:
    """A sample's total weight in :func:`~skxml.nn.hard_negative_bce` over ``n_entries``
    labels: ``n_hard`` hardest negatives at 1, the others at ``easy_weight`` (the few
    positives left out); all at 1 when the hard ones fill the row."""
    if n_hard >= n_entries:
        return float(n_entries)
    return n_hard + easy_weight * (n_entries - n_hard)


class InceptionXMLClassifier(BaseInceptionXML):
    """InceptionXML: a light convolutional short-text extreme multi-label classifier.

    Raw texts are tokenised as in the paper (lower-case, white space, punctuation and
    English stop words removed), mapped to padded token ids, embedded, enhanced by
    self-attention over the word and embedding axes, and convolved along the *embedding*
    axis (kernels 4, 8, 16 in parallel, then 16). A residual one-vs-all head scores every
    label; training minimises binary cross-entropy with Adam and a one-cycle learning rate.

    By default skxml adds a TF-IDF side input to the paper's network: a learned vector per
    word and word pair, weighted by the text's TF-IDF values and added to the encoder's
    features ``h_f``. It lifts accuracy on short texts full of rare names at little cost.
    On English text the word embeddings start from bundled 50-d GloVe vectors
    (``word_vectors="auto"``).
    ``tfidf_embedding=False, tfidf_linear=False, hard_negatives=None, output_dropout=0.5,
    embedding_dim=300, n_epochs=42, split_cjk=False, normalize_unicode=False`` is the
    paper's network, loss, tokens and training; with a
    300-d ``word_vectors`` file as well it is the paper's model exactly.

    Parameters
    ----------
    max_seq_len : int, default=32
        Tokens kept per text (the paper's S); longer texts are truncated.
    embedding_dim : int or None, default=None
        Width of word embeddings learned from scratch. ``None``: the width of the word
        vectors when some are loaded (``word_vectors``), 128 otherwise. An int also tells
        ``word_vectors="auto"`` to learn embeddings of that width rather than load vectors;
        a vector file or array given as ``word_vectors`` sets the width itself.
    model_dim : int or None, default=None
        Width the embeddings are projected to before the convolutions (a learned linear
        map); needed when the embeddings are narrower than 64 (the convolution layout's
        minimum), e.g. 50-d GloVe. ``None`` uses the embeddings as they are, or 128 for
        embeddings narrower than 64 (pretrained, or learned from scratch with a small
        ``embedding_dim``).
    word_vectors : "auto", str, path-like, array of shape (vocabulary_size, dim) or None, \
default="auto"
        Pretrained word vectors to start the embeddings from.

        - ``"auto"``: the bundled ``"glove-6b-50d-50k"`` vectors when the training texts
          read as English (at least 80 % of their word occurrences are among its 50,000
          words) and ``embedding_dim`` is None; embeddings from scratch otherwise. The
          fitted ``word_vectors_`` and ``word_vectors_token_coverage_`` say what was
          decided. On general English (wordnet-hypernyms, 91 % covered) the vectors gave
          +1.8 P@1 and +2.4 PSP@5; on Debian package descriptions (76–77 % covered,
          package and library names) they gave between +0.1 and -0.5 P@1, hence the
          threshold (user guide, "Pretrained word vectors").
        - A GloVe / word2vec file (read for the fitted vocabulary only; missing words get
          U(-0.25, 0.25)), or ``"glove-6b-50d-50k"`` (50-d GloVe vectors of the 50,000
          most frequent English words, shipped with skxml; see
          :func:`~skxml.text.load_word_vectors`).
        - An array aligned with the fitted ``sequence_encoder_`` ids — build it from a
          :class:`~skxml.text.SequenceEncoder` with the same ``max_seq_len``, ``min_df``,
          ``max_features``, ``split_cjk`` and ``normalize_unicode`` fitted on the same
          texts (recipe in the user guide, "Pretrained word vectors"); not with
          ``validation_fraction``.
        - ``None`` learns embeddings from scratch.
    freeze_embeddings : bool, default=False
        Keep the embedding table fixed during training.
    min_df : int or float, default=1
        Minimum document frequency of a word to enter the vocabulary (count or fraction).
    max_features : int or None, default=None
        Keep only this many most frequent words.
    split_cjk : bool, default=True
        Make every Han ideograph and Japanese kana a token of its own, for the word
        sequence and the TF-IDF inputs alike (:func:`~skxml.text.space_cjk`): Chinese and
        Japanese write words without spaces, so a white-space split reads each phrase as
        one token that few other texts share. No effect on text without such characters.
        Measured on debian-tags-ja (Debian's Japanese package descriptions → debtags,
        4,126 training texts, ``random_state=0``): P@1 79.89 → 87.82, PSP@5 44.55 → 50.78.
        ``False`` keeps the white-space split (for text already segmented into words).
    normalize_unicode : bool, default=True
        Bring texts to Unicode NFKC form and remove invisible control and format
        characters before tokenising, for the word sequence and the TF-IDF inputs alike
        (:func:`~skxml.text.normalize_text`): a word typed with a combining accent, in the
        full-width letters of Chinese and Japanese input methods, or with a soft hyphen or
        zero-width space inside is then the same token as its plain spelling. ``False``
        reads the characters as they are (the paper's tokenizer; InceptionXML+'s clusterer,
        when it reads raw texts, normalises them all the same).
    word_attention, embedding_attention : bool, default=True
        The self-attention layers over the word axis and the embedding axis; both False is
        the paper's "without self-attention" ablation.
    tfidf_embedding : bool, default=True
        Add a learned TF-IDF-weighted sum of n-gram vectors to the encoder's features.
    tfidf_linear : bool, default=True
        Add a sparse linear map from the TF-IDF n-grams to the label logits, with one
        weight per (n-gram, label) pair that co-occurs in the training data.
    tfidf_linear_min_confidence : float, default=0.005
        Keep a pair (n-gram, label) in that map only when the label is on at least this
        fraction of the training texts containing the n-gram. Pairs of frequent n-grams
        with labels they meet by chance are few weights but most of the terms a batch
        computes: on debian-deps 0.005 keeps 82 % of the pairs and cuts the terms per
        batch 17-fold. ``0`` keeps every co-occurring pair.
    tfidf_linear_neighbours : int, default=3
        Also give that map weights against confusable labels: the labels of each training
        text's ``tfidf_linear_neighbours`` most similar training texts (TF-IDF cosine) that
        it does not have, paired with its n-grams (by the same confidence rule). A pair seen
        only with other labels' texts can then learn a negative weight, e.g. "development"
        against a runtime library whose own texts are its sibling packages'. ``0`` keeps
        only the co-occurring pairs. Computing the neighbours costs one pass of sparse
        products over the training texts (13 s on debian-deps' 46,304).
    tfidf_ngram_range : tuple of int, default=(1, 2)
        N-grams of the TF-IDF inputs.
    tfidf_min_df : int or float, default=1
        Minimum document frequency of an n-gram of the TF-IDF inputs.
    tfidf_token_pattern : str or None, default=r"(?u)\\b\\w+\\b"
        Regular expression of the TF-IDF inputs' tokens (lower-cased, stop words kept):
        every run of letters and digits, one character long included. Scikit-learn's
        default, ``r"(?u)\\b\\w\\w+\\b"``, drops one-character tokens, which short texts
        need: the "c" of "C library", the "r" of "R package", the "3" of "Python 3", the
        "x" of "X window". Measured with ``random_state=0``: on debian-tags P@1 84.11 →
        84.35, PSP@5 64.88 → 65.38; on debian-deps P@1 66.62 → 66.60, PSP@5 26.66 → 26.74.
        ``None`` uses the encoder's tokenizer (the paper's: stop words and punctuation
        removed).
    dropout : float, default=0.25
        Dropout of the encoder and of the head's residual layer.
    output_dropout : float, default=0.2
        Dropout in front of the output layer (the paper's reference uses 0.5).
    n_epochs : int or "auto", default="auto"
        Passes over the training data. ``"auto"``: 10, or more for a small training set, so
        that the fit makes at least 200 optimiser steps (10 epochs of 2 batches left 200
        debian-tags texts undertrained: P@1 51.9 against 65.1); 2,434 texts or more at
        ``batch_size=128`` get 10. The number run is ``n_epochs_``.
    batch_size : int, default=128
        Samples per optimisation step, at least 2 (the batch norms need two).
    learning_rate : float, default=0.005
        Peak learning rate of the one-cycle schedule (Adam).
    linear_learning_rate : float, default=24.0
        Peak learning rate of the sparse TF-IDF linear map, which is stepped by SGD with
        momentum (the rest of the network by Adam). It is the step on a sample's loss summed
        over its labels, so the same value suits any number of labels: skxml multiplies it
        by what the loss divides a sample's sum by. Adam, which moves every weight at the
        same rate, made the map memorise the training texts through their rare n-grams;
        SGD moves a weight in proportion to how often its n-gram occurs. See
        :ref:`hyperparameters` for the measurements behind the value.
    weight_decay : float, default=0.0
        L2 penalty of Adam.
    hard_negatives : "auto", int or None, default="auto"
        Negative labels per sample trained at full weight: the ones with the highest logits
        (:func:`~skxml.nn.hard_negative_bce`); the others weigh ``easy_negative_weight``.
        ``"auto"`` uses ``max(128, ceil(0.05 · n_labels))`` (plain BCE up to ~128 labels);
        ``None`` is plain BCE over all labels, as in the paper. Concentrating on hard
        negatives is what lifts tail labels (PSP@k) with many labels: on debian-deps
        (43,614 labels) PSP@5 rose from ~19 to 26.8 points.
    easy_negative_weight : float, default=0.02
        Loss weight of the negatives that are not among the hardest, in ``[0, 1]``.
    propensity_weighting : float, default=0.0
        Exponent ``α`` of a weight on each positive label in the loss: a positive of label
        ``l`` weighs ``p_l^-α``, ``p_l`` the label's propensity from its training count
        (:func:`~skxml.metrics.inverse_propensity_from_counts`, ``A=0.55, B=1.5``),
        scaled so that the training positives' mean weight is 1. ``0`` weighs every
        positive alike, as in the paper; larger values train for the rare labels that
        propensity-scored metrics (PSP@k) reward, at some cost in P@k. See
        :ref:`hyperparameters` for measurements (debian-tags, ``α=0.75``: PSP@5 +0.9,
        P@1 -0.1; debian-deps: PSP@5 +2.6, P@1 -3.1). In ``[0, 2]``.
    top_k : int, default=5
        Labels returned per text by ``predict``, ``predict_proba`` and
        ``decision_function`` (at most the number of labels).
    threshold : float or None, default=None
        If set, ``predict`` keeps only the top-k labels with at least this probability.
    validation_fraction : float or None, default=None
        Fraction of the training data held out to report validation P@1 per epoch (in
        ``history_``) and, with ``n_iter_no_change``, to stop early. The held-out texts
        take no part in the fit: vocabularies, TF-IDF and label structures are built on
        the rest.
    n_iter_no_change : int or None, default=None
        Stop when validation P@1 has not improved for this many epochs, and keep the best
        epoch's weights. Needs ``validation_fraction`` or ``validation_data`` (``fit``
        raises a ValueError without either).
    device : {"auto", "cpu", "cuda"} or str, default="auto"
        Where to train and predict; "auto" uses CUDA when available, "cuda:N" a given
        GPU. Other torch device types ("mps", "xpu", ...) are rejected: skxml is built and
        tested for CPUs and CUDA GPUs. A model fitted on a GPU and loaded on a machine
        without CUDA predicts on the CPU; on one without GPU N, on its current GPU.
    precision : {"auto", "float32", "bfloat16"}, default="auto"
        Arithmetic of the matrix products and convolutions during training: "bfloat16"
        runs them under bf16 autocast (weights, optimiser state and losses stay float32).
        "auto" picks bf16 on CUDA GPUs that compute in it natively (compute capability 8.0
        or later: A100, H100, RTX 30xx and later; not V100 or T4, where torch emulates bf16
        more slowly than float32) and on CPUs with native bf16 instructions (AVX512-BF16 or
        AMX: e.g. AMD Zen 4, Intel Sapphire Rapids), float32 elsewhere. On a GPU prediction
        follows it: label scores in bf16, which keeps about three significant digits, so
        scores and the order of near ties can differ from a CPU's. On a CPU prediction is
        float32. "float32" makes fits on different CPU types comparable.
    random_state : int, RandomState instance or None, default=None
        Seeds initialisation, shuffling and dropout: CPU fits with an int are bit-identical
        when they run on the same number of torch threads (matrix products round
        differently on 1 and on 2 threads).
    verbose : int, default=0
        Show a progress bar with the loss and throughput of every epoch.
    warm_start : bool, default=False
        Continue training the fitted network on the next ``fit`` (same vocabulary and
        labels) instead of starting anew. Parameters that shape the fitted model
        (vocabulary, architecture, labels) must keep their values: a change raises
        ``ValueError``; training and prediction parameters (``n_epochs``,
        ``learning_rate``, ``top_k``, ...) may change.
    checkpoint_path : str, path-like or None, default=None
        If set, the training state is written to this file (atomically, with joblib) after
        every epoch; ``fit(X, y, resume_from=checkpoint_path)`` continues an interrupted
        fit from it.

    Attributes
    ----------
    classes_ : ndarray of shape (n_labels,)
        Label names when ``Y`` was a list of label lists (sorted) or a DataFrame with
        columns named by strings (its column names, in order), else ``arange(n_labels)``.
    sequence_encoder_ : SequenceEncoder
        The fitted vocabulary (texts to token ids).
    tfidf_vectorizer_ : TfidfVectorizer or None
        The TF-IDF vectoriser of the side input.
    network_ : InceptionXMLNetwork
        The trained PyTorch network.
    label_counts_ : ndarray of shape (n_labels,)
        Training samples per label (used by the propensity-scored scorers).
    n_train_samples_ : int
        Number of training samples.
    history_ : list of dict
        Per epoch: loss, seconds, samples per second and validation P@1 when measured.
        A ``warm_start`` fit appends its epochs to those of the fits before it.
    n_epochs_ : int
        Epochs the last fit planned (``n_epochs`` resolved).
    n_epochs_trained_ : int
        Epochs trained in total, ``len(history_)``: over every ``warm_start`` fit since
        the last fresh one (so it may exceed ``n_epochs_``); within one fit, fewer than
        ``n_epochs_`` after early stopping.
    n_hard_negatives_ : int
        Full-weight negatives per sample in the loss (``hard_negatives`` resolved).
    device_ : torch.device
        The device used for training.
    word_vectors_ : str or None
        The word vectors the embeddings started from: the name or path given (or chosen
        by ``word_vectors="auto"``), ``"array"`` for an array, None when learned from
        scratch.
    word_vectors_coverage_ : float
        Share of the vocabulary found in the word vectors (only when vectors were read
        from a file or the bundled set).
    word_vectors_token_coverage_ : float
        Share of the training texts' word occurrences that the bundled vectors cover
        (only when ``word_vectors="auto"`` and ``embedding_dim`` is None decided it).
    skxml_version_ : str
        The skxml version that fitted the model; loading it under another version warns
        (:ref:`persistence`).

    See Also
    --------
    skxml.text.SequenceEncoder : The vocabulary and token-id encoding.
    skxml.nn.InceptionXMLEncoder : The PyTorch encoder.

    Notes
    -----
    Outputs are sparse: ``decision_function``, ``predict_proba`` and ``predict`` (without a
    ``threshold``, which may keep fewer) return CSR matrices of shape (n_samples, n_labels)
    with exactly ``k`` stored values per row, so memory is O(n_samples · k) whatever the
    number of labels. Training computes dense (batch_size, n_labels) logits per step; for
    millions of labels use :class:`InceptionXMLPlusClassifier`.

    References
    ----------
    .. [1] Kharbanda, Banerjee, Gupta, Palrecha, Babbar. "InceptionXML: A Lightweight
       Framework with Synchronized Negative Sampling for Short Text Extreme
       Classification." SIGIR 2023 / arXiv:2109.07319.

    Examples
    --------
    >>> from skxml import InceptionXMLClassifier
    >>> texts = ["red apple pie", "green apple tart", "blue sky", "grey sky rain"] * 5
    >>> labels = [["food"], ["food"], ["weather"], ["weather"]] * 5
    >>> clf = InceptionXMLClassifier(n_epochs=10, batch_size=4, top_k=1, random_state=0)
    >>> clf = clf.fit(texts, labels)
    >>> clf.predict_labels(["red apple pie", "grey sky rain"])
    [['food'], ['weather']]
    """

    _parameter_constraints: dict = {
        **BaseInceptionXML._parameter_constraints,
        "hard_negatives": [StrOptions({"auto"}), Interval(Integral, 0, None, closed="left"), None],
        "easy_negative_weight": [Interval(Real, 0, 1, closed="both")],
    }

    def __init__(
        self,
        *,
        max_seq_len: int = 32,
        embedding_dim: int | None = None,
        model_dim: int | None = None,
        word_vectors: Any = "auto",
        freeze_embeddings: bool = False,
        min_df: int | float = 1,
        max_features: int | None = None,
        split_cjk: bool = True,
        normalize_unicode: bool = True,
        word_attention: bool = True,
        embedding_attention: bool = True,
        tfidf_embedding: bool = True,
        tfidf_linear: bool = True,
        tfidf_linear_min_confidence: float = 0.005,
        tfidf_linear_neighbours: int = 3,
        tfidf_ngram_range: tuple[int, int] = (1, 2),
        tfidf_min_df: int | float = 1,
        tfidf_token_pattern: str | None = r"(?u)\b\w+\b",
        dropout: float = 0.25,
        output_dropout: float = 0.2,
        n_epochs: int | str = "auto",
        batch_size: int = 128,
        learning_rate: float = 0.005,
        linear_learning_rate: float = 24.0,
        weight_decay: float = 0.0,
        hard_negatives: int | str | None = "auto",
        easy_negative_weight: float = 0.02,
        propensity_weighting: float = 0.0,
        top_k: int = 5,
        threshold: float | None = None,
        validation_fraction: float | None = None,
        n_iter_no_change: int | None = None,
        device: str = "auto",
        precision: str = "auto",
        random_state: Any = None,
        verbose: int = 0,
        warm_start: bool = False,
        checkpoint_path: Any = None,
    ) -> None:
        self.max_seq_len = max_seq_len
        self.embedding_dim = embedding_dim
        self.model_dim = model_dim
        self.word_vectors = word_vectors
        self.freeze_embeddings = freeze_embeddings
        self.min_df = min_df
        self.max_features = max_features
        self.split_cjk = split_cjk
        self.normalize_unicode = normalize_unicode
        self.word_attention = word_attention
        self.embedding_attention = embedding_attention
        self.tfidf_embedding = tfidf_embedding
        self.tfidf_linear = tfidf_linear
        self.tfidf_linear_min_confidence = tfidf_linear_min_confidence
        self.tfidf_linear_neighbours = tfidf_linear_neighbours
        self.tfidf_ngram_range = tfidf_ngram_range
        self.tfidf_min_df = tfidf_min_df
        self.tfidf_token_pattern = tfidf_token_pattern
        self.dropout = dropout
        self.output_dropout = output_dropout
        self.n_epochs = n_epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.linear_learning_rate = linear_learning_rate
        self.weight_decay = weight_decay
        self.hard_negatives = hard_negatives
        self.easy_negative_weight = easy_negative_weight
        self.propensity_weighting = propensity_weighting
        self.top_k = top_k
        self.threshold = threshold
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.device = device
        self.precision = precision
        self.random_state = random_state
        self.verbose = verbose
        self.warm_start = warm_start
        self.checkpoint_path = checkpoint_path

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(
        self,
        X: Any,
        y: Any = None,
        sample_weight: Any = None,
        *,
        validation_data: tuple[Any, Any] | None = None,
        resume_from: Any = None,
    ) -> InceptionXMLClassifier:
        """Train on raw texts and their labels.

        Parameters
        ----------
        X : sequence of str of length n_samples, or TokenCorpus
            Raw texts (a single string is rejected; a one-column DataFrame or 2-D
            array is read as its column), or a corpus written by
            :func:`~skxml.datasets.write_token_corpus` for training data larger than memory
            (then ``y`` is None: the corpus holds the labels).
        y : {array-like, sparse matrix} of shape (n_samples, n_labels) or list of lists
            0/1 label matrix (dense or any scipy.sparse format), or one collection of label
            names per text, in a list, a 1-D object array or a pandas Series (then
            ``classes_`` holds the sorted names). As in scikit-learn, a
            list of equal-length lists of numbers is read as a 0/1 matrix; pass integer
            label ids as sets (``[{0, 3}, {1}]``) to have them read as label collections.
            A pandas DataFrame whose columns are named by strings names the labels:
            ``classes_`` holds its column names, and later label matrices with named
            columns are matched to them by name. None when ``X`` is a TokenCorpus.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each text in the loss (non-negative, not all zero): a text of weight 2
            pulls the network as hard as two copies of it would, in expectation (they would
            fall in two batches; one weighted text is in one). The weights are scaled to a
            mean of 1 over the texts of positive weight, so that the learning rates keep
            their meaning; texts of weight 0 are left out of the fit altogether, as if they
            were not in ``X`` (a TokenCorpus keeps them in its vocabularies, but never draws
            them into a batch nor counts their labels). The vocabularies, TF-IDF statistics,
            label clusters and ``label_counts_`` count every other text once, whatever its
            weight. Heavy-tailed weights such as raw click
            counts make single steps very large; their logarithm or square root usually
            trains better.
        validation_data : tuple (X_val, Y_val), default=None
            Held-out texts and labels (same label columns) scored after every epoch; with
            ``n_iter_no_change`` training stops early. Not together with
            ``validation_fraction`` (ValueError).
        resume_from : str or path-like, default=None
            A checkpoint written by a fit with ``checkpoint_path`` set: training continues
            after its last complete epoch, with the same parameters (``verbose``, ``device``,
            ``checkpoint_path`` and ``warm_start`` may differ) and the same ``X``, ``y``,
            ``sample_weight`` and ``validation_data``. On CPU the result is bit-identical to
            an uninterrupted fit.

        Returns
        -------
        self : InceptionXMLClassifier
            The fitted estimator.

        Notes
        -----
        A fit stopped by ``KeyboardInterrupt`` (Ctrl-C) re-raises it after leaving the
        estimator consistent: with the network of the last complete epoch
        (``n_epochs_trained_`` says how many), or, when no epoch completed, exactly as it
        was before ``fit`` (unfitted, or the previous model). A warning says which.
        """
        return self._fit(X, y, validation_data, resume_from, sample_weight)

    def _on_epoch_start(self, epoch: int) -> None:
        self.n_hard_negatives_ = resolve_hard_negatives(self.hard_negatives, len(self.classes_))

    def _linear_loss_scale(self, head: SparseLinearHead) -> float:
        """The total weight of a sample's labels in :func:`~skxml.nn.hard_negative_bce`:
        the hardest negatives at 1, the others at ``easy_negative_weight`` (the few
        positives left out)."""
        n_labels = len(self.classes_)
        n_hard = resolve_hard_negatives(self.hard_negatives, n_labels)
        return hard_negative_loss_weight(n_hard, n_labels, self.easy_negative_weight)

    def _batch_targets(self, labels: sp.csr_matrix, rows: np.ndarray, device: torch.device) -> Any:
        """Dense 0/1 targets for the hard-negative loss; for plain BCE only the positives'
        (row, column) indices (no (batch, n_labels) target to build and read)."""
        if self.n_hard_negatives_ < labels.shape[1]:
            return super()._batch_targets(labels, rows, device)
        return _csr_rows_to_positions(labels, rows, device)

    def _batch_loss(
        self,
        token_ids: torch.Tensor,
        bag: BagOfWordsBatch | None,
        targets: Any,
        sample_weight: torch.Tensor | None = None,
    ) -> torch.Tensor:
        logits = self.network_(token_ids, bag)
        label_weights = self._positive_weights
        if isinstance(targets, tuple):
            rows, columns = targets
            pair_weights = None if label_weights is None else label_weights[columns]
            return sparse_target_bce(logits, rows, columns, pair_weights, sample_weight)
        return hard_negative_bce(
            logits,
            targets,
            self.n_hard_negatives_,
            easy_weight=self.easy_negative_weight,
            positive_weight=label_weights,
            sample_weight=sample_weight,
        )

    def _freeze_network(
        self, classifier_dtype: torch.dtype | None = None
    ) -> FrozenInceptionXMLNetwork:
        return FrozenInceptionXMLNetwork(self.network_, classifier_dtype)

    def _build_network(
        self,
        n_tokens: int,
        embedding_weights: np.ndarray | None,
        bag: sp.csr_matrix | None,
        labels: sp.csr_matrix,
    ) -> InceptionXMLNetwork:
        encoder = self._build_encoder(n_tokens, embedding_weights)
        n_features = encoder.n_features_out
        head = ExtremeClassifierHead(
            n_features,
            len(self.classes_),
            hidden_dropout=self.dropout,
            output_dropout=self.output_dropout,
        )
        bag_of_words, sparse_linear = self._build_tfidf_parts(bag, labels, n_features)
        return InceptionXMLNetwork(encoder, head, bag_of_words, sparse_linear)
