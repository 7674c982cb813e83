"""``theano.config`` with Theano 1.0's option names, sections and ``change_flags``.

Every option Theano 1.0 declared that old code commonly reads or sets is listed once in
``OPTIONS`` under its full dotted name (``warn.round``, ``dnn.conv.algo_fwd``), with its
Theano default, the check Theano applied to a new value, and what it does here. Three
kinds:

* acted on: ``floatX`` and ``compute_test_value`` (one setting each with
  ``symgraph.config``'s: changing either changes both), ``mode``, ``optimizer``,
  ``optimizer_excluding``/``_including`` and ``on_unused_input`` (read by
  ``theano.function``);
* values programs read for themselves (``warn.*``, ``unittests.rseed``,
  ``tensor.cmp_sloppy``...): stored and returned, silently (``warn.ignore_bug_before`` in
  ``THEANO_FLAGS`` moves the ``warn.*`` defaults, as in Theano);
* Theano back-end options with no effect here (devices, GPU libraries, C compilation,
  ``compute_test_value_opt``): accepted, and setting one to anything but its default
  warns and says why.

``config.warn`` is a section: ``config.warn.round`` and ``config.warn.round = False``
work, as do dotted names in ``THEANO_FLAGS`` and ``change_flags``. A name Theano never had
raises ``AttributeError`` naming it; an unknown ``THEANO_FLAGS`` entry warns as Theano did.
Options Theano fixed at import (``device``, ``base_compiledir``...) refuse assignment as it
did. ``THEANO_FLAGS`` is read once, when the compat layer is imported; ``.theanorc`` files
are not read.
"""

from __future__ import annotations

import functools
import os
import shlex
from collections.abc import Callable
from typing import Any, NamedTuple

from symgraph.compat.theano._util import warn
from symgraph.config import Config
from symgraph.config import config as symgraph_config

__all__ = ["OPTIONS", "ConfigOverrideError", "TheanoConfig", "change_flags", "config"]


class _Check(NamedTuple):
    """Turns a given value (or flag text) into the stored value; ValueError if invalid."""

    describe: str
    convert: Callable[[Any], Any]


def _bool() -> _Check:
    def convert(value):
        # Theano's BoolParam: the bools (1 and 0 compare equal to them) and their
        # spellings in flags, nothing else.
        if value in ("True", "true", "1", True):
            return True
        if value in ("False", "false", "0", False):
            return False
        raise ValueError

    return _Check("True or False", convert)


def _enum(*choices: str) -> _Check:
    def convert(value):
        if isinstance(value, str) and value in choices:
            return value
        raise ValueError

    return _Check(f"one of {', '.join(map(repr, choices))}", convert)


def _number(kind: type, valid: Callable[[Any], bool] = lambda v: True) -> _Check:
    def convert(value):
        if isinstance(value, bool):
            raise ValueError
        number = kind(value)
        if not valid(number):
            raise ValueError
        return number

    return _Check(f"a valid {kind.__name__}", convert)


def _str() -> _Check:
    return _Check("a string", str)


def _seed() -> _Check:
    def convert(value):
        if value == "random":
            return value
        int(value)  # Theano kept the value as given (666, '42'), after this check
        return value

    return _Check("an integer or 'random'", convert)


class Option(NamedTuple):
    """One Theano option: its Theano 1.0 default, the check on new values, and why it has
    no effect here (``None`` for options that act or are only read by programs)."""

    default: Any
    check: _Check
    ignored: str | None = None
    fixed: bool = False  # Theano refused to change it after import


_GPU = "the NumPy backend runs on the CPU only (device=cuda selects the JAX backend)"
_C = "symgraph generates NumPy code; no C is compiled"
_TOOLING = "Theano's compiler and debugging machinery does not exist here"


def _device_name(value):
    if value in ("cpu", "") or str(value).startswith(("gpu", "cuda", "opencl")):
        return value
    raise ValueError


_DEVICE = _Check("'cpu' or a name starting with 'cuda', 'opencl' or 'gpu'", _device_name)

# Whether a fixed Theano bug is still warned about (``warn.*`` defaults): Theano warned
# only about bugs fixed after ``warn.ignore_bug_before``, '0.8' by default in 1.0.
_IGNORE_BUG_BEFORE = "0.8"


