"""Saved conversations: one JSON file per chat under ``<data_dir>/conversations``."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from assistant.fileio import write_atomic


@dataclass
class SavedTurn:
    question: str
    answer: str
    citations: list[dict] = field(default_factory=list)


@dataclass
class Conversation:
    id: str
    title: str = ""
    turns: list[SavedTurn] = field(default_factory=list)

    @classmethod
    def new(cls) -> Conversation:
        return cls(id=time.strftime("%Y%m%d-%H%M%S") + f"-{time.time_ns() % 1000:03d}")

    def add(self, question: str, answer: str, citations: list[dict]) -> None:
        if not self.title:
            self.title = question[:80]
        self.turns.append(SavedTurn(question, answer, citations))


class ConversationStore:
    def __init__(self, data_dir: Path) -> None:
        self.folder = data_dir / "conversations"

    def save(self, conversation: Conversation) -> Path:
        path = self.folder / f"{conversation.id}.json"
        write_atomic(path, json.dumps(asdict(conversation), ensure_ascii=False, indent=1))
        return path

    def list(self) -> list[Conversation]:
        if not self.folder.exists():
            return []
        items = []
        for path in sorted(self.folder.glob("*.json"), reverse=True):
            try:
                items.append(self.load(path))
            except (json.JSONDecodeError, TypeError, KeyError):
                continue
        return items

    def load(self, path: Path) -> Conversation:
        data = json.loads(path.read_text())
        turns = [SavedTurn(**t) for t in data.get("turns", [])]
        return Conversation(id=data["id"], title=data.get("title", ""), turns=turns)


def answer_markdown(question: str, answer: str, citations: list[dict]) -> str:
    """An answer with its sources, as a self-contained Markdown document."""
    lines = [f"## {question}", "", answer, ""]
    if citations:
        lines += ["### Sources", ""]
        lines += [f"[{c['n']}] {c['title']} ({c['id']})" for c in citations]
    return "\n".join(lines) + "\n"
