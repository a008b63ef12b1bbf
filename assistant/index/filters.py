"""Which papers a search may return: years, source file, title words, a set of ids. A
value object: the store decides which papers it keeps (:meth:`Store.allowed_ids`)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from assistant.sources import normalize_title


@dataclass
class Filters:
    """Optional restrictions on which papers may be retrieved."""

    year_min: int | None = None
    year_max: int | None = None
    source: str | None = None
    title: str | None = None
    paper_ids: set[str] | None = None

    @property
    def active(self) -> bool:
        return any(v is not None for v in (self.year_min, self.year_max, self.source,
                                           self.title, self.paper_ids))

    @property
    def key(self) -> tuple:
        """What identifies this filter's set of papers (a cache key)."""
        return (self.year_min, self.year_max, self.source, self.title,
                frozenset(self.paper_ids) if self.paper_ids is not None else None)

    @property
    def reads_text(self) -> bool:
        """Whether :meth:`keeps` needs a paper's source and title (not only its id)."""
        return bool(self.title or self.source)

    @cached_property
    def _title(self) -> str | None:
        return normalize_title(self.title) if self.title else None

    def keeps(self, paper_id: str, source: str | None, title: str | None) -> bool:
        """Whether a paper within the years (the store's query) passes the rest."""
        if self.paper_ids is not None and paper_id not in self.paper_ids:
            return False
        if self.source and self.source.lower() not in (source or "").lower():
            return False
        return not (self._title and self._title not in normalize_title(title or ""))
