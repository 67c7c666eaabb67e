"""IEQ analytics against hand-computed cases, and the DuckDB report against the NumPy twin."""

from __future__ import annotations

import math

import duckdb
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from ssckit.school import ieq
from ssckit.school.schema import MIGRATIONS, Room
from ssckit.school.simulate import registry_from_rows, sample_registry, simulate_minutes

MONDAY_0700 = np.datetime64("2024-01-08T07:00", "m")     # 2024-01-08 is a Monday
TT = "mon-fri 08:00-10:00"


def _db_with(series: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]],
             school: str = "S1", room: str = "R1") -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(MIGRATIONS[0])
    for (dev, q), (ts, v) in series.items():
        data = {"ts": np.asarray(ts).astype("datetime64[us]"), "v": np.asarray(v, float)}
        con.register("src", data)
        con.execute("INSERT INTO school_readings SELECT ?, ?, ts, v, ?, ? FROM src",
                    [dev, q, school, room])
        con.unregister("src")
    return con


def test_to_epoch_minutes_and_weekday():
    # 1970-01-05 00:00 was a Monday: epoch minute 4 * 1440 is minute 0 of the week
    assert ieq.to_epoch_minutes(np.datetime64("1970-01-05T00:00")) == 4 * 1440
    assert_array_equal(ieq.occupied_mask([4 * 1440 + 480, 4 * 1440 + 479, 9 * 1440 + 480], TT),
                       [True, False, False])   # Mon 08:00 yes, Mon 07:59 no, Sat 08:00 no
    assert ieq.week_table(TT).sum() == 5 * 120


def test_occupied_mask_utc_offset():
    # 05:00 UTC is 08:00 at UTC+3
    ts = np.datetime64("2024-01-08T05:00", "m") + np.arange(-1, 2)
    assert_array_equal(ieq.occupied_mask(ts, TT, utc_offset_min=180), [False, True, True])


def test_co2_category_edges():
    # outdoor 400 ppm: I up to 950, II up to 1200, III up to 1750, IV above (Table B.12)
    assert ieq.co2_category(950.0) == 1
    assert_array_equal(ieq.co2_category([950.0, 951.0, 1200.0, 1201.0, 1750.0, 1751.0]),
                       [1, 2, 2, 3, 3, 4])
    assert_array_equal(ieq.co2_category([1000.0], outdoor_co2_ppm=450.0), [1])  # 550 above
    with pytest.raises(ValueError):
        ieq.co2_category(900.0, limits_ppm=(800.0, 550.0, 1350.0))


def test_temperature_category_heating_and_cooling():
    # heating: I 21-23, II 20-24, III 19-25; cooling: I 23.5-25.5, II 23-26, III 22-27
    assert_array_equal(ieq.temperature_category([22.0, 20.5, 19.5, 18.9, 25.1], True),
                       [1, 2, 3, 4, 4])
    assert_array_equal(ieq.temperature_category([25.5, 26.0, 27.0, 27.5, 21.9], False),
                       [1, 2, 3, 4, 4])
    assert_array_equal(ieq.temperature_category([22.0, 22.0], [True, False]), [1, 3])


def test_category_shares_thirty_of_120_minutes_in_category_iii():
    # occupied 08:00-10:00 = 120 min; 90 min at 900 ppm (500 above outdoor: I),
    # 30 min at 1600 ppm (1200 above: III) -> 75 % I, 25 % III; the unoccupied hours
    # before and after (3000 ppm) do not count
    ts = MONDAY_0700 + np.arange(240)
    co2 = np.full(240, 3000.0)
    co2[60:150] = 900.0
    co2[150:180] = 1600.0
    r = ieq.room_ieq(ts, co2, TT, ts, np.full(240, 22.0))
    assert r["occupied_co2_minutes"] == 120
    assert_allclose(r["co2_share"], [75.0, 0.0, 25.0, 0.0])
    # daily mean over occupied minutes: (90 * 900 + 30 * 1600) / 120 = 1075 ppm
    assert r["co2_daily_mean"] == [("2024-01-08", 1075.0)]
    assert r["co2_mean_occupied"] == 1075.0
    assert r["temperature_share"] == [100.0, 0.0, 0.0, 0.0]
    assert r["days_mean_over_1500"] == 0


def test_daily_mean_two_days():
    ts = np.concatenate([MONDAY_0700 + 60 + np.arange(120), MONDAY_0700 + 1440 + 60
                         + np.arange(120)])
    v = np.concatenate([np.full(120, 1000.0), np.full(120, 1600.0)])
    days, mean = ieq.daily_mean(ts, v, ieq.occupied_mask(ts, TT))
    assert_array_equal(days, np.array(["2024-01-08", "2024-01-09"], dtype="datetime64[D]"))
    assert_allclose(mean, [1000.0, 1600.0])


@pytest.mark.parametrize(("run", "fails"), [(21, 1), (20, 0)])
def test_bb101_run_21_vs_20_minutes(run, fails):
    # a run of `run` minutes at 2100 ppm starting 08:30; more than 20 minutes fails BB101
    ts = MONDAY_0700 + np.arange(240)
    co2 = np.full(240, 800.0)
    co2[90:90 + run] = 2100.0
    runs = ieq.runs_above(ts, co2, 2000.0)
    assert_array_equal(runs.minutes, [run])
    assert runs.start[0] == ieq.to_epoch_minutes(MONDAY_0700 + 90)
    r = ieq.room_ieq(ts, co2, TT)
    assert r["max_minutes_above_2000"] == run
    assert r["days_over_2000_20min"] == fails
    # the SQL report reaches the same verdict
    con = _db_with({("d1", "co2"): (ts, co2)})
    rep = ieq.ieq_report(con, rooms=[Room("S1", "R1", "classroom", 50, 25, TT)])
    assert rep[0]["max_minutes_above_2000"] == run
    assert rep[0]["days_over_2000_20min"] == fails


