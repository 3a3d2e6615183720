"""The web UI and OpenAI-compatible API server (`triloop serve`)."""
