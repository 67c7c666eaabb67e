"""Fixtures of the radio tests."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def reference_bt_loss() -> Callable[..., float]:
    """``reference_bt_loss`` of ``p1812_reference.py``, the plain NumPy coding of ITU-R P.1812
    that the Numba kernels are checked against (a test oracle, kept out of the package)."""
    path = Path(__file__).with_name("p1812_reference.py")
    spec = importlib.util.spec_from_file_location("p1812_reference", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.reference_bt_loss
