"""hgp_sl's MUTAG / B3DB epoch caps are the official main.py cap (1000), as its synthetic cap and its `paper` preset:
with the official patience of 100, the old quick caps (60 / 50) ended every real-data fit before early stopping
could (the 2026-11-27 rule in docs/systems/hgp_sl.md, "Real-data caps 1000")."""

from paperworks.systems.hgp_sl import HGPSL, HGPSLConfig


def test_real_data_caps_are_the_official_cap():
    c = HGPSLConfig()
    assert c.mutag_epochs == c.b3db_epochs == c.epochs == 1000
    assert c.patience == 100 < c.mutag_epochs
    paper = HGPSL.presets["paper"]
    assert paper["mutag_epochs"] == paper["b3db_epochs"] == c.mutag_epochs