def _warn_default(fixed_in: str, ignore_bug_before: str = _IGNORE_BUG_BEFORE) -> bool:
    """Theano's rule, string comparison included: warn about a bug fixed in ``fixed_in``
    unless ``ignore_bug_before`` is 'all' or not older."""
    if ignore_bug_before == "None":
        return True
    if ignore_bug_before == "all":
        return False
    return not ignore_bug_before >= fixed_in


_WARN_BUGS = {
    "argmax_pushdown_bug": "0.3",
    "gpusum_01_011_0111_bug": "0.3",
    "sum_sum_bug": "0.3",
    "sum_div_dimshuffle_bug": "0.3",
    "subtensor_merge_bug": "0.5",
    "gpu_set_subtensor1": "0.6",
    "signal_conv2d_interface": "0.7",
    "reduce_join": "0.7",
    "inc_set_subtensor1": "0.7",
    "round": "0.9",
    "identify_1pexp_bug": "0.4.1",
}

OPTIONS: dict[str, Option] = {
    # acted on
    "floatX": Option("float64", _enum("float64", "float32", "float16")),
    "mode": Option(
        "Mode",
        _enum("Mode", "DebugMode", "FAST_RUN", "NanGuardMode", "FAST_COMPILE", "DEBUG_MODE", "JAX"),
    ),
    "optimizer": Option(
        "fast_run",
        _enum("fast_run", "merge", "fast_compile", "None", "o1", "o2", "o3", "o4", "unsafe"),
    ),
    "optimizer_excluding": Option("", _str()),
    "optimizer_including": Option("", _str()),
    "optimizer_requiring": Option("", _str()),
    "on_unused_input": Option("raise", _enum("raise", "warn", "ignore")),
    # read by programs
    "unittests.rseed": Option(666, _seed()),
    "tensor.cmp_sloppy": Option(0, _number(int, lambda i: i in (0, 1, 2)), fixed=True),
    "warn.ignore_bug_before": Option(
        _IGNORE_BUG_BEFORE,
        _enum(
            "None",
            "all",
            "0.3",
            "0.4",
            "0.4.1",
            "0.5",
            "0.6",
            "0.7",
            "0.8",
            "0.8.1",
            "0.8.2",
            "0.9",
            "0.10",
            "1.0",
        )._replace(describe="'None', 'all' or a Theano version"),
        fixed=True,
    ),
    **{
        f"warn.{name}": Option(_warn_default(version), _bool())
        for name, version in _WARN_BUGS.items()
    },
    "warn.vm_gc_bug": Option(False, _bool()),
    "warn_float64": Option("ignore", _enum("ignore", "warn", "raise", "pdb")),
    "print_global_stats": Option(False, _bool()),
    "profile": Option(False, _bool(), "use function(..., profile=True)"),
    "profile_memory": Option(False, _bool(), _TOOLING),
    "profile_optimizer": Option(False, _bool(), _TOOLING),
    # no effect here
    # a GPU device (cuda*, gpu*, opencl*) compiles on the JAX backend, which runs on
    # whatever device JAX has (a GPU when jax[cuda] is installed)
    "device": Option("cpu", _DEVICE, fixed=True),
    "init_gpu_device": Option("", _DEVICE, _GPU, fixed=True),
    "force_device": Option(False, _bool(), _GPU, fixed=True),
    "print_active_device": Option(True, _bool(), _GPU, fixed=True),
    "contexts": Option("", _str(), _GPU, fixed=True),
    "compute_test_value": Option(
        "off",
        _enum("off", "ignore", "warn", "raise", "pdb"),
        "shared with symgraph.config.compute_test_value ('pdb' raises: no debugger)",
    ),
    "compute_test_value_opt": Option(
        "off", _enum("off", "ignore", "warn", "raise", "pdb"), _TOOLING
    ),
    "print_test_value": Option(False, _bool(), "test values are not computed"),
    "cast_policy": Option(
        "custom", _enum("custom", "numpy+floatX"), "symgraph casts with its own rules"
    ),
    "int_division": Option(
        "int", _enum("int", "raise", "floatX"), "symgraph divides integers as NumPy does"
    ),
    "deterministic": Option(
        "default", _enum("default", "more"), "every symgraph kernel is deterministic"
    ),
    "exception_verbosity": Option(
        "low", _enum("low", "high"), "symgraph's errors always name the node and its line"
    ),
    "on_opt_error": Option("warn", _enum("warn", "raise", "pdb", "ignore"), _TOOLING),
    "on_shape_error": Option("warn", _enum("warn", "raise"), _TOOLING),
    "optimizer_verbose": Option(False, _bool(), "see symgraph.printing.trace"),
    "linker": Option(
        "cvm",
        _enum("cvm", "c|py", "py", "c", "c|py_nogc", "vm", "vm_nogc", "cvm_nogc"),
        _C,
    ),
    "allow_gc": Option(True, _bool(), _C),
    "openmp": Option(False, _bool(), _C),
    "openmp_elemwise_minsize": Option(200000, _number(int), _C),
    "cxx": Option("g++", _str(), _C),
    "check_input": Option(True, _bool(), _C),
    "nocleanup": Option(False, _bool(), _C),
    "blas.ldflags": Option("", _str(), _C),
    "gcc.cxxflags": Option("", _str(), _C),
    "cmodule.warn_no_version": Option(False, _bool(), _C),
    "cmodule.remove_gxx_opt": Option(False, _bool(), _C),
    "cmodule.compilation_warning": Option(False, _bool(), _C),
    "cmodule.preload_cache": Option(False, _bool(), _C, fixed=True),
    "cmodule.age_thresh_use": Option(60 * 60 * 24 * 24, _number(int), _C, fixed=True),
    "compile.wait": Option(5, _number(int, lambda i: i > 0), _C, fixed=True),
    "compile.timeout": Option(120, _number(int, lambda i: i >= 0), _C, fixed=True),
    "base_compiledir": Option(os.path.join("~", ".theano"), _str(), _C, fixed=True),
    "compiledir": Option("", _str(), _C, fixed=True),
    "compiledir_format": Option("", _str(), _C, fixed=True),
    "lib.amdlibm": Option(False, _bool(), _C),
    "tensor.local_elemwise_fusion": Option(True, _bool(), "use Mode().excluding('fusion')"),
    "traceback.limit": Option(8, _number(int), _TOOLING),
    "traceback.compile_limit": Option(0, _number(int), _TOOLING),
    "reoptimize_unpickled_function": Option(False, _bool(), _TOOLING),
    "unpickle_function": Option(True, _bool(), _TOOLING),
    "cache_optimizations": Option(False, _bool(), _TOOLING),
    "cycle_detection": Option("regular", _enum("regular", "fast"), _TOOLING),
    "check_stack_trace": Option("off", _enum("off", "log", "warn", "raise"), _TOOLING),
    "vm.lazy": Option("None", _enum("None", "True", "False"), _TOOLING),
    "scan.allow_gc": Option(False, _bool(), _TOOLING),
    "scan.allow_output_prealloc": Option(True, _bool(), _TOOLING),
    "scan.debug": Option(False, _bool(), _TOOLING),
    "metaopt.verbose": Option(0, _number(int), _TOOLING),
    "optdb.max_use_ratio": Option(8.0, _number(float), _TOOLING),
    "conv.assert_shape": Option(False, _bool(), _TOOLING),
    "DebugMode.patience": Option(10, _number(int, lambda i: i > 0), _TOOLING),
    "DebugMode.check_c": Option(True, _bool(), _TOOLING),
    "DebugMode.check_py": Option(True, _bool(), _TOOLING),
    "DebugMode.check_finite": Option(True, _bool(), _TOOLING),
    "DebugMode.check_strides": Option(0, _number(int, lambda i: i in (0, 1, 2)), _TOOLING),
    "DebugMode.warn_input_not_reused": Option(True, _bool(), _TOOLING),
    "NanGuardMode.nan_is_error": Option(True, _bool(), _TOOLING),
    "NanGuardMode.inf_is_error": Option(True, _bool(), _TOOLING),
    "NanGuardMode.big_is_error": Option(True, _bool(), _TOOLING),
    "NanGuardMode.action": Option("raise", _enum("raise", "warn", "pdb"), _TOOLING),
    "profiling.time_thunks": Option(True, _bool(), _TOOLING),
    "profiling.n_apply": Option(20, _number(int, lambda i: i > 0), _TOOLING),
    "profiling.n_ops": Option(20, _number(int, lambda i: i > 0), _TOOLING),
    "profiling.output_line_width": Option(512, _number(int, lambda i: i > 0), _TOOLING),
    "profiling.min_memory_size": Option(1024, _number(int, lambda i: i >= 0), _TOOLING),
    "profiling.min_peak_memory": Option(False, _bool(), _TOOLING),
    "profiling.destination": Option("stderr", _str(), _TOOLING),
    "profiling.debugprint": Option(False, _bool(), _TOOLING),
    "profiling.ignore_first_call": Option(False, _bool(), _TOOLING),
    **{
        f"numpy.seterr_{kind}": Option(
            "ignore" if kind == "all" else "None",
            _enum("ignore", "warn", "raise", "call", "print", "log", "None"),
            "set numpy.seterr yourself",
            fixed=True,
        )
        for kind in ("all", "divide", "over", "under", "invalid")
    },
    "gpuarray.sync": Option(False, _bool(), _GPU),
    "gpuarray.preallocate": Option(0.0, _number(float), _GPU, fixed=True),
    "gpuarray.sched": Option("default", _enum("default", "multi", "single"), _GPU),
    "gpuarray.single_stream": Option(True, _bool(), _GPU),
    "gpuarray.cache_path": Option("", _str(), _GPU),
    "gpuelemwise.sync": Option(True, _bool(), _GPU),
    "gpu.local_elemwise_fusion": Option(True, _bool(), _GPU),
    "lib.cnmem": Option(0.0, _number(float, lambda f: f >= 0), _GPU, fixed=True),
    "cuda.root": Option("", _str(), _GPU),
    "cuda.enabled": Option(True, _bool(), _GPU),
    "nvcc.flags": Option("", _str(), _GPU),
    "nvcc.compiler_bindir": Option("", _str(), _GPU),
    "nvcc.fastmath": Option(False, _bool(), _GPU),
    "pycuda.init": Option(False, _bool(), _GPU),
    "cublas.lib": Option("cublas", _str(), _GPU),
    "magma.enabled": Option(False, _bool(), _GPU),
    "magma.include_path": Option("", _str(), _GPU),
    "magma.library_path": Option("", _str(), _GPU),
    "ctc.root": Option("", _str(), _GPU),
    "dnn.enabled": Option("auto", _enum("auto", "True", "False", "no_check"), _GPU),
    "dnn.base_path": Option("", _str(), _GPU),
    "dnn.include_path": Option("", _str(), _GPU),
    "dnn.library_path": Option("", _str(), _GPU),
    "dnn.bin_path": Option("", _str(), _GPU),
    "dnn.conv.algo_fwd": Option("small", _str(), _GPU),
    "dnn.conv.algo_bwd_data": Option("none", _str(), _GPU),
    "dnn.conv.algo_bwd_filter": Option("none", _str(), _GPU),
    "dnn.conv.precision": Option(
        "as_input_f32",
        _enum("as_input_f32", "as_input", "float16", "float32", "float64"),
        _GPU,
    ),
}

