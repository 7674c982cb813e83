"""Two random 9x9 filters of a convolution layer applied to a photo-like image (the Theano
tutorial's "3wolfmoon" example, with a synthetic RGB scene instead of the photograph). It
prints the output shape; with matplotlib installed, it saves the image and the two filter
responses as three panels in one PNG. There is no training, so the training tutorials'
--epochs, --batch-size, --n-train and --max-steps do not apply.

    python tutorials/filters.py --out filters.png
"""

from __future__ import annotations

import numpy as np

import symgraph
import symgraph.tensor as T
from symgraph.utils import script_parser


def synthetic_photo(height: int = 240, width: int = 320, seed: int = 0) -> np.ndarray:
    """An RGB image in [0, 1] with smooth shading, edges and texture: a sky gradient, a
    bright disc (the moon) and noisy hills, shaped (height, width, 3)."""
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[0:height, 0:width] / np.array([height, width])[:, None, None]
    sky = np.stack([0.1 + 0.2 * rows, 0.1 + 0.3 * rows, 0.3 + 0.5 * rows], axis=-1)
    moon = ((rows - 0.25) ** 2 + ((cols - 0.7) * width / height) ** 2) < 0.01
    sky[moon] = [0.95, 0.95, 0.85]
    hills = rows > 0.65 + 0.1 * np.sin(cols * 9) + 0.02 * rng.standard_normal(cols.shape)
    sky[hills] = [0.15, 0.25, 0.1] + 0.05 * rng.standard_normal((int(hills.sum()), 3))
    return np.clip(sky, 0, 1)


def build(seed: int = 23455):
    """The conv layer: 2 random filters of 3 channels, 9x9, then a sigmoid (as the tutorial)."""
    rng = np.random.RandomState(seed)
    input = T.tensor4("input")
    w_shape = (2, 3, 9, 9)
    bound = np.sqrt(3 * 9 * 9)
    floatX = symgraph.config.floatX
    W = symgraph.shared(rng.uniform(-1.0 / bound, 1.0 / bound, w_shape).astype(floatX), name="W")
    b = symgraph.shared(rng.uniform(-0.5, 0.5, 2).astype(floatX), name="b")
    conv_out = T.conv2d(input, W)
    output = T.sigmoid(conv_out + b.dimshuffle("x", 0, "x", "x"))
    return symgraph.function([input], output, name="filter_responses")


def make_parser():
    parser = script_parser(__doc__)
    parser.add_argument("--out", default="filters.png", help="where to save the panels")
    parser.add_argument(
        "--float32", action="store_true", help="compute in float32 instead of float64"
    )
    return parser


def main(argv: list[str] | None = None) -> None:
    args = make_parser().parse_args(argv)
    if args.float32:
        symgraph.config.floatX = "float32"
    image = synthetic_photo()
    batch = image.transpose(2, 0, 1)[None].astype(symgraph.config.floatX)  # (1, 3, h, w)
    responses = build()(batch)
    print(f"image {image.shape}, filtered {responses.shape}")
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no PNG written (pip install matplotlib)")
        return
    figure, axes = plt.subplots(1, 3, figsize=(12, 3.5))
    axes[0].imshow(image)
    axes[1].imshow(responses[0, 0], cmap="gray")
    axes[2].imshow(responses[0, 1], cmap="gray")
    for axis, title in zip(axes, ["image", "filter 1", "filter 2"]):
        axis.set_title(title)
        axis.axis("off")
    figure.savefig(args.out, bbox_inches="tight")
    print(f"saved {args.out}")


if __name__ == "__main__":
    main()
