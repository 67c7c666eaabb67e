"""The radio module's pipeline step: coverage (and the site plan) of ``inputs.radio.sites``,
and the drive test of ``inputs.radio.drive_tests`` compared with it."""

from __future__ import annotations

import logging

from ssckit.core.indicators import IndicatorValue
from ssckit.core.store import Store
from ssckit.core.workspace import Workspace

log = logging.getLogger(__name__)
#: Where the step writes its drive-test comparison (the document of ``ssckit radio
#: calibrate --format json``, not applied to coverage).
DRIVE_TEST_REPORT = "drive_test.json"


def compute(ws: Workspace, store: Store) -> list[IndicatorValue]:
    """Coverage layers written to ``outputs/radio``; population, area, school coverage and
    throughput values returned (:func:`ssckit.radio.run.compute`). A drive test named in
    ``inputs.radio.drive_tests`` is imported once (the same file again is not stored twice)
    and compared with the new coverage: the calibration figures go to
    ``outputs/radio/drive_test.json`` and the log; the calibration itself is only stored
    (and applied by later coverage runs) by ``ssckit radio calibrate``."""
    from ssckit.radio.run import compute as run_compute

    values = run_compute(ws)
    drive_test = ws.input_path("radio", "drive_tests")
    if drive_test is not None:
        report_drive_test(ws, store, drive_test)
    return values


def report_drive_test(ws: Workspace, store: Store, path) -> dict:
    """Import ``path`` idempotently and write the calibration figures of all stored
    measurements against the last coverage run (offset per clutter class [dB], mean error,
    RMSE and standard deviation before and after), without storing the calibration."""
    from ssckit.radio.io import write_summary
    from ssckit.radio.measurements import calibrate_workspace, import_measurements_once
    from ssckit.radio.run import OUTPUT_DIR

    batch, n, new = import_measurements_once(store, path)
    log.info("drive test %s: %d point(s) %s (batch %s)", path.name, n,
             "imported" if new else "already stored", batch)
    doc = calibrate_workspace(ws, store, write=False)
    doc["applied"] = False
    write_summary(ws.output_dir / OUTPUT_DIR / DRIVE_TEST_REPORT, doc)
    b, a = doc["before"], doc["after"]
    log.info("drive test vs prediction, %d point(s): bias %s dB, RMSE %s dB before; "
             "RMSE %s dB after per-clutter offsets (`ssckit radio calibrate` to apply)",
             doc["n"], b["bias_db"], b["rmse_db"], a["rmse_db"])
    return doc
