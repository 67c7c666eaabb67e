"""Layers memory-mapped for Dask workers: pickled as paths, read in place, same answers."""

from __future__ import annotations

import os
import pickle
import sys
from pathlib import Path

import cloudpickle
import numpy as np
import psutil
import pytest
from numpy.testing import assert_array_equal

from ssckit.core.errors import InputError
from ssckit.core.geo import Grid
from ssckit.core.workspace import Workspace
from ssckit.radio import run as radio_run
from ssckit.radio.coverage import (
    CoverageInputs,
    RadioSettings,
    compute_coverage,
    coverage_maps,
    coverage_tile,
)
from ssckit.radio.layers import (
    LayerUnreadable,
    MappedLayer,
    map_layer,
    open_layer,
    shippable_inputs,
)
from ssckit.radio.radial import _layers


@pytest.fixture(scope="module")
def sample_city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample city's inputs (no pipeline run: the coverage runs are the test)."""
    from ssckit.demo.generate import write_sample_city

    root = tmp_path_factory.mktemp("layers-city")
    write_sample_city(root, seed=7)
    return root


@pytest.fixture(scope="module")
def cluster():
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as c:
        yield c


def _layer(shape: tuple[int, int] = (300, 400), dtype=np.float32) -> np.ndarray:
    return np.random.default_rng(3).normal(100.0, 30.0, shape).astype(dtype)


def test_whole_layer_pickles_as_its_path(tmp_path: Path):
    a = _layer()
    m = map_layer(a, tmp_path)
    assert isinstance(m, MappedLayer) and not m.flags.writeable
    assert m.dtype == a.dtype and m.shape == a.shape
    blob = pickle.dumps(m, protocol=5)
    assert len(blob) < 1024 < a.nbytes
    back = pickle.loads(blob)
    assert isinstance(back, MappedLayer) and back.path == m.path
    assert_array_equal(back, a)
    # the same content again: the same file, not written twice
    stamp = os.stat(m.path).st_mtime_ns
    again = map_layer(a.copy(), tmp_path)
    assert again.path == m.path and os.stat(m.path).st_mtime_ns == stamp
    assert [p.name for p in tmp_path.iterdir()] == [Path(m.path).name]
    # other content (or another dtype): another file
    assert map_layer(a.astype(np.float64), tmp_path).path != m.path
    assert len(list(tmp_path.iterdir())) == 2


def test_a_view_pickles_its_data(tmp_path: Path):
    a = _layer()
    m = map_layer(a, tmp_path)
    for view in (m[10:60, 5:205], m[::2], m.ravel()[7:], m.reshape(-1)):
        assert view.path is None
        blob = pickle.dumps(view, protocol=5)
        assert len(blob) >= view.nbytes
        back = pickle.loads(blob)
        assert type(back) is np.ndarray
        assert_array_equal(back, np.asarray(view))
    assert_array_equal(pickle.loads(pickle.dumps(m[10:60, 5:205])), a[10:60, 5:205])


def test_missing_or_changed_file_is_one_line(tmp_path: Path):
    m = map_layer(_layer(), tmp_path)
    blob = pickle.dumps(m)
    path, size = m.path, m.file_size
    del m
    with open(path, "r+b") as f:
        f.truncate(size - 4)
    with pytest.raises(InputError) as err:
        open_layer(path, "<f4", (300, 400), size)
    line = str(err.value)
    assert "\n" not in line and path in line and f"{size - 4} bytes" in line
    os.remove(path)
    with pytest.raises(LayerUnreadable) as err:
        open_layer(path, "<f4", (300, 400), size)
    line = str(err.value)
    assert "\n" not in line and line.startswith(path) and "No such file" in line
    assert "shared filesystem" in line and "broadcast" in line
    # unpickled where the file is gone (a worker): the error comes at first use, in the task
    held = pickle.loads(blob)
    with pytest.raises(LayerUnreadable, match="No such file"):
        held[0:10, 0:10]
    with pytest.raises(LayerUnreadable):
        np.ascontiguousarray(held)
    # and survives the trip back to the client with its host
    again = pickle.loads(pickle.dumps(err.value))
    assert str(again) == str(err.value) and again.path == path


