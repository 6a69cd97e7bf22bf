"""load_cifar10 (binary version) names the batch whose record count differs from the others (session 20 review).
It compared every batch with the largest count, so beside a batch holding extra records (a file written twice)
it named a good batch as truncated: data_batch_2.bin doubled (8 records, the others 4) gave "batch
'.../data_batch_1.bin' holds 4 images but another batch holds 8 ...: truncated file?"."""

import pytest

from paperworks.core.errors import DataError
from paperworks.data.cifar import load_cifar10

from test_cifar import _write_bin  # noqa: E402  (tests/data is on sys.path under pytest's rootdir)


@pytest.mark.parametrize("name", ["data_batch_2.bin", "data_batch_1.bin", "test_batch.bin"])
def test_a_batch_with_extra_records_is_the_one_named(tmp_path, name):
    d = _write_bin(tmp_path)
    p = d / name
    p.write_bytes(p.read_bytes() * 2)                          # 8 whole records where the others hold 4
    with pytest.raises(DataError, match=rf"batch '[^']*{name}' holds 8 images but another batch holds 4 "
                                        r"\(.*\): extra records"):
        load_cifar10(tmp_path)


def test_a_cut_batch_is_still_named_as_truncated(tmp_path):
    d = _write_bin(tmp_path)
    p = d / "data_batch_4.bin"
    p.write_bytes(p.read_bytes()[:-2 * 3073])                  # 2 of 4 records left
    with pytest.raises(DataError, match=r"batch '[^']*data_batch_4.bin' holds 2 images but another batch holds 4 "
                                        r"\(.*\): truncated file\?"):
        load_cifar10(tmp_path)
