"""Sentences that frame the answer and state nothing a paper could support.

Those that only say papers differ, not how:
"MAMo and FutureDepth differ in their approach to video depth estimation.", "CBNet and
MobileMamba differ in what they are built for." (the question's own words again), "Both
MAMo and FutureDepth use video frames for depth, but they do so in different ways.": each
frames a comparison and states nothing a paper could support, so it was shown
"[unsupported]" above or below the sentences that do compare. Such a sentence is dropped
like a meta sentence; one that says how ("… as MAMo uses memory", "…: MAMo uses memory
while …") or in what measured way ("… differ in their accuracy on KITTI") is a claim.
And those that say what the sources offer: "The sources provide details about PoP-Net's
approach to handling truncated bodies and its evaluation on the MP-3DHP dataset." closed
an answer, shown "[unsupported]"; it speaks of the sources, not of the research.
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


# "The sources provide details about …", "These abstracts offer insights into …"
_SOURCES_OFFER_RE = re.compile(r"^\W*(?:(?:overall|in summary|in conclusion|together),\s*)?"
                               r"(?:the|these|both|all)\s+(?:(?:provided|given|retrieved|"
                               r"two|three|cited)\s+)?(?:sources|abstracts|documents|context)"
                               r"\s+(?:also\s+|together\s+)?(?:provide|give|offer|contain|"
                               r"include|present)s?\s+(?:\w+\s+){0,2}?(?:details?|information|"
                               r"insights?|overview|description|summary|discussion|explanation|"
                               r"background)\b", re.IGNORECASE)


def describes_the_sources(body: str) -> bool:
    """Whether ``body`` only says what the sources offer ("The sources provide details
    about …")."""
    return _SOURCES_OFFER_RE.match(body) is not None


def only_frames(body: str) -> bool:
    """Whether ``body`` (a sentence, its opening connective off) only frames the answer:
    says that papers differ, or what the sources offer."""
    return frames_a_difference(body) or describes_the_sources(body)
