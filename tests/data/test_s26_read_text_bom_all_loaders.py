"""read_text drops a leading UTF-8 byte-order mark for every loader: TU files and CelebA lists stripped it
themselves, CIFAR-10's batches.meta.txt kept it in the first class name ('\\ufeffairplane')."""

import numpy as np

from paperworks.data import read_text
from paperworks.data.cifar import load_cifar10

NAMES = "airplane automobile bird cat deer dog frog horse ship truck".split()


def test_cifar_binary_class_names_with_a_byte_order_mark(tmp_path):
    d = tmp_path / "cifar-10-batches-bin"
    d.mkdir()
    for n in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        np.zeros(3073, np.uint8).tofile(d / f"{n}.bin")
    (d / "batches.meta.txt").write_bytes(b"\xef\xbb\xbf" + "\n".join(NAMES).encode() + b"\n")
    assert load_cifar10(tmp_path)["classes"] == NAMES


def test_read_text_drops_only_a_leading_mark(tmp_path):
    f = tmp_path / "a.txt"
    f.write_bytes(b"\xef\xbb\xbfcaf\xc3\xa9\n")
    assert read_text(f, "probe") == "caf\u00e9\n"
    f.write_bytes(b"x\xef\xbb\xbf\n")   # a mark inside the text is text
    assert read_text(f, "probe") == "x\ufeff\n"
