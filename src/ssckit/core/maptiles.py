"""Web map tiles from GeoTIFFs: XYZ Web Mercator tiles, colour maps with legends, PNG encoding.

A tile is read window by window through GDAL's warper (:class:`rasterio.vrt.WarpedVRT`) at the
tile's own resolution, so a zoomed-out tile of a Cloud-Optimized GeoTIFF is read from its
overviews and costs about as much as a zoomed-in one; a plain GeoTIFF without overviews works
too, read at full resolution. Nothing here knows which module's raster it draws.

References: OGC Two Dimensional Tile Matrix Set 17-083r4, Annex D.1 "WebMercatorQuad"
(EPSG:3857, 256 x 256 pixel tiles, tile (0, 0) at the north-west corner); the "slippy map"
tile numbering of OpenStreetMap used by Leaflet is the same.
"""

from __future__ import annotations

import functools
import io
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine
from rasterio.enums import Resampling
from rasterio.vrt import WarpedVRT
from rasterio.warp import transform_bounds

from ssckit.core.errors import InputError

#: The tile matrix set's CRS (OGC 17-083r4 Annex D.1).
WEB_MERCATOR = "EPSG:3857"
#: Half the width of the Web Mercator square [m]: pi times the WGS 84 semi-major axis.
MERCATOR_HALF_WIDTH_M = math.pi * 6_378_137.0
TILE_SIZE = 256
#: Deepest zoom level served (about 3.7 cm per pixel at the equator: deeper never helps).
MAX_ZOOM = 22


# -- tile addresses ---------------------------------------------------------------------------
def check_tile_address(z: int, x: int, y: int) -> None:
    """Refuse a tile address outside the tile matrix: z in 0..22, x and y in 0..2^z - 1."""
    if not 0 <= z <= MAX_ZOOM:
        raise InputError("tile address", "zoom level z",
                         f"{z} is outside 0..{MAX_ZOOM}; ask for a zoom level in that range")
    n = 1 << z
    for name, value in (("x", x), ("y", y)):
        if not 0 <= value < n:
            raise InputError("tile address", f"column {name}" if name == "x" else f"row {name}",
                             f"{value} is outside 0..{n - 1} at zoom level {z}")


def tile_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """Bounds (xmin, ymin, xmax, ymax) of tile ``z/x/y`` in Web Mercator [m]
    (OGC 17-083r4 Annex D.1: tile (0, 0) at the north-west corner, rows counted southwards)."""
    check_tile_address(z, x, y)
    size = 2.0 * MERCATOR_HALF_WIDTH_M / (1 << z)
    xmin = -MERCATOR_HALF_WIDTH_M + x * size
    ymax = MERCATOR_HALF_WIDTH_M - y * size
    return xmin, ymax - size, xmin + size, ymax


def lonlat_to_tile(lon: float, lat: float, z: int) -> tuple[int, int]:
    """The tile (x, y) at zoom ``z`` holding the point ``lon``, ``lat`` [degrees, WGS 84]."""
    n = 1 << z
    lat_r = math.radians(max(-85.05112878, min(85.05112878, lat)))
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1.0 - math.asinh(math.tan(lat_r)) / math.pi) / 2.0 * n)
    return min(max(x, 0), n - 1), min(max(y, 0), n - 1)


# -- reading a tile ---------------------------------------------------------------------------
@dataclass(frozen=True)
class RasterInfo:
    """What a tile reader needs to know of a raster, read once per file version."""

    bounds_3857: tuple[float, float, float, float]   # data extent in Web Mercator [m]
    bounds_lonlat: tuple[float, float, float, float]  # west, south, east, north [degrees]
    res_3857: float                                   # native pixel size in Web Mercator [m]
    overviews: tuple[int, ...]                        # decimation factors of band 1
    nodata: float | None
    dtype: str


@functools.lru_cache(maxsize=64)
def _raster_info(path: str, mtime_ns: int, size: int) -> RasterInfo:
    del mtime_ns, size  # part of the cache key: a replaced file is read again
    try:
        src = rasterio.open(path)
    except rasterio.RasterioIOError as exc:
        raise InputError(path, None, f"not a readable GeoTIFF ({exc}); run the command "
                                     "that writes it again") from None
    with src:
        if src.crs is None:
            raise InputError(path, "CRS", "the raster has no CRS; a georeferenced GeoTIFF "
                                          "is required for map tiles")
        b3857 = transform_bounds(src.crs, WEB_MERCATOR, *src.bounds, densify_pts=21)
        bll = transform_bounds(src.crs, "EPSG:4326", *src.bounds, densify_pts=21)
        # The native pixel size in Web Mercator: the finer of the two axes over the extent.
        res = min((b3857[2] - b3857[0]) / src.width, (b3857[3] - b3857[1]) / src.height)
        return RasterInfo(tuple(b3857), tuple(bll), float(res),
                          tuple(src.overviews(1)), src.nodata, src.dtypes[0])


