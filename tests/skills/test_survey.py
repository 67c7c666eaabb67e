"""Tests of ssckit.skills.survey: published reference values, domains, lonely PSUs, validation.

Reference sources (each number below names one of these):

[README]  ../shared/data/README.md, "survey/" (yrbs.csv values; the library's tests give the same
          numbers in tests/estimation/test_expansion.py).
[EXP]     samplics tests/estimation/test_expansion.py,
          commit 15615bae950d9f13e3d1423d371e987ba9670b3e
          (Taylor, yrbs.csv; rows with qn8 missing removed, ``remove_nan=True``; domains d1..d3
          drawn with ``np.random.seed(12345); np.random.choice(["d1","d2","d3"], p=[.1,.3,.6])``).
[REP]     samplics tests/estimation/test_replication_not_conservative.py, commit
          181138d768db6db44ca5997c09f02a9946284a23 (``conservative=False``: deviations from the
          replicate mean = R ``svrepdesign(mse=FALSE)``, R's default).
[REPC]    samplics tests/estimation/test_replication_conservative.py, commit
          026c6cbd0f0617ac0bb4d1a997b06120e078ffcc (``conservative=True`` = R ``mse=TRUE``).

The replicate files: nhanes2brr.csv (BRR, 32 replicates), nhanes2fay.csv (Fay rho = 0.3),
jk1weights.csv (62 JK1 replicate weights; rows aligned with nhanes2brr.csv, whose variables
weight, race, female, region and finalwgt make up the library's nhanes2jknife.csv).

Tolerances: the yrbs values and all totals are matched to 1e-6 relative. Proportion SEs are
published to 7 decimals (~5 significant digits, so 1e-6 relative is below their rounding): they
are matched to one unit in the last published digit (one of them, 0.0610833, is 0.06108337
here). The SEs of the mean of ``weight`` (kg) agree to ~5e-6 relative only; they are checked
at the library's own tolerance (numpy.isclose: rtol 1e-5, atol 1e-7), with an exact
brute-force check of the replicate formula beside them.
"""

from __future__ import annotations

import csv
import math
import re
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats

import ssckit.skills.survey as survey
from ssckit.skills.survey import (
    Design,
    LonelyPSUWarning,
    ReplicateDesign,
    SurveyInputError,
    difference,
    estimate,
)

# --------------------------------------------------------------------------- data loading


def _read_csv(path: Path) -> dict[str, np.ndarray]:
    with path.open(newline="") as fh:
        reader = csv.reader(fh)
        head = next(reader)
        rows = [[float(v) if v not in ("", ".") else math.nan for v in row] for row in reader]
    data = np.array(rows)
    return {name: data[:, j] for j, name in enumerate(head)}


@pytest.fixture(scope="module")
def yrbs(shared_data: Path) -> dict[str, np.ndarray]:
    """yrbs.csv restricted to rows that answered qn8, as the reference does; y = (qn8 == 1)."""
    d = _read_csv(shared_data / "survey" / "yrbs.csv")
    # [EXP] draws the domains on all 15 624 rows, before missing answers are dropped.
    domain = np.random.RandomState(12345).choice(["d1", "d2", "d3"], size=d["qn8"].size,
                                                 p=[0.1, 0.3, 0.6])
    keep = ~np.isnan(d["qn8"])
    out = {k: v[keep] for k, v in d.items()}
    out["y"] = (out["qn8"] == 1).astype(float)
    out["domain"] = domain[keep]
    return out


@pytest.fixture(scope="module")
def nhanes(shared_data: Path) -> dict[str, np.ndarray]:
    d = _read_csv(shared_data / "survey" / "nhanes2brr.csv")
    d["brr"] = np.column_stack([d[f"brr_{i}"] for i in range(1, 33)])
    jk = _read_csv(shared_data / "survey" / "jk1weights.csv")
    d["jk1"] = np.column_stack([jk[f"jkw_{i}"] for i in range(1, 63)])
    return d


@pytest.fixture(scope="module")
def nhanes_fay(shared_data: Path) -> dict[str, np.ndarray]:
    d = _read_csv(shared_data / "survey" / "nhanes2fay.csv")
    d["fay"] = np.column_stack([d[f"fay_{i}"] for i in range(1, 33)])
    return d


