"""The model layer: one OpenAI-compatible client with retries, structured output and accounting."""
