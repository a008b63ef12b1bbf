"""Papers' reported results side by side: rows grouped by (dataset, metric, unit, level
or change against others),
sorted by value, the best per group marked where the metric says which way is better,
and the disagreements between papers named with both sentences quoted."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from assistant.answer.entities import squash
from assistant.answer.tables.verify import PaperResults, ResultRow

# which way is better for a metric, by the words it uses (no word: no best is marked)
_LOWER = re.compile(r"\b(error|errors|loss|latency|time|runtime|ms|rmse|mse|mae|absrel|sqrel|"
                    r"rel|perplexity|fid|wer|cer|memory|energy|power|cost|emissions?|co_?2|"
                    r"flops|macs|mortality|complications?|eer)\b", re.IGNORECASE)
_HIGHER = re.compile(r"\b(accuracy|acc|ap|map|miou|iou|f1|auc|auroc|precision|recall|bleu|"
                     r"rouge|fps|throughput|speed-?up|faster|improvement|gain|sensitivity|"
                     r"specificity|top-?[15]|hits|ndcg|psnr|ssim|score|survival|success|"
                     r"dice|r2|compression)\b", re.IGNORECASE)
# words with which a paper claims the best result
_BEST_CLAIM = re.compile(r"state[- ]of[- ]the[- ]art|\bsota\b|\bbest\b|\boutperform|"
                         r"\bsurpass|\bhighest\b|\blowest\b|\bnew record\b|\bleading\b",
                         re.IGNORECASE)
_STEM = re.compile(r"(?<=[a-z]{3})s\b")


# a share whose metric the abstract does not name is shown without one (its sentence says
# of what): see verify._results
UNNAMED = "unnamed metric"


def direction(metric: str) -> str:
    """"higher", "lower" or "" (unknown: no best is marked) for a metric's name."""
    if _HIGHER.search(metric) and not _LOWER.search(metric):
        return "higher"
    if _LOWER.search(metric) and not _HIGHER.search(metric):
        return "lower"
    return ""


def _norm(text: str) -> str:
    """A name as a grouping key: case, punctuation and plurals aside."""
    return " ".join(_STEM.sub("", re.sub(r"[^a-z0-9%]+", " ", text.casefold())).split())


@dataclass
class Group:
    """The rows that report one metric on one dataset, in one unit."""

    dataset: str
    metric: str
    unit: str
    direction: str
    relative: bool = False  # changes against other methods, not levels
    rows: list[ResultRow] = field(default_factory=list)

    @property
    def label(self) -> str:
        """"box AP (%) on COCO", "AbsRel (%, change vs. others) on KITTI"."""
        unit = ", ".join(u for u in (self.unit, "change vs. others" if self.relative else "")
                         if u)
        return (f"{self.metric or UNNAMED}{f' ({unit})' if unit else ''} on "
                f"{self.dataset or 'unspecified data'}")

    @property
    def best(self) -> ResultRow | None:
        """The best row where the metric says which way is better and rows disagree."""
        if not self.direction or len({r.value for r in self.rows}) < 2:
            return None
        pick = max if self.direction == "higher" else min
        top = pick(r.value for r in self.rows)
        tied = [r for r in self.rows if r.value == top]
        return tied[0] if len(tied) == 1 else None  # a tie at the top: no one best

    def to_dict(self) -> dict:
        best = self.best
        return {"dataset": self.dataset, "metric": self.metric, "unit": self.unit,
                "direction": self.direction, "relative": self.relative,
                "rows": [{**r.to_dict(), "best": r is best} for r in self.rows]}


@dataclass
class Conflict:
    """Two papers that disagree: both claim the best, or report different values for
    the same method and setting."""

    kind: str  # "both claim the best" | "different values"
    dataset: str
    metric: str
    rows: list[ResultRow]

    def to_dict(self) -> dict:
        return {"kind": self.kind, "dataset": self.dataset, "metric": self.metric,
                "rows": [r.to_dict() for r in self.rows]}


@dataclass
class ResultsTable:
    """What ``compare`` shows: the groups, the conflicts, and what was left out."""

    topic: str
    groups: list[Group] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    papers: list[PaperResults] = field(default_factory=list)
    filtered_out: int = 0  # rows --dataset/--metric left out

    @property
    def rows(self) -> list[ResultRow]:
        return [r for g in self.groups for r in g.rows]

    @property
    def dropped(self) -> dict[str, int]:
        """Rows and names the verification dropped, by reason, over all papers."""
        total: dict[str, int] = {}
        for p in self.papers:
            for reason, n in p.dropped.items():
                total[reason] = total.get(reason, 0) + n
        return total

    @property
    def without_results(self) -> list[PaperResults]:
        return [p for p in self.papers if not p.rows]

    def to_dict(self) -> dict:
        return {"topic": self.topic, "groups": [g.to_dict() for g in self.groups],
                "conflicts": [c.to_dict() for c in self.conflicts],
                "papers": [{"id": p.paper_id, "title": p.title, "rows": len(p.rows),
                            "task": p.task, "cached": p.cached} for p in self.papers],
                "dropped": self.dropped, "filtered_out": self.filtered_out}


