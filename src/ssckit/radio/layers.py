"""Terrain, clutter and calibration layers shipped to Dask workers as file paths, not bytes.

A national grid at 25 m holds about 1.3 GB per float32 layer over 200 000 km²; broadcasting the
layers gives every worker process its own copy. :func:`map_layer` writes a layer once into a
``.npy`` file named after its content and opens it read-only as a memory map
(:class:`MappedLayer`); a whole mapped layer pickles as its path, dtype, shape and file size, so
a worker re-opens the same file and the operating system shares its pages between the worker
processes of a machine. :func:`shippable_inputs` maps the layers of a coverage run when every
worker can read the files (a shared filesystem, or one machine), and otherwise leaves the
inputs as they are, to be broadcast.

File handling only; the coverage computation (``radio.coverage``) sees ordinary arrays.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
import socket
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ssckit.core.errors import InputError

if TYPE_CHECKING:
    from distributed import Client

    from ssckit.radio.coverage import CoverageInputs

__all__ = ["LayerUnreadable", "MappedLayer", "map_layer", "open_layer", "shippable_inputs",
           "unreadable_layers"]

log = logging.getLogger(__name__)

#: The layers of :class:`ssckit.radio.coverage.CoverageInputs` that are mapped.
LAYER_FIELDS = ("dem", "clutter", "rx_offset_db")

_HINT = ("mount the workspace at the same path on every worker (shared filesystem), or start "
         "every worker before the run so that ssckit finds the file unreadable there and "
         "broadcasts the layers instead")


class LayerUnreadable(InputError):
    """A worker cannot read a mapped layer file (one line: the path, the host, what to do)."""

    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(path, f"worker on {socket.gethostname()}", f"{problem}; {_HINT}")

    def __reduce__(self) -> tuple[Any, ...]:
        # re-raised on the client by Dask: rebuilt from its own fields, host included
        return _rebuild_unreadable, (self.path, self.location, self.problem)


def _rebuild_unreadable(path: str, location: str | None, problem: str) -> LayerUnreadable:
    err = LayerUnreadable(path, problem)
    err.location = location
    err.args = (str(err),)
    return err


class MappedLayer(np.memmap):
    """A read-only layer backed by a ``.npy`` file: the whole array pickles as its path.

    Views, slices and reshapes of it are plain memory maps of the same file; they pickle their
    data (as NumPy arrays do), never the file, so a slice is never taken for the whole layer.
    """

    _source: tuple[str, str, tuple[int, ...], int] | None = None

    def __array_finalize__(self, obj: Any) -> None:
        super().__array_finalize__(obj)
        self._source = None   # set by open_layer on the whole array only

    def __reduce_ex__(self, protocol: Any) -> Any:
        if self._source is None:
            return np.asarray(self).__reduce_ex__(protocol)
        return _unpickle_layer, self._source

    def __reduce__(self) -> Any:
        return self.__reduce_ex__(2)

    @property
    def path(self) -> str | None:
        """The file of the whole layer (None for a view of it)."""
        return None if self._source is None else self._source[0]

    @property
    def file_size(self) -> int | None:
        """Size [bytes] of the whole layer's file (None for a view of it)."""
        return None if self._source is None else self._source[3]


def _check_file(path: str, size: int) -> str | None:
    """What is wrong with ``path`` as a layer file of ``size`` bytes, or None."""
    try:
        actual = os.stat(path).st_size
    except OSError as exc:
        return f"cannot read this layer file ({exc.strerror or exc})"
    if actual != size:
        return f"this layer file has {actual} bytes, not the {size} written"
    return None


def open_layer(path: str, dtype: str, shape: tuple[int, ...], size: int) -> MappedLayer:
    """Open the layer file ``path`` (``size`` bytes, an array of ``dtype`` and ``shape``)
    read-only as a memory map; raise :class:`LayerUnreadable` where it is missing or differs."""
    problem = _check_file(path, size)
    if problem is None:
        try:
            mm = np.load(path, mmap_mode="r", allow_pickle=False)
        except (OSError, ValueError) as exc:
            problem = f"not a layer file ({exc})"
        else:
            if mm.dtype != np.dtype(dtype) or mm.shape != tuple(shape):
                problem = (f"this layer file holds {mm.dtype} {mm.shape}, not {np.dtype(dtype)} "
                           f"{tuple(shape)}")
    if problem is not None:
        raise LayerUnreadable(path, problem)
    layer = mm.view(MappedLayer)
    layer._source = (str(path), np.dtype(dtype).str, tuple(int(n) for n in shape), int(size))
    return layer