def _published(value, expected, decimals: int) -> None:
    """Equal to a number published with ``decimals`` decimals, to one unit in the last digit."""
    assert_allclose(value, expected, rtol=0, atol=10.0 ** -decimals + 1e-12)


def _library_tolerance(value, expected) -> None:
    """The library's own test tolerance (numpy.isclose defaults, atol 1e-7)."""
    assert np.allclose(value, expected, rtol=1e-5, atol=1e-7), (value, expected)


# --------------------------------------------------------------------------- yrbs (Taylor)


def test_yrbs_total_with_psu_no_strata(yrbs):
    t = estimate(Design(yrbs["weight"], psu=yrbs["psu"]), yrbs["y"], "total")
    assert_allclose(t.estimate, [7938.333], rtol=1e-6)  # [README], [EXP]
    assert_allclose(t.se, [560.0856], rtol=1e-6)  # [README], [EXP]
    _published(t.ci_low, [6813.915], 3)  # [EXP] (t with 52 - 1 df)
    _published(t.ci_high, [9062.752], 3)  # [EXP]


def test_yrbs_total_without_psu_or_strata(yrbs):
    t = estimate(Design(yrbs["weight"]), yrbs["y"], "total")
    assert_allclose(t.estimate, [7938.333], rtol=1e-6)  # [README], [EXP]
    assert_allclose(t.se, [105.3852], rtol=1e-6)  # [README], [EXP]


def test_yrbs_mean_with_strata_and_psu(yrbs):
    design = Design(yrbs["weight"], strata=yrbs["stratum"], psu=yrbs["psu"])
    assert design.df == 52 - 13  # PSUs with answers minus strata
    t = estimate(design, yrbs["y"], "mean")
    assert_allclose(t.estimate, [0.8136225], rtol=1e-6)  # [README], [EXP]
    assert_allclose(t.se, [0.0198621], rtol=1e-6)  # [README], [EXP]
    assert_allclose(t.ci_low, [0.7734476], rtol=1e-6)  # [README], t(n_PSU - n_strata)
    assert_allclose(t.ci_high, [0.8537974], rtol=1e-6)  # [README]
    assert_allclose(t.df, [39.0])


def test_yrbs_stratified_total_and_unclustered_mean(yrbs):
    s = estimate(Design(yrbs["weight"], strata=yrbs["stratum"], psu=yrbs["psu"]), yrbs["y"],
                 "total")
    assert_allclose(s.se, [555.5157], rtol=1e-6)  # [EXP] test_total_estimator_with_str
    m = estimate(Design(yrbs["weight"], strata=yrbs["stratum"]), yrbs["y"])
    assert_allclose(m.se, [0.0066091], rtol=1e-5)  # [EXP] ..._with_str_without_psu (5 s.f.)


@pytest.mark.parametrize(("stat", "strata", "psu", "se", "low", "high"), [
    # [EXP] test_total_estimator_without_str_domain
    ("total", False, True, [61.76503, 158.7393, 363.6745], [635.855, 2017.132, 4112.558],
     [883.852, 2654.497, 5572.773]),
    # [EXP] test_total_estimator_with_str_without_psu_domain
    ("total", True, False, [40.31828, 66.78249, 90.01087], [680.8202, 2204.905, 4666.223],
     [838.8868, 2466.724, 5019.108]),
    # [EXP] test_mean_estimator_with_str_domain
    ("mean", True, True, [0.0200457, 0.0263015, 0.0182081], [0.7906136, 0.7440263, 0.7822066],
     [0.871706, 0.8504258, 0.8558653]),
    # [EXP] test_mean_estimator_without_str_nor_psu_domain
    ("mean", False, False, [0.0200196, 0.0125303, 0.0085047], [0.7919167, 0.7726636, 0.8023648],
     [0.8704028, 0.8217885, 0.8357071]),
])
def test_yrbs_domains(yrbs, stat, strata, psu, se, low, high):
    design = Design(yrbs["weight"], strata=yrbs["stratum"] if strata else None,
                    psu=yrbs["psu"] if psu else None)
    t = estimate(design, yrbs["y"], stat, domains=[yrbs["domain"]])
    assert t.domains == [("d1",), ("d2",), ("d3",)]
    point = [759.8535, 2335.8145, 4842.6655] if stat == "total" else \
        [0.8311598, 0.797226, 0.8190359]  # [EXP]
    assert_allclose(t.estimate, point, rtol=1e-6)
    # 1e-6 relative, or half a unit in the 7th decimal where that is looser (printed values).
    assert_allclose(t.se, se, rtol=1e-6, atol=5e-8)
    assert_allclose(t.ci_low, low, rtol=1e-6, atol=5e-8)
    assert_allclose(t.ci_high, high, rtol=1e-6, atol=5e-8)


