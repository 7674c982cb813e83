"""The code an op writes for itself, and the op's ``perform`` made from that code.

An op implements itself once. Most write a line of NumPy (``Op.emit``): the code generator
(``symgraph.compile.codegen``) pastes it into the compiled function, and ``Op.perform``
(used by constant folding and by anyone evaluating one node) runs the very same code as a
small function, :func:`perform_emitted`. Ops whose work is a Python function bind it into
that code (``ctx.bind(kernel)``), so both paths call the same kernel; an op that writes no
code (``emit`` returns None) implements ``perform`` instead and the code generator calls it.

Identifiers in emitted code never come from user text: every name is a fixed ASCII prefix
and a counter (``a0`` an input, ``t0`` a local, ``c0`` a bound array, ``k0_prod`` a bound
object, ``h0_fused_kernel`` a helper). User text appears only in comments, always passed
through :func:`comment_text`.
"""

from __future__ import annotations

import itertools
import linecache
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

# Nodes are ``symgraph.graph.basic.Apply``, which imports this module: annotated as Any
# here, so that the import goes one way.

# Characters that end a line for str.splitlines (and so for linecache and tracebacks) or
# for Python's tokenizer. All are non-printable, so comment_text escapes them anyway;
# naming them keeps that guarantee independent of str.isprintable's tables.
LINE_BREAKS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")


def comment_text(text: Any) -> str:
    """``text`` made safe to follow ``#`` in generated code.

    Backslashes, line breaks and every non-printable character become escapes
    (``\\n``, ``\\x85``, ``\\u2028``), so nothing captured from the user (a file name,
    a variable name, a tampered pickle's source location) can end the comment line.
    """
    text = str(text)
    if text.isprintable() and "\\" not in text:
        return text
    return "".join(_escaped(ch) for ch in text)


_SHORT_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escaped(ch: str) -> str:
    if ch in _SHORT_ESCAPES:
        return _SHORT_ESCAPES[ch]
    if ch.isprintable() and ch not in LINE_BREAKS:
        return ch
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def _ascii_hint(hint: str | None) -> str:
    """The ASCII letters, digits and underscores of an op's hint, for readability only:
    uniqueness comes from the counter before it."""
    return re.sub(r"[^A-Za-z0-9_]", "", hint or "")[:40].strip("_")


def with_hint(name: str, hint: str | None) -> str:
    """``name`` followed by the readable part of ``hint`` (``k0`` and "prod": ``k0_prod``)."""
    readable = _ascii_hint(hint)
    return f"{name}_{readable}" if readable else name


# Compiles an inner graph (inputs, outputs, label) into a Python callable returning the
# list of output values; the label names the graph's owner in pass traces. The compile
# layer installs it (``register_inner_compiler``): ops holding a loop body (``Scan``) need
# a compiler, and the graph layer cannot import one.
InnerCompiler = Callable[[Sequence[Any], Sequence[Any], str], Callable]
_inner_compiler: InnerCompiler | None = None


def register_inner_compiler(compiler: InnerCompiler) -> None:
    """Install the compiler contexts use by default for inner graphs (the compile layer
    calls this once, on import)."""
    global _inner_compiler
    _inner_compiler = compiler


class EmitContext:
    """Handed to ``Op.emit``: names for outputs, a way to bind Python objects, a way to
    define helper functions once at module level (above the generated function), a way
    to compile an inner graph into a callable (:meth:`inner_function`), and
    :meth:`comment` for any text an op wants to show in the source."""

    def __init__(self, namespace: dict, compile_inner: InnerCompiler | None = None) -> None:
        self.namespace = namespace
        # The compiling function's own compiler (its mode's passes), else the default.
        self.compile_inner = compile_inner
        self.outputs: list[str] = []
        self.node: Any = None  # the Apply node being emitted
        self.definitions: list[tuple[str, Any]] = []  # module-level lines, and their node
        self.constants: dict[str, np.ndarray] = {}  # bound arrays, listed in the header
        self._defined: dict[Any, str] = {}
        self._bound: dict[int, str] = {}
        self._locals = itertools.count()
        self._objects = itertools.count()
        self._constants = itertools.count()
        self._helpers = itertools.count()

    def define(self, key: Any, hint: str, make_lines: Callable[[str], list[str]]) -> str:
        """The name of a module-level function for ``key``: ``make_lines(name)`` gives its
        source lines the first time; equal keys share one definition."""
        if key not in self._defined:
            name = with_hint(f"h{next(self._helpers)}", hint)
            self._defined[key] = name
            self.definitions.extend((line, self.node) for line in make_lines(name))
        return self._defined[key]

    def bind(self, obj: Any, hint: str = "") -> str:
        """A global name in the generated module that refers to ``obj`` (arrays are
        constants, named ``c<n>`` and listed in the source's header)."""
        key = id(obj)  # the namespace keeps obj alive, so its id is not reused
        name = self._bound.get(key)
        if name is None:
            if isinstance(obj, np.ndarray):
                name = f"c{next(self._constants)}"
                self.constants[name] = obj
            else:
                name = with_hint(f"k{next(self._objects)}", hint)
            self.namespace[name] = obj
            self._bound[key] = name
        return name

    def inner_function(self, inputs: Sequence[Any], outputs: Sequence[Any], hint: str) -> str:
        """A bound name for a callable computing the values of ``outputs`` (a list) from
        values of ``inputs``: the inner graph compiled by the same pipeline as the code
        being emitted."""
        compiler = self.compile_inner or _inner_compiler
        if compiler is None:
            raise RuntimeError("no compiler for inner graphs: import symgraph.compile")
        label = f"{self.node.op} ({hint})" if self.node is not None else hint
        return self.bind(compiler(inputs, outputs, label), hint)

    def fresh(self, hint: str = "") -> str:
        """A local name not used yet in the generated function (``hint`` is ignored)."""
        return f"t{next(self._locals)}"

    @staticmethod
    def comment(text: Any) -> str:
        """A ``# ...`` comment showing ``text`` safely (see :func:`comment_text`)."""
        return f"# {comment_text(text)}"


