"""Reports: claims (paper number / ours / baseline / holds), tables, text and plots.

``report.json`` is the single source; ``report.md`` and ``report.html`` (plots embedded as base64 PNG)
are rendered from it, so ``paperworks report RUN_DIR`` can rebuild them at any time. Every system's
report.json holds the common keys below; a system may add keys of its own beside them (``Report.extra``:
tame_bnn's ``xor`` / ``e2e``, sparse_mpc's ``closed_loop`` / ``mse`` / ``timing``)::

    {"system": str, "quick": bool, "title": str, "preset": str (only when a preset applied),
     "kind": "run" (only in a plain run's report),
     "full_scale": false (only in a reproduction without --quick of a system with no larger scale than --quick's),
     "claims": [{"claim": str, "metric": str, "paper": number|null, "ours": number,
                 "baseline": number|null, "holds": bool, "rule": str}],
     "all_hold": bool (every claim holds; false without claims),
     "tables": [{"title": str, "columns": [str], "rows": [[...]], "note": str|null}],
     "text": [str], "plots": [{"file": "plots/NAME.png", "caption": str}],
     "paper": {...}, "config": {...}, "env": {...}}

``holds`` is always computed from the measured numbers by the rule of the claim (never written by hand).
"""

from __future__ import annotations

import base64
import html
import json
import math
import operator
import re
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

__all__ = ["Claim", "Report", "line_figure", "render_markdown", "render_html", "rule_verdict", "schema_problems"]

_OPS = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt}


def _num(x):
    if x is None:
        return None
    x = float(x)
    return x


def _tied_holds(op: str, ours, base, offset) -> bool | None:
    """``ours OP base + offset`` decided on the decimal values the rule prints (None: not finite, the caller
    compares the floats).

    The float sum ``base + offset`` rounds: with ``baseline=0.7, margin=0.1`` it is 0.7999999999999999, so
    ``0.8 > baseline + 0.1`` held at an exact tie, and ``0.3 >= 0.4 - 0.1`` (0.30000000000000004) failed. The
    difference is taken exactly (rationals) and a difference within the representation error of the three
    numbers (the sum of their ulps) counts as a tie: strict rules fail on it, non-strict ones hold."""
    vals = (float(ours), float(base), float(offset))
    if not all(math.isfinite(v) for v in vals):
        return None
    d = Fraction(vals[0]) - Fraction(vals[1]) - Fraction(vals[2])
    if abs(d) <= sum(Fraction(math.ulp(v)) for v in vals):
        d = Fraction(0)
    return bool(_OPS[op](d, 0))