def test_logit_interval_for_proportion(yrbs):
    design = Design(yrbs["weight"], strata=yrbs["stratum"], psu=yrbs["psu"])
    t = estimate(design, yrbs["y"] == 1, "prop")
    p, se = t.estimate[0], t.se[0]
    assert_allclose(p, 0.8136225, rtol=1e-6)
    # R svyciprop(method="logit"): expit(logit(p) -+ t_{df} se / (p (1 - p))).
    q = stats.t.ppf(0.975, 39)
    logit = math.log(p / (1 - p))
    expit = lambda v: 1 / (1 + math.exp(-v))  # noqa: E731
    assert_allclose(t.ci_low, [expit(logit - q * se / (p * (1 - p)))], rtol=1e-12)
    assert_allclose(t.ci_high, [expit(logit + q * se / (p * (1 - p)))], rtol=1e-12)
    # Asymmetric about p, towards 1/2, unlike the Wald interval.
    assert p - t.ci_low[0] > t.ci_high[0] - p


# --------------------------------------------------------------------------- replicate weights


def test_brr(nhanes):
    kw = dict(weights=nhanes["finalwgt"], repweights=nhanes["brr"], method="BRR")
    design = ReplicateDesign(**kw)
    assert design.scale == 1 / 32 and design.df == 31
    region = [nhanes["region"]]
    total = estimate(design, nhanes["female"], "total")
    assert_allclose(total.se, [1396159], rtol=1e-6)  # [REP] test_brr_total
    assert_allclose(estimate(design, nhanes["female"], "total", domains=region).se,
                    [295677.2, 512088.9, 885104.3, 903432.9], rtol=1e-6)  # [REP] test_brr_total_d
    mean = estimate(design, nhanes["weight"])
    _library_tolerance(mean.se, [0.1656454])  # [REP] test_brr_mean
    _library_tolerance(estimate(design, nhanes["weight"], domains=region).se,
                       [0.4185291, 0.2506762, 0.3459353, 0.3182722])  # [REP] test_brr_mean_d
    ok = ~np.isnan(nhanes["diabetes"])  # the library drops the 2 missing answers
    sub = ReplicateDesign(nhanes["finalwgt"][ok], nhanes["brr"][ok], "BRR")
    prop = estimate(sub, nhanes["diabetes"][ok], "prop")
    _published(prop.se, [0.0018145], 7)  # [REP] test_brr_prop
    _published(estimate(sub, nhanes["diabetes"][ok], "prop", domains=[nhanes["region"][ok]]).se,
               [0.0027924, 0.0026819, 0.0049076, 0.0035914], 7)  # [REP] test_brr_prop_d
    mse = ReplicateDesign(**kw, mse=True)
    assert_allclose(estimate(mse, nhanes["female"], "total").se, [1396159], rtol=1e-6)  # [REPC]
    sub_mse = ReplicateDesign(nhanes["finalwgt"][ok], nhanes["brr"][ok], "BRR", mse=True)
    _published(estimate(sub_mse, nhanes["diabetes"][ok], "prop",
                        domains=[nhanes["region"][ok]]).se,
               [0.0027924, 0.0026819, 0.0049079, 0.0035924], 7)  # [REPC] test_brr_prop_d
    _library_tolerance(estimate(mse, nhanes["weight"], domains=region).se,
                       [0.4185291, 0.2506872, 0.3459414, 0.3182729])  # [REPC] test_brr_mean_d


