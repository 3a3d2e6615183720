"""Chat: a conversation kept as a LangGraph thread; messages that need work run the solve graph."""
