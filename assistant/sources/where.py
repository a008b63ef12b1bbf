"""``--where`` filters over paper records, shared by ``ingest`` (take a slice of a large
dump) and ``summarize`` (choose what to summarise)."""

from __future__ import annotations

import re
from collections.abc import Callable

from assistant.errors import UsageError
from assistant.sources import Paper

FIELDS = ("id", "title", "source", "year", "category", "author")
USAGE = "use id=…, title~…, source=…, category=…, category~…, author~…, year>=…, year<=…"


class WhereError(UsageError, ValueError):
    """A --where expression the program cannot read."""


def _values(paper: Paper, key: str) -> list[str]:
    if key == "category":
        return paper.categories
    if key == "author":
        return paper.authors
    return [str(getattr(paper, key))]


def parse_where(expressions: list[str]) -> Callable[[Paper], bool]:
    """``field=value``, ``field~substring``, ``year>=N``/``year<=N``; all must hold.
    ``category`` and ``author`` match any of the paper's categories or authors
    (``category~cs.`` takes every computer-science paper of an arXiv dump)."""
    tests = []
    for expr in expressions:
        match = re.fullmatch(rf"\s*({'|'.join(FIELDS)})\s*(>=|<=|=|~)\s*(.+?)\s*", expr)
        if not match:
            raise WhereError(f"bad --where '{expr}' ({USAGE})")
        key, op, value = match.groups()
        if key == "year":
            if not value.isdigit():
                raise WhereError(f"bad --where '{expr}': year must be a number")
            year = int(value)
            tests.append({"=": lambda p, y=year: p.year == y,
                          ">=": lambda p, y=year: p.year is not None and p.year >= y,
                          "<=": lambda p, y=year: p.year is not None and p.year <= y,
                          "~": lambda p, y=year: p.year == y}[op])
        elif op == "~":
            needle = value.lower()
            tests.append(lambda p, k=key, v=needle: any(v in x.lower() for x in _values(p, k)))
        elif op == "=":
            tests.append(lambda p, k=key, v=value: v in _values(p, k))
        else:
            raise WhereError(f"bad --where '{expr}': {op} only works with year")
    return lambda paper: all(test(paper) for test in tests)