def test_fay(nhanes_fay):
    d = nhanes_fay
    design = ReplicateDesign(d["finalwgt"], d["fay"], "Fay", rho=0.3)
    assert_allclose(design.scale, 1 / (32 * 0.7**2))
    region = [d["region"]]
    assert_allclose(estimate(design, d["female"], "total").se, [1396159], rtol=1e-6)  # [REP]
    assert_allclose(estimate(design, d["female"], "total", domains=region).se,
                    [295677.2, 512088.8, 885104.4, 903432.8], rtol=1e-6)  # [REP] test_fay_total_d
    _library_tolerance(estimate(design, d["weight"]).se, [0.1655723])  # [REP] test_fay_mean
    _library_tolerance(estimate(design, d["weight"], domains=region).se,
                       [0.4174973, 0.2501419, 0.3465307, 0.3173422])  # [REP] test_fay_mean_d
    ok = ~np.isnan(d["diabetes"])
    sub = ReplicateDesign(d["finalwgt"][ok], d["fay"][ok], "Fay", rho=0.3)
    _published(estimate(sub, d["diabetes"][ok], "prop").se, [0.0018143], 7)  # [REP]
    _published(estimate(sub, d["diabetes"][ok], "prop", domains=[d["region"][ok]]).se,
               [0.0027889, 0.0026818, 0.0049000, 0.0035395], 7)  # [REP] test_fay_prop_d
    sub_mse = ReplicateDesign(d["finalwgt"][ok], d["fay"][ok], "Fay", rho=0.3, mse=True)
    _published(estimate(sub_mse, d["diabetes"][ok], "prop", domains=[d["region"][ok]]).se,
               [0.0027889, 0.0026818, 0.0049001, 0.0035400], 7)  # [REPC] test_fay_prop_d


def test_jk1(nhanes):
    design = ReplicateDesign(nhanes["finalwgt"], nhanes["jk1"], "JK1")
    assert_allclose(design.scale, 61 / 62)
    assert design.df == 31  # 31 strata x 2 PSUs: rank 32
    region = [nhanes["region"]]
    assert_allclose(estimate(design, nhanes["female"], "total").se, [1958480.0],
                    rtol=1e-6)  # [REP] test_jkn_total
    assert_allclose(estimate(design, nhanes["female"], "total", domains=region).se,
                    [414764.8, 718338.9, 1241590.0, 1267301.0], rtol=1e-6)  # [REP] ..._total_d
    expected = {  # [REP] test_jkn_prop and test_jkn_prop_d (race 1, 2, 3)
        1: (0.0234118, [0.0160647, 0.0273711, 0.0555935, 0.0610833]),
        2: (0.0178846, [0.0151277, 0.0253503, 0.0540670, 0.0335221]),
        3: (0.0147892, [0.0032544, 0.0038415, 0.0027512, 0.0514407]),
    }
    for race, (overall, by_region) in expected.items():
        y = nhanes["race"] == race
        _published(estimate(design, y, "prop").se, [overall], 7)
        _published(estimate(design, y, "prop", domains=region).se, by_region, 7)
    _library_tolerance(estimate(design, nhanes["weight"]).se, [0.2320822])  # [REP]
    _library_tolerance(estimate(design, nhanes["weight"], domains=region).se,
                       [0.5825663, 0.3493006, 0.4890295, 0.4432099])  # [REP] test_jkn_mean_d
    mse = ReplicateDesign(nhanes["finalwgt"], nhanes["jk1"], "JK1", mse=True)
    _published(estimate(mse, nhanes["race"] == 1, "prop", domains=region).se,
               [0.0160647, 0.0273711, 0.0555942, 0.0610838], 7)  # [REPC] test_jkn_prop_d


@pytest.mark.parametrize("mse", [False, True])
def test_replicate_formula_brute_force(nhanes, mse):
    """v = scale * sum_r (theta_r - centre)^2, replicate by replicate (R svrVar)."""
    design = ReplicateDesign(nhanes["finalwgt"], nhanes["brr"], "BRR", mse=mse)
    y, region = nhanes["weight"], nhanes["region"]
    t = estimate(design, y, domains=[region])
    for i, r in enumerate(np.unique(region)):
        m = region == r
        full = np.sum(nhanes["finalwgt"][m] * y[m]) / np.sum(nhanes["finalwgt"][m])
        reps = np.array([np.sum(nhanes["brr"][m, j] * y[m]) / np.sum(nhanes["brr"][m, j])
                         for j in range(32)])
        centre = full if mse else reps.mean()
        assert_allclose(t.se[i] ** 2, np.sum((reps - centre) ** 2) / 32, rtol=1e-12)


