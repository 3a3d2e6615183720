"""``triloop serve``: the web UI and the OpenAI-compatible API on one port."""

from __future__ import annotations

import ipaddress
import os
from contextlib import ExitStack
from typing import Annotated

import typer
from rich.console import Console

from triloop.cli_options import ModelOption, settings_for
from triloop.errors import ConfigError

console = Console(stderr=True)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve_token(host: str, token: str | None) -> str | None:
    """The bearer token to require: ``token`` or ``TRILOOP_API_TOKEN``; a non-loopback address needs one."""
    token = token or os.environ.get("TRILOOP_API_TOKEN") or None
    if not token and not is_loopback(host):
        raise ConfigError(
            f"binding {host} exposes the agents (and their sandbox) to the network: set TRILOOP_API_TOKEN "
            "(or --token) first, or bind 127.0.0.1"
        )
    return token


def serve_command(
    host: Annotated[str, typer.Option(help="address to bind (loopback by default)")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port", min=1, max=65535)] = 8000,
    token: Annotated[
        str | None, typer.Option(help="bearer token clients must send (default: $TRILOOP_API_TOKEN)")
    ] = None,
    tools: Annotated[bool, typer.Option(help="give the agents the sandbox tools")] = True,
    memory: Annotated[bool, typer.Option(help="use the vector memory")] = True,
    model: ModelOption = None,
) -> None:
    """Serve the chat page and the OpenAI-compatible API (/v1/chat/completions, /v1/models)."""
    import uvicorn

    from triloop.chat.service import ChatService
    from triloop.graphs.factory import open_solve_parts
    from triloop.server.app import create_app

    required = serve_token(host, token)
    settings = settings_for(model)
    with ExitStack() as stack:
        parts = open_solve_parts(stack, settings, use_tools=tools, use_memory=memory)
        service = ChatService(parts.llm, parts.graph, parts.runs, settings.solve)
        app = create_app(service, token=required)
        where = f"http://{host}:{port}/"
        console.print(f"triloop serving {where} (API: {where}v1, token {'required' if required else 'off'})")
        uvicorn.run(app, host=host, port=port, log_level="warning")
