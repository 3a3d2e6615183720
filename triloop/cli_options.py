"""Options shared by the CLI's command groups (kept here so the groups need not import each other)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from triloop.config import Settings

ModelOption = Annotated[
    str | None,
    typer.Option("--model", "-m", help="model name: 'local' (default), 'local-small', or a remote model"),
]

RayOption = Annotated[
    str | None,
    typer.Option(
        "--ray",
        help="run each item as a task on Ray: local (a cluster started here), auto (the cluster `ray start`"
        " made on this machine) or an address (ray://HEAD:10001); needs the scale extra",
    ),
]


def settings_for(model: str | None) -> Settings:
    """The settings, with ``--model`` (when given) replacing the shared model name."""
    from triloop.config import load_settings

    return load_settings(llm={"model": model}) if model else load_settings()