def test_replicate_defaults_and_options():
    rng = np.random.default_rng(3)
    w = rng.uniform(1, 3, 40)
    reps = w[:, None] * rng.uniform(0.5, 1.5, (40, 10))
    assert ReplicateDesign(w, reps, "bootstrap").scale == pytest.approx(1 / 9)  # R: 1/(R-1)
    assert ReplicateDesign(w, reps, "jkn", rscales=0.5).rscales.tolist() == [0.5] * 10
    with pytest.raises(SurveyInputError, match="rscales"):
        ReplicateDesign(w, reps, "JKn")
    with pytest.raises(SurveyInputError, match="rho"):
        ReplicateDesign(w, reps, "Fay")
    with pytest.raises(SurveyInputError, match="rho"):
        ReplicateDesign(w, reps, "BRR", rho=0.5)
    assert ReplicateDesign(w, reps, "BRR", df=7).df == 7
    bad = reps.copy()
    bad[5, 2] = -1
    with pytest.raises(SurveyInputError, match=r"column 2, row 5"):
        ReplicateDesign(w, bad, "BRR")


# --------------------------------------------------------------------------- domains


def _toy(seed: int = 1, n: int = 400):
    """Stratified cluster sample: 4 strata x 3..6 PSUs, 3 x 2 domains, uneven membership."""
    rng = np.random.default_rng(seed)
    strata = rng.integers(0, 4, n)
    psu = strata * 10 + rng.integers(0, 3 + strata, n)
    w = rng.uniform(5, 50, n)
    y = rng.normal(10 + strata, 3, n)
    g1 = rng.choice(np.array(["north", "south", "east"]), n)
    g2 = rng.integers(1, 3, n)
    return strata, psu, w, y, g1, g2


def _onestrat_variance(z, strata, psu, rule="fail", fpc_factor=None):
    """Independent transcription of R survey's onestage()/onestrat() (survey 4.5)."""
    s_labels = np.unique(strata)
    n_all = sum(len(np.unique(psu[strata == s])) for s in s_labels)
    centre_all = z.sum() / n_all
    parts, lonely = [], 0
    for s in s_labels:
        m = strata == s
        totals = np.array([z[m & (psu == p)].sum() for p in np.unique(psu[m])])
        f = 1.0 if fpc_factor is None else fpc_factor[s]
        n_h = totals.size
        if n_h > 1:
            parts.append(f * n_h / (n_h - 1) * np.sum((totals - totals.mean()) ** 2))
        elif rule == "adjust":
            parts.append(f * np.sum((totals - centre_all) ** 2))
        elif rule == "average":
            lonely += 1
        else:
            parts.append(0.0)
    v = sum(parts)
    return v * len(s_labels) / (len(s_labels) - lonely)


def test_domain_estimates_equal_subset_points_with_full_design_variance():
    strata, psu, w, y, g1, g2 = _toy()
    # "east" is absent from the first PSU of every stratum.
    g1 = np.where((psu % 10 == 0) & (g1 == "east"), "north", g1)
    design = Design(w, strata=strata, psu=psu)
    t = estimate(design, y, "mean", domains={"region": g1, "sex": g2})
    assert t.group_names == ("region", "sex") and len(t) == 6
    for i, (region, sex) in enumerate(t.domains):
        m = (g1 == region) & (g2 == sex)
        assert t.n[i] == m.sum()
        assert_allclose(t.estimate[i], np.sum(w[m] * y[m]) / np.sum(w[m]), rtol=1e-12)
        assert_allclose(t.population[i], w[m].sum(), rtol=1e-12)
        # Full-design variance of the linearised domain variable (zeros outside the domain).
        z = np.where(m, w * (y - t.estimate[i]) / w[m].sum(), 0.0)
        assert_allclose(t.se[i] ** 2, _onestrat_variance(z, strata, psu), rtol=1e-10)
    # Subsetting instead (dropping other rows) gives a different, wrong, variance.
    m = (g1 == "east") & (g2 == 1)
    sub = estimate(Design(w[m], strata=strata[m], psu=psu[m], lonely_psu="remove"), y[m])
    assert_allclose(sub.estimate[0], t.estimate[t.index(("east", 1))], rtol=1e-12)
    assert not np.isclose(sub.se[0], t.se[t.index(("east", 1))], rtol=1e-6)


