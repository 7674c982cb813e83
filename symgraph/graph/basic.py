"""The graph IR: ``Variable`` nodes produced by ``Apply`` nodes of ``Op``s.

A graph is bipartite: each ``Apply`` applies one ``Op`` to input ``Variable``s and owns
its output ``Variable``s; a variable with no owner is a graph input (or a ``Constant``).
Ops compare by value (``__props__``), so two applications of equal ops to the same inputs
compute the same thing and can be merged by a dictionary lookup.
"""

from __future__ import annotations

import contextlib
import itertools
import linecache
import os
import sys
import threading
import warnings
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from symgraph.config import config
from symgraph.graph.emit import EmitContext, perform_emitted

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_ids = itertools.count()


class Type:
    """What values a variable may hold. Subclasses compare by value."""

    def filter(self, value: Any, strict: bool = False, allow_downcast: bool | None = None):
        """Return ``value`` converted to this type, or raise TypeError."""
        raise NotImplementedError(f"{type(self).__name__} does not implement filter")

    def make_variable(self, name: str | None = None) -> Variable:
        return Variable(self, name=name)

    def __call__(self, name: str | None = None) -> Variable:
        return self.make_variable(name)


@dataclass(frozen=True)
class SourceLocation:
    """Where, in the user's code, a node was built."""

    filename: str
    lineno: int
    function: str

    @property
    def line(self) -> str:
        return linecache.getline(self.filename, self.lineno).strip()

    def __str__(self) -> str:
        return f'File "{self.filename}", line {self.lineno}, in {self.function}: {self.line}'


# Frames of the standard library's wrappers around symgraph's own functions (a
# ``contextmanager`` used as a decorator calls the function from contextlib): not the user's.
_WRAPPER_FILES = frozenset({contextlib.__file__})


def is_user_file(filename: str) -> bool:
    """Whether code in ``filename`` is the user's: not symgraph's own, its generated code,
    or a standard-library wrapper around it."""
    return (
        not filename.startswith(_PACKAGE_DIR)
        and not filename.startswith("<symgraph")
        and filename not in _WRAPPER_FILES
    )


def user_source_location() -> SourceLocation | None:
    """The innermost stack frame outside the symgraph package (the user's line)."""
    frame = sys._getframe(1)
    while frame is not None:
        if is_user_file(frame.f_code.co_filename) and not _in_users_make_node(frame):
            return SourceLocation(frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name)
        frame = frame.f_back
    return None


def _in_users_make_node(frame) -> bool:
    """Whether ``frame`` runs the ``make_node`` of an op a user wrote: the line to show is
    the one applying the op, further out, not the line inside its ``make_node``."""
    code = frame.f_code
    return (
        code.co_name == "make_node"
        and code.co_argcount > 0
        and isinstance(frame.f_locals.get(code.co_varnames[0]), Op)
    )


def user_stacklevel() -> int:
    """The ``stacklevel`` that makes a warning raised by the caller of this function point
    at the user's line (the innermost frame outside symgraph), however deep in symgraph
    the caller sits."""
    level, frame = 1, sys._getframe(1)
    while frame is not None:
        if is_user_file(frame.f_code.co_filename):
            return level
        level += 1
        frame = frame.f_back
    return level


def variable_label(variable: Variable) -> str:
    """How error messages name a user's variable: ``'W'``, or ``<unnamed f64[?,?]>``."""
    return f"'{variable.name}'" if variable.name else f"<unnamed {variable.type}>"


