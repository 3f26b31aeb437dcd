"""The package's layers, and a check that every import of ``simulation/`` respects them.

``simulation`` is built in layers. A module may import modules of its own layer and of the layers below it, never
of a layer above it. From lowest to highest:

0. ``simulation`` (``simulation/__init__.py``, the package root; it may hold ``__version__``): everyone may import
   it, and it imports nothing from the package.
1. ``simulation.core``: the model (scenario schema, agents, pressures, levers, the Mesa model). It knows nothing of
   files or pictures: it may import only ``core``, and never ``matplotlib``, ``yaml``, ``jinja2``, ``markdown`` or
   ``solara``.
2. ``simulation.inputs``: YAML reading, ``extends``, error messages, the generated doc tables. May import ``core``
   and ``inputs``.
3. ``simulation.execution``: seeds, executors, run folders, the sweep sweeps. May import ``core`` to
   ``execution``.
4. ``simulation.analysis``: metrics, statistics, compare, sensitivity, calibration, patterns. May import ``core`` to
   ``analysis``. Layers 1 to 4 never import ``matplotlib``: pictures belong to ``present``.
5. ``simulation.present``: charts, words, the report. May import ``core`` to ``present``.
6. ``simulation.studies``: one module per command family. May import ``core`` to ``studies``.
7. Front ends: ``simulation.cli``, ``simulation.app``, ``simulation.__main__``. May import any layer; nothing in
   layers 1 to 6 may import a front end.

Every module must sit in one of these layers (a flat module such as ``simulation/metrics.py`` fails the check), and
no two modules of the package may import each other in a cycle, not even within one layer.

The check reads the sources with ``ast`` and never imports the package, so it is fast and needs no Mesa. It counts
every import wherever it stands (module level, functions, methods, classes, ``try`` blocks), since lazy imports run
too; only imports under ``if TYPE_CHECKING:`` are ignored, as they serve type hints and never run. The checker takes
a mapping of file paths (``simulation/core/model.py``) to source text: the real tree, or a synthetic one in a test.
"""

from __future__ import annotations

import ast
import itertools
import textwrap
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pytest

from tests.helpers import ROOT as REPO

PACKAGE = "simulation"


@dataclass(frozen=True)
class Layer:
    """One layer of the package: its rank (higher may import lower), its name, and the dotted prefixes it owns."""

    rank: int
    name: str
    prefixes: tuple[str, ...]

    def owns(self, module: str) -> bool:
        return any(module == prefix or module.startswith(prefix + ".") for prefix in self.prefixes)


ROOT = Layer(0, "the package root", (PACKAGE,))
"""Matches ``simulation`` itself only (see :func:`layer_of`)."""

LAYERS: tuple[Layer, ...] = (
    Layer(1, "core", (f"{PACKAGE}.core",)),
    Layer(2, "inputs", (f"{PACKAGE}.inputs",)),
    Layer(3, "execution", (f"{PACKAGE}.execution",)),
    Layer(4, "analysis", (f"{PACKAGE}.analysis",)),
    Layer(5, "present", (f"{PACKAGE}.present",)),
    Layer(6, "studies", (f"{PACKAGE}.studies",)),
    Layer(7, "front ends", (f"{PACKAGE}.cli", f"{PACKAGE}.app", f"{PACKAGE}.__main__")),
)

FORBIDDEN_THIRD_PARTY: dict[str, frozenset[str]] = {
    "core": frozenset({"matplotlib", "yaml", "jinja2", "markdown", "solara"}),
    "inputs": frozenset({"matplotlib"}),
    "execution": frozenset({"matplotlib"}),
    "analysis": frozenset({"matplotlib"}),
}
"""Layer name -> top-level third-party packages its modules must not import (any submodule counts)."""

SUGGESTED_HOME: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(("agents", "model", "clients", "pressures", "references", "plan", "levers"), ("core",)),
    "scenario": ("core", "inputs"),  # the schema is the model's; reading YAML and ``extends`` are inputs
    **dict.fromkeys(("specs", "reading", "docs"), ("inputs",)),
    **dict.fromkeys(("experiment", "runner", "sweep", "seeds", "executors"), ("execution",)),
    **dict.fromkeys(("metrics", "statistics", "compare", "sensitivity", "calibration", "patterns"), ("analysis",)),
    **dict.fromkeys(("charts", "words", "report"), ("present",)),
}
"""Where the contents of a flat module go (layer names), by its last name: used only to word failure messages."""


