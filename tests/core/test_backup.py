"""Backups of a workspace (store and Parquet history), taken with `ssckit backup`, put back
with `ssckit restore` after damage: every value and every archived reading as before."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb

from ssckit.core.store import Store

SSCKIT = [sys.executable, "-m", "ssckit.cli"]


def _values(root: Path) -> list[tuple[object, ...]]:
    with Store.open(root / "ssckit.duckdb", read_only=True) as store, store.cursor() as cur:
        rows = cur.execute("SELECT * FROM indicator_values ORDER BY ALL").fetchall()
    assert rows
    return rows


def _history(root: Path) -> tuple[int, dict[str, str]]:
    """Readings in the Parquet history, and each file's SHA-256 by its path."""
    files = sorted((root / "data").rglob("*.parquet"))
    assert files, "the sample city has a Parquet history"
    n = duckdb.connect().execute("SELECT count(*) FROM read_parquet(?, union_by_name = true)",
                                 [[str(f) for f in files]]).fetchone()[0]
    return int(n), {str(f.relative_to(root)): hashlib.sha256(f.read_bytes()).hexdigest()
                    for f in files}


def test_backup_damage_restore(demo_workspace: Path, tmp_path: Path):
    city = tmp_path / "city"
    shutil.copytree(demo_workspace, city)
    values, history = _values(city), _history(city)
    archive = tmp_path / "backups" / "city.tar.gz"
    archive.parent.mkdir()
    r = subprocess.run([*SSCKIT, "backup", str(archive), "-w", str(city)], capture_output=True,
                       text=True, timeout=600)
    assert r.returncode == 0, r.stderr

    (city / "ssckit.duckdb").write_bytes(b"\0garbage" * 4096)          # damage: the store
    next((city / "data").rglob("*.parquet")).unlink()                  # and the history

    r = subprocess.run([*SSCKIT, "restore", str(archive), "-w", str(city)], capture_output=True,
                       text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    assert _values(city) == values
    assert _history(city) == history
    assert list(tmp_path.glob("city.before-restore-*"))   # the damaged folder is kept


def test_restore_refuses_a_store_in_use(demo_workspace: Path, tmp_path: Path):
    city = tmp_path / "city"
    shutil.copytree(demo_workspace, city)
    archive = tmp_path / "city.tar.gz"
    assert subprocess.run([*SSCKIT, "backup", str(archive), "-w", str(city)],
                          capture_output=True, timeout=600).returncode == 0
    holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time; "
                               "c = duckdb.connect(sys.argv[1]); print('held', flush=True); "
                               "time.sleep(60)", str(city / "ssckit.duckdb")],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        r = subprocess.run([*SSCKIT, "restore", str(archive), "-w", str(city)],
                           capture_output=True, text=True, timeout=600)
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 2 and len(lines) == 1 and "before restoring" in lines[0], r.stderr
    assert not list(tmp_path.glob("city.before-restore-*"))   # nothing moved
