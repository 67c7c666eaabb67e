"""The sample city's synthetic household survey of ICT skills: ~5 000 respondents, a
stratified cluster design (strata = district × urban/rural, 12 PSUs each), answers to every
ITU activity driven by a latent skill that varies with age, education and disability."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import yaml

from ssckit.core.sample import SampleCity, SampleInputs
from ssckit.skills.frameworks import default_frameworks

GROUPS = ("sex", "age_group", "district", "area", "education", "disability")
AGE_GROUPS = ("15-24", "25-34", "35-44", "45-54", "55-64", "65-74")


def write_sample(city: SampleCity) -> SampleInputs:
    """The synthetic household survey and its design."""
    survey, design = write_sample_survey(city.root, city.district_names, city.seed)
    return SampleInputs(inputs={"survey": survey, "design": design})


def write_sample_survey(root: Path, districts: list[str], seed: int, n_psu: int = 12,
                        per_psu: int = 42) -> tuple[str, str]:
    """Write ``skills_survey.csv`` and ``skills_design.yaml``; return their names."""
    rng = np.random.default_rng(seed + 300)
    fw = default_frameworks()
    acts = list(fw.activities)
    # difficulty of each activity from its ITU skill class
    diff = np.array([{"basic": -1.2, "standard": 0.2, "advanced": 1.6}.get(
        fw.activities[a].skill_class or "standard", 0.2) for a in acts])
    diff = diff + rng.normal(0, 0.35, len(acts))
    rows = []
    rid = 0
    for d in districts:
        for area in ("urban", "rural") if d != "Old Town" else ("urban",):
            for p in range(n_psu):
                psu = f"{d[:3].upper()}-{area[0].upper()}{p + 1:02d}"
                psu_effect = rng.normal(0, 0.35)
                pop_psu = rng.uniform(1800, 3200)          # people aged 15-74 in the PSU
                for _ in range(per_psu):
                    rid += 1
                    age = rng.choice(len(AGE_GROUPS), p=[.18, .2, .19, .17, .15, .11])
                    edu = rng.choice(3, p=[.25, .45, .30])  # primary, secondary, tertiary
                    dis = rng.random() < 0.08
                    theta = (0.9 - 0.42 * age + 0.6 * (edu - 1) - 0.7 * dis
                             + (0.25 if area == "urban" else -0.25) + psu_effect
                             + rng.normal(0, 0.9))
                    user = rng.random() < 1 / (1 + np.exp(-(theta + 2.2)))
                    p_do = 1 / (1 + np.exp(-(1.6 * (theta - diff))))
                    ans = (rng.random(len(acts)) < p_do) & user
                    rows.append({
                        "respondent": f"R{rid:05d}", "stratum": f"{d}/{area}", "psu": psu,
                        "weight": round(pop_psu / per_psu * rng.uniform(0.8, 1.25), 3),
                        "sex": rng.choice(["F", "M"]), "age_group": AGE_GROUPS[age],
                        "district": d, "area": area,
                        "education": ("primary", "secondary", "tertiary")[edu],
                        "disability": "yes" if dis else "no", "internet_user": int(user),
                        **{a: int(x) for a, x in zip(acts, ans, strict=True)},
                    })
    with open(root / "skills_survey.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    design = {"weight": "weight", "strata": "stratum", "psu": "psu", "groups": list(GROUPS),
              "internet_user": "internet_user"}
    (root / "skills_design.yaml").write_text(
        "# Design of the synthetic ICT-skills survey (sample data)\n"
        + yaml.safe_dump(design, sort_keys=False), encoding="utf-8")
    return "skills_survey.csv", "skills_design.yaml"