def home_of(module: str) -> list[str]:
    """The layer sub-packages a flat module's contents belong in, as dotted names."""
    homes = SUGGESTED_HOME.get(module.rpartition(".")[2])
    if homes is None:
        return [layer.prefixes[0] for layer in LAYERS[:-1]]
    return [f"{PACKAGE}.{home}" for home in homes]


def layer_of(module: str) -> Layer | None:
    """The layer owning ``module`` (a dotted name), or None if it fits none."""
    if module == PACKAGE:
        return ROOT
    return next((layer for layer in LAYERS if layer.owns(module)), None)


def may_import(layer: Layer) -> str:
    """What a module of ``layer`` may import, worded for a failure message."""
    if layer is ROOT:
        return "the package root may import nothing from the package"
    if layer.rank == LAYERS[-1].rank:
        return "front ends may import any layer"
    allowed = ", ".join(other.name for other in LAYERS if other.rank <= layer.rank)
    return f"{layer.name} may import only {allowed}"


def read_tree(root: Path = REPO) -> dict[str, str]:
    """The package's sources: ``simulation/...py`` path (relative to ``root``, with slashes) -> source text."""
    sources: dict[str, str] = {}
    for path in sorted((root / PACKAGE).rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        try:
            sources[path.relative_to(root).as_posix()] = path.read_text(encoding="utf-8")
        except FileNotFoundError:  # moved away while we walked the tree
            continue
    return sources


@dataclass(frozen=True)
class Module:
    """One source file of the package."""

    path: str
    name: str
    is_package: bool
    tree: ast.Module


@dataclass(frozen=True)
class Import:
    """One import that runs: who imports, where, and the absolute dotted name imported.

    For the package's own modules ``target`` is resolved to a module: ``from simulation.core import agents`` targets
    ``simulation.core.agents`` if that is a module, else ``simulation.core``."""

    importer: str
    path: str
    line: int
    target: str

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


def module_name(path: str) -> tuple[str, bool]:
    """``simulation/core/model.py`` -> (``simulation.core.model``, False); ``.../__init__.py`` -> (package, True)."""
    parts = path.removesuffix(".py").split("/")
    if parts[-1] == "__init__":
        return ".".join(parts[:-1]), True
    return ".".join(parts), False


def is_type_checking(test: ast.expr) -> bool:
    """``if TYPE_CHECKING:`` or ``if typing.TYPE_CHECKING:`` (any module alias)."""
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def bound_names(body: list[ast.stmt]) -> set[str] | None:
    """Names a module's top level binds (through ``if``/``try``/``with`` blocks); None if it star-imports."""
    names: set[str] = set()
    for stmt in body:
        match stmt:
            case ast.FunctionDef() | ast.AsyncFunctionDef() | ast.ClassDef():
                names.add(stmt.name)
            case ast.Assign() | ast.AnnAssign() | ast.AugAssign():
                targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                names.update(n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name))
            case ast.Import() | ast.ImportFrom():
                for alias in stmt.names:
                    if alias.name == "*":
                        return None
                    names.add(alias.asname or alias.name.split(".")[0])
        blocks = [getattr(stmt, field, []) for field in ("body", "orelse", "finalbody")]
        blocks += [handler.body for handler in getattr(stmt, "handlers", [])]
        if not isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            for block in blocks:
                inner = bound_names(block)
                if inner is None:
                    return None
                names |= inner
    return names


