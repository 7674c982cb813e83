"""``function``: compile symbolic inputs and outputs (plus updates and givens) into a
Python callable running generated NumPy code."""

from __future__ import annotations

import threading
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np

from symgraph.compile.codegen import MISSING, Parameter, Program, generate
from symgraph.compile.inner import compile_inner
from symgraph.compile.io import In, Out
from symgraph.compile.jax_backend import JaxFunction, JaxProgram
from symgraph.compile.memory import keep_freed_memory
from symgraph.compile.mode import Mode, get_mode
from symgraph.compile.profile import ProfileStats
from symgraph.config import config
from symgraph.graph.basic import Constant, Variable, user_stacklevel, variable_label
from symgraph.graph.collector import collector_paused
from symgraph.graph.fgraph import FunctionGraph, MissingInputError
from symgraph.graph.traversal import ancestors, clone_replace, toposort
from symgraph.graph.type import TensorType
from symgraph.rewrite.pipeline import run_pipeline
from symgraph.rewrite.trace import PassTrace, trace_pipeline
from symgraph.tensor.shared import ON_DEVICE, SharedVariable, to_host
from symgraph.tensor.variable import as_tensor


class UnusedInputError(ValueError):
    """An input of ``function`` is used by no output or update."""


def _check_types_match(kind: str, target: Variable, value: Variable) -> None:
    """``value`` may stand for ``target``: same dtype and rank, compatible static shapes."""
    tt, vt = target.type, value.type
    problem = None
    if not isinstance(vt, TensorType) or tt.dtype != vt.dtype:
        problem = "dtypes differ"
    elif tt.ndim != vt.ndim:
        problem = "numbers of dimensions differ"
    elif any(a is not None and b is not None and a != b for a, b in zip(tt.shape, vt.shape)):
        problem = "static shapes conflict"
    if problem:
        hint = f"; cast it with .astype('{tt.dtype}')" if problem == "dtypes differ" else ""
        raise TypeError(
            f"{kind} of {variable_label(target)}: {problem}: {variable_label(target)} is "
            f"{tt.describe()} but the new value {value} is {vt.describe()}{hint}"
        )


def _normalize_pairs(pairs, kind: str) -> list[tuple[Variable, Any]]:
    if pairs is None:
        return []
    if isinstance(pairs, Mapping):
        return list(pairs.items())
    result = []
    for item in pairs:
        if not isinstance(item, (tuple, list)) or len(item) != 2:
            raise TypeError(f"{kind} must be (variable, expression) pairs, got {item!r}")
        result.append(tuple(item))
    return result


def _make_check(
    variable: Variable,
    spec: In,
    position: int,
    function_name: str,
    allow_input_downcast: bool | None,
):
    ttype = variable.type
    strict = spec.strict
    allow = spec.allow_downcast if spec.allow_downcast is not None else allow_input_downcast
    label = variable_label(variable)

    def check(value):
        try:
            return ttype.filter(value, strict=strict, allow_downcast=allow)
        except TypeError as error:
            raise TypeError(
                f"{function_name}: bad argument for input {label} (position {position}): {error}"
            ) from None

    return check


class FunctionMaker:
    """What built a :class:`Function`: the rewritten graph, the input and output specs and
    the mode (the attributes Theano code reads from ``f.maker``)."""

    def __init__(self, fgraph: FunctionGraph, inputs, outputs, mode: Mode) -> None:
        self.fgraph, self.inputs, self.outputs, self.mode = fgraph, inputs, outputs, mode


@dataclass
class Compiled:
    """What compiling produced, from which ``function`` assembles a :class:`Function`."""

    fn: Callable  # the generated Python function
    program: Program  # its source, namespace and line -> node map
    fgraph: FunctionGraph  # the rewritten graph
    inputs: list[Parameter]
    outputs: list[Out]
    updates: list[tuple[SharedVariable, Variable]]  # default updates included
    mode: Mode
    name: str | None
    defaults: list  # the input defaults; the generated code reads this very list
    default_names: dict[str, int]  # input name -> slot in ``defaults``
    trace: PassTrace | None  # with trace=True
    profile: ProfileStats | None
    compile_seconds: float
    # The NumPy code's shared storages, brought back from a device before each call
    # where a JAX function left one there (empty for a JAX function).
    host_storages: list = field(default_factory=list)


