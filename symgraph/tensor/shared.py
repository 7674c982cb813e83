"""Shared variables: symbolic variables whose value persists between function calls."""

from __future__ import annotations

import weakref
from typing import Any

import numpy as np

from symgraph.graph.type import TensorType
from symgraph.tensor.variable import TensorVariable

# The storages whose current value is on a device only (a JAX function stored it there):
# id -> a weak reference, dropped when the storage is collected. A NumPy function using
# one brings it back first (``Function`` does, before the call), as ``get_value`` does. A
# plain dict, so that the check on every call is C-fast.
ON_DEVICE: dict[int, weakref.ref] = {}


class SharedStorage(list):
    """A shared variable's value: a one-item list holding the NumPy value, which the
    generated NumPy code reads and writes as plain ``storage[0]`` (no hook on that hot
    path).

    A JAX function keeps the value on its device (``device``): :meth:`device_value` puts
    the NumPy value there when it changed since the last put, :meth:`set_device` stores a
    new device value, leaving the NumPy slot empty and the storage in ``ON_DEVICE`` until
    :meth:`to_host` copies it back. A loop of JAX calls therefore never copies the value
    back, and a NumPy function sharing the variable sees its current value.
    """

    __slots__ = ("device", "_mirrored", "__weakref__")

    def __init__(self, value) -> None:
        super().__init__([value])
        self.device = None
        self._mirrored = None  # the NumPy value ``device`` was put from, or copied to

    def to_host(self):
        """The current value as a NumPy array, copied back from the device if only it had
        the value (a private, writable copy: the device buffer may be donated)."""
        if ON_DEVICE.pop(id(self), None) is not None:
            self[0] = self._mirrored = np.array(self.device, copy=True)
        return self[0]

    def store(self, value) -> None:
        """Replace the value from the host side (``set_value``)."""
        ON_DEVICE.pop(id(self), None)
        self[0] = value

    def device_value(self, put):
        """The value on the device, put there with ``put`` (host -> device) when the NumPy
        value changed since."""
        if id(self) not in ON_DEVICE and (self.device is None or self[0] is not self._mirrored):
            self.device = put(self[0])
            self._mirrored = self[0]
        return self.device

    def set_device(self, value) -> None:
        """Store a new device value; the NumPy copy is made when someone needs it."""
        self[0] = self._mirrored = None
        self.device = value
        key = id(self)
        ON_DEVICE[key] = weakref.ref(self, lambda _, key=key: ON_DEVICE.pop(key, None))

    def __iter__(self):
        return iter([self.to_host()])

    def __reduce__(self):
        return (SharedStorage, (self.to_host(),))


def to_host(storages) -> None:
    """Bring back from the device the values of those ``storages`` only a device has."""
    for storage in storages:
        storage.to_host()


class SharedVariable(TensorVariable):
    """A tensor variable with a value kept in ``container`` (a :class:`SharedStorage`,
    a one-item list).

    Every compiled function that uses it reads the current value at each call, and
    functions that update it replace the value only after the whole call succeeded.
    """

    def __init__(
        self, type: TensorType, value: np.ndarray, name=None, strict=False, allow_downcast=None
    ) -> None:
        super().__init__(type, name=name)
        self.container = SharedStorage(value)
        self.strict = strict
        self.allow_downcast = allow_downcast
        self.default_update = None

    def get_value(self, borrow: bool = False) -> Any:
        """The current value (a copy unless ``borrow=True``)."""
        value = self.container.to_host()
        return value if borrow else value.copy()

    def set_value(self, value: Any, borrow: bool = False) -> None:
        """Replace the value (copied unless ``borrow=True``); it must fit the variable's
        type: its dtype (or a safe cast to it), number of dimensions and static sizes.
        The stored value is a plain ndarray (``np.matrix`` is converted, masked arrays
        are refused); on error the value is left unchanged."""
        try:
            filtered = self.type.filter(
                value, strict=self.strict, allow_downcast=self.allow_downcast
            )
        except TypeError as error:
            raise TypeError(f"shared variable {self._label()}: {error}") from None
        if not borrow and not _is_fresh_conversion(filtered, value):
            filtered = filtered.copy()
        self.container.store(filtered)

    @property
    def value(self):
        return self.get_value(borrow=True)

    def _label(self) -> str:
        return f"'{self.name}'" if self.name else f"<{self.type}>"

    def clone(self):
        """A new shared variable sharing this one's storage (as Theano's clone does)."""
        other = type(self)(
            self.type,
            self.container.to_host(),
            name=self.name,
            strict=self.strict,
            allow_downcast=self.allow_downcast,
        )
        other.container = self.container
        other.default_update = self.default_update
        return other

    def __repr__(self) -> str:
        return self.name or f"SharedVariable<{self.type}>"


def _is_fresh_conversion(filtered: np.ndarray, value: Any) -> bool:
    """Whether ``TensorType.filter`` made ``filtered`` as new memory nobody else holds:
    from Python or NumPy scalars and lists, or by casting an array to another dtype. A view of
    ``value``'s own buffer (an ``np.matrix``, an ``array.array``, anything exposing
    ``__array__`` or the buffer protocol) is not."""
    if filtered is value:
        return False
    if isinstance(value, (bool, int, float, complex, list, tuple, np.generic)):
        return True
    return isinstance(value, np.ndarray) and value.dtype != filtered.dtype


def shared(
    value: Any,
    name: str | None = None,
    borrow: bool = False,
    strict: bool = False,
    allow_downcast: bool | None = None,
    shape=None,
    broadcastable=None,
) -> SharedVariable:
    """A shared variable holding ``value`` (copied unless ``borrow=True``).

    Its type has ``value``'s dtype and rank; axes are not broadcastable unless
    ``broadcastable`` or a static ``shape`` says so (Theano's rule, so a value of length 1
    can later be replaced by a longer one).
    """
    if isinstance(value, SharedVariable):
        raise TypeError("shared() got a shared variable; use it directly")
    if isinstance(value, np.ma.MaskedArray):
        raise TypeError(
            f"shared(){f' {name!r}' if name else ''} got a masked array; its mask would be "
            "ignored: pass value.filled(fill_value) or value.data explicitly"
        )
    if isinstance(value, (bool, int, float)) and not isinstance(value, np.generic):
        array = np.asarray(value)
    elif isinstance(value, (np.ndarray, np.generic)):
        array = np.asarray(value)
    else:
        array = np.asarray(value)
        if array.dtype == object:
            raise TypeError(f"shared() cannot hold a {type(value).__name__}")
    if broadcastable is not None:
        shape = tuple(1 if b else None for b in broadcastable)
    if shape is None:
        shape = (None,) * array.ndim
    ttype = TensorType(array.dtype, shape)
    stored = ttype.filter(array)
    if not borrow:
        stored = np.array(stored, copy=True)
    return SharedVariable(ttype, stored, name=name, strict=strict, allow_downcast=allow_downcast)