class ImportGraph:
    """Every import that runs in a set of sources (``path -> text``), resolved to absolute dotted names."""

    def __init__(self, sources: Mapping[str, str]) -> None:
        self.modules: dict[str, Module] = {}
        for path, text in sorted(sources.items()):
            name, is_package = module_name(path)
            self.modules[name] = Module(path, name, is_package, ast.parse(text, filename=path))
        found = (imp for module in self.modules.values() for imp in self._collect(module))
        self.imports: list[Import] = list(dict.fromkeys(found))  # ``from x import a, b`` counts once

    def _collect(self, module: Module) -> Iterator[Import]:
        def walk(node: ast.AST) -> Iterator[Import]:
            if isinstance(node, ast.If) and is_type_checking(node.test):
                children: list[ast.AST] = list(node.orelse)  # the ``else:`` of ``if TYPE_CHECKING`` does run
            else:
                children = list(ast.iter_child_nodes(node))
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield Import(module.name, module.path, node.lineno, alias.name)
            elif isinstance(node, ast.ImportFrom):
                base = self._base(module, node)
                for alias in node.names:
                    yield Import(module.name, module.path, node.lineno, self._resolve(base, alias.name))
            for child in children:
                yield from walk(child)

        yield from walk(module.tree)

    @staticmethod
    def _base(module: Module, node: ast.ImportFrom) -> str:
        """The absolute dotted name after ``from``, relative imports resolved against the module's package."""
        if not node.level:
            return node.module or ""
        package = module.name if module.is_package else module.name.rpartition(".")[0]
        parts = package.split(".")
        if node.level - 1 >= len(parts):
            raise ValueError(f"{module.path}:{node.lineno}: relative import goes above the top-level package")
        parts = parts[: len(parts) - (node.level - 1)]
        return ".".join(parts + ([node.module] if node.module else []))

    def _resolve(self, base: str, name: str) -> str:
        """``from base import name``: the module it imports."""
        if not self.internal(base) or name == "*":
            return base
        candidate = f"{base}.{name}"
        if candidate in self.modules:
            return candidate
        package = self.modules.get(base)
        if package is not None and package.is_package:
            bound = bound_names(package.tree.body)
            if bound is not None and name not in bound:
                return candidate  # a submodule that is not there (moved away?), not a name of the package
        return base

    @staticmethod
    def internal(name: str) -> bool:
        return name == PACKAGE or name.startswith(PACKAGE + ".")

    @cached_property
    def edges(self) -> dict[str, dict[str, Import]]:
        """Module -> {imported module of the package: its first import}, between existing modules only."""
        graph: dict[str, dict[str, Import]] = {name: {} for name in self.modules}
        for imp in self.imports:
            if imp.target in self.modules and imp.target != imp.importer:
                graph[imp.importer].setdefault(imp.target, imp)
        return graph

    # -- the checks: each returns one line per problem, empty when all is well ------------------------------------

    def unplaced_modules(self) -> list[str]:
        """Modules that fit no layer, with where they should go."""
        problems = []
        for module in self.modules.values():
            if layer_of(module.name) is None:
                homes = home_of(module.name)
                advice = f"move it into {homes[0]}" if len(homes) == 1 else f"move it into one of {', '.join(homes)}"
                if module.name.rpartition(".")[2] == "scenario":
                    advice = f"split it: {' and '.join(homes)}"
                problems.append(f"{module.path} ({module.name}) belongs to no layer: {advice}")
        return problems

    def upward_imports(self) -> list[str]:
        """Imports of the package's own modules that point up a layer, or at a module that fits no layer."""
        problems = []
        for imp in self.imports:
            source, target = layer_of(imp.importer), layer_of(imp.target)
            if not self.internal(imp.target) or source is None:
                continue  # third party, or an unplaced importer (reported by ``unplaced_modules``)
            if target is None:
                problems.append(f"{imp.where} imports {imp.target}, which {self._why_no_layer(imp.target)}")
            elif target.rank > source.rank or (source is ROOT and imp.target != PACKAGE):
                problems.append(f"{imp.where} imports {imp.target} ({may_import(source)})")
        return problems

    def _why_no_layer(self, target: str) -> str:
        if target in self.modules:
            return "belongs to no layer"
        last, homes = target.rpartition(".")[2], home_of(target)
        moved = sorted(name for name in self.modules if name.rpartition(".")[2] == last
                       and any(name.startswith(home + ".") for home in homes))
        if moved:
            return f"is not a module of the package (moved to {' or '.join(moved)}?)"
        return f"is not a module of the package (its contents belong in {' or '.join(homes)})"

    def forbidden_imports(self) -> list[str]:
        """Third-party imports a layer must not make (see ``FORBIDDEN_THIRD_PARTY``)."""
        problems = []
        for imp in self.imports:
            layer = layer_of(imp.importer)
            if layer is None:
                continue  # reported by ``unplaced_modules``
            forbidden = FORBIDDEN_THIRD_PARTY.get(layer.name, frozenset())
            if imp.target.split(".")[0] in forbidden:
                problems.append(f"{imp.where} imports {imp.target} ({layer.name} must not import "
                                f"{', '.join(sorted(forbidden))})")
        return problems

    def cycles(self) -> list[str]:
        """One shortest cycle per tangle (strongly connected set) of modules, as ``a -> b -> a``."""
        problems = []
        for tangle in self._tangles():
            cycle = self._shortest_cycle(min(tangle), tangle)
            line = " -> ".join(cycle)
            line += "  [" + ", ".join(self.edges[a][b].where for a, b in itertools.pairwise(cycle)) + "]"
            if len(tangle) > len(cycle) - 1:
                line += f"; {len(tangle)} modules are tangled together: {', '.join(sorted(tangle))}"
            problems.append(line)
        return problems

    def _tangles(self) -> list[set[str]]:
        """Tarjan's strongly connected components with more than one module."""
        index: dict[str, int] = {}
        low: dict[str, int] = {}
        stack: list[str] = []
        on_stack: set[str] = set()
        found: list[set[str]] = []

        def visit(node: str) -> None:
            index[node] = low[node] = len(index)
            stack.append(node)
            on_stack.add(node)
            for succ in sorted(self.edges[node]):
                if succ not in index:
                    visit(succ)
                    low[node] = min(low[node], low[succ])
                elif succ in on_stack:
                    low[node] = min(low[node], index[succ])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(component)

        for node in sorted(self.edges):
            if node not in index:
                visit(node)
        return sorted(found, key=min)

    def _shortest_cycle(self, start: str, within: set[str]) -> list[str]:
        """Breadth-first from ``start`` back to it, inside one tangle: ``[start, ..., start]``."""
        came_from: dict[str, str] = {}
        frontier = [start]
        while frontier:
            following = []
            for node in frontier:
                for succ in sorted(self.edges[node]):
                    if succ == start:
                        path = [node]
                        while path[-1] != start:
                            path.append(came_from[path[-1]])
                        return [*reversed(path), start]
                    if succ in within and succ not in came_from:
                        came_from[succ] = node
                        following.append(succ)
            frontier = following
        raise AssertionError(f"{start} is in a tangle but on no cycle")


