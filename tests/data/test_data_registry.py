import numpy as np
import pytest

from paperworks.core.errors import UnknownNameError
from paperworks.data import available, load, package_file


def test_unknown_dataset_suggests_closest():
    with pytest.raises(UnknownNameError, match="did you mean 'mnist'"):
        load("mnsit")


def test_every_registered_dataset_has_a_loader_module_that_imports():
    names = available()
    assert "mnist" in names and "fashion_mnist" in names


def test_missing_package_file_names_the_pip_command():
    from paperworks.core.errors import DataError

    with pytest.raises(DataError, match="pip install --no-deps nosuchpkg==1"):
        package_file("nosuchpkg_xyz", "a.txt", pip_spec="nosuchpkg==1")


def _nearest_centroid_accuracy(d):
    """Test accuracy of the class-mean (nearest centroid) classifier: labels that do not belong to their images
    (shuffled, shifted, train/test mixed up) give ~10 %."""
    x = d["x_train"].reshape(len(d["x_train"]), -1).astype(np.float32) / 255
    c = np.stack([x[d["y_train"] == k].mean(0) for k in range(10)])
    t = d["x_test"].reshape(len(d["x_test"]), -1).astype(np.float32) / 255
    dist = (c ** 2).sum(1)[None] - 2 * t @ c.T
    return float((dist.argmin(1) == d["y_test"]).mean())


def test_mnist_is_real_and_balanced():
    d = load("mnist")
    assert d["x_train"].shape == (60000, 28, 28) and d["x_test"].shape == (10000, 28, 28)
    assert d["x_train"].dtype == np.uint8 and d["y_train"].dtype == np.int64
    # the published per-digit counts of MNIST's training and test sets
    assert np.bincount(d["y_train"]).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    assert np.bincount(d["y_test"]).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert 30 < d["x_train"].mean() < 40  # real MNIST: mean intensity about 33/255
    assert 0.80 < _nearest_centroid_accuracy(d) < 0.84   # 82.0 % on real MNIST


def test_fashion_mnist_is_real_and_balanced():
    d = load("fashion_mnist")
    assert d["x_train"].shape == (60000, 28, 28) and d["x_test"].shape == (10000, 28, 28)
    assert np.bincount(d["y_train"]).tolist() == [6000] * 10 and np.bincount(d["y_test"]).tolist() == [1000] * 10
    assert 0.65 < _nearest_centroid_accuracy(d) < 0.70   # 67.7 % on real Fashion-MNIST


def test_refuses_non_numpy_pickles(tmp_path):
    import io
    import pickle

    from paperworks.core.errors import DataError
    from paperworks.data.images import SafeNumpyUnpickler

    payload = pickle.dumps(print)
    with pytest.raises(DataError, match="refusing to unpickle"):
        SafeNumpyUnpickler(io.BytesIO(payload)).load()
