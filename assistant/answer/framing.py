"""Sentences that only say papers differ, not how.

"MAMo and FutureDepth differ in their approach to video depth estimation.", "CBNet and
MobileMamba differ in what they are built for." (the question's own words again), "Both
MAMo and FutureDepth use video frames for depth, but they do so in different ways.": each
frames a comparison and states nothing a paper could support, so it was shown
"[unsupported]" above or below the sentences that do compare. Such a sentence is dropped
like a meta sentence; one that says how ("… as MAMo uses memory", "…: MAMo uses memory
while …") or in what measured way ("… differ in their accuracy on KITTI") is a claim.
"""

from __future__ import annotations

import re

# what comes after the framing must not say how: no connective, no list
_NO_HOW = r"(?:(?!\b(?:as|because|since|while|whereas|where|which|versus|vs|than|by)\b)[^,;:])*$"
_DIFFER_RE = re.compile(r"^[^,;:]*?\b(?:differ|differs|vary|varies)\s+(?:\w+ly\s+)?in\s+"
                        r"(?:(?:their|the)\s+(?:\w+\s+)?(?:approach|approaches|methods?|"
                        r"methodology|methodologies|strateg(?:y|ies)|focus)\b"
                        r"|(?:what|how|which|the\s+ways?)\b)" + _NO_HOW, re.IGNORECASE)
# "…, but they do so in different ways."
_DIFFERENT_WAYS_RE = re.compile(r"^(?:both\b|the two\b|these two\b)?[^,;:]*?,?\s*\b(?:but|yet|"
                                r"although|though)\s+(?:they|the two|each|both)\b[^,;:]*?\b"
                                r"(?:different|distinct|their own)\s+ways?\W*$", re.IGNORECASE)


def frames_a_difference(body: str) -> bool:
    """Whether ``body`` (a sentence, its opening connective off) only says that papers
    differ."""
    return bool(_DIFFER_RE.match(body) or _DIFFERENT_WAYS_RE.match(body))