def test_kernels_read_the_mapped_layers_in_place(tmp_path: Path, sample_city: Path):
    ws = Workspace.load(sample_city)
    area = radio_run.load_area(ws, 200.0)
    sectors, patterns = radio_run.load_sectors(ws.input_path("radio", "sites"), area)
    dem, clutter = map_layer(area.dem, tmp_path), map_layer(area.clutter, tmp_path)
    d, c, has = _layers(dem, clutter, check=False)
    assert has and np.shares_memory(d, dem) and np.shares_memory(c, clutter)
    offsets = np.linspace(-3.0, 3.0, area.dem.size).reshape(area.dem.shape)
    plain = CoverageInputs(area.grid, area.dem, sectors, RadioSettings(), area.clutter,
                           patterns, offsets)
    mapped = CoverageInputs(area.grid, dem, sectors, RadioSettings(), clutter, patterns,
                            map_layer(offsets, tmp_path))
    for window in ((0, 16, 0, 16), (20, 50, 13, 50)):
        a, b = coverage_tile(plain, window), coverage_tile(mapped, window)
        for name in ("rsrp_dbm", "sinr_db", "server", "power_mw"):
            assert_array_equal(getattr(a, name), getattr(b, name))
        assert a.stats == b.stats


def test_two_worker_cluster_with_mapped_layers(tmp_path: Path, sample_city: Path, cluster,
                                               caplog: pytest.LogCaptureFixture):
    """Two worker processes reading the layers from files give the arrays of local threads,
    to the bit (terrain, clutter and a calibration layer all mapped)."""
    ws = Workspace.load(sample_city)
    area = radio_run.load_area(ws, 400.0)
    sectors, patterns = radio_run.load_sectors(ws.input_path("radio", "sites"), area)
    offsets = np.linspace(-2.0, 2.0, area.dem.size).reshape(area.dem.shape)

    def inputs(tile: int, radius: float | None = 30.0) -> CoverageInputs:
        return CoverageInputs(area.grid, area.dem, sectors,
                              RadioSettings(tile_size=tile, max_radius_km=radius), area.clutter,
                              patterns, offsets)

    local, _ = compute_coverage(inputs(8), threads=2)
    local_maps, local_stats = coverage_maps(inputs(16, 3.0), threads=1)
    layers = tmp_path / "layers"
    with caplog.at_level("WARNING", logger="ssckit.radio.layers"):
        remote, _ = compute_coverage(inputs(8), scheduler=cluster.scheduler_address,
                                     layer_dir=layers)
        remote_maps, remote_stats = coverage_maps(inputs(9, 3.0),
                                                  scheduler=cluster.scheduler_address,
                                                  layer_dir=layers)
    assert not caplog.records   # the workers read the files: nothing was broadcast whole
    assert len(list(layers.glob("layer-*.npy"))) == 3
    assert_array_equal(local, remote)
    assert np.isfinite(local).all()
    for name in ("rsrp_dbm", "sinr_db", "server", "throughput_mbps", "covered", "power_mw"):
        assert_array_equal(getattr(local_maps, name), getattr(remote_maps, name))
    assert local_stats == remote_stats


def test_a_file_gone_from_under_the_workers_is_one_line(tmp_path: Path, sample_city: Path,
                                                         cluster):
    from distributed import Client

    ws = Workspace.load(sample_city)
    area = radio_run.load_area(ws, 400.0)
    sectors, patterns = radio_run.load_sectors(ws.input_path("radio", "sites"), area)
    inputs = CoverageInputs(area.grid, area.dem, sectors, RadioSettings(), area.clutter,
                            patterns)
    with Client(cluster) as client:
        shipped = shippable_inputs(inputs, client, tmp_path)
        assert isinstance(shipped.dem, MappedLayer) and "prepared" in shipped.__dict__
        os.remove(shipped.dem.path)
        remote = client.scatter(shipped, broadcast=True, hash=False)
        fut = client.submit(coverage_tile, remote, (0, 8, 0, 8), pure=False)
        with pytest.raises(LayerUnreadable) as err:
            fut.result()
    line = str(err.value)
    assert "\n" not in line and line.startswith(shipped.dem.path) and "worker on " in line


def _rss() -> int:
    return psutil.Process().memory_info().rss