class Function:
    """A compiled function. Call it with the input values, positionally or by the inputs'
    names (``f(x, lr=0.1)``); ``f.source`` is the generated Python code.

    Threads: a call of a function with updates (default updates of random streams
    included) holds the function's lock from reading the shared values to storing the new
    ones, so concurrent calls of that function never lose an update. Functions without
    updates run concurrently. Calls of *different* functions are not ordered with respect
    to each other: two functions updating one shared variable from two threads race.
    """

    def __init__(self, compiled: Compiled, recipe: dict) -> None:
        self._fn = compiled.fn
        self.program = compiled.program
        self.fgraph = compiled.fgraph
        self.inputs = compiled.inputs
        self.outputs = compiled.outputs
        self.updates = compiled.updates
        self.mode = compiled.mode
        self.name = compiled.name
        self.defaults = compiled.defaults
        self._default_names = compiled.default_names
        self.trace = compiled.trace
        self.profile = compiled.profile
        self.compile_seconds = compiled.compile_seconds
        self.recipe = recipe  # what function() was given, normalized: copies and pickles
        self._lock = threading.RLock() if self.updates else None
        self._host_storages = compiled.host_storages
        self._n_required = sum(p.default_slot is None for p in self.inputs)
        # keyword -> position; a name two inputs share maps to None (ambiguous)
        self._positions: dict[str, int | None] = {}
        for position, parameter in enumerate(self.inputs):
            if parameter.name:
                taken = parameter.name in self._positions
                self._positions[parameter.name] = None if taken else position

    @property
    def source(self) -> str:
        return self.program.source

    @property
    def maker(self) -> FunctionMaker:
        """Theano's ``f.maker``: ``f.maker.fgraph.toposort()`` lists the compiled nodes."""
        return FunctionMaker(self.fgraph, self.recipe["inputs"], self.outputs, self.mode)

    def __call__(self, *args, **kwargs):
        if kwargs:
            args = self._positional(args, kwargs)
        if ON_DEVICE and self._host_storages:
            to_host(self._host_storages)
        lock = self._lock
        try:
            if lock is None:
                return self._fn(*args)
            with lock:
                return self._fn(*args)
        except Exception as error:
            if not kwargs and not self._n_required <= len(args) <= len(self.inputs):
                raise TypeError(self._arity_message(len(args))) from None
            self._explain(error)
            raise

    def _positional(self, args: tuple, kwargs: dict) -> tuple:
        """The call's arguments as one positional tuple (Theano's rules for keywords:
        unknown names, a value given twice and missing inputs are errors)."""
        if len(args) > len(self.inputs):
            raise TypeError(self._arity_message(len(args)))
        values = [*args, *[MISSING] * (len(self.inputs) - len(args))]
        for keyword, value in kwargs.items():
            position = self._positions.get(keyword, -1)
            if position == -1:
                raise TypeError(
                    f"{self._title()} has no input named {keyword!r}; its inputs are "
                    f"({self._input_list()})"
                )
            if position is None:
                raise TypeError(
                    f"{self._title()}: the input name {keyword!r} is ambiguous (several "
                    "inputs have it); pass these inputs by position"
                )
            if position < len(args):
                raise TypeError(
                    f"{self._title()} got two values for input {keyword!r} (position "
                    f"{position}): one by position and one by keyword"
                )
            values[position] = value
        missing = [
            self._input_label(position)
            for position, parameter in enumerate(self.inputs)
            if values[position] is MISSING and parameter.default_slot is None
        ]
        if missing:
            raise TypeError(f"{self._title()}: missing input(s) {', '.join(missing)}")
        return tuple(values)

    def _title(self) -> str:
        return f"function {self.name!r}" if self.name else "this function"

    def _input_label(self, position: int) -> str:
        parameter = self.inputs[position]
        label = repr(parameter.name) if parameter.name else f"<unnamed {parameter.variable.type}>"
        return f"{label} (position {position})"

    def _input_list(self) -> str:
        return ", ".join(
            repr(p.name) if p.name else f"<unnamed {p.variable.type}>" for p in self.inputs
        )

    def _arity_message(self, given: int) -> str:
        total, required = len(self.inputs), self._n_required
        expected = str(total) if total == required else f"{required} to {total}"
        message = (
            f"{self._title()} takes {expected} input(s) ({self._input_list()}), "
            f"got {given} positional argument(s)"
        )
        if given < required:
            missing = ", ".join(self._input_label(k) for k in range(given, required))
            message += f"; missing {missing}"
        return message

    def __getitem__(self, name):
        return self.defaults[self._default_slot(name)]

    def __setitem__(self, name, value) -> None:
        """Set an input's default (by the input's name or variable); the value is checked
        and converted as a call's argument would be, and copied."""
        slot = self._default_slot(name)
        parameter = next(p for p in self.inputs if p.default_slot == slot)
        filtered = parameter.check(value)
        self.defaults[slot] = np.array(filtered, copy=True)

    def _default_slot(self, name) -> int:
        if isinstance(name, Variable):
            for parameter in self.inputs:
                if parameter.variable is name and parameter.default_slot is not None:
                    return parameter.default_slot
        elif name in self._default_names:
            return self._default_names[name]
        raise KeyError(f"{self.name or 'function'} has no input with a default named {name!r}")

    def _explain(self, error: Exception) -> None:
        """Add a note naming the failing node and the user line that built it."""
        if "_pending" in self.__dict__:  # compiling after unpickling failed: nothing to add
            return
        note = self.program.explain(error)
        if note is not None:
            error.add_note(note)

    def __repr__(self) -> str:
        return f"<symgraph Function {self.name or ''}({self._input_list()})>"

    def copy(
        self,
        swap: Mapping[SharedVariable, SharedVariable] | None = None,
        delete_updates: bool = False,
        name: str | None = None,
        profile: bool | None = None,
    ) -> Function:
        """The same function compiled again (Theano's ``Function.copy``).

        ``swap`` maps shared variables this function uses to others of the same type,
        which the copy reads and updates instead; ``delete_updates`` drops every update
        (default updates of random streams included).  The copy starts from this
        function's current input defaults, as its own values.
        """
        recipe = dict(self.recipe)
        if swap:
            recipe.update(_swapped_recipe(recipe, dict(swap), set(self.fgraph.inputs)))
        if delete_updates:
            recipe["updates"], recipe["no_default_updates"] = [], True
        if name is not None:
            recipe["name"] = name
        if profile is not None:
            recipe["profile"] = profile
        copied = function(**recipe)
        copied.defaults[:] = [np.copy(value) for value in self.defaults]
        return copied

    # Pickling stores what ``function`` was given (the graph, not the generated code) and the
    # current defaults; loading compiles again.
    def __getstate__(self) -> dict:
        pending = self.__dict__.get("_pending")
        if pending is not None:
            return pending
        recipe = self.recipe
        roots = [o.variable for o in _as_list(recipe["outputs"])]
        roots += [value for _, value in recipe["updates"] + recipe["givens"]]
        # The nodes go first, in topological order: pickle then meets each node's inputs
        # already stored, instead of recursing once per level of a deep graph.
        return {"nodes": toposort(roots), "recipe": recipe, "defaults": list(self.defaults)}

    def __setstate__(self, state: dict) -> None:
        # Compiled on first use, not here: while a pickle loads, the graph may still be
        # half-built (a variable whose tag caches this function is loaded around it).
        self.__dict__["_pending"] = state

    def __getattr__(self, name: str):
        pending = self.__dict__.get("_pending")
        if pending is None or name.startswith("__"):
            raise AttributeError(f"'Function' object has no attribute {name!r}")
        compiled = function(**pending["recipe"])
        compiled.defaults[:] = pending["defaults"]  # the list the generated code reads
        self.__dict__.update(compiled.__dict__)
        del self.__dict__["_pending"]
        return getattr(self, name)