def emitted_statements(code: str | list[str], outputs: Sequence[str]) -> list[str]:
    """The statements an op's emitted ``code`` stands for: an expression is assigned to
    the output names (unpacked when there are several), a list is already statements."""
    if isinstance(code, str):
        return [f"{', '.join(outputs)} = {code}"]
    return list(code)


def check_one_line_each(source_lines: Sequence[str], source: str) -> None:
    """Every generated line must stay one line: a line break inside one would let text
    escape a comment. Ops must format user text with ``ctx.comment``."""
    if len(source.splitlines()) != len(source_lines):  # splits at every LINE_BREAKS char
        broken = [line for line in source_lines if not LINE_BREAKS.isdisjoint(line)]
        raise AssertionError(f"generated line contains a line break: {broken[0]!r}")


# --------------------------------------------------------------------------------------
# perform, from the emitted code

_PERFORM_NAME = "perform"
# Compiled sources, most recently used last. The key is the whole source, so a hit is
# exactly the code ``emit`` just wrote; what it refers to (bound objects, which may be
# specific to the node, like the variable names an error message shows) comes from the
# fresh namespace of each call. Compiling is what costs (measured: a Reshape node's perform
# takes 18 us uncached, 3.4 us cached, 1.5 us for the former hand-written perform).
_CODE_CACHE_SIZE = 512
_code_cache: OrderedDict[str, tuple[Any, str]] = OrderedDict()
_code_lock = threading.Lock()
_code_ids = itertools.count()


def perform_emitted(node: Any, inputs: Sequence[Any]) -> list[Any]:
    """Run the code ``node.op.emit`` writes for ``node`` on the values ``inputs``; return
    the outputs' values as the generated code computes them (a 0-d result may be a NumPy or
    Python scalar)."""
    op = node.op
    ctx = EmitContext({"np": np})
    ctx.node = node
    names = [f"a{position}" for position in range(len(node.inputs))]
    ctx.outputs = [ctx.fresh() for _ in node.outputs]
    code = op.emit(node, names, ctx)
    if code is None:
        raise NotImplementedError(
            f"{type(op).__name__} implements neither emit nor perform: it needs one of them"
        )
    lines = [line for line, _ in ctx.definitions]
    lines.append(f"def {_PERFORM_NAME}({', '.join(names)}):")
    lines += ["    " + statement for statement in emitted_statements(code, ctx.outputs)]
    lines.append(f"    return [{', '.join(ctx.outputs)}]")
    source = "\n".join(lines) + "\n"
    compiled = _compiled(source, lines, type(op).__name__)
    namespace = ctx.namespace
    exec(compiled, namespace)
    return namespace[_PERFORM_NAME](*inputs)


def _compiled(source: str, lines: list[str], op_name: str):
    with _code_lock:
        cached = _code_cache.get(source)
        if cached is not None:
            _code_cache.move_to_end(source)
            return cached[0]
    check_one_line_each(lines, source)
    filename = f"<symgraph-perform-{next(_code_ids)}:{_ascii_hint(op_name)}>"
    code = compile(source, filename, "exec")
    with _code_lock:
        if source in _code_cache:  # another thread compiled it meanwhile
            return _code_cache[source][0]
        _code_cache[source] = (code, filename)
        # Kept in linecache as long as the code is cached, so tracebacks show the line.
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        while len(_code_cache) > _CODE_CACHE_SIZE:
            _, (_, old) = _code_cache.popitem(last=False)
            linecache.cache.pop(old, None)
    return code