def raster_info(path: str | Path) -> RasterInfo:
    """Extent, native resolution and overviews of the GeoTIFF at ``path`` (cached per version
    of the file: a file replaced by a new run is read again)."""
    st = Path(path).stat()
    return _raster_info(str(path), st.st_mtime_ns, st.st_size)


def read_tile(path: str | Path, z: int, x: int, y: int,
              size: int = TILE_SIZE) -> np.ma.MaskedArray:
    """Band 1 of the GeoTIFF at ``path`` resampled (nearest neighbour) onto tile ``z/x/y``.

    Returns a ``size`` x ``size`` float64 masked array, masked where the raster has no data
    (outside its extent, nodata, NaN). Each tile pixel takes the value of the raster pixel
    under its centre. Only the part of the tile over the raster is warped, straight onto the
    tile's pixel grid (:class:`~rasterio.vrt.WarpedVRT`), from the coarsest overview that is
    still at least as fine as the tile (:func:`overview_level`), so a zoomed-out tile of a
    national layer reads a few blocks of an overview instead of the whole raster.
    """
    out = np.ma.masked_all((size, size), dtype=np.float64)
    txmin, tymin, txmax, tymax = tile_bounds(z, x, y)
    info = raster_info(path)
    dxmin, dymin, dxmax, dymax = info.bounds_3857
    if dxmin >= txmax or dxmax <= txmin or dymin >= tymax or dymax <= tymin:
        return out
    # The tile's pixels that overlap the data, on the tile's pixel grid.
    px = (txmax - txmin) / size
    c0 = max(0, math.floor((dxmin - txmin) / px))
    c1 = min(size, math.ceil((dxmax - txmin) / px))
    r0 = max(0, math.floor((tymax - dymax) / px))
    r1 = min(size, math.ceil((tymax - dymin) / px))
    if c1 <= c0 or r1 <= r0:
        return out
    level = overview_level(info, px)
    floating = np.issubdtype(np.dtype(info.dtype), np.floating)
    if info.nodata is not None:
        nodata: float | None = info.nodata
    elif floating:
        nodata = float("nan")
    else:
        nodata = None
    options: dict[str, object] = dict(
        crs=WEB_MERCATOR, transform=Affine(px, 0.0, txmin + c0 * px, 0.0, -px, tymax - r0 * px),
        width=c1 - c0, height=r1 - r0, resampling=Resampling.nearest)
    if nodata is None:
        options["add_alpha"] = True
    else:
        options.update(src_nodata=nodata, nodata=nodata)
    with rasterio.open(path, **({} if level < 0 else {"overview_level": level})) as src, \
            WarpedVRT(src, **options) as vrt:
        data = vrt.read(1)
        if nodata is None:
            valid = vrt.read(vrt.count) > 0
        elif math.isnan(nodata):
            valid = ~np.isnan(data)
        else:
            valid = data != nodata
    values = data.astype(np.float64)
    valid &= np.isfinite(values)
    out[r0:r1, c0:c1] = np.ma.masked_array(values, mask=~valid)
    return out


def overview_level(info: RasterInfo, pixel_m: float) -> int:
    """The overview to read for tile pixels of ``pixel_m`` [m, Web Mercator]: the index of
    the coarsest overview whose pixels are no larger than the tile's, or -1 for the full
    resolution (GDAL's own choice for decimated reads, without its 20 % tolerance, so that
    a tile pixel never spans several overview pixels)."""
    factor = pixel_m / info.res_3857
    level = -1
    for i, decimation in enumerate(info.overviews):
        if decimation <= factor:
            level = i
    return level


def read_point(path: str | Path, x: float, y: float) -> float | None:
    """Band 1 of the GeoTIFF at ``path`` at the pixel holding ``x``, ``y`` (in the raster's
    CRS [m]); None outside the raster, at nodata or NaN."""
    raster_info(path)  # a file that is not a georeferenced GeoTIFF is one line
    with rasterio.open(path) as src:
        row, col = src.index(x, y)
        if not (0 <= row < src.height and 0 <= col < src.width):
            return None
        value = src.read(1, window=((row, row + 1), (col, col + 1)))[0, 0]
        if src.nodata is not None and value == src.nodata:
            return None
        v = float(value)
        return v if math.isfinite(v) else None