@dataclass
class Claim:
    """A qualitative claim checked on measured numbers: ``ours OP reference``.

    Build with the class methods (:meth:`at_least`, :meth:`at_most`, :meth:`beats`, :meth:`no_worse`,
    :meth:`within`) rather than the constructor; ``holds`` is computed and cannot be passed in.
    """

    claim: str
    metric: str
    ours: float
    op: str
    reference: float
    paper: float | None = None
    baseline: float | None = None
    rule: str = ""
    holds: bool = field(init=False)

    def __post_init__(self):
        if self.op not in _OPS:
            raise ValueError(f"Claim: op must be one of >=, >, <=, < (got {self.op!r}; for a distance use "
                             f"Claim.within)")
        self.ours = _num(self.ours)
        self.reference = _num(self.reference)
        self.paper = _num(self.paper)
        self.baseline = _num(self.baseline)
        if not math.isfinite(self.ours) or math.isnan(self.reference):
            # a claim holds only on a finite measured number: report.json (strict JSON) stores an infinite one as
            # null, and a holding claim without a number is what schema_problems refuses (a speed-up ratio of inf,
            # from a time measured as 0 s, held and then `paperworks report` refused the run's own report)
            self.holds = False
        else:
            self.holds = bool(_OPS[self.op](self.ours, self.reference))
        if not self.rule:
            self.rule = f"ours {self.op} {self.reference:.6g}"

    @classmethod
    def at_least(cls, claim, metric, ours, threshold, *, paper=None, baseline=None):
        c = cls(claim, metric, ours, ">=", threshold, paper, baseline, f"ours >= {threshold:.6g}")
        return c._decide_tie(float(threshold), 0.0)

    @classmethod
    def at_most(cls, claim, metric, ours, threshold, *, paper=None, baseline=None):
        c = cls(claim, metric, ours, "<=", threshold, paper, baseline, f"ours <= {threshold:.6g}")
        return c._decide_tie(float(threshold), 0.0)

    @classmethod
    def beats(cls, claim, metric, ours, baseline, *, margin=0.0, higher_is_better=True, paper=None):
        """ours > baseline + margin (or ours < baseline - margin when lower is better)."""
        b = float(baseline)
        if higher_is_better:
            c = cls(claim, metric, ours, ">", b + margin, paper, b,
                    f"ours > baseline + {margin:g}" if margin else "ours > baseline")
        else:
            c = cls(claim, metric, ours, "<", b - margin, paper, b,
                    f"ours < baseline - {margin:g}" if margin else "ours < baseline")
        return c._decide_tie(b, margin if higher_is_better else -margin)

    @classmethod
    def no_worse(cls, claim, metric, ours, baseline, *, tolerance=0.0, higher_is_better=True, paper=None):
        """ours >= baseline - tolerance (or ours <= baseline + tolerance when lower is better)."""
        b = float(baseline)
        if higher_is_better:
            c = cls(claim, metric, ours, ">=", b - tolerance, paper, b,
                    f"ours >= baseline - {tolerance:g}" if tolerance else "ours >= baseline")
        else:
            c = cls(claim, metric, ours, "<=", b + tolerance, paper, b,
                    f"ours <= baseline + {tolerance:g}" if tolerance else "ours <= baseline")
        return c._decide_tie(b, -tolerance if higher_is_better else tolerance)

    def _decide_tie(self, base: float, offset, lhs=None) -> "Claim":
        """Re-decide ``holds`` for a rule ``lhs OP base + offset`` (see _tied_holds), also with a zero offset:
        the numbers compared are usually means of per-seed values and carry their own rounding (hgp_sl's
        "HGP-SL >= ablation" compared 38/60 correct with 38/60 correct as 0.6333333333333333 >= 0.6333333333333334
        and failed). ``lhs`` is the claim's own number unless given (:meth:`within` passes the larger of ours
        and the target, the smaller as ``base``)."""
        if math.isfinite(self.ours):
            exact = _tied_holds(self.op, self.ours if lhs is None else lhs, base, offset)
            if exact is not None:
                self.holds = exact
        return self

    @classmethod
    def within(cls, claim, metric, ours, target, tol, *, paper=None, baseline=None):
        """|ours - target| <= tol: ``ours`` keeps the measured value (not the distance), the rule names target
        and tol."""
        dist = abs(float(ours) - float(target))
        c = cls(claim, metric, dist, "<=", tol, paper, baseline, f"|ours - {target:.6g}| <= {tol:g}")
        c.ours = float(ours)
        if math.isinf(dist) and math.isfinite(c.ours):
            # the infinite distance of a finite ours (an infinite target, or an overflow) is compared as it is: only
            # an infinite measured number never holds
            c.holds = bool(dist <= c.reference)
        o, t = c.ours, float(target)   # |ours - target| <= tol as max(o, t) <= min(o, t) + tol: the same tie rule
        # (a NaN target stays in the comparison, so that it fails: max / min would drop it and compare ours with
        # itself)
        hi, lo = (t, o) if t > o else (o, t)
        return c._decide_tie(lo, tol, lhs=hi)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        return {k: d[k] for k in ("claim", "metric", "paper", "ours", "baseline", "holds", "rule")}