# The options forwarded to the core settings (symgraph's floatX has no float16).
_FORWARDED = ("floatX", "compute_test_value")


class ConfigOverrideError(Exception):
    """Setting, after import, an option Theano fixed at import (``device``...)."""


def _invalid(name: str, value, check: _Check) -> ValueError:
    return ValueError(
        f'Invalid value ("{value}") for configuration variable "{name}"; expected {check.describe}'
    )


def _unknown(name: str) -> AttributeError:
    return AttributeError(f"theano.config has no option {name!r} (Theano 1.0 had none either)")


class _Section:
    """``config.warn``, ``config.dnn.conv``...: the options under one dotted prefix."""

    def __init__(self, config: TheanoConfig, prefix: str) -> None:
        object.__setattr__(self, "_config", config)
        object.__setattr__(self, "_prefix", prefix)

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        return self._config._get(f"{self._prefix}.{name}")

    def __setattr__(self, name: str, value) -> None:
        self._config._set(f"{self._prefix}.{name}", value)

    def __dir__(self):
        return sorted(self._config._children(self._prefix))

    def __repr__(self) -> str:
        return f"<theano.config section {self._prefix!r}>"


class TheanoConfig:
    """Theano's ``config``; see the module docstring. ``target`` is the symgraph
    settings object ``floatX`` is shared with; ``flags`` is ``THEANO_FLAGS``' text."""

    def __init__(self, target: Config = symgraph_config, flags: str = "") -> None:
        object.__setattr__(self, "_target", target)
        object.__setattr__(
            self, "_values", {n: o.default for n, o in OPTIONS.items() if n not in _FORWARDED}
        )
        parsed = {key.replace("__", "."): value for key, value in _parse_flags(flags).items()}
        ignore = parsed.pop("warn.ignore_bug_before", None)
        if ignore is not None:
            # As in Theano, the flag moves the defaults of the warn.* bug options.
            self._set("warn.ignore_bug_before", ignore, at_import=True)
            for name, fixed_in in _WARN_BUGS.items():
                self._values[f"warn.{name}"] = _warn_default(
                    fixed_in, self._values["warn.ignore_bug_before"]
                )
        for key, value in parsed.items():
            if key in OPTIONS:
                self._set(key, value, at_import=True)
            else:
                warn(f"Theano does not recognise this flag: {key}")

    # -- lookup
    def _children(self, prefix: str) -> set[str]:
        depth = prefix.count(".") + 1 if prefix else 0
        start = prefix + "." if prefix else ""
        return {n.split(".")[depth] for n in OPTIONS if n.startswith(start)}

    def _get(self, name: str):
        if name in _FORWARDED:
            return getattr(self._target, name)
        if name in OPTIONS:
            return self._values[name]
        if self._children(name):
            return _Section(self, name)
        raise _unknown(name)

    def _set(self, name: str, value, at_import: bool = False) -> None:
        option = OPTIONS.get(name)
        if option is None:
            raise _unknown(name)
        try:
            value = option.check.convert(value)
        except (TypeError, ValueError):
            raise _invalid(name, value, option.check) from None
        if name in _FORWARDED:
            if name == "compute_test_value" and value == "pdb":
                warn("compute_test_value='pdb': no debugger is started here; 'raise' instead")
                value = "raise"
            setattr(self._target, name, value)
            return
        if value == self._values[name]:
            return
        if option.fixed and not at_import:
            raise ConfigOverrideError(
                f"Can't change the value of theano.config.{name} after initialization "
                "(as in Theano, set it in THEANO_FLAGS)"
            )
        if option.ignored and value != option.default:
            warn(f"theano.config.{name}={value} has no effect in symgraph: {option.ignored}")
        self._values[name] = value

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        return self._get(name)

    def __setattr__(self, name: str, value) -> None:
        self._set(name, value)

    def __dir__(self):
        return sorted(self._children("") | {"change_flags"})

    def change_flags(self, args=(), **kwargs) -> change_flags:
        """``with config.change_flags(floatX='float32'): ...`` (see ``change_flags``)."""
        return change_flags(args, _config=self, **kwargs)

    def __str__(self) -> str:
        return "\n".join(f"{name}\n    Value: {self._get(name)}" for name in OPTIONS)

    def __repr__(self) -> str:
        return f"theano.config(floatX={self.floatX!r}, device={self.device!r})"


