"""InceptionXMLPlusClassifier: InceptionXML+ (paper §5, Algorithm 1) as a scikit-learn estimator."""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator
from numbers import Integral, Real
from typing import Any

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.base import _fit_context, clone
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted
from torch import nn

from skxml._base import _SPARSE_LINEAR_MIN_WEIGHTS, BaseInceptionXML
from skxml._devices import to_device
from skxml._sparse_rows import _top_k_to_csr
from skxml.cluster import LabelTreeClusterer
from skxml.cluster._label_tree import NoNgramError
from skxml.metrics import precision_at_k, shortlist_recall
from skxml.models._inception_xml import hard_negative_loss_weight, resolve_hard_negatives
from skxml.nn import (
    ExtremeClassifierHead,
    FrozenInceptionXMLPlusNetwork,
    InceptionXMLPlusNetwork,
    ShortlistClassifierHead,
    SparseLinearHead,
    default_shortlist_size,
    hard_negative_bce,
)
from skxml.nn._network import BagOfWordsBatch
from skxml.nn._plus_network import label_presence
from skxml.utils._validation import check_texts


def _cluster_table(clusterer: LabelTreeClusterer) -> torch.Tensor:
    """The labels of every cluster as a (n_clusters, max_size) table padded with -1."""
    sizes = np.diff(clusterer.cluster_indptr_)
    table = np.full((clusterer.n_clusters_, int(sizes.max())), -1, dtype=np.int64)
    columns = np.arange(len(clusterer.cluster_labels_)) - np.repeat(
        clusterer.cluster_indptr_[:-1], sizes
    )
    table[np.repeat(np.arange(clusterer.n_clusters_), sizes), columns] = clusterer.cluster_labels_
    return torch.from_numpy(table)


def _in_sorted(values: torch.Tensor, sorted_keys: torch.Tensor) -> torch.Tensor:
    """``torch.isin(values, sorted_keys)`` by binary search in the sorted keys: a batch's
    few hundred positive keys, against its ~500K shortlisted ones on debian-deps, take ~6
    ms where ``torch.isin`` sorts both (~24 ms, 2-core CPU)."""
    if sorted_keys.numel() == 0:
        return torch.zeros_like(values, dtype=torch.bool)
    found = torch.searchsorted(sorted_keys, values).clamp_(max=sorted_keys.numel() - 1)
    return sorted_keys.index_select(0, found.view(-1)).view(values.shape) == values


def _positive_slots(
    label_ids: torch.Tensor, mask: torch.Tensor, label_keys: torch.Tensor, n_labels: int
) -> torch.Tensor:
    """Whether each shortlist slot holds one of its row's positive labels, shape of
    ``label_ids`` (bool): ``label_keys`` are the batch's sorted keys ``row·n_labels + label``.

    On the CPU only the slots holding a label that is positive for some row of the batch
    are looked up among the keys (a few thousand of the 524,160 of a debian-deps-shaped
    batch of 128: 4.4 ms instead of 26 ms on one core, measured on synthetic batches);
    elsewhere every slot is, which needs no host-device sync.
    """
    safe_ids = label_ids.clamp(min=0)
    if label_ids.device.type != "cpu":
        rows = torch.arange(label_ids.shape[0], device=label_ids.device).unsqueeze(1)
        return _in_sorted(rows * n_labels + safe_ids, label_keys) & mask
    in_batch = label_presence(label_keys % n_labels, n_labels)
    candidates = in_batch.index_select(0, safe_ids.view(-1)).view(label_ids.shape) & mask
    rows, slots = candidates.nonzero(as_tuple=True)
    positive = torch.zeros_like(candidates)
    hit = _in_sorted(rows * n_labels + safe_ids[rows, slots], label_keys)
    positive[rows[hit], slots[hit]] = True
    return positive