class Report:
    """Builder of a run's report; see the module docstring for the JSON schema."""

    def __init__(self, system: str, quick: bool = True, title: str | None = None):
        self.system = system
        self.quick = bool(quick)
        self.title = title or f"paperworks report: {system}"
        self.claims: list[Claim] = []
        self.tables: list[dict[str, Any]] = []
        self.text: list[str] = []
        self.plots: list[dict[str, str]] = []
        self.extra: dict[str, Any] = {}

    # -- building
    def add_claim(self, claim: Claim) -> Claim:
        self.claims.append(claim)
        return claim

    def add_table(self, title: str, columns: list[str], rows: list[list[Any]], note: str | None = None):
        for r in rows:
            if len(r) != len(columns):
                raise ValueError(f"Report.add_table('{title}'): row {r!r} has {len(r)} cells, "
                                 f"expected {len(columns)}")
        self.tables.append({"title": title, "columns": list(columns), "rows": [list(r) for r in rows],
                            "note": note})

    def add_text(self, markdown: str) -> None:
        self.text.append(markdown)

    def add_plot(self, run_dir, fig, name: str, caption: str = "") -> str:
        """Save a matplotlib figure as plots/NAME.png in the run directory and reference it."""
        rel = run_dir.save_figure(fig, name)
        self.plots.append({"file": rel, "caption": caption})
        return rel

    def add_line_plot(self, run_dir, name: str, panels, caption: str = "", **kw) -> str:
        """:func:`line_figure` of ``panels`` (keywords passed on) saved as plots/NAME.png and referenced."""
        return self.add_plot(run_dir, line_figure(panels, **kw), name, caption)

    @property
    def all_hold(self) -> bool:
        return bool(self.claims) and all(c.holds for c in self.claims)

    # -- (de)serialization
    def to_dict(self) -> dict[str, Any]:
        d = {"system": self.system, "quick": self.quick, "title": self.title,
             "claims": [c.to_dict() for c in self.claims], "tables": self.tables, "text": self.text,
             "plots": self.plots, "all_hold": self.all_hold}
        d.update(self.extra)
        return d

    @staticmethod
    def load(path: str | Path) -> dict[str, Any]:
        return json.loads(Path(path).read_text())


def _xy(values) -> tuple[list, list]:
    """(xs, ys) of a series given as numbers (x = 0, 1, ...) or as (x, y) pairs."""
    values = list(values)
    if values and isinstance(values[0], (tuple, list)):
        return [v[0] for v in values], [v[1] for v in values]
    return list(range(len(values))), values