def report(problems: list[str], header: str) -> None:
    """Fail with one line per problem, if there are any."""
    lines = sorted(set(problems), key=_natural)
    if lines:
        pytest.fail(f"{header} ({len(lines)}):\n" + "\n".join(lines), pytrace=False)


def _natural(line: str) -> tuple[str, int, str]:
    """Sort ``path:line ...`` messages by path, then line number."""
    where, _, rest = line.partition(" ")
    path, _, number = where.partition(":")
    return path, int(number) if number.isdigit() else 0, rest


@pytest.fixture(scope="module")
def real() -> ImportGraph:
    """The import graph of ``simulation/`` as it is on disk."""
    return ImportGraph(read_tree())


# -- the real tree ----------------------------------------------------------------------------------------------------


def test_every_module_belongs_to_a_layer(real: ImportGraph) -> None:
    """Every ``.py`` under ``simulation/`` is the package root, a front end, or in one of the layer sub-packages."""
    assert real.modules, f"no modules found under {REPO / PACKAGE}"
    report(real.unplaced_modules(), "modules outside the layers")


def test_no_import_points_up_a_layer(real: ImportGraph) -> None:
    """No module imports a module of a higher layer (nor a front end, nor a module that fits no layer)."""
    report(real.upward_imports(), "imports that break the layering")


def test_no_forbidden_third_party_import(real: ImportGraph) -> None:
    """The lower layers keep off drawing libraries, and core off file formats and the web app (see the table)."""
    report(real.forbidden_imports(), "forbidden third-party imports")


def test_no_import_cycle(real: ImportGraph) -> None:
    """No two modules of the package import each other, directly or round a loop, even lazily inside a function."""
    report(real.cycles(), "import cycles")