def test_domain_spellings_agree_and_totals():
    strata, psu, w, y, g1, g2 = _toy(2)
    design = Design(w, strata=strata, psu=psu)
    a = estimate(design, y, "total", domains=np.column_stack([g1, g2.astype(str)]))
    b = estimate(design, y, "total", domains=[g1, g2.astype(str)])
    assert a.domains == b.domains
    assert_allclose(a.se, b.se, rtol=1e-12)
    assert_allclose(a.estimate.sum(), np.sum(w * y), rtol=1e-12)
    overall = estimate(design, y, "total")
    assert overall.domains == [()] and overall.group_names == ()
    rows = a.rows()
    assert rows[0]["group1"] == a.domains[0][0] and rows[0]["stat"] == "total"
    assert set(rows[0]) >= {"estimate", "se", "ci_low", "ci_high", "deff", "n", "df"}


def test_sparse_cells_path_matches_dense(monkeypatch):
    strata, psu, w, y, g1, g2 = _toy(4)
    design = Design(w, strata=strata, psu=psu, lonely_psu="adjust")
    dense = estimate(design, y, "mean", domains=[g1, g2])
    monkeypatch.setattr(survey, "_DENSE_CELL_LIMIT", 0)
    sparse = estimate(design, y, "mean", domains=[g1, g2])
    assert_allclose(sparse.se, dense.se, rtol=1e-10)
    unclustered = Design(w, strata=strata)  # every row its own PSU
    assert_allclose(estimate(unclustered, y, domains=[g1]).se,
                    [math.sqrt(_onestrat_variance(
                        np.where(g1 == g, w * (y - np.average(y[g1 == g], weights=w[g1 == g]))
                                 / w[g1 == g].sum(), 0.0), strata, np.arange(y.size)))
                     for g in np.unique(g1)], rtol=1e-10)


def test_difference_se_uses_covariance():
    # Hand-made: 2 strata x 2 PSUs, two domains sharing PSUs.
    strata = np.array([1, 1, 1, 1, 2, 2, 2, 2])
    psu = np.array([1, 1, 2, 2, 3, 3, 4, 4])
    w = np.array([1.0, 2.0, 1.0, 1.0, 2.0, 1.0, 3.0, 1.0])
    y = np.array([1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 0.0])
    dom = np.array(["a", "b", "a", "b", "a", "b", "a", "b"])
    design = Design(w, strata=strata, psu=psu)
    t = estimate(design, y, "prop", domains=[dom])
    # Linearised values and their PSU totals, by hand.
    za = np.where(dom == "a", w * (y - t.estimate[0]) / w[dom == "a"].sum(), 0)
    zb = np.where(dom == "b", w * (y - t.estimate[1]) / w[dom == "b"].sum(), 0)
    ta = np.array([za[psu == p].sum() for p in (1, 2, 3, 4)])
    tb = np.array([zb[psu == p].sum() for p in (1, 2, 3, 4)])
    cov = sum(2 / 1 * np.sum((ta[k] - ta[k].mean()) * (tb[k] - tb[k].mean()))
              for k in (slice(0, 2), slice(2, 4)))
    d = difference(design, y, [dom], "a", "b", stat="prop")
    assert_allclose([d.var_a, d.var_b], t.se**2, rtol=1e-12)
    assert_allclose(d.cov, cov, rtol=1e-12)
    assert cov != 0
    assert_allclose(d.se, math.sqrt(t.se[0] ** 2 + t.se[1] ** 2 - 2 * cov), rtol=1e-12)
    assert_allclose(d.estimate, t.estimate[0] - t.estimate[1])
    q = stats.t.ppf(0.975, 4 - 2)
    assert_allclose([d.ci_low, d.ci_high], [d.estimate - q * d.se, d.estimate + q * d.se])


