"""Tiling weight vectors or samples into one grey image, for the RBM tutorial's plots
(the role the tutorials' ``utils.tile_raster_images`` played), and saving it without PIL."""

import numpy


def scale_to_unit_interval(ndar, eps=1e-8):
    """``ndar`` shifted and scaled into [0, 1]."""
    ndar = ndar.copy()
    ndar -= ndar.min()
    ndar *= 1.0 / (ndar.max() + eps)
    return ndar


def tile_raster_images(
    X, img_shape, tile_shape, tile_spacing=(0, 0), scale_rows_to_unit_interval=True
):
    """The rows of ``X`` (flattened images of ``img_shape``) laid out on a grid of
    ``tile_shape`` images with ``tile_spacing`` black pixels between them, as uint8."""
    height = (img_shape[0] + tile_spacing[0]) * tile_shape[0] - tile_spacing[0]
    width = (img_shape[1] + tile_spacing[1]) * tile_shape[1] - tile_spacing[1]
    out = numpy.zeros((height, width), dtype="uint8")
    for row in range(tile_shape[0]):
        for col in range(tile_shape[1]):
            k = row * tile_shape[1] + col
            if k >= X.shape[0]:
                continue
            image = X[k].reshape(img_shape)
            if scale_rows_to_unit_interval:
                image = scale_to_unit_interval(image)
            top = row * (img_shape[0] + tile_spacing[0])
            left = col * (img_shape[1] + tile_spacing[1])
            out[top : top + img_shape[0], left : left + img_shape[1]] = image * 255
    return out


def save_image(array, path):
    """Write a uint8 grey image as a binary PGM file (readable by any image viewer)."""
    with open(path, "wb") as f:
        f.write(b"P5\n%d %d\n255\n" % (array.shape[1], array.shape[0]))
        f.write(numpy.ascontiguousarray(array, dtype="uint8").tobytes())
