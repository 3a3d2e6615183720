"""LangGraph state machines that wire the agents together."""
