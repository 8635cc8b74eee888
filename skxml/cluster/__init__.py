"""Label clustering for InceptionXML+: balanced label trees over PIFA label features.

- :class:`LabelTreeClusterer`: PIFA label features (the normalised sum of the TF-IDF vectors
  of each label's training texts) partitioned by recursive balanced 2-means into
  ``n_clusters`` clusters of equal size; maps label matrices to cluster indicator matrices.
"""

from skxml.cluster._label_tree import LabelTreeClusterer

__all__ = ["LabelTreeClusterer"]
