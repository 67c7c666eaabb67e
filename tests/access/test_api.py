"""The public surface of ssckit.access: ``__all__`` is complete and sorted."""

from __future__ import annotations

import ssckit.access as access


def test_all_is_sorted_and_importable() -> None:
    assert access.__all__ == sorted(access.__all__)
    for name in access.__all__:
        assert hasattr(access, name), name