class CompiledFunctions(list):
    """The functions compiled inside a ``collect_functions`` block, in order."""

    def __init__(self, trace: bool) -> None:
        super().__init__()
        self.trace = trace


_COLLECTORS: ContextVar[tuple[CompiledFunctions, ...]] = ContextVar(
    "symgraph_compiled_functions", default=()
)


@contextmanager
def collect_functions(trace: bool = True) -> Iterator[CompiledFunctions]:
    """Collect every function compiled inside the block (blocks nest; each sees all).

    With ``trace=True`` they are all compiled as ``function(..., trace=True)``, so a
    script's functions can be explained without editing it (``python -m
    symgraph.explain``)::

        with collect_functions() as compiled:
            run_the_script()
        compiled[0].trace.to_html("passes.html")
    """
    collected = CompiledFunctions(trace)
    token = _COLLECTORS.set(_COLLECTORS.get() + (collected,))
    try:
        yield collected
    finally:
        _COLLECTORS.reset(token)


@collector_paused()  # big graphs: see symgraph.graph.collector
def function(
    inputs: Sequence[Variable | In] = (),
    outputs=None,
    updates=None,
    givens=None,
    mode: Mode | str | None = None,
    name: str | None = None,
    on_unused_input: str = "raise",
    allow_input_downcast: bool | None = None,
    profile: bool = False,
    no_default_updates: bool | Sequence[Variable] = False,
    trace: bool = False,
) -> Function:
    """Compile a callable computing ``outputs`` from ``inputs``.

    ``updates``: (shared variable, new value expression) pairs, all computed from the values
    before the call and stored together after it. ``givens``: (variable, replacement) pairs
    substituted in the graph before compiling. ``outputs`` may be one variable (the call
    returns one array), a list (returns a list) or None. See the README for the rules on
    dtypes and errors.
    """
    start = time.perf_counter()
    collectors = _COLLECTORS.get()
    trace = trace or any(collected.trace for collected in collectors)
    recipe = _recipe(
        inputs,
        outputs,
        updates,
        givens,
        get_mode(mode),
        name,
        on_unused_input,
        allow_input_downcast,
        profile,
        no_default_updates,
        trace,
    )
    if config.keep_freed_memory:
        keep_freed_memory()
    specs, out_specs = recipe["inputs"], _as_list(recipe["outputs"])
    update_pairs = list(recipe["updates"])
    output_vars = [o.variable for o in out_specs]
    _add_default_updates(update_pairs, output_vars, recipe["no_default_updates"], recipe["givens"])
    # Test values check the user's graph as it is built; the copies and rewritten nodes
    # made while compiling have none, and need none.
    with config.change_flags(compute_test_value="off"):
        fgraph, shared_inputs = _build_graph(
            specs, output_vars, update_pairs, recipe["givens"], on_unused_input
        )
        trace_records = trace_pipeline(fgraph, recipe["mode"].passes) if trace else None
        if not trace:
            run_pipeline(fgraph, recipe["mode"].passes)
    inner_traces = trace_records.inner if trace else None
    parameters, defaults, default_names = _parameters(specs, name, allow_input_downcast)
    if recipe["mode"].backend == "jax":
        fn, program = _compile_jax(
            fgraph, parameters, shared_inputs, recipe, update_pairs, defaults
        )
    else:
        program = generate(
            fgraph,
            parameters,
            shared_inputs,
            n_outputs=len(out_specs),
            output_borrow=[o.borrow for o in out_specs],
            update_targets=[target for target, _ in update_pairs],
            unpack_single=not isinstance(recipe["outputs"], list),
            defaults=defaults,
            name=name,
            profile=profile,
            compile_inner=partial(compile_inner, mode=recipe["mode"], traces=inner_traces),
        )
        fn = program.build()
    numpy_backend = recipe["mode"].backend != "jax"
    used = [*shared_inputs, *(target for target, _ in update_pairs)] if numpy_backend else []
    compiled = Compiled(
        fn=fn,
        program=program,
        fgraph=fgraph,
        inputs=parameters,
        outputs=out_specs,
        updates=update_pairs,
        mode=recipe["mode"],
        name=name,
        defaults=defaults,
        default_names=default_names,
        trace=trace_records,
        profile=ProfileStats(program) if profile else None,
        compile_seconds=time.perf_counter() - start,
        host_storages=list({id(v.container): v.container for v in used}.values()),
    )
    if trace_records is not None:
        trace_records.program = program
    compiled_function = Function(compiled, recipe)
    for collected in collectors:
        collected.append(compiled_function)
    return compiled_function


