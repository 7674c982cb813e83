"""The package's imports follow its pipeline, one way.

graph (the IR) <- tensor (ops) <- grad <- scan <- rewrite <- compile <- printing <- compat, and
inside ``tensor/ops`` each family imports only the families listed before it. Imports
inside functions are refused too: they are how a cycle hides.
"""

from __future__ import annotations

import ast
import pathlib

import pytest

import symgraph
from symgraph.tensor import ops

PACKAGE = pathlib.Path(symgraph.__file__).parent

# Lowest first; a module may import modules of its own layer or of layers before it.
LAYERS = [
    ("foundation", ["symgraph.config", "symgraph.datasets", "symgraph.utils"]),
    ("graph", ["symgraph.graph"]),
    (
        "tensor core",
        [
            "symgraph.tensor.params",
            "symgraph.tensor.variable",
            "symgraph.tensor.constructors",
            "symgraph.tensor.shared",
        ],
    ),
    ("tensor ops", ["symgraph.tensor.ops"]),
    ("tensor", ["symgraph.tensor"]),
    ("grad", ["symgraph.grad"]),
    ("scan", ["symgraph.scan"]),
    ("rewrite", ["symgraph.rewrite"]),
    ("compile", ["symgraph.compile"]),
    ("printing", ["symgraph.printing"]),
    ("facade", ["symgraph"]),
    ("compat", ["symgraph.compat"]),
]

# The op families in the order ``symgraph/tensor/ops/__init__.py`` lists them.
OP_FAMILIES = [
    "dimshuffle",
    "elemwise",
    "shape",
    "math",
    "subtensor",
    "blas",
    "nnet",
    "extra",
    "linalg",
    "sort",
    "neighbours",
    "conv_kernels",
    "conv",
    "pool_kernels",
    "pool",
    "random",
]


def module_name(path: pathlib.Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def layer_of(module: str) -> int:
    """The position in LAYERS of the longest prefix naming ``module``."""
    best, best_length = None, -1
    for position, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best_length:
                best, best_length = position, len(prefix)
    assert best is not None, f"{module} is in no layer: add it to LAYERS"
    return best


def imported_modules(module: str) -> list[tuple[str, int, bool]]:
    """(imported symgraph module, line, inside a function) for each import in ``module``."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(), str(path))
    package_parts = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    found = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            nested = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
            targets: list[str] = []
            if isinstance(child, ast.Import):
                targets = [alias.name for alias in child.names]
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = package_parts[: len(package_parts) - (child.level - 1)]
                    base = ".".join(anchor + ([base] if base else []))
                # ``from package import submodule`` imports the submodule
                targets = [
                    f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base
                    for a in child.names
                ]
            for target in targets:
                while target not in MODULES and "." in target:
                    target = target.rsplit(".", 1)[0]
                if target in MODULES and target != module:
                    found.append((target, child.lineno, in_function))
            visit(child, nested)

    visit(tree, False)
    return found


def test_every_module_is_in_a_layer():
    for module in MODULES:
        layer_of(module)


def test_op_families_are_listed_in_ops_docstring_order():
    listed = [m.stem for m in (PACKAGE / "tensor" / "ops").glob("*.py") if m.stem != "__init__"]
    assert sorted(listed) == sorted(OP_FAMILIES), "add the new op module to OP_FAMILIES"
    mentioned = sorted(OP_FAMILIES, key=lambda family: ops.__doc__.find(f"``{family}``"))
    assert all(f"``{family}``" in ops.__doc__ for family in OP_FAMILIES)
    assert mentioned == OP_FAMILIES, "list the op families in the same order in both places"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_go_down_the_pipeline(module):
    own = layer_of(module)
    for target, line, in_function in imported_modules(module):
        where = f"{MODULES[module].relative_to(PACKAGE.parent)}:{line}"
        assert not in_function, f"{where} imports {target} inside a function"
        assert layer_of(target) <= own, (
            f"{where}: {module} ({LAYERS[own][0]}) imports {target} "
            f"({LAYERS[layer_of(target)][0]}), a later layer"
        )
        if module.startswith("symgraph.tensor.ops.") and target.startswith("symgraph.tensor.ops."):
            mine, theirs = module.rsplit(".", 1)[1], target.rsplit(".", 1)[1]
            assert OP_FAMILIES.index(theirs) < OP_FAMILIES.index(mine), (
                f"{where}: op family {mine} imports {theirs}, which comes after it; build "
                "the node through a variable method (x.sum(), x[i]) instead"
            )


def test_no_import_cycles():
    graph = {m: {t for t, _, _ in imported_modules(m)} for m in MODULES}
    # A module imports its package's __init__ implicitly; that is not a cycle here.
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        path.append(module)
        for target in sorted(graph[module]):
            if module.startswith(target + "."):
                continue
            if state.get(target) == 1:
                cycle = path[path.index(target) :] + [target]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if target not in state:
                visit(target)
        path.pop()
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module)
