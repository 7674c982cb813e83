"""Shared variables: symbolic variables whose value persists between function calls."""

from __future__ import annotations

from typing import Any

import numpy as np

from symgraph.graph.type import TensorType
from symgraph.tensor.variable import TensorVariable


class SharedStorage(list):
    """A shared variable's value: a one-item list holding the NumPy value, which the
    generated NumPy code reads and writes as ``storage[0]``.

    A JAX function keeps the value on its device instead (``device``): it reads it with
    :meth:`device_value` and stores new values with :meth:`set_device`, which leaves the
    NumPy slot empty. Reading ``storage[0]`` (a NumPy function, ``get_value``) then copies
    the device value to a NumPy array once and keeps both until the next store, so a NumPy
    function and a JAX function sharing a variable both see its current value, and a loop
    of JAX calls never copies it back. Storing with ``storage[0] = value`` drops the
    device copy.
    """

    __slots__ = ("device",)

    def __init__(self, value) -> None:
        super().__init__([value])
        self.device = None

    def __getitem__(self, index):
        value = list.__getitem__(self, index)
        if value is None and self.device is not None:
            # a private, writable copy: the device buffer may be donated to the next step
            value = np.array(self.device, copy=True)
            list.__setitem__(self, 0, value)
        return value

    def __setitem__(self, index, value) -> None:
        list.__setitem__(self, index, value)
        self.device = None

    def device_value(self, put):
        """The value on the device, put there with ``put`` (host -> device) if needed."""
        if self.device is None:
            self.device = put(list.__getitem__(self, 0))
        return self.device

    def set_device(self, value) -> None:
        """Store a new device value; the NumPy copy is made when someone reads it."""
        list.__setitem__(self, 0, None)
        self.device = value

    def __iter__(self):
        return iter([self[0]])

    def __reduce__(self):
        return (SharedStorage, (self[0],))


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
        value = self.container[0]
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
        self.container[0] = filtered

    @property
    def value(self):
        return self.get_value(borrow=True)

    def _label(self) -> str:
        return f"'{self.name}'" if self.name else f"<{self.type}>"

    def clone(self):
        """A new shared variable sharing this one's storage (as Theano's clone does)."""
        other = type(self)(
            self.type,
            self.container[0],
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