def line_figure(panels, *, xlabel: str = "epoch", ylabel: str | None = None, hlines=None, logy: bool = False,
                size: tuple[float, float] = (4.5, 3.2), legend: str = "inside"):
    """A row of line plots, one panel per entry of ``panels`` ({panel title: {series label: values}}), one line
    per series; values are numbers (plotted against 0, 1, ...) or (x, y) pairs. ``hlines`` draws dashed reference
    lines: {label: y} on every panel, or {panel title: {label: y}} per panel. ``size`` is one panel's (width,
    height) in inches. A series of fewer than 30 points gets markers; a panel whose legend would repeat the first
    panel's shows none. ``legend="below"`` draws the first panel's legend under the panels instead (for many or
    long labels). Returns the matplotlib figure (for :meth:`Report.add_plot`)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    panels = dict(panels)
    if not panels:
        raise ValueError("line_figure: no panels to plot")
    if legend not in ("inside", "below"):
        raise ValueError(f"line_figure: legend must be 'inside' or 'below' (got {legend!r})")
    first = None   # the first panel's legend entries: a panel with the same ones shows no legend of its own
    fig, axes = plt.subplots(1, len(panels), figsize=(size[0] * len(panels), size[1]), squeeze=False)
    for i, (ax, (title, series)) in enumerate(zip(axes[0], panels.items())):
        for label, values in series.items():
            xs, ys = _xy(values)
            if xs:
                ax.plot(xs, ys, label=label, marker="." if len(xs) < 30 else None)
        refs = hlines or {}
        if any(isinstance(v, dict) for v in refs.values()):
            refs = refs.get(title, {})
        for label, y in refs.items():
            ax.axhline(y, color="grey", linestyle="--", linewidth=0.8, label=label)
        if logy:
            ax.set_yscale("log")
        ax.set_title(title)
        ax.set_xlabel(xlabel)
        if ylabel:
            ax.set_ylabel(ylabel)
        labels = ax.get_legend_handles_labels()[1]
        if labels and labels != first and not (legend == "below" and i == 0):
            ax.legend(fontsize="small")
        if i == 0:
            first = labels
    fig.tight_layout()
    if legend == "below" and first:
        handles, labels = axes[0, 0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=min(len(labels), 3),
                   fontsize="small", frameon=False)
    return fig


def _is_num(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


_NUM = r"[-+]?(?:inf|nan|\d+(?:\.\d*)?(?:e[-+]?\d+)?)"
# the rules the Claim constructors write: (pattern, what the groups are)
_RULES = ((re.compile(rf"ours (>=|>|<=|<) ({_NUM})"), "threshold"),
          (re.compile(r"ours (>=|>|<=|<) baseline"), "baseline"),
          (re.compile(rf"ours (>=|>|<=|<) baseline ([-+]) ({_NUM})"), "offset"),
          (re.compile(rf"\|ours - ({_NUM})\| <= ({_NUM})"), "within"))


def rule_verdict(claim: dict[str, Any]) -> bool | None:
    """Whether a report.json claim's stored numbers meet its ``rule`` (as :class:`Claim` writes it), where they
    decide it: the rule prints its constants to 6 significant digits, so a comparison closer than that rounding
    (a tie, as Claim decides it, above all) is None, as are rules of another form, missing or non-finite numbers.
    ``paperworks report`` rebuilt a report from a ``holds`` edited by hand (a claim shown as holding beside
    numbers that fail its rule)."""
    rule, ours, base = claim.get("rule"), claim.get("ours"), claim.get("baseline")
    if not isinstance(rule, str) or not _is_num(ours):
        return None
    for pattern, kind in _RULES:
        m = pattern.fullmatch(rule.strip())
        if m:
            break
    else:
        return None
    g = m.groups()
    if kind in ("baseline", "offset") and not _is_num(base):
        return None
    try:
        return _decided(kind, g, ours, base)
    except OverflowError:   # an int too large for a float (a file edited by hand): not decided here
        return None


def _decided(kind: str, g: tuple, ours, base) -> bool | None:
    """:func:`rule_verdict` for a rule of ``kind`` whose constants are ``g``."""
    if kind == "threshold":
        op, lhs, rhs, printed = g[0], float(ours), float(g[1]), [float(g[1])]
    elif kind == "baseline":
        op, lhs, rhs, printed = g[0], float(ours), float(base), []
    elif kind == "offset":
        off = float(g[2]) if g[1] == "+" else -float(g[2])
        op, lhs, rhs, printed = g[0], float(ours), float(base) + off, [off]
    else:
        target, tol = float(g[0]), float(g[1])
        op, lhs, rhs, printed = "<=", abs(float(ours) - target), tol, [target, tol]
    vals = [float(ours), lhs, rhs, *printed]
    if not all(math.isfinite(v) for v in vals):
        return None
    # a constant printed with 6 significant digits is within 5e-6 of its size of the one compared; the floats'
    # own rounding adds far less than the 1e-9 allowed here
    slack = sum(5e-6 * abs(p) for p in printed) + 1e-9 * sum(abs(v) for v in vals)
    if abs(lhs - rhs) <= slack:
        return None
    return bool(_OPS[op](lhs, rhs))


def schema_problems(d: Any) -> list[str]:
    """Deviations of a report.json document from the schema of the module docstring (empty = valid).

    Claim numbers may be null where the measurement was NaN or infinite (strict JSON has neither); such a claim
    must not hold."""
    if not isinstance(d, dict):
        return [f"the document is a {type(d).__name__}, not an object"]
    out = []
    if not isinstance(d.get("system"), str):
        out.append("'system' must be a string")
    if not isinstance(d.get("quick"), bool):
        out.append("'quick' must be true or false")
    if d.get("preset") is not None and not isinstance(d["preset"], str):
        out.append("'preset' must be a string or null")
    claims = d.get("claims")
    if not isinstance(claims, list):
        return out + ["'claims' must be a list"]
    for i, c in enumerate(claims):
        if not isinstance(c, dict):
            out.append(f"claims[{i}] must be an object")
            continue
        for k in ("claim", "metric"):
            if not isinstance(c.get(k), str):
                out.append(f"claims[{i}].{k} must be a string")
        for k in ("paper", "ours", "baseline"):
            if k not in c or not (c[k] is None or _is_num(c[k])):
                out.append(f"claims[{i}].{k} must be a number or null")
        if not isinstance(c.get("holds"), bool):
            out.append(f"claims[{i}].holds must be true or false")
        elif c["holds"] and c.get("ours") is None:
            out.append(f"claims[{i}] holds without a measured number")
        if not isinstance(c.get("rule"), str):
            out.append(f"claims[{i}].rule must be a string")
        elif isinstance(c.get("holds"), bool) and (verdict := rule_verdict(c)) is not None and verdict != c["holds"]:
            # holds is decided by the rule from the numbers; a file whose holds says otherwise was edited
            base = f", baseline {c['baseline']!r}" if "baseline" in c["rule"] else ""
            out.append(f"claims[{i}].holds is {str(c['holds']).lower()}, but its numbers "
                       f"{'meet' if verdict else 'fail'} its rule '{c['rule']}' (ours {c['ours']!r}{base}): holds "
                       f"is computed from the numbers, not edited")
    if isinstance(d.get("all_hold"), bool) and all(isinstance(c, dict) and isinstance(c.get("holds"), bool)
                                                   for c in claims):
        every = bool(claims) and all(c["holds"] for c in claims)
        if d["all_hold"] != every:
            out.append(f"'all_hold' is {str(d['all_hold']).lower()}, but "
                       f"{sum(c['holds'] for c in claims)} of {len(claims)} claims hold")
    # every field the renderers read (a non-string title or an int in a table's columns used to stop
    # `paperworks report` with an internal error or a message that named neither the file nor the field)
    if not isinstance(d.get("title", ""), str):
        out.append("'title' must be a string")
    if d.get("paper") is not None and not (isinstance(d["paper"], dict)
                                           and isinstance(d["paper"].get("cite", ""), str)):
        out.append("'paper' must be an object with a string 'cite'")
    for key in ("tables", "text", "plots"):
        if not isinstance(d.get(key, []), list):
            out.append(f"'{key}' must be a list")
    tables = d.get("tables", [])
    for i, t in enumerate(tables if isinstance(tables, list) else []):
        if not (isinstance(t, dict) and isinstance(t.get("title"), str) and isinstance(t.get("columns"), list)
                and isinstance(t.get("rows"), list)):
            out.append(f"tables[{i}] must have a title, columns and rows")
            continue
        if not all(isinstance(c, str) for c in t["columns"]):
            out.append(f"tables[{i}].columns must be strings")
        bad = [j for j, r in enumerate(t["rows"]) if not (isinstance(r, list) and len(r) == len(t["columns"]))]
        if bad:
            out.append(f"tables[{i}].rows[{bad[0]}] must be a list of {len(t['columns'])} cells, one per column")
        if t.get("note") is not None and not isinstance(t["note"], str):
            out.append(f"tables[{i}].note must be a string or null")
    text = d.get("text", [])
    if isinstance(text, list) and not all(isinstance(x, str) for x in text):
        out.append("'text' must hold strings")
    plots = d.get("plots", [])
    for i, p in enumerate(plots if isinstance(plots, list) else []):
        if not (isinstance(p, dict) and isinstance(p.get("file"), str)):
            out.append(f"plots[{i}] must have a file")
            continue
        f = Path(p["file"])
        if f.is_absolute() or ".." in f.parts:
            # report.html embeds the file: a report.json must not pull in files from outside its run directory
            out.append(f"plots[{i}].file must be a path inside the run directory (got {p['file']!r})")
        if not isinstance(p.get("caption", ""), str):
            out.append(f"plots[{i}].caption must be a string")
    return out


# ------------------------------------------------------------------------------------- rendering
def _fmt(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, bool):
        return "yes" if v else "NO"
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        return f"{v:.4g}" if abs(v) < 1e5 else f"{v:.3e}"
    return str(v)


def _md_cell(text: str) -> str:
    """A table cell's text with its pipes escaped and line breaks as spaces (either would split the row)."""
    return text.replace("|", "\\|").replace("\r\n", " ").replace("\n", " ").replace("\r", " ")


