"""Words → search terms: lower-cased, stop-worded, stemmed tokens, the same for the
keyword index, queries, evidence selection and the claim check.

bm25s's tokenizer (with PyStemmer's English stemmer) is kept as the one definition: the
keyword index on disk holds its tokens, so any other tokenizer would have to match it
term for term or silently change what existing indexes find.
"""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


def bm25_tokenize(texts: list[str]) -> list[list[str]]:
    """Lower-cased, stop-worded, stemmed tokens: the same for documents and queries."""
    import bm25s

    return bm25s.tokenize(texts, stopwords="en", stemmer=_stemmer(), return_ids=False,
                          show_progress=False)


@lru_cache(maxsize=4096)
def stem(word: str) -> str:
    """One lower-cased word's stem, as the keyword index stems it ("correlated" and
    "correlation" → "correl")."""
    return _stemmer().stemWord(word.casefold())

