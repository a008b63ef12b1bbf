"""Convert a sentence-transformers BERT model (safetensors + vocab) into a GGUF file that
llama.cpp loads in embedding mode, so one runtime serves both the embedder and the LLM
and no PyTorch is needed.

The details that matter (each one was found the hard way):
- llama.cpp's WordPiece vocab wants a ``▁`` before every word-start token and ``##``
  stripped from continuation pieces, otherwise every word becomes ``[UNK]``;
- ``token_type_count`` must be written or the model fails to load;
- 1-D tensors, norms and position/token-type embeddings stay F32 (F16 there aborts);
- pooling is MEAN, attention is non-causal.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
KEEP_F32_PARTS = ("position_embd", "token_types", "norm")


def _phantom(token: str) -> str:
    if token.startswith("[") and token.endswith("]"):
        return token
    if token.startswith("##"):
        return token[2:]
    return "\u2581" + token


def _vocab(model_dir: Path) -> list[str]:
    return (model_dir / "vocab.txt").read_text(encoding="utf-8").splitlines()


def _pooling_type(model_dir: Path):
    import gguf

    config_path = model_dir / "1_Pooling" / "config.json"
    if not config_path.exists():
        return gguf.PoolingType.MEAN
    config = json.loads(config_path.read_text())
    if config.get("pooling_mode_cls_token"):
        return gguf.PoolingType.CLS
    return gguf.PoolingType.MEAN


def convert_bert_to_gguf(model_dir: Path, out_path: Path, outtype: str = "f16",
                         name: str | None = None) -> Path:
    """Write ``out_path`` (GGUF) from a BERT sentence-transformers folder.

    The output depends only on the weights and ``name`` (not on the folder it was unpacked
    to), so the catalog can pin its sha256 whichever source the weights came from."""
    import gguf
    from safetensors.numpy import load_file

    config = json.loads((model_dir / "config.json").read_text())
    n_layers = int(config["num_hidden_layers"])
    writer = gguf.GGUFWriter(str(out_path), "bert")
    writer.add_name(name or model_dir.name)
    writer.add_context_length(int(config["max_position_embeddings"]))
    writer.add_embedding_length(int(config["hidden_size"]))
    writer.add_feed_forward_length(int(config["intermediate_size"]))
    writer.add_block_count(n_layers)
    writer.add_head_count(int(config["num_attention_heads"]))
    writer.add_layer_norm_eps(float(config.get("layer_norm_eps", 1e-12)))
    writer.add_causal_attention(False)
    writer.add_pooling_type(_pooling_type(model_dir))
    writer.add_file_type(gguf.LlamaFileType.MOSTLY_F16 if outtype == "f16"
                         else gguf.LlamaFileType.ALL_F32)

    tokens = _vocab(model_dir)
    types = [gguf.TokenType.CONTROL if t in SPECIAL_TOKENS else gguf.TokenType.NORMAL
             for t in tokens]
    writer.add_tokenizer_model("bert")
    writer.add_token_list([_phantom(t) for t in tokens])
    writer.add_token_types(types)
    writer.add_token_type_count(int(config.get("type_vocab_size", 2)))
    gguf.SpecialVocab(model_dir, n_vocab=len(tokens)).add_to_gguf(writer)

    name_map = gguf.get_tensor_name_map(gguf.MODEL_ARCH.BERT, n_layers)
    tensors = load_file(str(model_dir / "model.safetensors"))
    for hf_name, data in tensors.items():
        name = hf_name.removeprefix("bert.")
        if name.endswith("position_ids") or name.startswith("pooler."):
            continue
        new_name = name_map.get_name(name, try_suffixes=(".weight", ".bias"))
        if new_name is None:
            raise ValueError(f"cannot map tensor {hf_name}")
        data = data.astype(np.float32)
        keep_f32 = data.ndim == 1 or any(part in new_name for part in KEEP_F32_PARTS)
        if outtype == "f16" and not keep_f32:
            data = data.astype(np.float16)
        writer.add_tensor(new_name, data)

    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return out_path
