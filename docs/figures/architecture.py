"""The shapes of the data through InceptionXML, drawn from a real forward pass.

Run by the documentation build (``.. plot:: figures/architecture.py`` in
``user_guide/inceptionxml.rst``), or on its own to look at it.
The shapes are not typed in: an :class:`~skxml.nn.InceptionXMLEncoder` with the paper's
setting (d = 300, S = 32) encodes a batch and forward hooks record every layer's output,
so the figure follows the code if the layout ever changes. Each tensor is drawn as a
rectangle of (channels × length) cells at a common scale; the batch axis is left out.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import torch
from matplotlib.patches import FancyArrowPatch, Rectangle

from skxml.nn import ExtremeClassifierHead, InceptionXMLEncoder

EMBEDDING_DIM = 300  # d, the paper's GloVe width
MAX_SEQ_LEN = 32  # S
CELL = 0.02  # drawing units per tensor element
CENTRE = 8.0  # x of the tensor column
TEXT_X = 13.9  # left edge of the descriptions
COLOURS = {
    "input": "#d9d9d9",
    "embedding": "#9ecae1",
    "attention": "#6baed6",
    "projection": "#fdae6b",
    "branch": ["#74c476", "#31a354", "#006d2c"],
    "final": "#9e9ac8",
    "features": "#fb6a4a",
    "head": "#fcbba1",
    "logits": "#ef3b2c",
    "side": "#f0f0f0",
}


def record_shapes() -> tuple[dict[str, tuple[int, ...]], InceptionXMLEncoder]:
    """Output shapes (without the batch axis) of every stage, from one forward pass."""
    torch.manual_seed(0)
    encoder = InceptionXMLEncoder(
        n_tokens=100, embedding_dim=EMBEDDING_DIM, max_seq_len=MAX_SEQ_LEN
    ).eval()
    head = ExtremeClassifierHead(encoder.n_features_out, 1000).eval()
    shapes: dict[str, tuple[int, ...]] = {}

    def keep(name):
        def hook(module, inputs, output):
            shapes[name] = tuple(output.shape[1:])

        return hook

    stages = {
        "embedding": encoder.embedding,
        "word_attention": encoder.word_attention,
        "embedding_attention": encoder.embedding_attention,
        "projection": encoder.projection,
        "concatenated": encoder.post_branches,
        "final": encoder.final_convolution,
        "residual": head.hidden,
    }
    stages.update({f"branch{i}": branch for i, branch in enumerate(encoder.branches)})
    for name, module in stages.items():
        module.register_forward_hook(keep(name))
    token_ids = torch.randint(1, 100, (2, MAX_SEQ_LEN))
    with torch.no_grad():
        features = encoder(token_ids)
        head(features)
    shapes["tokens"] = tuple(token_ids.shape[1:])
    shapes["features"] = tuple(features.shape[1:])
    return shapes, encoder


def tensor(ax, x_centre, y_top, rows, columns, colour, rows_drawn=None):
    """A (rows × columns) tensor as a rectangle; returns its bottom y."""
    width, height = columns * CELL, rows * CELL
    ax.add_patch(
        Rectangle(
            (x_centre - width / 2, y_top - height),
            width,
            height,
            facecolor=colour,
            edgecolor="black",
            linewidth=0.8,
        )
    )
    for row in range(1, rows_drawn or 0):
        y = y_top - row * height / rows_drawn
        ax.plot([x_centre - width / 2, x_centre + width / 2], [y, y], color="white", linewidth=0.4)
    return y_top - height


def arrow(ax, start, end, **style):
    ax.add_patch(
        FancyArrowPatch(
            start,
            end,
            arrowstyle="-|>",
            mutation_scale=10,
            linewidth=0.9,
            color=style.pop("color", "black"),
            **style,
        )
    )


def describe(ax, y, title, detail):
    ax.text(TEXT_X, y, title, fontsize=10, fontweight="bold", va="top")
    ax.text(TEXT_X, y - 0.5, detail, fontsize=9, va="top", color="#333333", linespacing=1.25)


def draw(ax) -> None:
    shapes, encoder = record_shapes()
    seq_len, dim = shapes["embedding"]
    n_filters = shapes["projection"][0]
    gap = 1.3
    y = 0.0

    # Token ids: one cell per position.
    ax.text(
        CENTRE,
        y + 0.1,
        "“python bindings gtk toolkit”",
        ha="center",
        va="bottom",
        fontsize=9,
        style="italic",
    )
    token_width = 0.17
    for position in range(seq_len):
        ax.add_patch(
            Rectangle(
                (CENTRE - seq_len * token_width / 2 + position * token_width, y - token_width),
                token_width,
                token_width,
                edgecolor="black",
                linewidth=0.5,
                facecolor=COLOURS["embedding"] if position < 4 else "white",
            )
        )
    describe(ax, y + 0.35, f"token ids ({seq_len},)", f"S = {seq_len} positions, 0 = padding")
    bottom = y - token_width

    steps = [
        (
            "embedding",
            COLOURS["embedding"],
            f"embedding E(x) ({seq_len}, {dim})",
            f"a {dim}-d vector per word; dropout",
        ),
        (
            "word_attention",
            COLOURS["attention"],
            f"attention, words ({seq_len}, {dim})",
            f"γ·(x xᵀ)(W x) + x, {seq_len} channels,\nW a 1×1 conv, γ starts at 0",
        ),
        (
            "embedding_attention",
            COLOURS["attention"],
            f"attention, dims ({seq_len}, {dim})",
            f"the same on the transpose: {dim}\nchannels, keys from E(x)",
        ),
        (
            "projection",
            COLOURS["projection"],
            f"projection ({n_filters}, {dim})",
            f"1×1 conv, {seq_len} words → {n_filters} channels;\nthe word axis ends here",
        ),
    ]
    for name, colour, title, detail in steps:
        y = bottom - gap
        rows = shapes[name][0] if name != "embedding_attention" else shapes[name][1]
        bottom = tensor(ax, CENTRE, y, rows, dim, colour, rows_drawn=8)
        arrow(ax, (CENTRE, y + gap - 0.05), (CENTRE, y + 0.02))
        describe(ax, y + 0.3, title, detail)

    # Parallel convolutions along the embedding axis.
    y = bottom - gap - 0.2
    branch_length = shapes["branch0"][1]
    spacing = 2.3
    branch_bottom = y
    for index, branch in enumerate(encoder.branches):
        x = CENTRE + (index - 1) * spacing
        branch_bottom = tensor(ax, x, y, n_filters, branch_length, COLOURS["branch"][index])
        arrow(ax, (CENTRE, bottom - 0.05), (x, y + 0.02))
        ax.text(
            x,
            branch_bottom - 0.12,
            f"k={branch.kernel_size[0]}",
            ha="center",
            va="top",
            fontsize=8.5,
        )
    kernels = ", ".join(str(branch.kernel_size[0]) for branch in encoder.branches)
    describe(
        ax,
        y + 0.3,
        f"3 convolutions 3 × ({n_filters}, {branch_length})",
        f"along the {dim} dims: kernels {kernels},\nstride {encoder.stride}, circular padding",
    )

    # Concatenation.
    y = branch_bottom - 0.5 - gap
    concatenated_rows, _ = shapes["concatenated"]
    for index in range(3):
        tensor(
            ax,
            CENTRE,
            y - index * n_filters * CELL,
            n_filters,
            branch_length,
            COLOURS["branch"][index],
        )
    bottom = y - concatenated_rows * CELL
    for index in range(3):
        arrow(
            ax,
            (CENTRE + (index - 1) * spacing, branch_bottom - 0.45),
            (CENTRE, y + 0.02),
            color="#555555",
        )
    describe(
        ax,
        y + 0.1,
        f"concatenate ({concatenated_rows}, {branch_length})",
        "GELU, BatchNorm, dropout",
    )

    # Final convolution.
    y = bottom - gap
    final_rows, final_length = shapes["final"]
    bottom = tensor(ax, CENTRE, y, final_rows, final_length, COLOURS["final"])
    arrow(ax, (CENTRE, y + gap - 0.05), (CENTRE, y + 0.02))
    final = encoder.final_convolution[0]
    describe(
        ax,
        y + 0.3,
        f"final convolution ({final_rows}, {final_length})",
        f"kernel {final.kernel_size[0]}, stride {final.stride[0]}; GELU, BatchNorm",
    )

    # Flattened features; the vector rows need room for two-line descriptions.
    gap = 1.6
    n_features = shapes["features"][0]
    y = bottom - gap
    bar = 0.22
    bottom = tensor(ax, CENTRE, y, bar / CELL, n_features, COLOURS["features"])
    arrow(ax, (CENTRE, y + gap - 0.05), (CENTRE, y + 0.02))
    describe(
        ax,
        y + 0.45,
        f"features h_f ({n_features},)",
        f"flattened: {final_rows} × {final_length} = {n_features}",
    )
    features_y = y - bar / 2
    left_end = CENTRE - n_features * CELL / 2

    # Residual layer of the head.
    y = bottom - gap
    bottom = tensor(ax, CENTRE, y, bar / CELL, shapes["residual"][0], COLOURS["head"])
    arrow(ax, (CENTRE, y + gap - 0.05), (CENTRE, y + 0.02))
    right_end = CENTRE + n_features * CELL / 2
    arrow(
        ax,
        (right_end, features_y),
        (right_end, y - bar / 2),
        connectionstyle="arc3,rad=-0.5",
        linestyle="--",
    )
    ax.text(right_end + 0.4, (features_y + y) / 2 - 0.1, "+", fontsize=11, va="center")
    describe(
        ax,
        y + 0.45,
        f"g = R(h_f) + h_f ({shapes['residual'][0]},)",
        f"R: dropout, Linear {n_features}→{n_features},\nGELU, BatchNorm",
    )

    # Logits over all labels: drawn wider than h_f and cut, L is unbounded.
    y = bottom - gap
    logit_width = 10.2
    ax.add_patch(
        Rectangle(
            (CENTRE - logit_width / 2, y - bar),
            logit_width,
            bar,
            facecolor=COLOURS["logits"],
            edgecolor="black",
            linewidth=0.8,
        )
    )
    ax.text(CENTRE + logit_width / 2 + 0.1, y - bar / 2, "…", fontsize=12, va="center")
    arrow(ax, (CENTRE, y + gap - 0.05), (CENTRE, y + 0.02))
    describe(
        ax,
        y + 0.45,
        "L logits, one per label",
        f"dropout, Linear {n_features} → L;\nsigmoid + BCE in training",
    )
    logits_y = y - bar / 2

    # skxml's default side inputs, switched off for the paper's network.
    side_style = dict(
        boxstyle="round,pad=0.3", facecolor=COLOURS["side"], edgecolor="#777777", linestyle="--"
    )
    ax.text(
        0.0,
        features_y + 1.05,
        "TF-IDF n-gram\nembedding",
        fontsize=8.5,
        va="center",
        bbox=side_style,
    )
    arrow(
        ax, (1.4, features_y + 0.6), (left_end - 0.05, features_y), color="#777777", linestyle="--"
    )
    ax.text(left_end - 0.3, features_y + 0.35, "+", fontsize=11, va="center")
    ax.text(
        0.0,
        logits_y + 1.05,
        "sparse n-gram\n→ label map",
        fontsize=8.5,
        va="center",
        bbox=side_style,
    )
    arrow(
        ax,
        (1.4, logits_y + 0.6),
        (CENTRE - logit_width / 2 - 0.05, logits_y),
        color="#777777",
        linestyle="--",
    )
    ax.text(
        0.0,
        logits_y - 0.6,
        "dashed: skxml's default TF-IDF side inputs (tfidf_embedding,\n"
        "tfidf_linear); without them, the paper's network",
        fontsize=9,
        va="top",
        color="#555555",
    )

    ax.set_xlim(-0.3, 24.3)
    ax.set_ylim(logits_y - 1.8, 0.9)
    ax.set_aspect("equal")
    ax.axis("off")


fig, ax = plt.subplots()
draw(ax)
x_low, x_high = ax.get_xlim()
y_low, y_high = ax.get_ylim()
fig.set_size_inches(7.5, 7.5 * (y_high - y_low) / (x_high - x_low))
fig.subplots_adjust(left=0, right=1, bottom=0, top=1)
plt.show()
