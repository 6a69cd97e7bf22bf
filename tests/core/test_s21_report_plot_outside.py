"""report.html embeds only plot files that lie inside the run directory (session 21). schema_problems refuses
an absolute plot path or one with '..', so that a report.json cannot pull files from outside its run directory
into report.html; a symbolic link under plots/ did it anyway: `paperworks report RUN` base64-embedded the
target of plots/evil.png -> /any/file (a secret in the probe) into report.html, which is the file users share."""

import base64
import json
import os
import re

from test_cli import ok


def _embedded(html: str) -> list[bytes]:
    return [base64.b64decode(b) for b in re.findall(r"data:image/png;base64,([A-Za-z0-9+/=]+)", html)]


def test_a_plot_link_to_a_file_outside_the_run_dir_is_not_embedded(tmp_path, capsys):
    ok(["run", "toy_linreg", "--preset", "smoke", "--out", str(tmp_path / "runs")], capsys)
    (rd,) = list((tmp_path / "runs").iterdir())
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"SECRET-TOKEN-123")
    os.symlink(secret, rd / "plots" / "evil.png")
    d = json.loads((rd / "report.json").read_text())
    real = [p["file"] for p in d["plots"]]
    assert real                                               # the run's own training plot
    d["plots"].append({"file": "plots/evil.png", "caption": "x"})
    (rd / "report.json").write_text(json.dumps(d))
    ok(["report", str(rd)], capsys)
    page = (rd / "report.html").read_text()
    assert b"SECRET-TOKEN-123" not in b"".join(_embedded(page))
    assert "plots/evil.png" in page and "outside the run directory" in page
    # the run's own plots are still embedded, also when the run directory is reached through a link, and a link
    # that stays inside the run directory is followed
    os.symlink(rd / "plots" / os.path.basename(real[0]), rd / "plots" / "same.png")
    d["plots"][-1]["file"] = "plots/same.png"
    (rd / "report.json").write_text(json.dumps(d))
    os.symlink(rd, tmp_path / "latest")
    ok(["report", str(tmp_path / "latest")], capsys)
    pngs = _embedded((rd / "report.html").read_text())
    assert len(pngs) == len(real) + 1 and all(p.startswith(b"\x89PNG") for p in pngs)