def test_difference_with_replicates_matches_replicate_of_difference(nhanes):
    design = ReplicateDesign(nhanes["finalwgt"], nhanes["brr"], "BRR")
    d = difference(design, nhanes["weight"], [nhanes["female"]], 1.0, 0.0)
    t = estimate(design, nhanes["weight"], domains=[nhanes["female"]])
    assert_allclose([d.var_a, d.var_b], t.se[[1, 0]] ** 2, rtol=1e-12)
    assert_allclose(d.se, math.sqrt(d.var_a + d.var_b - 2 * d.cov), rtol=1e-12)
    reps, y, f = nhanes["brr"], nhanes["weight"], nhanes["female"] == 1
    diffs = (reps[f].T @ y[f]) / reps[f].sum(0) - (reps[~f].T @ y[~f]) / reps[~f].sum(0)
    assert_allclose(d.se**2, np.sum((diffs - diffs.mean()) ** 2) / 32, rtol=1e-10)
    with pytest.raises(SurveyInputError, match="has no rows"):
        difference(design, y, [nhanes["female"]], 1.0, 7.0)


# --------------------------------------------------------------------------- lonely PSUs


def _lonely_toy():
    strata, psu, w, y, _, _ = _toy(5, 300)
    keep = ~((strata == 2) & (psu != 20))  # stratum 2 keeps one PSU
    return strata[keep], psu[keep], w[keep], y[keep]


def test_lonely_fail_names_the_stratum():
    strata, psu, w, _ = _lonely_toy()
    with pytest.raises(SurveyInputError, match=r"one PSU: '2'") as err:
        Design(w, strata=strata, psu=psu)
    assert isinstance(err.value, ValueError)


@pytest.mark.parametrize("rule", ["remove", "certainty", "adjust", "average"])
@pytest.mark.parametrize("stat", ["mean", "total"])
def test_lonely_rules_as_r(rule, stat):
    strata, psu, w, y = _lonely_toy()
    with pytest.warns(LonelyPSUWarning, match=rf"\('2'\); with lonely_psu='{rule}'"):
        design = Design(w, strata=strata, psu=psu, lonely_psu=rule)
    t = estimate(design, y, stat)
    z = w * y if stat == "total" else w * (y - t.estimate[0]) / w.sum()
    assert_allclose(t.se[0] ** 2, _onestrat_variance(z, strata, psu, rule), rtol=1e-10)


def test_lonely_rule_values_differ_sensibly():
    strata, psu, w, y = _lonely_toy()
    se = {}
    for rule in ("remove", "certainty", "adjust", "average"):
        with pytest.warns(LonelyPSUWarning):
            se[rule] = estimate(Design(w, strata=strata, psu=psu, lonely_psu=rule), y,
                                "total").se[0]
    assert se["remove"] == se["certainty"] < se["average"]
    assert se["adjust"] > se["remove"]


# --------------------------------------------------------------------------- fpc, deff


def test_fpc_population_size_and_fraction_agree():
    strata, psu, w, y, _, _ = _toy(6)
    n_h = {s: len(np.unique(psu[strata == s])) for s in range(4)}
    pop = np.array([4 * n_h[s] for s in strata], dtype=float)
    frac = np.array([n_h[s] / (4 * n_h[s]) for s in strata])
    a = estimate(Design(w, strata=strata, psu=psu, fpc=pop), y)
    b = estimate(Design(w, strata=strata, psu=psu, fpc=frac), y)
    plain = estimate(Design(w, strata=strata, psu=psu), y)
    assert_allclose(a.se, b.se, rtol=1e-12)
    assert_allclose(a.se, plain.se * math.sqrt(0.75), rtol=1e-12)  # (1 - f), f = 1/4
    census = np.array([n_h[s] for s in strata], dtype=float)  # every PSU sampled
    assert estimate(Design(w, strata=strata, psu=psu, fpc=census), y).se[0] == 0.0
    with pytest.raises(SurveyInputError, match="varies within stratum"):
        Design(w, strata=strata, psu=psu, fpc=pop + np.arange(pop.size))
    with pytest.raises(SurveyInputError, match="population size"):
        Design(w, strata=strata, psu=psu, fpc=census - 1)


