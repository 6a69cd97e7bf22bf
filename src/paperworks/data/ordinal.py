"""Ordinal / multinomial response data that works offline.

* ``anes96``: 1996 American National Election Study extract shipped with statsmodels (944 respondents,
  7-level party identification PID, covariates logpopul, selfLR, age, educ, income).
* ``ologit_ucla``: UCLA IDRE ordered-logit example shipped in statsmodels' test results (400 students,
  apply = unlikely < somewhat likely < very likely; pared, public, gpa).
* Classic published tables typed in as fixtures (counts are facts):
  - ``trauma``: Chuang-Stein & Agresti (1997, Statistics in Medicine 16:2599-2618), the trauma clinical
    trial also analysed by Bu, Majumdar & Yang (2020, Ann. Statist.) and Wang, Tong & Yang (arXiv:2312.16260):
    802 patients in 4 dose groups, 5-level Glasgow Outcome Scale.
  - ``pneumo``: Ashford (1959, Biometrics 15:573-581) coal miners' pneumoconiosis by exposure years
    (as shipped in R package VGAM, data(pneumo)).
  - ``housing``: Madsen (1976, Scand. J. Statist. 3:97-106) Copenhagen housing satisfaction (as shipped in
    R package MASS, data(housing); Venables & Ripley 2002, Sec. 7.3).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from paperworks.data import (check_numbers, check_values, package_file, read_table, register_dataset,
                             require_columns)

__all__ = ["load_anes96", "load_ologit_ucla", "load_trauma", "load_pneumo", "load_housing"]

PID_LEVELS = ["Strong Democrat", "Weak Democrat", "Independent-Democrat", "Independent-Independent",
              "Independent-Republican", "Weak Republican", "Strong Republican"]


@register_dataset("anes96", "ANES 1996 party identification (statsmodels; 944 x 7-level PID)")
def load_anes96() -> pd.DataFrame:
    """ANES 1996 extract; ``PID`` becomes an ordered Categorical (0 = Strong Democrat .. 6)."""
    path = package_file("statsmodels", "datasets/anes96/anes96.csv")
    df = read_table(path, "anes96", sep="\t")
    df.columns = [c.strip("'") for c in df.columns]
    # a PID outside 0..6 became a missing category silently, an empty one a bare IntCastingNaNError
    require_columns(df, ["popul", "PID"], "anes96", path)
    check_numbers(df, ["popul", "PID"], "anes96", path)
    check_values(pd.to_numeric(df["PID"]).to_numpy(), range(7), "anes96", path, "PID")
    df["logpopul"] = np.log(df["popul"] + 0.1)         # as statsmodels.datasets.anes96 does
    df["PID"] = pd.Categorical(df["PID"].astype(int), categories=list(range(7)), ordered=True)
    return df


@register_dataset("ologit_ucla", "UCLA ordered logit example (statsmodels test data; 400 x 3 levels)")
def load_ologit_ucla() -> pd.DataFrame:
    path = package_file("statsmodels", "miscmodels/tests/results/ologit_ucla.csv")
    df = read_table(path, "ologit_ucla")
    # a level outside the three became a missing category silently
    require_columns(df, ["apply", "pared", "public", "gpa"], "ologit_ucla", path)
    check_values(df["apply"].to_numpy(), ("unlikely", "somewhat likely", "very likely"), "ologit_ucla", path, "apply")
    check_numbers(df, ["pared", "public", "gpa"], "ologit_ucla", path)
    df["apply"] = pd.Categorical(df["apply"], categories=["unlikely", "somewhat likely", "very likely"],
                                 ordered=True)
    return df


TRAUMA_OUTCOMES = ["Death", "Vegetative state", "Major disability", "Minor disability", "Good recovery"]


@register_dataset("trauma", "Trauma clinical trial, Chuang-Stein & Agresti (1997): 4 doses x 5 GOS levels")
def load_trauma() -> pd.DataFrame:
    """Grouped counts: one row per dose group (x = 1 placebo, 2 low, 3 medium, 4 high), columns = outcomes."""
    counts = np.array([[59, 25, 46, 48, 32],    # placebo (n = 210)
                       [48, 21, 44, 47, 30],    # low dose (190)
                       [44, 14, 54, 64, 31],    # medium dose (207)
                       [43, 4, 49, 58, 41]])    # high dose (195); total 802
    df = pd.DataFrame(counts, columns=TRAUMA_OUTCOMES)
    df.insert(0, "dose", ["Placebo", "Low", "Medium", "High"])
    df.insert(1, "x", [1.0, 2.0, 3.0, 4.0])
    return df


@register_dataset("pneumo", "Pneumoconiosis in coal miners, Ashford (1959) (VGAM::pneumo)")
def load_pneumo() -> pd.DataFrame:
    return pd.DataFrame({
        "exposure_time": [5.8, 15.0, 21.5, 27.5, 33.5, 39.5, 46.0, 51.5],
        "normal": [98, 51, 34, 35, 32, 23, 12, 4],
        "mild": [0, 2, 6, 5, 10, 7, 6, 2],
        "severe": [0, 1, 3, 8, 9, 8, 10, 5],
    })


_HOUSING_FREQ = [21, 21, 28, 34, 22, 36, 10, 11, 36, 61, 23, 17, 43, 35, 40, 26, 18, 54, 13, 9, 10, 8, 8, 12,
                 6, 7, 9, 18, 6, 7, 15, 13, 13, 7, 5, 11, 14, 19, 37, 17, 23, 40, 3, 5, 23, 78, 46, 43, 48, 45,
                 86, 15, 25, 62, 20, 23, 20, 10, 22, 24, 7, 10, 21, 57, 23, 13, 31, 21, 13, 5, 6, 13]


@register_dataset("housing", "Copenhagen housing satisfaction, Madsen (1976) (MASS::housing; 72 cells)")
def load_housing() -> pd.DataFrame:
    """Long format as in MASS: Sat (fastest), Infl, Type, Cont, Freq (1681 residents)."""
    sat = ["Low", "Medium", "High"]
    infl = ["Low", "Medium", "High"]
    typ = ["Tower", "Apartment", "Atrium", "Terrace"]
    cont = ["Low", "High"]
    rows = [(s, i, t, c) for c in cont for t in typ for i in infl for s in sat]
    df = pd.DataFrame(rows, columns=["Sat", "Infl", "Type", "Cont"])
    df["Freq"] = _HOUSING_FREQ
    for col, lev in (("Sat", sat), ("Infl", infl), ("Type", typ), ("Cont", cont)):
        df[col] = pd.Categorical(df[col], categories=lev, ordered=col in ("Sat", "Infl", "Cont"))
    return df


def housing_wide() -> pd.DataFrame:
    """Housing as grouped counts: one row per (Infl, Type, Cont), columns Low/Medium/High satisfaction."""
    df = load_housing()
    w = df.pivot_table(index=["Infl", "Type", "Cont"], columns="Sat", values="Freq", observed=True).reset_index()
    w.columns.name = None
    return w