def _parse_flags(text: str) -> dict[str, str]:
    """``THEANO_FLAGS`` as Theano read it: comma-separated ``key=value`` entries, quotes
    allowed around values, the last of repeated keys winning; an entry without ``=``
    warns and is skipped."""
    splitter = shlex.shlex(text, posix=True)
    splitter.whitespace = ","
    splitter.whitespace_split = True
    flags: dict[str, str] = {}
    for entry in splitter:
        entry = entry.strip()
        if not entry:
            continue
        key, sep, value = entry.partition("=")
        if not sep:
            warn(f"Config key '{key}' has no value, ignoring it")
            continue
        flags[key.strip()] = value.strip()
    return flags


class change_flags:  # noqa: N801 - Theano's name
    """Theano's ``change_flags``: set options for the duration of a ``with`` block or of
    each call of the function it decorates, then put the old values back, also when the
    block raises. Names are checked when it is made; dotted names go in a dict
    (``change_flags({'warn.round': False})``) or as ``**{...}``."""

    def __init__(self, args=(), _config: TheanoConfig | None = None, **kwargs) -> None:
        self.config = config if _config is None else _config
        self.new_values = dict(args)
        self.new_values.update(kwargs)
        for name in self.new_values:
            if name not in OPTIONS:
                raise _unknown(name)
        self._saved: list[dict[str, Any]] = []

    def __call__(self, function):
        @functools.wraps(function)
        def with_flags(*args, **kwargs):
            with self:
                return function(*args, **kwargs)

        return with_flags

    def __enter__(self):
        old = {name: self.config._get(name) for name in self.new_values}
        self._saved.append(old)
        try:
            for name, value in self.new_values.items():
                self.config._set(name, value)
        except BaseException:
            self._restore()
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        self._restore()

    def _restore(self) -> None:
        old = self._saved.pop()
        for name, value in old.items():
            self.config._set(name, value, at_import=True)


config = TheanoConfig(flags=os.environ.get("THEANO_FLAGS", ""))