def test_runs_broken_by_gap_threshold_and_timetable():
    ts = MONDAY_0700 + np.arange(240)
    co2 = np.full(240, 2500.0)
    co2[100] = 2000.0                      # exactly 2000 is not above: breaks the run
    keep = np.ones(240, bool)
    keep[130] = False                      # a missing minute breaks the run
    r = ieq.runs_above(ts[keep], co2[keep], 2000.0, ieq.occupied_mask(ts[keep], TT))
    # occupied 08:00-10:00 = indexes 60..179: runs 60-99 (40), 101-129 (29), 131-179 (49)
    assert_array_equal(r.minutes, [40, 29, 49])
    assert_array_equal(r.end - r.start, r.minutes)


def test_hysteresis_edges():
    # raise at >= 1500, clear below 1200 (1200 itself does not clear)
    v = [1000, 1500, 1400, 1200, 1250, 1199, 1300, 1499, 1500, 1600]
    a = ieq.hysteresis_alerts(np.arange(10), v, raise_at=1500, clear_below=1200)
    assert_array_equal(a.start, [1, 8])
    assert_array_equal(a.end, [5, 10])     # cleared by reading 5; the second still open
    assert_array_equal(a.open, [False, True])
    none = ieq.hysteresis_alerts(np.arange(3), [1499.0, 1000.0, 1499.0])
    assert none.start.size == 0
    with pytest.raises(ValueError):
        ieq.hysteresis_alerts(np.arange(3), [1.0, 2.0, 3.0], raise_at=1000, clear_below=1200)


def test_meter_counter_reset_and_gap():
    # 100 -> 101 -> 103 -> (reset) 0.5 -> NaN gap -> 1.5 : 1 + 2 + 0.5 + 1 = 4.5 kWh
    ts = np.arange(6) * 15
    r = [100.0, 101.0, 103.0, 0.5, np.nan, 1.5]
    assert_allclose(ieq.meter_consumption(ts, r), [1.0, 2.0, 0.5, 1.0])
    e = ieq.energy_intensity(ts, r, floor_area_m2=1000.0, pupils=300)
    assert_allclose([e["kwh"], e["kwh_per_m2"], e["kwh_per_pupil"]], [4.5, 0.0045, 0.015])
    assert e["resets"] == 1
    assert e["days"] == 75 / 1440
    # a decrease within the jitter tolerance counts as zero, not as a reset
    assert_allclose(ieq.meter_consumption(np.arange(3), [10.0, 9.99, 11.0], jitter_kwh=0.05),
                    [0.0, 1.01])
    assert math.isnan(ieq.energy_intensity(ts, r, 1000.0, 0)["kwh_per_pupil"])


def test_heating_season_by_local_month():
    ts = np.array(["2024-01-15T12:00", "2024-07-15T12:00", "2024-09-30T22:00"],
                  dtype="datetime64[m]")
    # 22:00 UTC on 30 Sep is 01:00 on 1 Oct at UTC+3: heating season
    assert_array_equal(ieq.heating_season(ts, utc_offset_min=180), [True, False, True])


def test_report_requires_rooms():
    con = _db_with({})
    with pytest.raises(ValueError, match="rooms"):
        ieq.ieq_report(con)


@pytest.fixture(scope="module")
def simulated():
    s, r, d = sample_registry(5, n_schools=3)
    reg = registry_from_rows(s, r, d)
    readings = simulate_minutes(reg, "2024-04-22T00:00", 14, seed=2)   # spans April / May
    con = duckdb.connect()
    con.execute(MIGRATIONS[0])
    readings.to_duckdb(con)
    return reg, readings, con


def test_sql_report_agrees_with_numpy(simulated):
    reg, readings, con = simulated
    rooms = list(reg.rooms.values())
    rep = ieq.ieq_report(con, rooms=rooms, utc_offset_min=180)
    assert len(rep) == len(rooms)
    for row in rep:
        room = reg.rooms[(row["school_id"], row["room_id"])]
        dev = f"{room.school_id}-{room.room_id}-env"
        tc, vc, _ = readings.select(dev, "co2")
        tt, vt, _ = readings.select(dev, "temperature")
        ref = ieq.room_ieq(tc, vc, room.timetable, tt, vt, utc_offset_min=180)
        for key, val in ref.items():
            if key == "co2_daily_mean":
                assert [d for d, _ in row[key]] == [d for d, _ in val]
                assert_allclose([x for _, x in row[key]], [x for _, x in val], rtol=1e-12)
            else:
                assert_allclose(row[key], val, rtol=1e-12, err_msg=key)


def test_sql_report_filters(simulated):
    reg, _, con = simulated
    rooms = list(reg.rooms.values())
    one = ieq.ieq_report(con, school_ids=["SCH02"], rooms=rooms, utc_offset_min=180)
    assert {r["school_id"] for r in one} == {"SCH02"}
    day = ieq.ieq_report(con, school_ids=["SCH02"], start="2024-04-23 00:00",
                         end="2024-04-24 00:00", rooms=rooms, utc_offset_min=180)
    assert all(r["days_assessed"] <= 2 for r in day)
    assert sum(r["occupied_co2_minutes"] for r in day) < sum(
        r["occupied_co2_minutes"] for r in one)
