"""Papers → chunks sized for the embedder.

An abstract that fits in the embedder's window (with its title) stays whole; a longer one
is split at sentence boundaries by langchain's recursive splitter, measured in the
embedder's own tokens. The title is prepended to every chunk's embedded text so a chunk
from the middle of an abstract still knows what paper it belongs to.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from assistant.sources import Paper

TokenCounter = Callable[[str], int]


def approx_tokens(text: str) -> int:
    """A model-free estimate (WordPiece averages ~1.3 tokens per English word)."""
    return int(len(text.split()) * 1.3) + 2


@dataclass
class Chunk:
    id: str
    paper_id: str
    index: int
    text: str
    title: str

    @property
    def embed_text(self) -> str:
        return f"{self.title}\n{self.text}" if self.title else self.text


def chunk_paper(paper: Paper, max_tokens: int = 256,
                count_tokens: TokenCounter = approx_tokens) -> list[Chunk]:
    """Split one paper; chunk ids carry the paper's content hash so edits get new ids."""
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    budget = max(32, max_tokens - count_tokens(paper.title))
    if count_tokens(paper.abstract) <= budget:
        pieces = [paper.abstract]
    else:
        splitter = RecursiveCharacterTextSplitter(
            chunk_size=budget,
            chunk_overlap=min(40, budget // 5),
            length_function=count_tokens,
            separators=["\n\n", "\n", ". ", "; ", ", ", " ", ""],
            keep_separator="end",
        )
        pieces = [p.strip() for p in splitter.split_text(paper.abstract) if p.strip()]
    version = paper.content_hash[:8]
    return [
        Chunk(id=f"{paper.id}#{version}#{i}", paper_id=paper.id, index=i, text=piece,
              title=paper.title)
        for i, piece in enumerate(pieces)
    ]