def _md_table(columns, rows) -> str:
    # the header too: a column named "|ours - target|" gave the header more cells than the delimiter row, and
    # Markdown then shows no table at all
    out = ["| " + " | ".join(_md_cell(str(c)) for c in columns) + " |", "|" + "---|" * len(columns)]
    for r in rows:
        out.append("| " + " | ".join(_md_cell(_fmt(v)) for v in r) + " |")
    return "\n".join(out)


_CLAIM_COLS = ["claim", "metric", "paper", "ours", "baseline", "rule", "holds"]


def _kind(d: dict[str, Any]) -> str:
    """What ran, for the report's first line: a run or a quick / full reproduction, and its preset if one applied
    (a `--preset smoke` reproduction without --quick read "full reproduction")."""
    p = d.get("preset")
    preset = f", preset {p}" if isinstance(p, str) and p else ""
    if d.get("kind") == "run":
        return f"training run (`paperworks run`{preset})"
    if not d.get("quick") and d.get("full_scale") is False:
        # quick=False of a system without a larger scale (System.full_scale) ran what --quick runs
        return f"reproduction at the quick scale (the system has no larger full scale){preset}"
    return f"{'quick' if d.get('quick') else 'full'} reproduction{preset}"


def render_markdown(d: dict[str, Any]) -> str:
    lines = [f"# {d.get('title', d['system'])}", ""]
    if d.get("paper"):
        lines += [f"Paper: {d['paper'].get('cite', '')}", ""]
    lines += [f"System `{d['system']}`, {_kind(d)}. "
              f"Claims holding: {sum(c['holds'] for c in d['claims'])}/{len(d['claims'])}.", ""]
    if d["claims"]:
        lines += ["## Claims", "", _md_table(_CLAIM_COLS, [[c[k] for k in _CLAIM_COLS] for c in d["claims"]]),
                  ""]
    for t in d.get("tables", []):
        lines += [f"## {t['title']}", "", _md_table(t["columns"], t["rows"]), ""]
        if t.get("note"):
            lines += [t["note"], ""]
    for txt in d.get("text", []):
        lines += [txt, ""]
    for p in d.get("plots", []):
        lines += [f"![{p.get('caption', '')}]({p['file']})", "", p.get("caption", ""), ""]
    env = d.get("env") or {}
    if env:
        lines += ["## Environment", "", "```", json.dumps(env, indent=1), "```", ""]
    return "\n".join(lines)


