"""Yes/no/maybe verdicts from the model's own label probabilities.

A small model asked "yes, no or maybe?" writes "yes" far too often: its first-token
probabilities carry more information than its greedy choice. The verdict is the label with
the highest *calibrated* probability: per-label biases added to the log-probabilities,
fitted per model on the PubMedQA dev split (``assistant bench verdicts --split dev``,
cross-validated by :mod:`assistant.bench.calibration`) and stored with the model in
``models/catalog.json``. A model with no calibration gets the raw probabilities, with
"maybe" whenever no label reaches ``UNSURE_BELOW``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

LABELS = ("yes", "no", "maybe")
UNSURE_BELOW = 0.5
_AUX = (r"is|are|was|were|do|does|did|can|could|should|will|would|has|have|had|may|might|"
        r"must|shall|isn't|aren't|doesn't|don't|didn't|can't|won't")
_YES_NO_RE = re.compile(rf"^(?:[^?]{{0,120}}?[,:;]\s+)?(?:{_AUX})\b", re.IGNORECASE)
_WH_RE = re.compile(r"^\s*(?:what|which|who|whom|whose|when|where|why|how|list|name|"
                    r"compare|summari[sz]e|describe|explain|give)\b", re.IGNORECASE)


# a question about what the collection holds ("Are there papers on …?", "Is there a
# study that …?"), not about what a paper found ("Is there a model size beyond which …?")
_EXISTENCE_RE = re.compile(
    r"^\s*(?:[^?]{0,60}?[,:;]\s+)?(?:are|is) there (?:any |also |here )?(?:an? |other )?"
    r"(?:papers?|stud(?:y|ies)|works?|articles?|publications?)\b", re.IGNORECASE)


def asks_existence(question: str) -> bool:
    """Whether a yes/no question asks if the collection holds such papers: its "no" is
    about the papers found as a whole, and no one paper's finding explains it."""
    return bool(_EXISTENCE_RE.match(question))


def none_such(question: str, verdict: Verdict | None) -> bool:
    """Whether ``verdict`` says the collection holds no papers such as ``question`` asks
    about ("Are there papers on …?" — no)."""
    return verdict is not None and verdict.label == "no" and asks_existence(question)


def is_yes_no(question: str) -> bool:
    """Whether the question asks for yes or no ("Does X improve Y?", "In adults, is …?")."""
    text = question.strip()
    return bool(text) and not _WH_RE.match(text) and bool(_YES_NO_RE.match(text))


@dataclass
class Verdict:
    label: str
    probability: float              # the chosen label's calibrated probability
    probs: dict[str, float]         # calibrated, over the three labels
    raw: dict[str, float]           # the model's first-token probabilities
    calibrated: bool

    def to_dict(self) -> dict:
        return {"label": self.label, "probability": round(self.probability, 3),
                "probs": {k: round(v, 4) for k, v in self.probs.items()},
                "raw": {k: round(v, 6) for k, v in self.raw.items()},
                "calibrated": self.calibrated}


def _scores(raw: dict[str, float], bias: dict[str, float]) -> dict[str, float]:
    return {label: math.log(raw.get(label, 0.0) + 1e-9) + bias.get(label, 0.0)
            for label in LABELS}


def decide(raw: dict[str, float], calibration: dict | None = None) -> Verdict:
    """The verdict for raw label probabilities, under a model's calibration (if any)."""
    bias = (calibration or {}).get("bias", {})
    scores = _scores(raw, bias)
    top = max(scores.values())
    exp = {label: math.exp(s - top) for label, s in scores.items()}
    total = sum(exp.values())
    probs = {label: v / total for label, v in exp.items()}
    label = max(probs, key=probs.get)
    if calibration is None and probs[label] < UNSURE_BELOW:
        label = "maybe"
    return Verdict(label, probs[label], probs, dict(raw), calibration is not None)
