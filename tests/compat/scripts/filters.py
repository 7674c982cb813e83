"""The LeNet tutorial's filter example written for Theano: two random 9x9 filters over an
RGB image, then a sigmoid (the tutorial's "3wolfmoon" demo, reading a saved NumPy image
instead of the photograph, and saving the responses instead of plotting them).

    python -m symgraph.compat.theano filters.py IMAGE.npy OUT.npz
"""

import sys

import numpy
import theano
from theano import tensor as T
from theano.tensor.nnet import conv2d

rng = numpy.random.RandomState(23455)

input = T.tensor4(name="input")
w_shp = (2, 3, 9, 9)
w_bound = numpy.sqrt(3 * 9 * 9)
W = theano.shared(
    numpy.asarray(
        rng.uniform(low=-1.0 / w_bound, high=1.0 / w_bound, size=w_shp), dtype=input.dtype
    ),
    name="W",
)
b_shp = (2,)
b = theano.shared(
    numpy.asarray(rng.uniform(low=-0.5, high=0.5, size=b_shp), dtype=input.dtype), name="b"
)

conv_out = conv2d(input, W)
output = T.nnet.sigmoid(conv_out + b.dimshuffle("x", 0, "x", "x"))
f = theano.function([input], output)

img = numpy.load(sys.argv[1])
height, width = img.shape[:2]
img_ = img.transpose(2, 0, 1).reshape(1, 3, height, width)
filtered_img = f(img_)
print("filtered image shape", filtered_img.shape)
numpy.savez(sys.argv[2], filtered=filtered_img, W=W.get_value(), b=b.get_value())
