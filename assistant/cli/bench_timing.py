"""`assistant bench latency` and `bench oneshot`: where an answer's time goes, for settings
tried side by side (``--try``), in one process or as one-shot commands; the work is in
:mod:`assistant.bench.latency` and :mod:`assistant.bench.oneshot`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from assistant.cli.bench import PubmedDir, _pubmedqa_dir, _run, bench_app
from assistant.cli.common import (
    DataDir,
    JsonOpt,
    ModelOpt,
    UserError,
    _print_json,
    _settings,
    err,
    out,
)


def _setting_value(text: str) -> bool | int | float | str:
    """A --try value as the setting's type would read it: true/false, a number, or text
    (the settings object checks it)."""
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def _parse_try(text: str) -> dict:
    """``context_budget=250,evidence_min_share=40`` → the settings changes to time."""
    changes = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, sep, value = part.partition("=")
        if not sep:
            raise UserError(f"--try takes setting=value pairs separated by commas (got "
                            f"'{part}')")
        changes[key.strip()] = _setting_value(value.strip())
    _settings(**changes)  # an unknown setting or a bad value: one line now, not after an hour
    return changes


@bench_app.command("latency")
def bench_latency(
    tries: Annotated[list[str] | None, typer.Option("--try", help="Other settings to time "
                     "beside 'before' and 'current', e.g. context_budget=250,"
                     "yes_no_budget=150 or claim_entailment=false (repeat for more).")] = None,
    no_before: Annotated[bool, typer.Option("--no-before", help="Leave out the settings "
                         "before issue #17 (no ratios to them).")] = False,
    sample_limit: Annotated[int | None, typer.Option("--sample-limit", help="Only the first "
                            "N sample questions (0: none).")] = None,
    pubmedqa_limit: Annotated[int, typer.Option("--pubmedqa-limit", help="PubMedQA dev "
                              "questions (0: none).")] = 100,
    pubmedqa: PubmedDir = None, model: ModelOpt = None, data_dir: DataDir = None,
    json_out: JsonOpt = False,
) -> None:
    """Where an answer's time goes (retrieval, prompt read, first token, decoding, check),
    first questions and follow-ups, for the evidence settings before and now, in one run."""
    from assistant.bench.latency import latency
    from assistant.settings import PACKAGE_DIR

    changes = [_parse_try(t) for t in tries or []]
    settings = _settings(data_dir=data_dir, model=model)
    folder = _pubmedqa_dir(pubmedqa) if pubmedqa_limit else Path()
    results, path = _run("latency", lambda progress: latency(
        settings, PACKAGE_DIR / "data" / "papers-page.txt", folder, changes, model,
        sample_limit, pubmedqa_limit, progress, before=not no_before), settings, model)
    if json_out:
        _print_json(results)
    else:
        _latency_tables(results)
    err.print(f"saved {path}", style="dim")


def _latency_tables(results: dict) -> None:
    from rich.table import Table

    for part in ("sample", "pubmedqa_dev"):
        if part not in results:
            continue
        table = Table("settings", "read tokens", "first token (one-shot)", "total (one-shot)",
                      "check", "ratio first/total", "follow-up first token", "cites gold",
                      "supported citation", "verdict acc.", "out of scope declined",
                      box=None, title=part)
        for name, entry in results[part].items():
            first, q = entry["first"], entry["quality"]
            ratio = entry.get("ratios_to_before", {})
            follow = entry.get("follow_up")
            table.add_row(
                name, f"{first['read_tokens']:.0f}",
                f"{first['first_token_s']:.1f} s ({first['one_shot_first_token_s']:.1f} s)",
                f"{first['total_s']:.1f} s ({first['one_shot_total_s']:.1f} s)",
                f"{first['check_s']:.1f} s",
                f"{ratio['one_shot_first_token_s']:.2f} / {ratio['one_shot_total_s']:.2f}"
                if ratio else "–",
                f"{follow['first_token_s']:.1f} s "
                f"(×{entry['follow_up_first_token_vs_first']:.2f})" if follow else "–",
                f"{q['cites_gold']:.3f}", f"{q['with_supported_citation']:.3f}",
                f"{q['verdict_accuracy']:.3f}" if "verdict_accuracy" in q else "–",
                f"{q['out_of_scope_declined']:.2f}" if "out_of_scope_declined" in q else "–")
        out.print(table)


@bench_app.command("oneshot")
def bench_oneshot(
    tries: Annotated[list[str] | None, typer.Option("--try", help="Settings to time beside "
                     "the current ones, e.g. llm_preload=false (repeat for more).")] = None,
    limit: Annotated[int, typer.Option("--limit", help="The first N sample questions.")] = 12,
    model: ModelOpt = None, data_dir: DataDir = None, json_out: JsonOpt = False,
) -> None:
    """`assistant ask` as run from the shell, a new process per question: first token
    from launch and total, for the current settings and each tried change."""
    from rich.table import Table

    from assistant.bench.oneshot import one_shot
    from assistant.settings import PACKAGE_DIR

    changes = [_parse_try(t) for t in tries or []]
    settings = _settings(data_dir=data_dir, model=model)
    results, path = _run("oneshot", lambda progress: one_shot(
        settings, PACKAGE_DIR / "data" / "papers-page.txt", changes, limit, model,
        progress), settings, model)
    if json_out:
        _print_json(results)
    else:
        table = Table("settings", "answered", "first token from launch", "wall",
                      "model load", "check", "ratio first token / wall / check",
                      "out of scope: wall", "cites gold", box=None,
                      title=f"one-shot ask, {results['questions']} questions (medians)")
        for name, e in results["results"].items():
            r = e["ratios"]
            table.add_row(name, str(e["answered"]), f"{e['first_token_from_launch_s']:.1f} s",
                          f"{e['wall_s']:.1f} s", f"{e['model_load_s']:.1f} s",
                          f"{e['check_s']:.1f} s",
                          f"{r['first_token_from_launch_s']:.2f} / {r['wall_s']:.2f} / "
                          f"{r['check_s']:.2f}",
                          f"{e['out_of_scope_wall_s']:.1f} s"
                          if e["out_of_scope_wall_s"] is not None else "–",
                          f"{e['cites_gold']:.3f}")
        out.print(table)
    err.print(f"saved {path}", style="dim")