def _compile_jax(fgraph, parameters, shared_inputs, recipe, update_pairs, defaults):
    """The JAX backend's callable and its readable program (``Function.source``)."""
    if recipe["profile"]:
        raise ValueError("profile=True is not supported with mode='JAX' (XLA runs one kernel)")
    mode = recipe["mode"]
    fn = JaxFunction(
        fgraph,
        parameters,
        shared_inputs,
        n_outputs=len(_as_list(recipe["outputs"])),
        update_targets=[target for target, _ in update_pairs],
        unpack_single=not isinstance(recipe["outputs"], list),
        defaults=defaults,
        devices=mode.devices,
    )
    return fn, JaxProgram(fgraph, recipe["name"], mode.devices)


def _recipe(
    inputs,
    outputs,
    updates,
    givens,
    mode: Mode,
    name,
    on_unused_input,
    allow_input_downcast,
    profile,
    no_default_updates,
    trace,
) -> dict:
    """``function``'s arguments checked and normalized: what a pickle stores to compile the
    function again (``function(**recipe)``)."""
    if on_unused_input not in ("raise", "warn", "ignore"):
        raise ValueError("on_unused_input must be 'raise', 'warn' or 'ignore'")
    specs = _input_specs(inputs)
    unpack_single = outputs is not None and not isinstance(outputs, (list, tuple))
    output_list = [] if outputs is None else ([outputs] if unpack_single else list(outputs))
    out_specs = [o if isinstance(o, Out) else Out(as_tensor(o)) for o in output_list]
    return {
        "inputs": specs,
        "outputs": out_specs[0] if unpack_single else out_specs,
        "updates": _validated_updates(updates),
        "givens": _validated_givens(givens),
        "mode": mode,
        "name": name,
        "on_unused_input": on_unused_input,
        "allow_input_downcast": allow_input_downcast,
        "profile": profile,
        "no_default_updates": no_default_updates
        if isinstance(no_default_updates, bool)
        else list(no_default_updates),
        "trace": trace,
    }


