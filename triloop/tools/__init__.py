"""Tools agents call: sandboxed code execution and memory retrieval."""