class Tag(dict):
    """Free-form notes on a variable; keys read and write as attributes too
    (``x.tag.test_value = ...``, as in Theano)."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"tag has no entry {name!r}") from None

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value

    def __delattr__(self, name: str) -> None:
        del self[name]

    def without_caches(self) -> Tag:
        """A copy without the entries starting with "_" (caches such as ``eval``'s
        compiled functions), for pickles and cloned graphs."""
        return Tag({k: v for k, v in self.items() if not k.startswith("_")})


class Variable:
    """A symbolic value: the output of an ``Apply`` (``owner``) or a graph input.

    ``eval()`` (compile and run this variable's graph) is added by ``symgraph.compile``,
    which builds on this module.
    """

    def __init__(
        self,
        type: Type,
        owner: Apply | None = None,
        index: int | None = None,
        name: str | None = None,
    ) -> None:
        self.type = type
        self.owner = owner
        self.index = index
        self.name = name
        self.auto_id = next(_ids)
        self.tag = Tag()

    def clone(self) -> Variable:
        """A fresh, ownerless variable of the same type and name."""
        return type(self)(self.type, name=self.name)

    def __getstate__(self) -> dict:
        # Caches (tag keys starting with "_", like eval's compiled functions) stay behind.
        state = self.__dict__.copy()
        state["tag"] = self.tag.without_caches()
        if self.owner is None:
            return state
        # A variable's state holds its owner, whose state holds its inputs, and so on:
        # stored as they are, a graph n nodes deep makes pickle (and deepcopy) recurse n
        # times. So the first variable of a graph stored by one pickle puts, ahead of its
        # own attributes, the nodes it depends on in topological order: each node then
        # meets its inputs already stored, and no nesting is deeper than one node.
        session = _StoreSession.current()
        if self.owner in session.nodes:
            return state
        nodes = _unstored_ancestors(self.owner, session.nodes)
        return {_SESSION_KEY: session, _NODES_KEY: nodes, **state}

    def __setstate__(self, state: dict) -> None:
        state = dict(state)
        state.pop(_SESSION_KEY, None)
        state.pop(_NODES_KEY, None)
        self.__dict__.update(state)

    def __str__(self) -> str:
        if self.name is not None:
            return self.name
        if self.owner is not None:
            op = str(self.owner.op)
            if len(self.owner.outputs) > 1:
                return f"{op}.{self.index}"
            return op
        return f"<{self.type}>"

    def __repr__(self) -> str:
        return str(self)


_SESSION_KEY = "_pickle_session"
_NODES_KEY = "_pickle_ancestor_nodes"


class _StoreSession:
    """One pickle (or deep copy) in progress: the Apply nodes it has begun to store.

    Each variable state that lists nodes holds the session, so the pickler's memo (or
    deepcopy's) keeps it alive exactly as long as that one operation; this module keeps
    only a weak reference per thread. Which session a variable sees decides only how deep
    the pickler nests, never what is stored: a shallow state still names its owner.
    """

    __slots__ = ("nodes", "__weakref__")
    _local = threading.local()

    def __init__(self) -> None:
        self.nodes: set[Apply] = set()

    def __reduce__(self):
        return (_StoreSession, ())  # stored as an empty marker, dropped when loaded

    @classmethod
    def current(cls) -> _StoreSession:
        ref = getattr(cls._local, "ref", None)
        session = ref() if ref is not None else None
        if session is None:
            session = cls()
            cls._local.ref = weakref.ref(session)
        return session


def _unstored_ancestors(node: Apply, stored: set[Apply]) -> list[Apply]:
    """``node`` and the nodes it depends on that are not in ``stored``, inputs first;
    adds them to ``stored``."""
    order: list[Apply] = []
    stored.add(node)
    stack: list[tuple[Apply, int]] = [(node, 0)]
    while stack:
        node, position = stack[-1]
        if position < len(node.inputs):
            stack[-1] = (node, position + 1)
            parent = node.inputs[position].owner
            if parent is not None and parent not in stored:
                stored.add(parent)
                stack.append((parent, 0))
        else:
            stack.pop()
            order.append(node)
    return order


class Constant(Variable):
    """A variable whose value is fixed when the graph is built."""

    def __init__(self, type: Type, data: Any, name: str | None = None) -> None:
        super().__init__(type, name=name)
        self.data = type.filter(data, strict=False, allow_downcast=True)

    def signature(self) -> tuple:
        """Equal signatures mean interchangeable constants (used by merging)."""
        data = self.data
        if hasattr(data, "tobytes"):
            return (self.type, data.shape, data.tobytes())
        return (self.type, data)

    def clone(self) -> Constant:
        return type(self)(self.type, self.data, name=self.name)

    def __str__(self) -> str:
        if self.name is not None:
            return self.name
        data = self.data
        if getattr(data, "size", 2) == 1:
            return str(data.item() if hasattr(data, "item") else data)
        return f"Constant{{{getattr(data, 'shape', '')}}}"


class Apply:
    """One application of ``op`` to ``inputs``, producing ``outputs``."""

    def __init__(self, op: Op, inputs: Sequence[Variable], output_types: Sequence[Type]) -> None:
        self.op = op
        self.inputs = list(inputs)
        for position, variable in enumerate(self.inputs):
            if not isinstance(variable, Variable):
                raise TypeError(f"{op}: input {position} is {variable!r}, not a Variable")
        self.outputs = [t.make_variable() for t in output_types]
        for index, output in enumerate(self.outputs):
            output.owner = self
            output.index = index
        self.source = user_source_location()

    @property
    def out(self) -> Variable:
        """The single output (error if the op has several)."""
        if len(self.outputs) != 1:
            raise ValueError(f"{self.op} has {len(self.outputs)} outputs")
        return self.outputs[0]

    def clone_with_new_inputs(self, inputs: Sequence[Variable], strict: bool = True) -> Apply:
        """Rebuild this node on other inputs (types re-inferred by the op)."""
        node = self.op.make_node(*inputs)
        if strict:
            for old, new in zip(self.outputs, node.outputs):
                if old.type != new.type and not old.type.is_super(new.type):
                    raise TypeError(
                        f"{self.op}: rebuilding changed output type {old.type} -> {new.type}"
                    )
        node.source = self.source
        for old, new in zip(self.outputs, node.outputs):
            new.name = old.name
        return node

    def __str__(self) -> str:
        return f"{self.op}({', '.join(map(str, self.inputs))})"

    __repr__ = __str__


class Op:
    """Base class of operations.

    An op declares everything about itself in one place:

    - ``__props__``: the parameters that define it (equality and hashing use them);
    - ``make_node(*inputs)``: checks inputs and infers output types (static shapes);
    - its implementation, once: either ``emit(node, inputs, ctx)``, the Python code the
      code generator pastes into a compiled function (``perform`` then runs that same
      code, see ``symgraph.graph.emit``), or, for an op that writes no code,
      ``perform(node, inputs)``, which the compiled function calls (behind the checks of
      ``symgraph.graph.perform``: read-only inputs unless destroyed, outputs checked
      against their types). Never both: two implementations of one op could disagree;
    - ``infer_shape(node, input_shapes)``: symbolic output shapes without computing them
      (None for the whole result, or for one length the op cannot tell);
    - ``grad(node, output_grads)``: symbolic gradients of the inputs (the single gradient
      hook; ``None`` marks an input the outputs do not differentiably depend on);
    - ``jvp(node, eval_points)``, optional: the outputs' tangents when the inputs move
      along ``eval_points`` (forward mode, for ``Rop``); without it, they are derived from
      ``grad``;
    - ``view_map`` / ``destroy_map``: which outputs alias or overwrite which inputs;
    - ``jax(node, inputs, jx)``, for the JAX backend: the outputs' values (one value, or a
      sequence for several outputs) computed from the inputs' JAX values with ``jx``'s
      modules (``jx.numpy``, ``jx.lax``, ``jx.random``; see
      ``symgraph.compile.jax_backend``). Written next to the NumPy code, it must compute
      the same thing; a constant input arrives as its NumPy value, so static parameters
      (shapes, indices) stay Python values.
    """

    __props__: tuple[str, ...] = ()
    view_map: dict[int, list[int]] = {}
    destroy_map: dict[int, list[int]] = {}

    def _props(self) -> tuple:
        return tuple(getattr(self, name) for name in self.__props__)

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self._props() == other._props()

    def __hash__(self) -> int:
        return hash((type(self), self._props()))

    def __str__(self) -> str:
        name = type(self).__name__
        if not self.__props__:
            return name
        return f"{name}{{{', '.join(f'{p}={getattr(self, p)!r}' for p in self.__props__)}}}"

    __repr__ = __str__

    def __call__(self, *inputs, **kwargs):
        node = self.make_node(*inputs, **kwargs)
        if config.compute_test_value != "off":
            compute_test_values(node, config.compute_test_value)
        return node.outputs[0] if len(node.outputs) == 1 else node.outputs

    def make_node(self, *inputs) -> Apply:
        raise NotImplementedError(f"{type(self).__name__}.make_node")

    def perform(self, node: Apply, inputs: Sequence[Any]) -> Sequence[Any]:
        """The outputs' values computed from the inputs' values (constant folding and
        anyone evaluating one node call it): by default, ``emit``'s code run on them."""
        return perform_emitted(node, inputs)

    def emit(self, node: Apply, inputs: Sequence[str], ctx: EmitContext) -> str | list[str] | None:
        """Python code computing ``node``'s outputs from the input names ``inputs``:

        - an expression (``f"{inputs[0]}.reshape({inputs[1]})"``), assigned to the output
          (for several outputs, a tuple unpacked into them);
        - or a list of statements that assign the names ``ctx.outputs``;
        - or None: the op implements ``perform`` instead, and the code calls it.

        ``ctx`` binds Python objects to names (``ctx.bind(kernel)``), defines helpers and
        formats comments; the code must contain no other user text.
        """
        return None

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple]) -> list[tuple] | None:
        return None

    def grad(self, node: Apply, output_grads: Sequence[Variable | None]) -> list[Variable | None]:
        raise NotImplementedError(f"gradient of {self} is not implemented")

    def jax(self, node: Apply, inputs: Sequence[Any], jx: Any) -> Any:
        """The JAX lowering (see the class docstring); an op without one cannot run on the
        JAX backend, which says so naming the op."""
        raise NotImplementedError(f"{self} has no JAX lowering")

    def jvp(self, node: Apply, eval_points: Sequence[Variable | None]) -> list | None:
        """The tangents of ``node``'s outputs (None where one does not move) when its inputs
        move along ``eval_points`` (None for an input that does not move); None (the
        default) lets ``Rop`` derive them from ``grad``."""
        return None