def test_deff_against_srs_without_replacement():
    rng = np.random.default_rng(9)
    w = rng.uniform(20, 60, 500)
    y = rng.binomial(1, 0.3, 500).astype(float)
    t = estimate(Design(w), y, "mean")
    n, big_n = y.size, w.sum()
    p = np.average(y, weights=w)
    s2 = n / (n - 1) * np.sum(w * (y - p) ** 2) / big_n  # Kish element variance
    assert_allclose(t.deff, t.se**2 / (s2 * (big_n - n) / (big_n * n)), rtol=1e-12)
    tot = estimate(Design(w), y, "total")
    assert_allclose(tot.deff, tot.se**2 / (s2 * big_n**2 * (big_n - n) / (big_n * n)),
                    rtol=1e-12)


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(("bad", "pattern"), [
    (0.0, r"field 'weights', row 3: weights must be > 0"),
    (-2.0, r"field 'weights', row 3: weights must be > 0"),
    (math.nan, r"field 'weights', row 3: missing value"),
])
def test_bad_weights_name_row_and_field(bad, pattern):
    w = np.ones(6)
    w[3] = bad
    with pytest.raises(ValueError, match=pattern):
        Design(w)


def test_missing_design_variables_name_rows():
    w = np.ones(8)
    strata = np.array([1, 1, np.nan, 2, 2, np.nan, 3, 3])
    with pytest.raises(SurveyInputError, match=r"field 'strata', rows 2, 5: missing"):
        Design(w, strata=strata)
    psu = np.array(["a", "a", None, "b", "c", "c", "d", "d"], dtype=object)
    with pytest.raises(SurveyInputError, match=r"field 'psu', row 2: missing"):
        Design(w, psu=psu)
    many = np.full(8, np.nan)
    with pytest.raises(SurveyInputError, match=r"rows 0, 1, 2, 3, 4 and 3 more"):
        Design(w, strata=many)


def test_psu_in_two_strata_names_rows():
    strata = np.array([1, 1, 1, 2, 2, 2])
    psu = np.array([7, 7, 8, 9, 7, 9])
    with pytest.raises(SurveyInputError,
                       match=re.escape("PSU '7' appears in more than one stratum: stratum '1' "
                                       "(rows 0, 1), stratum '2' (row 4)")):
        Design(np.ones(6), strata=strata, psu=psu)
    nested = Design(np.ones(6), strata=strata, psu=psu, nest=True)
    assert nested.n_psu == 4


def test_bad_response_and_options():
    design = Design(np.ones(5))
    with pytest.raises(SurveyInputError, match=r"field 'y', row 1: must be finite|missing"):
        estimate(design, [1, np.nan, 0, 1, 1])
    with pytest.raises(SurveyInputError, match=r"field 'y', row 2: a proportion needs y"):
        estimate(design, [1, 0, 2, 1, 1], "prop")
    with pytest.raises(SurveyInputError, match="has 4 rows, the design has 5"):
        estimate(design, [1, 0, 1, 1])
    with pytest.raises(SurveyInputError, match="'median' is not one of"):
        estimate(design, [1, 0, 1, 1, 0], "median")  # type: ignore[arg-type]
    with pytest.raises(SurveyInputError, match="lonely_psu"):
        Design(np.ones(5), lonely_psu="collapse")
    with pytest.raises(SurveyInputError, match=r"field 'domains\[group1\]', row 0"):
        estimate(design, [1, 0, 1, 1, 0], domains=[np.array([np.nan, 1, 1, 2, 2])])


def test_public_names_sorted_and_complete():
    assert survey.__all__ == sorted(survey.__all__)
    public = {n for n in vars(survey) if not n.startswith("_") and n[0].isupper() or
              n in ("estimate", "difference")}
    public -= {"Any", "ArrayLike", "Literal", "Mapping", "NDArray", "InputError", "AnyDesign",
               "Stat"}
    assert public <= set(survey.__all__)