# -- colour maps and legends ------------------------------------------------------------------
@dataclass(frozen=True)
class ColourMap:
    """Values to colours: a matplotlib colour map over ``vmin``..``vmax`` (a value ``v`` takes
    entry ``floor((v - vmin) / (vmax - vmin) * 256)`` of 256, clipped, as matplotlib's
    ``Normalize`` and ``Colormap(bytes=True)`` do), or, for a categorical map, colour
    ``v mod n`` of its ``n`` colours (whole-number values such as a serving sector's index)."""

    name: str
    vmin: float
    vmax: float
    lut: np.ndarray            # (n, 4) uint8 RGBA
    categorical: bool = False

    def colourise(self, values: np.ndarray | np.ma.MaskedArray) -> np.ndarray:
        """RGBA uint8 image of ``values`` (rows, cols, 4): transparent where masked or NaN."""
        data = np.ma.getdata(values).astype(np.float64)
        valid = ~np.ma.getmaskarray(values) & np.isfinite(data)
        safe = np.where(valid, data, self.vmin)
        n = len(self.lut)
        if self.categorical:
            idx = np.mod(np.rint(safe).astype(np.int64), n)
        else:
            scaled = (safe - self.vmin) / (self.vmax - self.vmin)
            idx = np.clip(np.floor(scaled * n), 0, n - 1).astype(np.int64)
        rgba = self.lut[idx]
        rgba[~valid] = 0
        return rgba

    def hex_colour(self, value: float) -> str:
        """The colour of one value as ``#rrggbb``."""
        r, g, b, _ = self.colourise(np.array([[value]], dtype=np.float64))[0, 0]
        return f"#{r:02x}{g:02x}{b:02x}"

    def legend(self, steps: int = 6) -> list[tuple[float, str]]:
        """``steps`` values evenly spaced over vmin..vmax with their colours (for a legend);
        for a categorical map, each of its colours with the first value that takes it."""
        if self.categorical:
            return [(float(i), self.hex_colour(i)) for i in range(len(self.lut))]
        values = np.linspace(self.vmin, self.vmax, steps)
        return [(float(v), self.hex_colour(float(v))) for v in values]

    def css_gradient(self, stops: int = 11) -> str:
        """A CSS ``linear-gradient`` (left to right, vmin to vmax) of the map, for a legend."""
        parts = [f"{c} {100 * i / (stops - 1):.0f}%"
                 for i, (_, c) in enumerate(self.legend(stops))]
        return f"linear-gradient(to right, {', '.join(parts)})"


@functools.lru_cache(maxsize=32)
def colour_map(name: str, vmin: float, vmax: float, categorical: bool = False) -> ColourMap:
    """The matplotlib colour map ``name`` (e.g. ``viridis``, ``RdYlGn``, ``tab20``) spread
    over ``vmin``..``vmax``; ``categorical`` takes its listed colours one per whole value."""
    from matplotlib import colormaps

    if not vmax > vmin:
        raise InputError("colour map", "value range", f"{vmin}..{vmax} is empty; vmax must be "
                                                      "greater than vmin")
    try:
        cmap = colormaps[name]
    except KeyError:
        raise InputError("colour map", "name",
                         f"{name!r} is not a matplotlib colour map") from None
    if categorical:
        n = int(cmap.N)
        lut = cmap(np.arange(n), bytes=True)
    else:
        lut = cmap(np.linspace(0.0, 1.0, 256), bytes=True) if cmap.N != 256 else \
            cmap(np.arange(256), bytes=True)
    lut = np.asarray(lut, dtype=np.uint8)
    lut.setflags(write=False)
    return ColourMap(name, float(vmin), float(vmax), lut, categorical)


# -- PNG --------------------------------------------------------------------------------------
def encode_png(rgba: np.ndarray) -> bytes:
    """An RGBA uint8 image (rows, cols, 4) as PNG bytes (zlib level 1: tiles are encoded on
    every request, and level 1 is several times faster for files a few percent larger)."""
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgba, dtype=np.uint8)).save(
        buf, format="PNG", compress_level=1)
    return buf.getvalue()


@functools.cache
def empty_tile_png(size: int = TILE_SIZE) -> bytes:
    """A fully transparent tile."""
    return encode_png(np.zeros((size, size, 4), dtype=np.uint8))


def render_tile(path: str | Path, z: int, x: int, y: int, cmap: ColourMap,
                size: int = TILE_SIZE) -> bytes:
    """Tile ``z/x/y`` of the GeoTIFF at ``path`` coloured with ``cmap``, as PNG bytes
    (transparent where the raster has no data)."""
    values = read_tile(path, z, x, y, size)
    if np.ma.getmaskarray(values).all():
        return empty_tile_png(size)
    return encode_png(cmap.colourise(values))