NO_TEST_VALUE = object()


def known_test_value(variable: Variable) -> Any:
    """The value ``variable`` stands for while the graph is built (``tag.test_value``; a
    constant's data; a shared variable's value), or ``NO_TEST_VALUE``."""
    if "test_value" in variable.tag:
        return variable.tag["test_value"]
    if isinstance(variable, Constant):
        return variable.data
    get_value = getattr(variable, "get_value", None)  # a shared variable (a later layer)
    if get_value is not None:
        return get_value(borrow=True)
    return NO_TEST_VALUE


def compute_test_values(node: Apply, mode: str) -> None:
    """Set the test values of ``node``'s outputs from its inputs' by running its op (see
    ``config.compute_test_value``). An input without one: nothing is computed, and
    ``mode`` says whether that is silent ('ignore'), warned of ('warn') or an error."""
    values = []
    for position, variable in enumerate(node.inputs):
        value = known_test_value(variable)
        if value is NO_TEST_VALUE:
            if mode == "ignore":
                return
            message = (
                f"cannot compute the test values of {node.op}: its input {position} "
                f"({variable_label(variable)}) has none; set {variable_label(variable)}"
                ".tag.test_value, or config.compute_test_value='off'"
            )
            if mode == "warn":
                warnings.warn(message, stacklevel=3)
                return
            raise ValueError(message)
        try:
            value = variable.type.filter(value, allow_downcast=True)
        except TypeError as error:
            raise TypeError(f"test value of {variable_label(variable)}: {error}") from None
        values.append(np.array(value, copy=True))  # the op may overwrite its inputs
    try:
        outputs = node.op.perform(node, values)
    except Exception as error:
        shapes = ", ".join(str(np.shape(v)) for v in values)
        error.add_note(
            f"while computing the test values of {node.op} from inputs of shapes {shapes} "
            "(config.compute_test_value)"
        )
        raise
    for variable, value in zip(node.outputs, outputs):
        variable.tag["test_value"] = variable.type.filter(value, allow_downcast=True)


class HasInnerGraph:
    """Mixin for ops that carry a graph of their own (fused kernels, later ``scan``).

    ``inner_inputs`` are ownerless variables standing for the op's inputs; ``inner_outputs``
    are computed from them. Passes that walk graphs may descend into them.
    """

    inner_inputs: list[Variable]
    inner_outputs: list[Variable]
    # Whether printers list the inner graph after the outer one (loops do; a fused kernel
    # already shows its whole expression in its name).
    show_inner_graph: bool = False