class InceptionXMLPlusClassifier(BaseInceptionXML):
    """InceptionXML+: InceptionXML with a label shortlist, for very many labels.

    The same encoder as :class:`InceptionXMLClassifier` feeds two heads. The **meta head**
    scores clusters of labels (built by a :class:`~skxml.LabelTreeClusterer` from the training
    data); the labels of each text's ``n_shortlist`` best clusters form its shortlist, and the
    **extreme head** scores only those, gathering their label embeddings — never a
    (batch × n_labels) tensor. During training a text's positive clusters are always in its
    shortlist (the other shortlisted labels are its negatives, the highest-scored of them
    at full weight: ``hard_negatives``), both heads' residual layers are
    spectral-normalised, and the extreme head's input is detached from the encoder for
    the first ``detach_fraction`` of the epochs; the loss is the sum of both heads' binary
    cross-entropies. Predictions rank the shortlisted labels by the extreme head's scores.

    Training and prediction cost grow with the shortlist (``n_shortlist`` × ~``max_leaf_size``
    labels per text), not with the number of labels.

    Parameters
    ----------
    clusterer : LabelTreeClusterer or None, default=None
        How labels are clustered (cloned and fitted on the training data, with the
        classifier's own TF-IDF features when ``tfidf_embedding``, ``tfidf_linear`` or
        ``tfidf_meta_linear`` is on: then the clusterer's ``tfidf_*`` parameters are not
        used, and a warning says so if they differ from their defaults). ``None`` uses
        ``LabelTreeClusterer()``: clusters of at most 16–64 labels (more where labels have
        few training texts, ``max_leaf_size="auto"``), as many as the number of labels
        needs. Its parameters can be grid-searched as ``clusterer__n_clusters``, also
        when it is left at ``None`` (see :meth:`set_params`).
    n_shortlist : int or None, default=None
        Clusters shortlisted per text. ``None`` uses ``⌈6·√n_clusters⌉`` (at most
        ``n_clusters``): 48 of 64 clusters, 272 of 2,048, 1,536 of 65,536 (the paper uses
        800). Labels scored per text grow with it, and so does batch-1 latency. Fixed by
        ``fit`` (``n_shortlist_``): changing it afterwards takes a refit. A prediction asking
        for more labels (``k``) than ``n_shortlist_`` clusters may hold (counting the
        smallest clusters) shortlists as many more clusters as it takes and ranks the
        labels of that wider shortlist, so its first labels can differ from those of a
        smaller ``k``; with the default ``n_shortlist`` this takes a ``k`` in the hundreds
        or more.
    detach_fraction : float, default=0.25
        Fraction of the epochs during which the extreme head's input is detached from the
        encoder (the paper's synchronisation: the encoder first learns from the meta task).
    combine_meta_scores : bool, default=False
        Rank labels by ``sigmoid(extreme) · sigmoid(meta of its cluster)`` instead of the
        extreme score alone (the paper reports 3–5% lower P@k with the product).
    meta_score_weight : float, default=0.0
        Rank labels by ``extreme + meta_score_weight · log sigmoid(meta of its cluster)``
        (logits), a softer mix than ``combine_meta_scores``, which must then stay False.
        Used only at prediction, so it can be changed with ``set_params`` after ``fit``
        and tuned on held-out data without refitting. Above 0 the mixed score is no
        probability: ``predict_proba`` returns its sigmoid (every value is lowered, the more
        the less likely the cluster; ``combine_meta_scores`` returns the product of the two
        heads' probabilities instead), so a ``threshold`` chosen at one weight does not
        carry over to another. Measured with the defaults of
        2026-11-24 (Adam-stepped linear maps, ``random_state=0``): 0.25 raised P@1 on
        debian-deps (43,614 labels) from 65.77 to 67.04 and P@5 from 35.28 to 35.52, with PSP@5 24.24 → 23.60; on debian-tags (595
        labels) P@1 moved 82.75 → 82.82 but P@5 45.58 → 45.27 and PSP@5 63.64 → 63.16.
    tfidf_meta_linear : bool, default=False
        Add a sparse linear map from the TF-IDF n-grams to the cluster logits of the meta
        head: one weight per (n-gram, cluster) pair that co-occurs in the training data
        (pruned by ``tfidf_linear_min_confidence``), learnt at ``linear_learning_rate``.
        A distinctive word then brings its rare labels' cluster into the shortlist, which
        lifts the propensity-scored metrics; it can cost P@1 when rare labels then outrank
        frequent ones (measured on debian-deps, 43,614 labels, with one-character TF-IDF
        tokens: PSP@5 24.70 → 27.21, P@1 67.36 → 66.06, and 26.75 / 66.84 adding
        ``meta_score_weight=0.5``; on debian-tags, 595 labels: P@1 84.23 → 84.27, PSP@5
        65.64 → 65.45),
        and it makes a fit slower (10–20 % on debian-tags and debian-deps). Builds the
        TF-IDF features even when ``tfidf_embedding`` and ``tfidf_linear`` are off.
    hard_negatives : "auto", int or None, default="auto"
        Negative labels of a text's shortlist trained at full weight in the extreme head's
        loss: the ones with the highest logits (:func:`~skxml.nn.hard_negative_bce`, padding
        slots left out); the other shortlisted negatives weigh ``easy_negative_weight``.
        ``"auto"`` uses ``max(128, ceil(0.05 · n_labels))``, as
        :class:`InceptionXMLClassifier` does over all labels; when that is at least the
        shortlist's width (e.g. 800 clusters of ~10 labels among 670K labels) the loss is
        plain BCE over the shortlist. ``None``: always plain BCE over the shortlist, as in
        the paper and in skxml before 2026-12-06. Measured (``random_state=0``, P@1 /
        PSP@5, ``None`` → ``"auto"``): debian-tags (595 labels, 128 of ~300 shortlisted
        labels hard) 84.20 / 65.65 → 84.50 / 65.78; npm-keywords (14,691 labels, 735 of
        ~2,600) 70.49 / 34.59 → 71.19 / 35.23; debian-deps (43,614 labels, 2,181 of
        ~3,900) 67.60 / 25.54 → 67.67 / 25.63.
    easy_negative_weight : float, default=0.02
        Loss weight of the shortlisted negatives that are not among the hardest, in
        ``[0, 1]``.
    propensity_weighting : float, default=0.0
        Exponent ``α`` of a weight on each positive label in the extreme head's loss, as in
        :class:`InceptionXMLClassifier` (``p_l^-α``, scaled so that the training positives'
        mean weight is 1; ``0`` weighs them alike, as in the paper). The meta head's
        clusters are not weighted. In ``[0, 2]``.
    max_seq_len, embedding_dim, model_dim, word_vectors, freeze_embeddings, min_df, max_features, split_cjk, normalize_unicode, word_attention, embedding_attention, tfidf_embedding, tfidf_linear, tfidf_linear_min_confidence, tfidf_linear_neighbours, tfidf_ngram_range, tfidf_min_df, tfidf_token_pattern, dropout, output_dropout, n_epochs, batch_size, learning_rate, linear_learning_rate, weight_decay, top_k, threshold, validation_fraction, n_iter_no_change, device, precision, random_state, verbose, warm_start, checkpoint_path
        As in :class:`InceptionXMLClassifier`. The sparse TF-IDF linear map
        (``tfidf_linear``) adds its weights to the shortlisted labels' logits only;
        ``tfidf_linear_neighbours`` adds confusable labels to that map, not to the meta
        head's (``tfidf_meta_linear``); its default here is 0, not 3: on debian-deps 3
        gave P@1 67.36 → 67.64 and PSP@5 24.70 → 24.82 but batch-1 latency 1.00 → 1.28 ms
        and a 16 % longer fit.

    Attributes
    ----------
    clusterer_ : LabelTreeClusterer
        The fitted label clustering.
    n_clusters_ : int
        Number of label clusters.
    n_shortlist_ : int
        Clusters shortlisted per text.
    n_hard_negatives_ : int
        Full-weight negatives per text in the extreme head's loss (``hard_negatives``
        resolved; at least the shortlist's width means plain BCE over it).
    classes_, sequence_encoder_, tfidf_vectorizer_, network_, label_counts_, n_train_samples_, history_, n_epochs_, n_epochs_trained_, device_, word_vectors_, word_vectors_coverage_, word_vectors_token_coverage_, skxml_version_
        As in :class:`InceptionXMLClassifier`; ``history_`` also records the validation
        shortlist recall when validation data is given.

    See Also
    --------
    InceptionXMLClassifier : Scores every label; simpler and as accurate up to ~100K labels.
    skxml.LabelTreeClusterer : The label clustering.
    skxml.metrics.shortlist_recall : Fraction of true labels inside the shortlists.

    References
    ----------
    .. [1] Kharbanda, Banerjee, Gupta, Palrecha, Babbar. "InceptionXML: A Lightweight
       Framework with Synchronized Negative Sampling for Short Text Extreme
       Classification." SIGIR 2023 / arXiv:2109.07319, §5.

    Examples
    --------
    >>> from skxml import InceptionXMLPlusClassifier
    >>> texts = ["red apple pie", "green apple tart", "blue sky", "grey sky rain"] * 5
    >>> labels = [["food"], ["food", "fruit"], ["weather"], ["weather", "rain"]] * 5
    >>> clf = InceptionXMLPlusClassifier(n_epochs=10, batch_size=4, top_k=1, random_state=0)
    >>> clf = clf.fit(texts, labels)
    >>> clf.n_clusters_, clf.n_shortlist_
    (1, 1)
    >>> clf.predict_labels(["red apple pie", "grey sky rain"])
    [['food'], ['weather']]
    """

    _parameter_constraints: dict = {
        **BaseInceptionXML._parameter_constraints,
        "clusterer": [LabelTreeClusterer, None],
        "n_shortlist": [Interval(Integral, 1, None, closed="left"), None],
        "detach_fraction": [Interval(Real, 0, 1, closed="both")],
        "combine_meta_scores": ["boolean"],
        "meta_score_weight": [Interval(Real, 0, None, closed="left")],
        "tfidf_meta_linear": ["boolean"],
        "hard_negatives": [StrOptions({"auto"}), Interval(Integral, 0, None, closed="left"), None],
        "easy_negative_weight": [Interval(Real, 0, 1, closed="both")],
    }
    _prediction_parameters = (
        *BaseInceptionXML._prediction_parameters,
        "meta_score_weight",
        "combine_meta_scores",
    )

    def __init__(
        self,
        *,
        clusterer: LabelTreeClusterer | None = None,
        n_shortlist: int | None = None,
        detach_fraction: float = 0.25,
        combine_meta_scores: bool = False,
        meta_score_weight: float = 0.0,
        tfidf_meta_linear: bool = False,
        hard_negatives: int | str | None = "auto",
        easy_negative_weight: float = 0.02,
        propensity_weighting: float = 0.0,
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
        tfidf_linear_neighbours: int = 0,
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
        self.clusterer = clusterer
        self.n_shortlist = n_shortlist
        self.detach_fraction = detach_fraction
        self.combine_meta_scores = combine_meta_scores
        self.meta_score_weight = meta_score_weight
        self.tfidf_meta_linear = tfidf_meta_linear
        self.hard_negatives = hard_negatives
        self.easy_negative_weight = easy_negative_weight
        self.propensity_weighting = propensity_weighting
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

    def set_params(self, **params: Any) -> InceptionXMLPlusClassifier:
        """Set parameters; ``clusterer__*`` works with the default ``clusterer=None`` too.

        ``None`` means ``LabelTreeClusterer()``, so a nested parameter such as
        ``clusterer__n_clusters=16`` (a grid-search key) first makes that default explicit,
        then sets the parameter on it.

        Parameters
        ----------
        **params : dict
            Estimator parameters, nested ones as ``clusterer__<name>``.

        Returns
        -------
        self : InceptionXMLPlusClassifier

        Examples
        --------
        >>> from skxml import InceptionXMLPlusClassifier
        >>> InceptionXMLPlusClassifier().set_params(clusterer__n_clusters=16).clusterer
        LabelTreeClusterer(n_clusters=16)
        """
        nested = any(name.startswith("clusterer__") for name in params)
        if nested and params.get("clusterer", self.clusterer) is None:
            params = {**params, "clusterer": _fresh_clusterer(None)}
        return super().set_params(**params)

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(
        self,
        X: Any,
        y: Any = None,
        sample_weight: Any = None,
        *,
        validation_data: tuple[Any, Any] | None = None,
        resume_from: Any = None,
    ) -> InceptionXMLPlusClassifier:
        """Cluster the labels, then train the encoder and both heads on raw texts.

        Parameters
        ----------
        X : sequence of str of length n_samples, or TokenCorpus
            Raw texts (a single string is rejected; a one-column DataFrame or 2-D
            array is read as its column), or a corpus written by
            :func:`~skxml.datasets.write_token_corpus` (then ``y`` is None).
        y : {array-like, sparse matrix} of shape (n_samples, n_labels) or list of lists
            0/1 label matrix or one collection of label names per text, as in
            :meth:`InceptionXMLClassifier.fit`; None when ``X`` is a TokenCorpus.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each text in both heads' losses, as in
            :meth:`InceptionXMLClassifier.fit` (scaled to a mean of 1; texts of weight 0
            left out of the fit). The label clusters are built from every text fitted on,
            unweighted.
        validation_data : tuple (X_val, Y_val), default=None
            Held-out texts and labels scored after every epoch (P@1 and shortlist recall in
            ``history_``); with ``n_iter_no_change`` training stops early. Not together with
            ``validation_fraction`` (ValueError).
        resume_from : str or path-like, default=None
            A checkpoint written with ``checkpoint_path``, as in
            :meth:`InceptionXMLClassifier.fit`.

        Returns
        -------
        self : InceptionXMLPlusClassifier
            The fitted estimator.
        """
        self._check_meta_score_options()
        return self._fit(X, y, validation_data, resume_from, sample_weight)

    # ------------------------------------------------------------------ building
    _tfidf_switches = ("tfidf_embedding", "tfidf_linear", "tfidf_meta_linear")

    def _fit_label_structure(
        self, texts: list[str] | None, bag: sp.csr_matrix | None, labels: sp.csr_matrix
    ) -> None:
        clusterer = _fresh_clusterer(self.clusterer)
        if "random_state" in clusterer.get_params() and clusterer.random_state is None:
            clusterer.set_params(random_state=self._torch_seed)
        if bag is None and texts is None:
            raise ValueError(
                "InceptionXMLPlusClassifier clusters labels on TF-IDF features: with "
                "tfidf_embedding, tfidf_linear and tfidf_meta_linear all off it needs the raw "
                "texts, not a TokenCorpus."
            )
        if bag is not None:
            ignored = _ignored_vectorizer_parameters(clusterer)
            if ignored:
                warnings.warn(
                    f"The clusterer's {', '.join(ignored)} are not used: it clusters labels on "
                    "the classifier's TF-IDF features (set them through the classifier's "
                    "tfidf_ngram_range / tfidf_min_df, or turn tfidf_embedding, tfidf_linear "
                    "and tfidf_meta_linear off to let the clusterer vectorise the texts "
                    "itself).",
                    UserWarning,
                    stacklevel=4,
                )
        if bag is not None:
            self.clusterer_ = clusterer.fit(bag, labels)
        else:
            try:
                self.clusterer_ = clusterer.fit(texts, labels)
            except NoNgramError as exc:
                raise ValueError(
                    "With tfidf_embedding, tfidf_linear and tfidf_meta_linear all off, the "
                    f"clusterer builds TF-IDF features of the texts itself, and failed: {exc} "
                    "Turn one of them on to cluster the labels on the classifier's own TF-IDF "
                    "n-grams (tfidf_token_pattern, tfidf_min_df)."
                ) from exc
        self.n_clusters_ = int(self.clusterer_.n_clusters_)
        self.n_shortlist_ = (
            default_shortlist_size(self.n_clusters_)
            if self.n_shortlist is None
            else min(int(self.n_shortlist), self.n_clusters_)
        )

    def _freeze_network(
        self, classifier_dtype: torch.dtype | None = None
    ) -> FrozenInceptionXMLPlusNetwork:
        return FrozenInceptionXMLPlusNetwork(self.network_, classifier_dtype)

    def _build_network(
        self,
        n_tokens: int,
        embedding_weights: np.ndarray | None,
        bag: sp.csr_matrix | None,
        labels: sp.csr_matrix,
    ) -> InceptionXMLPlusNetwork:
        encoder = self._build_encoder(n_tokens, embedding_weights)
        n_features = encoder.n_features_out
        meta_head = ExtremeClassifierHead(
            n_features,
            self.n_clusters_,
            hidden_dropout=self.dropout,
            output_dropout=self.output_dropout,
            spectral_norm=True,
        )
        extreme_head = ShortlistClassifierHead(
            n_features,
            len(self.classes_),
            hidden_dropout=self.dropout,
            output_dropout=self.output_dropout,
            spectral_norm=True,
            # Sparse steps pay only for a large table on a CPU: a batch's shortlists touch a
            # good part of it (debian-deps, 43,614 × 160: SparseAdam ~50 ms vs dense Adam
            # ~10 ms). On a GPU fused dense Adam wins (670K × 480, batch 256 of 800 clusters:
            # SparseAdam 15.6 ms per step, dense Adam ~3.6 ms; H100).
            sparse_gradients=self._sparse_gradients
            and self.device_.type == "cpu"
            and len(self.classes_) * n_features > _SPARSE_LINEAR_MIN_WEIGHTS,
        )
        bag_of_words, sparse_linear = self._build_tfidf_parts(bag, labels, n_features)
        meta_sparse_linear = None
        if bag is not None and self.tfidf_meta_linear:
            meta_sparse_linear = self._build_sparse_linear(bag, self.clusterer_.transform(labels))
        return InceptionXMLPlusNetwork(
            encoder,
            meta_head,
            extreme_head,
            _cluster_table(self.clusterer_),
            bag_of_words,
            sparse_linear,
            meta_sparse_linear,
        )

    # ------------------------------------------------------------------ training
    def _batch_targets(
        self, labels: sp.csr_matrix, rows: np.ndarray, device: torch.device
    ) -> tuple[torch.Tensor, torch.Tensor, int]:
        """Dense cluster targets (rows, n_clusters), the sorted keys row·L + label, and the
        shortlist width that holds every text's positive clusters: ``n_shortlist_``, or
        more for a batch in which a text has more positive clusters than that (counted
        here, on the CPU, so that a GPU step need not wait for the count)."""
        subset = labels[rows]
        row_sizes = np.diff(subset.indptr)
        entry_rows = np.repeat(np.arange(len(rows)), row_sizes)
        clusters = self.clusterer_.labels_to_clusters_[subset.indices]
        width = self.n_shortlist_
        if row_sizes.size and row_sizes.max() > width:
            distinct = np.unique(entry_rows * self.n_clusters_ + clusters) // self.n_clusters_
            width = max(width, int(np.bincount(distinct).max()))
        # Built where it is used: a batch of 256 × 65,536 clusters is 67 MB to copy.
        cluster_targets = torch.zeros(len(rows), self.n_clusters_, device=device)
        cluster_targets[
            to_device(entry_rows.astype(np.int64), device),
            to_device(clusters.astype(np.int64), device),
        ] = 1.0
        keys = np.sort(entry_rows.astype(np.int64) * labels.shape[1] + subset.indices)
        return cluster_targets, to_device(keys, device), width

    def _on_epoch_start(self, epoch: int) -> None:
        # Rounded first: 0.28 × 25 is 7.000000000000001 in floating point, 7 epochs not 8.
        detached = math.ceil(round(self.detach_fraction * self.n_epochs_, 9))
        self._detach_extreme = epoch < detached
        self.n_hard_negatives_ = resolve_hard_negatives(self.hard_negatives, len(self.classes_))

    def _linear_loss_scale(self, head: SparseLinearHead) -> float:
        """The meta loss is a mean over the clusters; the extreme loss is divided by the
        total weight of a text's shortlisted labels (about ``n_shortlist_`` clusters of
        ``n_labels / n_clusters_``): the hardest negatives at 1 and the others at
        ``easy_negative_weight``, or all at 1 when the hard ones fill the shortlist."""
        if head is self.network_.meta_sparse_linear:
            return float(self.n_clusters_)
        n_labels = len(self.classes_)
        shortlisted = min(float(n_labels), self.n_shortlist_ * n_labels / self.n_clusters_)
        n_hard = resolve_hard_negatives(self.hard_negatives, n_labels)
        return hard_negative_loss_weight(n_hard, shortlisted, self.easy_negative_weight)

    def _batch_loss(
        self,
        token_ids: torch.Tensor,
        bag: BagOfWordsBatch | None,
        targets: tuple[torch.Tensor, torch.Tensor, int],
        sample_weight: torch.Tensor | None = None,
    ) -> torch.Tensor:
        cluster_targets, label_keys, shortlist_width = targets
        network = self.network_
        h = network.features(token_ids, bag)
        meta_logits = network.meta_logits(h, bag)
        meta_loss = nn.functional.binary_cross_entropy_with_logits(
            meta_logits.float(),
            cluster_targets,
            weight=None if sample_weight is None else sample_weight[:, None],
        )
        # Every positive cluster is in the shortlist, even for a text with more of them
        # than n_shortlist_ (the width then grows for this batch).
        label_ids, mask = network.shortlist(
            meta_logits, shortlist_width, positive_clusters=cluster_targets > 0
        )
        extreme_input = h.detach() if getattr(self, "_detach_extreme", False) else h
        logits = network.extreme_logits(extreme_input, label_ids, mask, bag)
        extreme_targets = _positive_slots(label_ids, mask, label_keys, network.n_labels).float()
        label_weights = self._positive_weights
        extreme_loss = hard_negative_bce(
            logits,
            extreme_targets,
            self.n_hard_negatives_,
            easy_weight=self.easy_negative_weight,
            mask=mask,
            # Padded slots (label -1) read label 0's weight; the mask zeroes them.
            positive_weight=None
            if label_weights is None
            else label_weights[label_ids.clamp(min=0)],
            sample_weight=sample_weight,
        )
        return meta_loss + extreme_loss

    def _validation_metrics(
        self, token_ids: np.ndarray, bag: sp.csr_matrix | None, labels: sp.csr_matrix
    ) -> dict[str, float]:
        # One pass gives both the best label and the shortlist of every text.
        shortlists, values, indices = [], [], []
        n_shortlist = self._clusters_for_k(1)
        for meta_logits, label_ids, logits in self._iter_network_outputs(
            token_ids, bag, n_shortlist=n_shortlist
        ):
            shortlists.append(label_ids.cpu().numpy())
            best_values, best_labels = self._rank(meta_logits, label_ids, logits, k=1)
            values.append(best_values)
            indices.append(best_labels)
        scores = _top_k_to_csr(np.vstack(values), np.vstack(indices), len(self.classes_))
        scores = self._in_validation_columns(scores, labels)
        return {
            "validation_precision_at_1": precision_at_k(labels, scores, k=1),
            "validation_shortlist_recall": shortlist_recall(
                labels, _shortlist_indicator(np.vstack(shortlists), labels.shape[1])
            ),
        }

    # ------------------------------------------------------------------ prediction
    def _clusters_for_k(self, k: int) -> int:
        """Enough clusters that the shortlist holds at least ``k`` real labels."""
        # The worst case: the shortlist happens to be the smallest clusters.
        smallest_first = self._cached(
            "cumulative_cluster_sizes",
            lambda: np.cumsum(np.sort(np.diff(self.clusterer_.cluster_indptr_))),
        )
        needed = int(np.searchsorted(smallest_first, k)) + 1
        return min(self.n_clusters_, max(self.n_shortlist_, needed))

    def _rankings_nested(self, k: int, larger_k: int) -> bool:
        """Whether the ``k`` best labels are the first ``k`` of the ``larger_k`` best: when
        both come from the same shortlist (a larger ``k`` may widen it). Scorers read it to
        know whether the top-``top_k`` answer can be cut to their ``k``."""
        return self._clusters_for_k(k) == self._clusters_for_k(larger_k)

    def _check_meta_score_options(self) -> None:
        if self.meta_score_weight > 0 and self.combine_meta_scores:
            raise ValueError(
                "combine_meta_scores=True and meta_score_weight="
                f"{self.meta_score_weight} are two ways of mixing in the meta scores; set "
                "meta_score_weight=0 to use the product, or combine_meta_scores=False."
            )

    def _rank(
        self, meta_logits: torch.Tensor, label_ids: torch.Tensor, logits: torch.Tensor, k: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` best shortlisted labels of each row and their (possibly combined) logits."""
        logits = logits.float()
        self._check_meta_score_options()
        if self.meta_score_weight > 0 or self.combine_meta_scores:
            cluster_ids = self.network_.label_clusters[label_ids.clamp(min=0)]
            meta = torch.gather(meta_logits.float(), 1, cluster_ids)
            if self.combine_meta_scores:
                # The logit of p_extreme · p_meta, in float64: float32's log p rounds to 0
                # (and the logits tie) once both logits pass ~17.
                log_p = nn.functional.logsigmoid(logits.double()) + nn.functional.logsigmoid(
                    meta.double()
                )
                log_p = log_p.clamp(max=-torch.finfo(torch.float64).tiny)
                logits = (log_p - torch.log(-torch.expm1(log_p))).float()
            else:
                logits = logits + float(self.meta_score_weight) * nn.functional.logsigmoid(meta)
        # Padding slots last, whatever the weighting did to the real labels' scores.
        logits = logits.masked_fill(label_ids < 0, -math.inf)
        values, positions = torch.topk(logits, k, dim=1, sorted=True)
        return values.cpu().numpy(), torch.gather(label_ids, 1, positions).cpu().numpy()

    def _iter_top_k(
        self, token_ids: np.ndarray, bag: sp.csr_matrix | None, k: int
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        n_shortlist = self._clusters_for_k(k)
        for meta_logits, label_ids, logits in self._iter_network_outputs(
            token_ids, bag, n_shortlist=n_shortlist
        ):
            yield self._rank(meta_logits, label_ids, logits, k)

    def _shortlists(self, texts: list[str]) -> np.ndarray:
        blocks = [
            label_ids.cpu().numpy()
            for token_ids, bag in self._iter_text_features(texts)
            for _, label_ids, _ in self._iter_network_outputs(
                token_ids, bag, n_shortlist=self.n_shortlist_
            )
        ]
        return np.vstack(blocks)

    def shortlist(self, X: Any) -> np.ndarray:
        """The labels each text's extreme head scores: those of its best clusters.

        Parameters
        ----------
        X : sequence of str of length n_samples
            Raw texts.

        Returns
        -------
        label_ids : ndarray of shape (n_samples, ``n_shortlist_`` · max_cluster_size), int64
            Column indices (into ``classes_``) of the shortlisted labels, -1 where padded.
        """
        check_is_fitted(self, "network_")
        return self._shortlists(check_texts(X))

    def _canonical_parameter(self, name: str, value: Any) -> Any:
        # clusterer=None is LabelTreeClusterer() (and a nested clusterer__n_clusters=None
        # turns None into that): the same clustering either way.
        if name == "clusterer" and value is None:
            return LabelTreeClusterer()
        return value

    def shortlist_recall(self, X: Any, y: Any) -> float:
        """Fraction of each text's true labels inside its shortlist, averaged over the texts
        that have a true label.

        Parameters
        ----------
        X : sequence of str of length n_samples
            Raw texts.
        y : label matrix of shape (n_samples, n_labels) or list of label lists
            True labels, in the columns of ``classes_``.

        Returns
        -------
        recall : float
            :func:`~skxml.metrics.shortlist_recall` of the shortlists of ``X``: an upper
            bound on the recall of any ``k`` up to the labels the shortlist holds (a larger
            ``k`` widens the shortlist, see :meth:`decision_function`). Labels of ``y``
            that the model was not trained on count as outside every shortlist.
        """
        check_is_fitted(self, "network_")
        texts = check_texts(X)
        labels = self._check_eval_labels(y, len(texts), name="y", keep_unseen=True)
        indicator = _shortlist_indicator(self._shortlists(texts), labels.shape[1])
        return shortlist_recall(labels, indicator)


def _shortlist_indicator(label_ids: np.ndarray, n_labels: int) -> sp.csr_matrix:
    """Shortlisted label ids (-1 padded) as a 0/1 CSR matrix of ``n_labels`` columns.

    The metric also takes the ids themselves, but reads an array of ``n_labels`` columns
    holding only 0 and 1 (every label shortlisted, with 1 or 2 labels) as an indicator."""
    rows = np.repeat(np.arange(label_ids.shape[0]), label_ids.shape[1])
    ids = label_ids.ravel()
    real = ids >= 0
    return sp.csr_matrix(
        (np.ones(int(real.sum()), dtype=np.int8), (rows[real], ids[real])),
        shape=(label_ids.shape[0], n_labels),
    )


def _fresh_clusterer(clusterer: Any) -> Any:
    """An unfitted copy of ``clusterer``; ``None`` (the parameter's default) means
    ``LabelTreeClusterer()``."""
    return LabelTreeClusterer() if clusterer is None else clone(clusterer)


def _ignored_vectorizer_parameters(clusterer: Any) -> list[str]:
    """The clusterer's ``tfidf_*`` parameters set away from their defaults."""
    params = clusterer.get_params(deep=False)
    defaults = type(clusterer)().get_params(deep=False)
    return [
        f"{name}={params[name]!r}"
        for name in sorted(params)
        if name.startswith("tfidf_") and params[name] != defaults.get(name)
    ]