# workers cannot import this test module: send its functions by value
cloudpickle.register_pickle_by_value(sys.modules[__name__])


def test_workers_hold_a_mapped_layer_without_its_bytes(tmp_path: Path, sample_city: Path,
                                                       cluster):
    """A 200 MB terrain layer: the workers' memory grows by far less when it is shipped
    mapped, and by the layer's size when it is broadcast whole (the measure can fail)."""
    from distributed import Client

    ws = Workspace.load(sample_city)
    small = radio_run.load_area(ws, 400.0).grid
    xmin, ymin, xmax, ymax = small.bounds
    n = 7072   # 7072^2 float32 = 200 MB
    grid = Grid.from_bounds(xmin, ymin, xmax, ymin + (xmax - xmin), (xmax - xmin) / n,
                            small.crs)
    dem = np.add.outer(np.linspace(80.0, 120.0, n, dtype=np.float32),
                       np.linspace(0.0, 5.0, n, dtype=np.float32))
    assert dem.shape == grid.shape and dem.nbytes >= 200e6
    sectors, patterns = radio_run.load_sectors(ws.input_path("radio", "sites"),
                                               radio_run.load_area(ws, 400.0))
    inputs = CoverageInputs(grid, dem, sectors, RadioSettings(model="free-space"), None,
                            patterns)
    with Client(cluster) as client:
        shipped = shippable_inputs(inputs, client, tmp_path)
        del dem
        assert isinstance(shipped.dem, MappedLayer)
        # what is pickled is the sites, the gain tables (26 MB) and paths: not the terrain
        tables = len(pickle.dumps(shipped.prepared, protocol=5))
        assert len(pickle.dumps(shipped, protocol=5)) - tables < 1e6
        before = client.run(_rss)
        mapped = client.scatter(shipped, broadcast=True, hash=False)
        with_mapped = client.run(_rss)
        whole = client.scatter(inputs, broadcast=True, hash=False)
        with_whole = client.run(_rss)
        # the tiles run on the mapped layer
        tile = client.submit(coverage_tile, mapped, (0, 64, 0, 64), pure=False).result()
        del whole
    assert np.isfinite(tile.rsrp_dbm).any()
    for w in before:
        assert with_mapped[w] - before[w] < tables + 30e6, (w, with_mapped[w] - before[w])
        assert with_whole[w] - with_mapped[w] > 180e6, (w, with_whole[w] - with_mapped[w])


def test_workspace_run_on_a_scheduler_maps_into_its_cache(tmp_path: Path, sample_city: Path,
                                                         cluster):
    """``run_coverage`` with a scheduler keeps the layer files in the workspace's cache and
    gives the maps of a local run."""
    ws = Workspace.load(sample_city)
    area = radio_run.load_area(ws, 400.0)
    sites = ws.input_path("radio", "sites")
    settings = RadioSettings(tile_size=12)
    local = radio_run.run_coverage(ws, sites, settings, area, threads=1)
    remote = radio_run.run_coverage(ws, sites, settings, area, cluster.scheduler_address)
    files = list((sample_city / radio_run.LAYER_CACHE).glob("layer-*.npy"))
    assert len(files) == 2   # terrain and clutter (no calibration stored)
    assert radio_run.layer_dir(ws, None) is None
    for name in ("rsrp_dbm", "sinr_db", "server", "covered"):
        assert_array_equal(getattr(local.maps, name), getattr(remote.maps, name))


def test_an_unwritable_cache_falls_back_to_broadcast(tmp_path: Path, sample_city: Path,
                                                     cluster, caplog: pytest.LogCaptureFixture):
    from distributed import Client

    ws = Workspace.load(sample_city)
    area = radio_run.load_area(ws, 400.0)
    sectors, patterns = radio_run.load_sectors(ws.input_path("radio", "sites"), area)
    inputs = CoverageInputs(area.grid, area.dem, sectors, RadioSettings(), area.clutter,
                            patterns)
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    with Client(cluster) as client, caplog.at_level("WARNING", logger="ssckit.radio.layers"):
        assert shippable_inputs(inputs, client, blocked / "layers") is inputs
    assert "broadcast to every worker" in caplog.text and str(blocked) in caplog.text
