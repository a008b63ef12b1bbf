"""Local sentence embeddings through llama.cpp (embedding mode) from a GGUF model.

``Llama.embed()`` is not used: it truncates at ``n_batch`` and then loses the final
``[SEP]``, which shifts the vectors of long texts. Instead each text is tokenized, cut to
``max_tokens - 1`` tokens plus ``[SEP]``, and decoded alone (one text per decode is the
fastest on CPU for this model size), then L2-normalised.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np

from assistant.llm.local import load_llama


class Embedder:
    """A loaded GGUF sentence-embedding model."""

    def __init__(self, model_path: Path, threads: int, max_tokens: int = 256) -> None:
        self.model_path = Path(model_path)
        self.max_tokens = max_tokens
        self._llm = load_llama(model_path, embedding=True, n_ctx=max_tokens,
                               n_batch=max_tokens, n_ubatch=max_tokens, n_threads=threads,
                               n_threads_batch=threads, flash_attn=True)
        self.dim = self._llm.n_embd()
        from llama_cpp import llama_cpp as C

        sep = C.llama_vocab_sep(self._llm._model.vocab)  # noqa: SLF001 - BERT's [SEP] id
        self._sep = sep if sep >= 0 else None

    @property
    def engine(self):
        """The llama.cpp model itself (``bench speed`` times its own ``embed`` as the
        bare-engine baseline)."""
        return self._llm

    def tokenize(self, text: str) -> list[int]:
        """Token ids with [CLS] … [SEP], cut to the model's trained length."""
        tokens = self._llm.tokenize(text.encode("utf-8"), add_bos=True, special=False)
        if len(tokens) > self.max_tokens:
            tokens = tokens[: self.max_tokens - 1]
            if self._sep is not None:
                tokens.append(self._sep)
        return tokens

    def count_tokens(self, text: str) -> int:
        return len(self._llm.tokenize(text.encode("utf-8"), add_bos=True, special=False))

    def _embed_tokens(self, tokens: list[int]) -> np.ndarray:
        from llama_cpp import llama_cpp as C

        llm = self._llm
        llm._batch.reset()  # noqa: SLF001 - the low-level path is the point here
        llm._batch.add_sequence(tokens, 0, True)  # noqa: SLF001
        llm._ctx.kv_cache_clear()  # noqa: SLF001
        llm._ctx.decode(llm._batch)  # noqa: SLF001
        pointer = C.llama_get_embeddings_seq(llm._ctx.ctx, 0)  # noqa: SLF001
        vector = np.ctypeslib.as_array(pointer, shape=(self.dim,)).astype(np.float32)
        norm = float(np.linalg.norm(vector))
        return vector / norm if norm > 0 else vector

    def embed(self, texts: Iterable[str]) -> np.ndarray:
        """Embed each text; returns an (n, dim) float32 array of unit vectors."""
        rows = [self._embed_tokens(self.tokenize(t)) for t in texts]
        if not rows:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.vstack(rows)

    def embed_one(self, text: str) -> np.ndarray:
        return self.embed([text])[0]

    def close(self) -> None:
        self._llm.close()
