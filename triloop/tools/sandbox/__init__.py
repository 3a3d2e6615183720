"""Sandboxed code execution backends (docker, bwrap, local) behind one interface."""