def _as_list(outputs) -> list:
    """A recipe's outputs (one ``Out`` or a list of them) as a list."""
    return outputs if isinstance(outputs, list) else [outputs]


def _input_specs(inputs) -> list[In]:
    """Each input as an ``In``; shared variables, constants and repeats are refused."""
    if isinstance(inputs, (Variable, In)):
        raise TypeError("function() inputs must be a list of variables")
    specs = [item if isinstance(item, In) else In(_as_input(item)) for item in inputs]
    for position, spec in enumerate(specs):
        variable = spec.variable
        if isinstance(variable, SharedVariable):
            raise TypeError(
                f"shared variable {variable_label(variable)} cannot be an explicit input (position "
                f"{position}); its value is read automatically. To feed another value, use "
                "givens={shared: replacement}"
            )
        if isinstance(variable, Constant):
            raise TypeError(
                f"input {position} is a constant ({variable}); inputs must be symbolic variables"
            )
    seen: set = set()
    for spec in specs:
        if spec.variable in seen:
            raise ValueError(f"input {variable_label(spec.variable)} is given twice")
        seen.add(spec.variable)
    return specs


def _build_graph(
    specs: list[In], outputs: list[Variable], update_pairs, givens_pairs, on_unused_input: str
) -> tuple[FunctionGraph, list[SharedVariable]]:
    """The graph from the inputs (explicit ones, then the shared variables it reads) to the
    outputs and new values, with ``givens`` substituted; unused inputs are reported."""
    targets = outputs + [value for _, value in update_pairs]
    replaced = clone_replace(targets, dict(givens_pairs)) if givens_pairs else targets
    input_vars = [spec.variable for spec in specs]
    needed = ancestors(replaced, blockers=input_vars)
    explicit = set(input_vars)
    shared_inputs = [v for v in needed if isinstance(v, SharedVariable) and v not in explicit]
    shared_inputs.sort(key=lambda v: v.auto_id)
    try:
        fgraph = FunctionGraph(input_vars + shared_inputs, replaced)
    except MissingInputError as error:
        raise MissingInputError(error.variable) from None
    used = set(needed)
    for position, spec in enumerate(specs):
        if spec.variable not in used and on_unused_input != "ignore":
            message = (
                f"input {variable_label(spec.variable)} (position {position}) is not used to "
                "compute any output or update; remove it or pass on_unused_input='warn' or 'ignore'"
            )
            if on_unused_input == "raise":
                raise UnusedInputError(message)
            warnings.warn(message, stacklevel=user_stacklevel())
    return fgraph, shared_inputs