# -- the checker itself, on a synthetic tree --------------------------------------------------------------------------

SYNTHETIC: dict[str, str] = {
    path: textwrap.dedent(text)
    for path, text in {
        "simulation/__init__.py": '__version__ = "1"\n',
        "simulation/core/__init__.py": "",
        "simulation/core/agents.py": """\
            import typing
            from typing import TYPE_CHECKING
            from simulation import __version__
            if TYPE_CHECKING:
                from simulation.core.model import Model
            if typing.TYPE_CHECKING:
                import matplotlib.pyplot
                from ..present import words
            """,
        "simulation/core/model.py": """\
            from . import agents
            def draw():
                import matplotlib.pyplot as plt
            """,
        "simulation/analysis/__init__.py": "",
        "simulation/analysis/metrics.py": """\
            from simulation.core import model
            try:
                from ..present import words
            except ImportError:
                pass
            """,
        "simulation/analysis/compare.py": "from simulation.analysis import stats\n",
        "simulation/analysis/stats.py": """\
            class Test:
                def run(self):
                    from .compare import helper
            """,
        "simulation/present/__init__.py": "",
        "simulation/present/words.py": "from simulation.analysis.metrics import turnover\nfrom simulation import cli\n",
        "simulation/cli.py": "from simulation import present, patterns\n",
        "simulation/patterns.py": "import simulation.core.model\n",
    }.items()
}
"""A small tree with one of each fault, and imports that must not count as faults."""


def test_checker_finds_unplaced_modules_and_upward_imports() -> None:
    """The checker names a flat module and where it goes, and every import up a layer, relative ones included."""
    graph = ImportGraph(SYNTHETIC)
    assert graph.unplaced_modules() == [
        "simulation/patterns.py (simulation.patterns) belongs to no layer: move it into simulation.analysis"
    ]
    assert sorted(graph.upward_imports()) == [
        "simulation/analysis/metrics.py:3 imports simulation.present.words (analysis may import only core, inputs, "
        + "execution, analysis)",
        "simulation/cli.py:1 imports simulation.patterns, which belongs to no layer",
        "simulation/present/words.py:2 imports simulation.cli (present may import only core, inputs, execution, "
        + "analysis, present)",
    ]
    assert graph.forbidden_imports() == [
        "simulation/core/model.py:3 imports matplotlib.pyplot (core must not import jinja2, markdown, matplotlib, "
        + "solara, yaml)"
    ]


def test_checker_finds_a_cycle_through_a_method() -> None:
    """A cycle closed by an import inside a method is caught and printed as ``a -> b -> a``."""
    graph = ImportGraph(SYNTHETIC)
    assert graph.cycles() == [
        "simulation.analysis.compare -> simulation.analysis.stats -> simulation.analysis.compare"
        + "  [simulation/analysis/compare.py:1, simulation/analysis/stats.py:3]",
        "simulation.analysis.metrics -> simulation.present.words -> simulation.analysis.metrics"
        + "  [simulation/analysis/metrics.py:3, simulation/present/words.py:1]",
    ]


def test_checker_ignores_type_checking_imports() -> None:
    """Imports under ``if TYPE_CHECKING:`` make no cycle, no upward import and no forbidden import; the rest do."""
    graph = ImportGraph(SYNTHETIC)
    agents = {imp.target for imp in graph.imports if imp.importer == "simulation.core.agents"}
    assert agents == {"typing", "simulation"}
    assert set(graph.edges["simulation.core.agents"]) == {"simulation"}  # so no cycle with simulation.core.model
    assert set(graph.edges["simulation.core.model"]) == {"simulation.core.agents"}  # ``from . import agents``
    assert "simulation.present.words" in graph.edges["simulation.analysis.metrics"]  # inside ``try`` counts
    else_branch = ImportGraph({"simulation/core/x.py": textwrap.dedent("""\
        from typing import TYPE_CHECKING
        if TYPE_CHECKING:
            pass
        else:
            import yaml
        """)})
    assert else_branch.forbidden_imports() == [
        "simulation/core/x.py:5 imports yaml (core must not import jinja2, markdown, matplotlib, solara, yaml)"
    ]
