"""The quick reproduction with the default config (not in CI: minutes on 2 cores)."""

import pytest


@pytest.mark.slow
def test_advgan_quick_reproduction_claims_hold(reproduce_smoke):
    d = reproduce_smoke("advgan", preset=None)
    failed = [c["claim"] for c in d["claims"] if not c["holds"]]
    assert not failed, failed
