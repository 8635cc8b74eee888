"""A toy corpus shared by the estimator tests: 8 short texts and their label names, x4."""

TEXTS = [
    "red apple pie",
    "green apple tart",
    "apple crumble recipe",
    "blue sky today",
    "grey sky and rain",
    "rain storm warning",
    "fresh apple juice",
    "heavy rain tonight",
] * 4
LABELS = [
    ["food", "fruit"],
    ["food", "fruit"],
    ["food"],
    ["weather"],
    ["weather", "rain"],
    ["weather", "rain"],
    ["fruit"],
    ["rain"],
] * 4
