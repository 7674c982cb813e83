"""``theano.compat``: the Python 2/3 names Theano code imports (``izip``...)."""

from __future__ import annotations

import itertools
from collections import OrderedDict

PY3 = True
izip = zip
imap = map
ifilter = filter
izip_longest = itertools.zip_longest
string_types = (str,)
integer_types = (int,)


def exc_message(error: BaseException):
    """The message an exception was raised with (its first argument), as Theano read it."""
    return error.args[0] if error.args else ""


__all__ = [
    "PY3",
    "OrderedDict",
    "exc_message",
    "ifilter",
    "imap",
    "integer_types",
    "izip",
    "izip_longest",
    "string_types",
]