class _UnreadableLayer:
    """What a worker holds for a layer file it could not open: any use of it raises the
    :class:`LayerUnreadable` error inside the task, so that it reaches the client (and the
    command line) as one line instead of failing in Dask's transport."""

    def __init__(self, error: LayerUnreadable) -> None:
        self._error = error

    def __getattr__(self, name: str) -> Any:
        raise self._error

    def __getitem__(self, key: Any) -> Any:
        raise self._error

    def __array__(self, *args: Any, **kwargs: Any) -> Any:
        raise self._error

    def __reduce__(self) -> tuple[Any, ...]:
        return _UnreadableLayer, (self._error,)


def _unpickle_layer(path: str, dtype: str, shape: tuple[int, ...], size: int
                    ) -> MappedLayer | _UnreadableLayer:
    """:func:`open_layer` as a pickled :class:`MappedLayer` is opened on a worker."""
    try:
        return open_layer(path, dtype, shape, size)
    except LayerUnreadable as err:
        return _UnreadableLayer(err)


def _digest(array: np.ndarray) -> str:
    """A name for the content of ``array``: BLAKE2b of its dtype, shape and bytes."""
    h = hashlib.blake2b(digest_size=16)
    h.update(f"{array.dtype.str}{array.shape}".encode())
    h.update(memoryview(array).cast("B"))
    return h.hexdigest()


def map_layer(array: np.ndarray, cache_dir: str | Path) -> MappedLayer:
    """``array`` as a read-only :class:`MappedLayer` backed by ``cache_dir/layer-<hash>.npy``.

    The file is written once per content (an existing file of the same content hash and size
    is reused), through a temporary file renamed into place, so a concurrent run never opens a
    half-written layer. The mapped array has the dtype, shape and values of ``array``.
    """
    if isinstance(array, MappedLayer) and array.path is not None:
        return array
    data = np.ascontiguousarray(array)
    folder = Path(cache_dir).absolute()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"layer-{_digest(data)}.npy"
    if path.is_file():
        try:
            return open_layer(str(path), data.dtype.str, data.shape, path.stat().st_size)
        except (LayerUnreadable, OSError):
            pass   # not this content after all (cut short): written again below
    fd, tmp = tempfile.mkstemp(prefix=".layer-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            np.lib.format.write_array(f, data, allow_pickle=False)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return open_layer(str(path), data.dtype.str, data.shape, path.stat().st_size)


def unreadable_layers(files: list[tuple[str, int]]) -> list[str]:
    """Run on a worker: one line for each of ``files`` (path, size [bytes]) it cannot read."""
    lines = []
    for path, size in files:
        problem = _check_file(path, size)
        if problem is not None:
            lines.append(f"{path}: {problem}")
    return lines


def shippable_inputs(inputs: CoverageInputs, client: Client, cache_dir: str | Path
                     ) -> CoverageInputs:
    """``inputs`` with its terrain, clutter and calibration layers as :class:`MappedLayer`
    files under ``cache_dir``, when every worker of ``client`` can read those files (same path,
    same size); otherwise ``inputs`` unchanged, to be broadcast whole.

    The shared part of the run (``inputs.prepared``: site grounds, fans, gain tables) is
    computed here first and carried over, so the workers never read a whole layer.
    """
    prepared = inputs.prepared
    try:
        mapped = {name: map_layer(getattr(inputs, name), cache_dir) for name in LAYER_FIELDS
                  if getattr(inputs, name) is not None}
    except OSError as exc:   # a read-only or full workspace: the run goes on, broadcast
        log.warning("terrain and clutter broadcast to every worker (cannot write %s: %s)",
                    cache_dir, exc.strerror or exc)
        return inputs
    files = [(m.path, m.file_size) for m in mapped.values()]
    answers = client.run(unreadable_layers, files)
    problems = [f"worker {w}: {line}" for w, lines in answers.items() for line in lines]
    if not answers or problems:
        log.warning("terrain and clutter broadcast to every worker (%s)",
                    problems[0] if problems else "no worker to check the layer files")
        return inputs
    shipped = dataclasses.replace(inputs, **mapped)
    shipped.__dict__["prepared"] = prepared   # the cached_property's slot
    return shipped
