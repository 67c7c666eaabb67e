"""The DuckDB store: migrations, upserts, filters, transactions and Parquet export."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from ssckit.core.errors import InputError
from ssckit.core.indicators import IndicatorValue
from ssckit.core.store import SCHEMA_VERSION, Store


def _v(indicator="x:a", value=1.0, period="2026", entity="city", **kw) -> IndicatorValue:
    return IndicatorValue(indicator=indicator, value=value, unit="u", period=period,
                          entity=entity, **kw)


def test_new_store_is_migrated_and_reopens(tmp_path: Path):
    path = tmp_path / "s.duckdb"
    with Store.open(path) as s:
        assert s.schema_version() == SCHEMA_VERSION
        s.write_values([_v()])
    with Store.open(path) as s:
        assert s.schema_version() == SCHEMA_VERSION
        assert s.count_values() == 1


def test_newer_schema_is_refused(tmp_path: Path):
    path = tmp_path / "s.duckdb"
    with Store.open(path) as s:
        s.con.execute("UPDATE meta SET value = '999' WHERE key = 'schema_version'")
    with pytest.raises(RuntimeError, match="newer than this ssckit"):
        Store.open(path)


def test_same_key_replaces_value():
    with Store.open(None) as s:
        s.write_values([_v(value=1.0)])
        s.write_values([_v(value=2.0)])
        assert [v.value for v in s.query_values()] == [2.0]


def test_filters_and_breakdown():
    with Store.open(None) as s:
        s.write_values([
            _v(value=1, breakdown={"sex": "F", "age": "15-24"}),
            _v(value=2, breakdown={"sex": "M", "age": "15-24"}),
            _v(value=3),
            _v(value=4, entity="district:North"),
            _v("y:b", value=5, period="2025"),
        ])
        assert [v.value for v in s.query_values(breakdown={"sex": "F"})] == [1]
        assert [v.value for v in s.query_values(breakdown={"age": "15-24"})] == [1, 2]
        assert [v.value for v in s.query_values(indicator="x:a", breakdown={})] == [3, 4]
        assert [v.value for v in s.query_values(entity="district:North")] == [4]
        assert [v.value for v in s.query_values(indicator_prefix="y:")] == [5]
        assert [v.value for v in s.query_values(period="2025")] == [5]


def test_latest_until_picks_latest_period_in_or_before_year():
    with Store.open(None) as s:
        s.write_values([_v(value=1, period="2024"), _v(value=2, period="2025-06"),
                        _v(value=3, period="2027")])
        assert [v.value for v in s.query_values(latest_until="2026")] == [2]
        assert [v.value for v in s.query_values(latest_until="2024")] == [1]


def test_transaction_rolls_back_everything():
    with Store.open(None) as s:
        s.write_values([_v(value=1)])
        with pytest.raises(ZeroDivisionError), s.transaction() as cur:
            cur.execute("DELETE FROM indicator_values")
            1 / 0  # noqa: B018
        assert s.count_values() == 1


def test_parquet_export_roundtrip(tmp_path: Path):
    with Store.open(None) as s:
        s.write_values([_v(value=1.5, breakdown={"k": "v"}, source={"module": "t"})])
        s.write_values([_v("y:b", value=2.0)])
        assert s.export(tmp_path / "values.parquet") == 2
        assert s.export(tmp_path / "x.csv", "csv", indicator_prefix="x:") == 1
        assert s.export(tmp_path / "x.json", "json", indicator_prefix="x:") == 1
    rows = duckdb.sql(f"SELECT indicator, value, breakdown FROM '{tmp_path / 'values.parquet'}'"
                      ).fetchall()
    assert rows == [("x:a", 1.5, '{"k":"v"}'), ("y:b", 2.0, "{}")]
    assert duckdb.sql(f"SELECT count(*) FROM '{tmp_path / 'x.csv'}'").fetchall() == [(1,)]
    assert duckdb.sql(f"SELECT count(*) FROM '{tmp_path / 'x.json'}'").fetchall() == [(1,)]


def test_module_migrations_apply_once_and_refuse_newer(tmp_path: Path):
    path = tmp_path / "s.duckdb"
    migs = ["CREATE TABLE m_a (x INTEGER)", "ALTER TABLE m_a ADD COLUMN y INTEGER"]
    with Store.open(path) as s:
        assert s.migrate_module("m", migs[:1]) == 1
        s.con.execute("INSERT INTO m_a VALUES (1)")
    with Store.open(path) as s:
        assert s.migrate_module("m", migs) == 2
        assert s.con.execute("SELECT x, y FROM m_a").fetchall() == [(1, None)]
        assert s.migrate_module("m", migs) == 2
        with pytest.raises(RuntimeError, match="newer than this ssckit"):
            s.migrate_module("m", migs[:1])


def test_store_held_by_another_process_is_one_line(tmp_path: Path):
    """DuckDB allows one writing process: another one waits (``--wait``), then gets one line
    naming the holder."""
    import subprocess
    import sys

    from tests.core.test_modules import _workspace

    root = _workspace(tmp_path / "city", notes=False)
    holder = subprocess.Popen([sys.executable, "-c",
                               "import duckdb, sys, time; con = duckdb.connect(sys.argv[1]); "
                               "print('held', flush=True); time.sleep(60)",
                               str(root / "ssckit.duckdb")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(InputError) as e:
            Store.open(root / "ssckit.duckdb", wait_s=1.0)
        assert f"process {holder.pid}" in str(e.value)
        cli = subprocess.run([sys.executable, "-m", "ssckit.cli", "--wait", "1", "export",
                              "-w", str(root), "-o", str(tmp_path / "v.csv"), "--format", "csv"],
                             capture_output=True, text=True)
        assert cli.returncode == 2
        lines = cli.stderr.strip().splitlines()
        assert len(lines) == 1 and "the store is in use by process" in lines[0], cli.stderr
    finally:
        holder.kill()
        holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()
