"""Vector memory (ChromaDB): tool docs, experiences and reusable toolset functions."""
