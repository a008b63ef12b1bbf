"""The llama.cpp embedder must reproduce all-MiniLM-L6-v2: compared with an independent
NumPy forward pass over the original safetensors weights and the reference tokenizer."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from assistant.index.embedding import Embedder
from assistant.llm.catalog import load_catalog, resolve_model
from assistant.llm.install import source_weights_dir

# the real embedder against a reference forward pass
pytestmark = pytest.mark.slow


def _gelu(x):
    erf = np.vectorize(math.erf)
    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))


def _layer_norm(x, g, b, eps):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * g + b


class ReferenceBert:
    """A plain NumPy BERT encoder + mean pooling + L2 normalisation."""

    def __init__(self, folder):
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        self.w = {k.removeprefix("bert."): v.astype(np.float64)
                  for k, v in load_file(str(folder / "model.safetensors")).items()}
        self.config = json.loads((folder / "config.json").read_text())
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.no_truncation()

    def tokens(self, text, max_tokens=256):
        ids = self.tokenizer.encode(text).ids
        return ids if len(ids) <= max_tokens else ids[: max_tokens - 1] + [ids[-1]]

    def __call__(self, text):
        w, c = self.w, self.config
        ids = np.array(self.tokens(text))
        n, heads = len(ids), c["num_attention_heads"]
        d = c["hidden_size"] // heads
        eps = c["layer_norm_eps"]
        x = (w["embeddings.word_embeddings.weight"][ids]
             + w["embeddings.position_embeddings.weight"][:n]
             + w["embeddings.token_type_embeddings.weight"][0])
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], eps)
        for layer in range(c["num_hidden_layers"]):
            p = f"encoder.layer.{layer}."

            def lin(h, name, p=p):
                return h @ w[p + name + ".weight"].T + w[p + name + ".bias"]

            q, k, v = (lin(x, f"attention.self.{m}").reshape(n, heads, d).transpose(1, 0, 2)
                       for m in ("query", "key", "value"))
            a = q @ k.transpose(0, 2, 1) / math.sqrt(d)
            a = np.exp(a - a.max(-1, keepdims=True))
            a /= a.sum(-1, keepdims=True)
            o = lin((a @ v).transpose(1, 0, 2).reshape(n, -1), "attention.output.dense")
            x = _layer_norm(x + o, w[p + "attention.output.LayerNorm.weight"],
                            w[p + "attention.output.LayerNorm.bias"], eps)
            h = lin(_gelu(lin(x, "intermediate.dense")), "output.dense")
            x = _layer_norm(x + h, w[p + "output.LayerNorm.weight"],
                            w[p + "output.LayerNorm.bias"], eps)
        e = x.mean(0)
        return e / np.linalg.norm(e)


@pytest.fixture(scope="module")
def embedder(base_settings):
    e = Embedder(resolve_model(base_settings.embedder, base_settings.models_dir), threads=2)
    yield e
    e.close()


@pytest.fixture(scope="module")
def reference(base_settings):
    entry = load_catalog()[base_settings.embedder]
    return ReferenceBert(source_weights_dir(entry, base_settings.models_dir))


LONG = " ".join(["Monocular depth estimation predicts per-pixel distance from one image, "
                 "and lightweight encoder-decoder networks make it run on embedded GPUs."] * 12)


@pytest.mark.parametrize("text", [
    "A cat sits on the mat.",
    "FastDepth runs at 178 fps on an NVIDIA Jetson TX2 GPU.",
    "Graph neural networks for link prediction: neural common neighbours with completion.",
    LONG,  # > 256 tokens: truncated to 255 tokens + [SEP], like sentence-transformers
])
def test_vectors_match_reference_forward_pass(embedder, reference, text):
    assert embedder.tokenize(text) == reference.tokens(text)
    ours = embedder.embed_one(text)
    ref = reference(text)
    assert ours.shape == (384,)
    assert abs(float(np.linalg.norm(ours)) - 1.0) < 1e-4
    assert float(ours @ ref) > 0.999


def test_long_text_keeps_its_final_sep(embedder):
    tokens = embedder.tokenize(LONG)
    assert len(tokens) == 256 and tokens[0] == 101 and tokens[-1] == 102


def test_related_sentences_are_closer_than_unrelated(embedder):
    a, b, c = embedder.embed(["fast depth estimation on a Jetson",
                              "real-time monocular depth prediction on embedded hardware",
                              "a recipe for chocolate cake"])
    assert float(a @ b) > float(a @ c) + 0.2
