"""Stand-in for setuptools' ``pkg_resources`` when running Lasagne 0.1 from its source tree.

Lasagne 0.1 imports ``pkg_resources`` only to read its own version; setuptools 81 removed the
module. This reads the version from the source tree's ``Lasagne.egg-info`` as the original did.
"""

from importlib import metadata


class _Distribution:
    def __init__(self, name: str) -> None:
        self.project_name = name
        self.version = metadata.version(name)


def get_distribution(name: str) -> _Distribution:
    return _Distribution(name)