def _matches(wanted: str | None, *texts: str) -> bool:
    return not wanted or any(squash(wanted) in squash(t) for t in texts)


def build_table(topic: str, papers: list[PaperResults], dataset: str | None = None,
                metric: str | None = None) -> ResultsTable:
    """Group, sort and mark the papers' rows (``dataset``/``metric`` keep only rows that
    name them, in the row or its sentence)."""
    table = ResultsTable(topic, papers=papers)
    groups: dict[tuple[str, str, str, bool], Group] = {}
    for paper in papers:
        for row in paper.rows:
            if not (_matches(dataset, row.dataset, row.sentence)
                    and _matches(metric, row.metric)):
                table.filtered_out += 1
                continue
            key = (_norm(row.dataset), _norm(row.metric), row.unit, row.relative)
            # a bigger improvement or speed-up is the better one, whatever the metric
            way = "higher" if row.relative else direction(row.metric)
            group = groups.setdefault(key, Group(row.dataset, row.metric, row.unit, way,
                                                 row.relative))
            group.rows.append(row)
    for group in groups.values():
        group.rows.sort(key=lambda r: r.value, reverse=group.direction != "lower")
    table.groups = sorted(groups.values(), key=lambda g: (-len({r.paper_id for r in g.rows}),
                                                          -len(g.rows), _norm(g.metric)))
    table.conflicts = find_conflicts(table.groups)
    return table


def find_conflicts(groups: list[Group]) -> list[Conflict]:
    """Where papers disagree within a group: two papers' own rows whose sentences claim
    the best; or one method (by name) and setting given different values by two papers
    (not among rows without a named metric)."""
    conflicts = []
    for g in groups:
        if not g.metric:  # shares of unnamed metrics need not measure the same thing
            continue
        claims = {}
        for row in g.rows:
            if row.own and _BEST_CLAIM.search(row.sentence):
                claims.setdefault(row.paper_id, row)
        if len(claims) >= 2:
            conflicts.append(Conflict("both claim the best", g.dataset, g.metric,
                                      list(claims.values())))
        by_method: dict[tuple[str, str], list[ResultRow]] = {}
        for row in g.rows:
            if row.method:
                by_method.setdefault((squash(row.method), _norm(row.condition)), []).append(row)
        for rows in by_method.values():
            papers = {r.paper_id for r in rows}
            if len(papers) >= 2 and len({r.value for r in rows}) >= 2:
                conflicts.append(Conflict("different values", g.dataset, g.metric, rows))
    return conflicts


# --- output files ------------------------------------------------------------------------

COLUMNS = ["dataset", "metric", "value", "value_text", "unit", "qualifier", "best",
           "paper_id", "title", "task", "method", "own", "condition", "sentence"]


def table_csv(table: ResultsTable) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for g in table.groups:
        for row in g.to_dict()["rows"]:
            writer.writerow({**row, "dataset": g.dataset or row["dataset"]})
    return buffer.getvalue()


def _md(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def table_markdown(table: ResultsTable) -> str:
    lines = [f"# Reported results: {table.topic}", ""]
    for g in table.groups:
        lines += [f"## {g.label}", "",
                  "| | paper | by | value | condition | sentence |", "|---|---|---|---|---|---|"]
        best = g.best
        for r in g.rows:
            lines.append(f"| {'★' if r is best else ''} | {_md(r.title)} | "
                         f"{_md(r.method or 'own') if r.own else _md(r.method or 'other')}"
                         f"{'' if r.own else ' (baseline)'} | {_md(r.value_text)} | "
                         f"{_md(r.condition)} | {_md(r.sentence)} |")
        lines.append("")
    if table.conflicts:
        lines += ["## Disagreements", ""]
        for c in table.conflicts:
            lines.append(f"- {c.kind}: {c.metric or UNNAMED} on "
                         f"{c.dataset or 'unspecified data'}")
            lines += [f"  - {r.title}: “{r.sentence}”" for r in c.rows]
        lines.append("")
    return "\n".join(lines)