def _parameters(specs: list[In], name: str | None, allow_input_downcast):
    """The generated code's parameters, the input defaults (the list it reads them from)
    and each named default's slot in that list."""
    parameters: list[Parameter] = []
    defaults: list = []
    default_names: dict[str, int] = {}
    function_name = name or "compiled_function"
    for position, spec in enumerate(specs):
        slot = None
        if spec.has_default:
            slot = len(defaults)
            defaults.append(_default_value(spec, position))
            if spec.name:
                default_names[spec.name] = slot
        elif any(p.default_slot is not None for p in parameters):
            raise ValueError(
                f"input {variable_label(spec.variable)} without a default follows inputs with "
                "defaults"
            )
        check = _make_check(spec.variable, spec, position, function_name, allow_input_downcast)
        parameters.append(Parameter(spec.variable, spec.name, check, slot))
    return parameters, defaults, default_names


def _default_value(spec: In, position: int):
    """An input's default as a plain ndarray of its type, as its ``In`` keeps it."""
    try:
        value = spec.variable.type.filter(spec.value, allow_downcast=True)
    except TypeError as error:
        raise TypeError(
            f"default value of input {variable_label(spec.variable)} (position {position}): {error}"
        ) from None
    return spec.stored_default(value)


def _as_input(item) -> Variable:
    if not isinstance(item, Variable):
        raise TypeError(f"function() inputs must be symbolic variables, got {item!r}")
    return item


def _validated_updates(updates) -> list[tuple[SharedVariable, Variable]]:
    pairs = []
    seen: set = set()
    for target, value in _normalize_pairs(updates, "updates"):
        if not isinstance(target, SharedVariable):
            raise TypeError(
                f"updates can only change shared variables; {target} is a {type(target).__name__}"
            )
        if target in seen:
            raise ValueError(f"shared variable {variable_label(target)} is updated twice")
        seen.add(target)
        value = as_tensor(value)
        _check_types_match("update", target, value)
        pairs.append((target, value))
    return pairs


def _validated_givens(givens) -> list[tuple[Variable, Variable]]:
    pairs = []
    for target, value in _normalize_pairs(givens, "givens"):
        if not isinstance(target, Variable):
            raise TypeError(f"givens keys must be symbolic variables, got {target!r}")
        value = as_tensor(value)
        _check_types_match("givens substitution", target, value)
        pairs.append((target, value))
    return pairs


def _add_default_updates(update_pairs, outputs, no_default_updates, givens_pairs) -> None:
    """Shared variables with a ``default_update`` (random streams) get it unless told not to."""
    if no_default_updates is True:
        return
    skip = set(no_default_updates or ())
    updated = {target for target, _ in update_pairs}
    replaced = {target for target, _ in givens_pairs}
    frontier = outputs + [value for _, value in update_pairs]
    while frontier:
        added = []
        for variable in ancestors(frontier):
            if (
                isinstance(variable, SharedVariable)
                and variable.default_update is not None
                and variable not in updated
                and variable not in skip
                and variable not in replaced
            ):
                update_pairs.append((variable, as_tensor(variable.default_update)))
                updated.add(variable)
                added.append(update_pairs[-1][1])
        frontier = added


def _swapped_recipe(recipe: dict, swap: dict, used: set) -> dict:
    """The outputs, updates and givens of ``recipe`` reading and updating ``swap``'s values
    instead of its keys, which must be shared variables in ``used``."""
    for old, new in swap.items():
        if old not in used:
            raise ValueError(f"swap: shared variable {variable_label(old)} is not used here")
        if not isinstance(new, SharedVariable) or new.type != old.type:
            new_type = new.type if isinstance(new, Variable) else type(new).__name__
            raise TypeError(
                f"swap: {variable_label(old)} of type {old.type} can only be swapped for a "
                f"shared variable of the same type, got {new_type}"
            )
    return {
        "outputs": _swapped_outputs(recipe["outputs"], swap),
        "updates": [
            (swap.get(target, target), clone_replace([value], swap)[0])
            for target, value in recipe["updates"]
        ],
        "givens": [(old, clone_replace([new], swap)[0]) for old, new in recipe["givens"]],
    }


def _swapped_outputs(outputs, swap: Mapping[Variable, Variable]):
    """A recipe's ``Out`` spec(s) with ``swap``'s keys replaced by its values."""
    specs = _as_list(outputs)
    variables = clone_replace([spec.variable for spec in specs], swap)
    swapped = [Out(v, borrow=spec.borrow) for v, spec in zip(variables, specs)]
    return swapped if isinstance(outputs, list) else swapped[0]
