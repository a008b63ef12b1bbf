"""What the claim check decides, as plain data: the sources it reads, how well each one
supports a claim, the decision per claim and the checked answer. Shared by the checker
(:mod:`assistant.answer.attribution`) and the rendering (:mod:`assistant.answer.rendering`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from assistant.answer.evidence import split_sentences


@dataclass
class SourceText:
    """What the checker reads of one given source: its number and its full text."""

    n: int
    title: str
    text: str

    @property
    def units(self) -> list[str]:
        return [self.title, *split_sentences(self.text)] if self.title else \
            split_sentences(self.text)


@dataclass
class Support:
    """How well one source supports one claim."""

    n: int
    score: float
    sentence: str
    dense: float = 0.0
    lexical: float = 0.0
    invented_numbers: list[str] = field(default_factory=list)
    missing_names: list[str] = field(default_factory=list)
    # numbers and names the paper states, but not in the sentences the claim rests on
    unbound: list[str] = field(default_factory=list)
    # "negation", "restriction", "cause": the claim turns on a word the paper never uses
    unstated: list[str] = field(default_factory=list)
    title: str = ""
    # the claim gives the paper what its opening sentence says of earlier work
    background: bool = False
    # the sentences the claim rests on (its numbers and names are held to them)
    basis: list[str] = field(default_factory=list)
    # the paper's sentence the claim copies word for word (see :mod:`.quoting`), or ""
    quoted: str = ""

    @property
    def admissible(self) -> bool:
        if self.quoted:
            return True
        return self.states_its_facts and not (self.unbound or self.unstated
                                                 or self.background)

    @property
    def states_its_facts(self) -> bool:
        """Whether the paper states every number and name of the claim (somewhere in its
        title and abstract): a claim about this paper, whatever else keeps it out."""
        return not (self.invented_numbers or self.missing_names)


@dataclass
class Claim:
    """One checked claim, as ``ask --json`` reports it."""

    text: str
    citations: list[int]
    supported: bool
    support: float
    evidence: list[dict]
    model_citations: list[int] = field(default_factory=list)
    reason: str = ""
    # the model's reading of the claim against each paper it read it with (n → label, probs)
    readings: dict[int, dict] = field(default_factory=dict)
    # the paper that says the opposite, and its sentence, when no paper supports the claim
    contradicted_by: dict | None = None
    # False for a supported claim about a paper the question is not about (padding): it
    # is shown apart, under "Other retrieved papers" (see :mod:`.relevance`)
    relevant: bool = True
    # unsupported, though the paper matching it best states every number and name in it:
    # only where they stand, or what the wording adds (a rank, a weight, a turn), or the
    # model's reading kept it out — the claim is about that paper, in words it does not use
    near_miss: bool = False

    def to_dict(self) -> dict:
        return {"text": self.text, "citations": self.citations, "supported": self.supported,
                "support": round(self.support, 3), "evidence": self.evidence,
                "model_citations": self.model_citations, "reason": self.reason,
                "readings": {str(n): r for n, r in self.readings.items()},
                "contradicted_by": self.contradicted_by, "relevant": self.relevant}


@dataclass
class Attribution:
    """The checked answer: claims, the re-rendered text and what changed."""

    text: str
    claims: list[Claim]
    citations: list[int]            # union of the supported claims' citations, in order
    rejected: list[int]             # model citations the check removed, one per claim
    added: list[int]                # citations the check attached, one per claim
    seconds: float = 0.0
    # notes dropped because a paper states what they deny ("The paper does not give the
    # datasets" where it names nuScenes): the model wrote something the papers answer
    refuted_denials: int = 0

    @property
    def supported(self) -> int:
        return sum(c.supported for c in self.claims)

    @property
    def unsupported(self) -> int:
        return sum(not c.supported for c in self.claims)
