"""User-defined ops, written for Theano (the shape of the "Creating a new Op: Python
implementation" tutorial): a DoubleOp with __props__, make_node, perform, infer_shape,
grad and R_op, and the same op made with as_op. Prints what it checked.

python -m symgraph.compat.theano double_op.py
"""

# ruff: noqa: UP004 - old-style Python, kept as Theano users wrote it

import numpy
import theano
import theano.tensor as T
from theano import gof
from theano.compile.ops import as_op


class DoubleOp(gof.Op):
    __props__ = ()

    def make_node(self, x):
        x = T.as_tensor_variable(x)
        return gof.Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        x = inputs[0]
        z = output_storage[0]
        z[0] = x * 2

    def infer_shape(self, node, i0_shapes):
        return i0_shapes

    def grad(self, inputs, output_grads):
        return [output_grads[0] * 2]

    def R_op(self, inputs, eval_points):
        if eval_points[0] is None:
            return eval_points
        return self.grad(inputs, eval_points)


def infer_shape_numpy_dot(node, input_shapes):
    ashp, bshp = input_shapes
    return [ashp[:-1] + bshp[-1:]]


@as_op(itypes=[T.dmatrix, T.dmatrix], otypes=[T.dmatrix], infer_shape=infer_shape_numpy_dot)
def numpy_dot(a, b):
    return numpy.dot(a, b)


rng = numpy.random.RandomState(42)

x = T.matrix("x")
f = theano.function([x], DoubleOp()(x))
inp = numpy.asarray(rng.rand(5, 4), dtype=theano.config.floatX)
out = f(inp)
assert numpy.allclose(inp * 2, out)
print("DoubleOp doubles", inp.shape)

assert DoubleOp() == DoubleOp() and hash(DoubleOp()) == hash(DoubleOp())
print("str:", DoubleOp(), theano.printing.debugprint(DoubleOp()(x), file="str").split()[0])

shape = theano.function([x], DoubleOp()(x).shape)
assert tuple(shape(inp)) == (5, 4)
print("infer_shape gives", tuple(int(n) for n in shape(inp)))

cost = DoubleOp()(x).sum()
g = theano.function([x], T.grad(cost, x))
assert numpy.allclose(g(inp), 2 * numpy.ones_like(inp))
print("grad is 2")

theano.gradient.verify_grad(lambda a: DoubleOp()(a), [rng.rand(3, 2)], rng=rng)
print("verify_grad passed")

v = T.matrix("v")
r = theano.function([x, v], T.Rop(DoubleOp()(x), x, v), on_unused_input="ignore")
assert numpy.allclose(r(inp, inp), 2 * inp)
print("R_op gives 2 v")

a = T.dmatrix("a")
b = T.dmatrix("b")
fd = theano.function([a, b], numpy_dot(a, b))
av, bv = rng.rand(3, 4), rng.rand(4, 2)
assert numpy.allclose(fd(av, bv), numpy.dot(av, bv))
dshape = theano.function([a, b], numpy_dot(a, b).shape)
assert tuple(dshape(av, bv)) == (3, 2)
print("as_op numpy_dot", tuple(int(n) for n in dshape(av, bv)))