def _html_table(columns, rows, claim_rows=False) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = []
    for r in rows:
        cls = ""
        if claim_rows:
            cls = ' class="ok"' if r[-1] else ' class="fail"'
        body.append(f"<tr{cls}>" + "".join(f"<td>{html.escape(_fmt(v))}</td>" for v in r) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def render_html(d: dict[str, Any], run_dir: str | Path) -> str:
    run_dir = Path(run_dir)
    parts = [f"<h1>{html.escape(d.get('title', d['system']))}</h1>"]
    if d.get("paper"):
        parts.append(f"<p>Paper: {html.escape(d['paper'].get('cite', ''))}</p>")
    n_ok = sum(c["holds"] for c in d["claims"])
    parts.append(f"<p>System <code>{html.escape(d['system'])}</code>, "
                 f"{html.escape(_kind(d))}. Claims holding: {n_ok}/{len(d['claims'])}.</p>")
    if d["claims"]:
        parts += ["<h2>Claims</h2>",
                  _html_table(_CLAIM_COLS, [[c[k] for k in _CLAIM_COLS] for c in d["claims"]], True)]
    for t in d.get("tables", []):
        parts += [f"<h2>{html.escape(t['title'])}</h2>", _html_table(t["columns"], t["rows"])]
        if t.get("note"):
            parts.append(f"<p>{html.escape(t['note'])}</p>")
    for txt in d.get("text", []):
        parts.append(f"<pre class='text'>{html.escape(txt)}</pre>")
    for p in d.get("plots", []):
        f = run_dir / p["file"]
        try:   # a folder (or an unreadable file) where the plot should be is a missing plot, not a crash
            # a link under plots/ to a file outside the run directory is not followed: schema_problems keeps
            # report.json's paths inside the run directory, and the page (the file users share) must not embed
            # any other file
            inside = f.resolve().is_relative_to(run_dir.resolve())
            png = f.read_bytes() if inside and f.is_file() else None
        except (OSError, RuntimeError):   # RuntimeError: a symlink loop on Python < 3.13
            inside, png = True, None
        if not inside:
            parts.append(f"<p>(plot {html.escape(p['file'])} not shown: it links to a file outside the run "
                         f"directory)</p>")
        elif png is not None:
            b64 = base64.b64encode(png).decode("ascii")
            parts.append(f"<figure><img src='data:image/png;base64,{b64}'/>"
                         f"<figcaption>{html.escape(p.get('caption', ''))}</figcaption></figure>")
        else:
            parts.append(f"<p>(missing plot {html.escape(p['file'])})</p>")
    env = d.get("env") or {}
    if env:
        parts += ["<h2>Environment</h2>", f"<pre>{html.escape(json.dumps(env, indent=1))}</pre>"]
    style = ("body{font-family:sans-serif;max-width:1100px;margin:2em auto}table{border-collapse:collapse;"
             "margin:1em 0}td,th{border:1px solid #bbb;padding:3px 8px;text-align:right}"
             "tr.ok td:last-child{background:#d9f2d9}tr.fail td:last-child{background:#f7d4d4}"
             "img{max-width:100%}")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(d['system'])}</title>"
            f"<style>{style}</style></head><body>{''.join(parts)}</body></html>")
