"""The modules of ssckit and what each gives the whole: one :class:`ModuleFace` per module.

A module (``radio``, ``school``, a third-party package ...) declares its face in one place, its
``face.py``, and names it under the ``ssckit.modules`` entry-point group of its package::

    [project.entry-points."ssckit.modules"]
    radio = "ssckit.radio.face:FACE"

The CLI, the web app, the pipeline, the store's migrations and the demo are all built from the
list :func:`faces` returns; nothing in ``core`` or ``web`` names a module. Everything a face
points at is a ``"package.module:attribute"`` reference loaded only when used, so a module whose
optional dependencies are missing drops out with a one-line notice (:func:`unavailable`)
instead of breaking every command. This follows the shape of datasette's and pytest's plugin
hooks, without the hook machinery: a face is plain data.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ssckit.core.indicators import IndicatorValue
    from ssckit.core.store import Store
    from ssckit.core.workspace import Workspace

ENTRY_POINT_GROUP = "ssckit.modules"


def load_ref(ref: str) -> Any:
    """The object a ``"package.module:attribute"`` reference names (imported on first use)."""
    module_name, _, attr = ref.partition(":")
    obj: Any = importlib.import_module(module_name)
    for part in filter(None, attr.split(".")):
        obj = getattr(obj, part)
    return obj


@dataclass(frozen=True)
class Step:
    """One pipeline step: a function ``compute(workspace, store) -> list[IndicatorValue]``.

    ``inputs`` are the city.yaml entries the step needs, written as ``inputs.<module>.<name>``
    (a file of ``inputs``), a top-level field (``dem``, ``population``) or a setting
    (``settings.<module>.<name>``);
    a step whose inputs are missing is skipped and the pipeline says which entry is missing.
    ``ready`` (a reference to ``f(workspace) -> str | None``) can add checks of its own: it
    returns why the step cannot run (e.g. "Chromium is not installed"), or None.
    ``order`` sorts the steps of all modules (smaller first; a step that uses another module's
    indicator values comes after it). A run's values are published together when every step
    has run; ``after_publish`` steps (reports of what was published, e.g. the scorecard) run
    after that and see the new values.
    """

    title: str
    compute: str
    inputs: tuple[str, ...] = ()
    any_inputs: bool = False
    ready: str | None = None
    order: int = 50
    after_publish: bool = False

    def load(self) -> Callable[[Workspace, Store], list[IndicatorValue]]:
        return load_ref(self.compute)

    def missing_inputs(self, ws: Workspace) -> list[str]:
        """The entries of ``inputs`` the workspace lacks (all of them need to be there, or one
        of them with ``any_inputs``)."""
        missing = [name for name in self.inputs if not _has_input(ws, name)]
        if self.any_inputs and len(missing) < len(self.inputs):
            return []
        return missing

    def why_not(self, ws: Workspace) -> str | None:
        """Why the step cannot run on ``ws`` (one line), or None when it can."""
        missing = self.missing_inputs(ws)
        if missing:
            joined = " or ".join(missing) if self.any_inputs else ", ".join(missing)
            return f"city.yaml has no {joined}"
        if self.ready is not None:
            return load_ref(self.ready)(ws)
        return None


def _has_input(ws: Workspace, name: str) -> bool:
    parts = name.split(".")
    if parts[0] == "inputs" and len(parts) == 3:
        return ws.input_path(parts[1], parts[2]) is not None
    value: Any = ws.config
    for part in parts:
        value = value.get(part) if isinstance(value, dict) else getattr(value, part, None)
    return bool(value)


@dataclass(frozen=True)
class ModuleFace:
    """What a module gives the whole. Every reference is ``"package.module:attribute"``.

    name: the module's name (its CLI group, its ``settings.<name>`` and ``inputs.<name>`` of
      city.yaml, its migrations' key in the store);
    title / summary: how the home page, ``ssckit --help`` and ``ssckit compute`` name it;
    steps: its pipeline steps;
    cli: its click command or group;
    web: modules exposing ``router`` (JSON API, mounted under /api/v1), ``pages`` (HTML
      pages) and optionally ``NAV`` (``(label, path, role or None)`` navigation entries);
    home: ``f(request) -> markupsafe.Markup``, a panel for the home page;
    templates / static: folders (relative to the module's package) of its Jinja2 templates
      and of its static files (served under ``/static/<name>/``);
    migrations: its store tables (a list of SQL scripts, ``Store.migrate_module``);
    sample: ``f(SampleCity) -> SampleInputs``, the inputs it adds to the demo's sample city;
    live: ``f(workspace, log) -> object with stop() | None``, what it runs beside
      ``ssckit serve --live`` (e.g. a sensor feed);
    requires: importable modules it needs; where one is missing, the module drops out and
      ``extra`` names the pip extra that installs them.
    """

    name: str
    title: str
    summary: str = ""
    package: str = ""
    steps: tuple[Step, ...] = ()
    cli: str | None = None
    web: tuple[str, ...] = ()
    home: str | None = None
    templates: str | None = None
    static: str | None = None
    migrations: str | None = None
    sample: str | None = None
    live: str | None = None
    requires: tuple[str, ...] = ()
    extra: str | None = None
    order: int = 50
    nav: tuple[tuple[str, str, str | None], ...] = field(default=())

    def missing_requirements(self) -> list[str]:
        return [r for r in self.requires if importlib.util.find_spec(r) is None]

    def folder(self, rel: str | None) -> Path | None:
        """A folder of the module's package (templates, static files), if it exists."""
        if rel is None:
            return None
        spec = importlib.util.find_spec(self.package or self.name)
        if spec is None or not spec.submodule_search_locations:
            return None
        path = Path(next(iter(spec.submodule_search_locations))) / rel
        return path if path.is_dir() else None


_registered: dict[str, ModuleFace] = {}
_unavailable: dict[str, str] = {}
_discovered = False


def register(face: ModuleFace) -> None:
    """Add a face (modules found through entry points are registered automatically)."""
    if face.name in _registered and _registered[face.name] is not face:
        raise ValueError(f"two modules are named {face.name!r}")
    missing = face.missing_requirements()
    if missing:
        how = f"pip install 'ssckit[{face.extra}]'" if face.extra else \
            f"pip install {' '.join(missing)}"
        _unavailable[face.name] = f"needs {', '.join(missing)} ({how})"
        return
    _registered[face.name] = face


def unregister(name: str) -> None:
    """Remove a face (tests that register a module of their own take it away again)."""
    _registered.pop(name, None)
    _unavailable.pop(name, None)


def _discover() -> None:
    global _discovered
    if _discovered:
        return
    _discovered = True
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            face = ep.load()
        except ImportError as exc:  # a face module itself failed to import
            _unavailable[ep.name] = f"cannot be loaded ({exc})"
            continue
        register(face)


def faces() -> list[ModuleFace]:
    """Every available module's face, in the modules' order (then by name)."""
    _discover()
    return sorted(_registered.values(), key=lambda f: (f.order, f.name))


def face(name: str) -> ModuleFace | None:
    _discover()
    return _registered.get(name)


def unavailable() -> dict[str, str]:
    """Modules that dropped out: name -> one line on why and how to install what is missing."""
    _discover()
    return dict(_unavailable)


def steps() -> list[tuple[ModuleFace, Step]]:
    """Every module's pipeline steps, in order."""
    out = [(f, s) for f in faces() for s in f.steps]
    return sorted(out, key=lambda fs: (fs[1].order, fs[0].order, fs[0].name))


def migrations() -> list[tuple[str, Sequence[str]]]:
    """``(key, migrations)`` of core's own tables and of every module with tables."""
    from ssckit.core import auth

    out: list[tuple[str, Sequence[str]]] = [("auth", auth.MIGRATIONS)]
    out += [(f.name, load_ref(f.migrations)) for f in faces() if f.migrations]
    return out
