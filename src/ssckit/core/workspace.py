"""The city workspace: a folder with city.yaml, its input files and the ssckit.duckdb store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ssckit.core.errors import InputError

CONFIG_NAME = "city.yaml"
STORE_NAME = "ssckit.duckdb"


class CityConfig(BaseModel):
    """The contents of ``city.yaml``.

    Paths are relative to the workspace folder.
    """

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, description="City name as shown in reports.")
    country: str = Field(min_length=1, description="Country name or ISO 3166 code.")
    year: int = Field(ge=1990, le=2100, description="Reporting year.")
    crs: str = Field(description="Projected CRS of the workspace grid, e.g. 'EPSG:32636'.")
    boundary: str = Field(description="GeoJSON file with the city boundary polygon(s).")
    population: str | None = Field(
        default=None, description="GeoTIFF of inhabitants per pixel, on the workspace CRS."
    )
    districts: str | None = Field(
        default=None, description="GeoJSON of districts; each feature has a 'name' property."
    )
    dem: str | None = Field(default=None, description="GeoTIFF digital elevation model [m].")
    language: str = Field(
        default="en", pattern=r"^(en|ru|be)$",
        description="Language of pages, reports and KPI names when the reader chose none: "
                    "en, ru or be.",
    )
    synthetic: bool = Field(
        default=False, description="True for generated sample data; every output says so."
    )
    inputs: dict[str, dict[str, str]] = Field(
        default_factory=dict,
        description="Module name -> {input name: file}; which input files feed which module.",
    )
    settings: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="Module name -> that module's settings, e.g. {dn: 45, n0: 325}; each "
                    "module validates its own.",
    )

    @field_validator("crs")
    @classmethod
    def _crs_is_projected(cls, value: str) -> str:
        from pyproj import CRS
        from pyproj.exceptions import CRSError

        try:
            crs = CRS.from_user_input(value)
        except CRSError as exc:
            raise ValueError(f"{value!r} is not a CRS that PROJ knows ({exc})") from None
        if not crs.is_projected:
            raise ValueError(
                f"{value!r} is a geographic CRS; a projected CRS in metres is required "
                "(e.g. the UTM zone of the city, 'EPSG:326NN')"
            )
        return value


def _format_validation_error(exc: ValidationError) -> tuple[str, str]:
    err = exc.errors()[0]
    field = ".".join(str(p) for p in err["loc"]) or "(document)"
    msg = err["msg"]
    if err["type"] == "extra_forbidden":
        msg = "unknown field; allowed: " + ", ".join(sorted(CityConfig.model_fields))
    elif err["type"] == "missing":
        msg = "required field is missing"
    if len(exc.errors()) > 1:
        msg += f" (and {len(exc.errors()) - 1} more problem(s))"
    return f"field '{field}'", msg


class Workspace:
    """A city folder: its validated configuration and the paths of everything in it."""

    def __init__(self, root: Path, config: CityConfig) -> None:
        self.root = Path(root).absolute()
        self.config = config

    @classmethod
    def load(cls, root: str | Path) -> Workspace:
        """Read and validate ``root/city.yaml``; check that every file it names exists."""
        root = Path(root)
        path = root / CONFIG_NAME
        if not path.is_file():
            raise InputError(
                str(path), None, "no city.yaml here; pass --workspace DIR or run `ssckit demo`"
            )
        try:
            raw: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            loc = f"line {mark.line + 1}" if mark else None
            raise InputError(str(path), loc, f"not valid YAML: {exc}") from None
        if not isinstance(raw, dict):
            raise InputError(str(path), None, "expected a mapping of fields (name, country, ...)")
        try:
            config = CityConfig.model_validate(raw)
        except ValidationError as exc:
            loc, msg = _format_validation_error(exc)
            raise InputError(str(path), loc, msg) from None
        ws = cls(root, config)
        ws._check_files()
        return ws

    def _check_files(self) -> None:
        c = self.config
        named = {"boundary": c.boundary, "population": c.population, "districts": c.districts,
                 "dem": c.dem}
        for module, files in c.inputs.items():
            named.update({f"inputs.{module}.{k}": v for k, v in files.items()})
        for field, rel in named.items():
            if rel is not None and not (self.root / rel).is_file():
                raise InputError(
                    str(self.root / CONFIG_NAME), f"field '{field}'",
                    f"file {rel!r} does not exist in the workspace",
                )

    def path(self, rel: str) -> Path:
        """Absolute path of a file named relative to the workspace."""
        return self.root / rel

    def module_settings(self, module: str, model: type[Any]) -> Any:
        """``settings.<module>`` of city.yaml validated as a whole into ``model`` (a pydantic
        model, or a dataclass); a bad entry is an InputError naming the field and what is
        allowed (e.g. ``field 'settings.radio.rx_height_m': Input should be less than or
        equal to 30``)."""
        raw = dict(self.config.settings.get(module, {}))
        where = str(self.root / CONFIG_NAME)
        if isinstance(model, type) and issubclass(model, BaseModel):
            try:
                return model.model_validate(raw)
            except ValidationError as exc:
                err = exc.errors()[0]
                loc = ".".join(str(p) for p in err["loc"])
                field = f"settings.{module}" + (f".{loc}" if loc else "")
                msg = err["msg"]
                if err["type"] == "extra_forbidden":
                    msg = f"unknown setting; allowed: {', '.join(sorted(model.model_fields))}"
                elif err["type"] == "missing":
                    msg = "required setting is missing"
                if len(exc.errors()) > 1:
                    msg += f" (and {len(exc.errors()) - 1} more problem(s))"
                raise InputError(where, f"field '{field}'", msg) from None
        fields = getattr(model, "__dataclass_fields__", None) or {}
        unknown = sorted(set(raw) - set(fields))
        if unknown:
            raise InputError(where, f"field 'settings.{module}.{unknown[0]}'",
                             f"unknown setting; allowed: {', '.join(sorted(fields))}")
        try:
            return model(**raw)
        except (TypeError, ValueError) as exc:
            raise InputError(where, f"field 'settings.{module}'", str(exc)) from None

    def input_path(self, module: str, name: str) -> Path | None:
        """Path of a module's input file, or None when the workspace does not provide it."""
        rel = self.config.inputs.get(module, {}).get(name)
        return self.path(rel) if rel else None

    @property
    def store_path(self) -> Path:
        return self.root / STORE_NAME

    @property
    def output_dir(self) -> Path:
        out = self.root / "outputs"
        out.mkdir(exist_ok=True)
        return out

    @property
    def label(self) -> str:
        """City name, marked when the data are synthetic."""
        c = self.config
        return f"{c.name} (synthetic sample data)" if c.synthetic else c.name


def write_config(root: Path, config: CityConfig) -> Path:
    """Write ``config`` as ``root/city.yaml``."""
    path = Path(root) / CONFIG_NAME
    data = config.model_dump(exclude_none=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path
