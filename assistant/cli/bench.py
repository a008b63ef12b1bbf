"""`assistant bench …`: retrieval, attribution, verdict calibration, answers and speed on
real data (PubMedQA PQA-L and the bundled sample); the work is in :mod:`assistant.bench`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from assistant.cli.common import (
    DataDir,
    JsonOpt,
    ModelOpt,
    UserError,
    _pipeline,
    _print_json,
    _print_results,
    _settings,
    err,
    out,
)

bench_app = typer.Typer(help="Measure retrieval, attribution, answer quality and speed on "
                        "real data.", no_args_is_help=True)

PubmedDir = Annotated[Path | None, typer.Option("--pubmedqa", help="PubMedQA folder "
                      "(default: ../shared/bench/pubmedqa).")]
Limit = Annotated[int | None, typer.Option("--limit", help="Only the first N questions.")]
Split = Annotated[str, typer.Option("--split", help="test (report) or dev (tune).")]


def _bench_progress(label: str):
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return Progress(f"[progress.description]{label}", BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), TimeRemainingColumn(), console=err, transient=True)


def _pubmedqa_dir(path: Path | None) -> Path:

    from assistant.bench.pubmedqa import default_pubmedqa_dir

    folder = path or default_pubmedqa_dir()
    if not (folder / "ori_pqal.json").exists():
        raise UserError(f"PubMedQA not found in {folder}; pass --pubmedqa DIR")
    return folder


def _run(kind: str, work, settings, model: str | None = None) -> tuple[dict, Path]:
    """Run one PubMedQA benchmark under a progress bar and save its results file."""
    from assistant.bench.common import save


    with _bench_progress(kind) as bar:
        task = bar.add_task("", total=None)
        results = work(lambda d, t: bar.update(task, completed=d, total=t))
    return results, save(kind, results, settings, model)


def _report(results: dict, path: Path, json_out: bool) -> None:
    _print_json(results) if json_out else _print_results(results)
    err.print(f"saved {path}", style="dim")


@bench_app.command("retrieval")
def bench_retrieval(pubmedqa: PubmedDir = None, limit: Limit = None, split: Split = "test",
                    data_dir: DataDir = None, json_out: JsonOpt = False) -> None:
    """Recall@1, Recall@5, MRR@10 for BM25, dense and hybrid on PubMedQA."""
    from assistant.bench import pubmedqa as bench

    settings = _settings(data_dir=data_dir)
    folder = _pubmedqa_dir(pubmedqa)
    results, path = _run("retrieval", lambda progress: bench.retrieval(
        settings, folder, split, limit, progress), settings)
    if json_out:
        _print_json(results)
        return
    from rich.table import Table

    table = Table("mode", "Recall@1", "Recall@5", "MRR@10", box=None,
                  title=f"PubMedQA {split}, {results['hybrid']['questions']} questions")
    for mode, row in results.items():
        table.add_row(mode, f"{row['recall@1']:.3f}", f"{row['recall@5']:.3f}",
                      f"{row['mrr@10']:.3f}")
    out.print(table)
    err.print(f"saved {path}", style="dim")


@bench_app.command("answers")
def bench_answers(pubmedqa: PubmedDir = None, limit: Limit = None, split: Split = "test",
                  model: ModelOpt = None, data_dir: DataDir = None,
                  json_out: JsonOpt = False) -> None:
    """PubMedQA end to end: calibrated verdict accuracy and macro-F1 (and its ceiling with
    the gold abstract), supported citations, claims, abstentions (resumable)."""
    from assistant.bench import pubmedqa as bench

    settings = _settings(data_dir=data_dir, model=model)
    folder = _pubmedqa_dir(pubmedqa)
    _pipeline(data_dir=data_dir, model=model).check_model(model)
    results, path = _run("answers", lambda progress: bench.answers(
        settings, folder, limit, split, model, progress), settings, model)
    _report(results, path, json_out)


@bench_app.command("verdicts")
def bench_verdicts(pubmedqa: PubmedDir = None, limit: Limit = None, split: Split = "dev",
                   model: ModelOpt = None, data_dir: DataDir = None,
                   write: Annotated[bool, typer.Option("--write", help="Store the fitted "
                                    "calibration with the model in models/catalog.json.")
                                    ] = False,
                   json_out: JsonOpt = False) -> None:
    """Fit the yes/no verdict calibration on PubMedQA dev (cross-validated); resumable."""
    from assistant.bench import pubmedqa as bench
    from assistant.llm.catalog import store_verdict_calibration

    if split != "dev":
        raise UserError("calibrate on the dev split only (--split dev); test is for reporting")
    settings = _settings(data_dir=data_dir, model=model)
    folder = _pubmedqa_dir(pubmedqa)
    _pipeline(data_dir=data_dir, model=model).check_model(model)
    results, path = _run("verdicts", lambda progress: bench.verdicts(
        settings, folder, split, limit, model, progress), settings, model)
    if write:
        where = store_verdict_calibration(model or settings.model, results["calibration"])
        err.print(f"calibration written to {where}", style="dim")
    _report(results, path, json_out)


@bench_app.command("attribution")
def bench_attribution(pubmedqa: PubmedDir = None, limit: Limit = None, split: Split = "test",
                      data_dir: DataDir = None, json_out: JsonOpt = False) -> None:
    """The claim checker on PubMedQA conclusions: attributed to their own abstract among the
    retrieved ones (recall), called unsupported without it (false support)."""
    from assistant.bench import pubmedqa as bench

    settings = _settings(data_dir=data_dir)
    folder = _pubmedqa_dir(pubmedqa)
    results, path = _run("attribution", lambda progress: bench.attribution(
        settings, folder, split, limit, progress), settings)
    _report(results, path, json_out)


@bench_app.command("claims")
def bench_claims(
    entail: Annotated[bool, typer.Option("--entail/--no-entail", help="Let the chat model "
                      "read the claims that pass, as ask does (sweeps its threshold).")
                      ] = True,
    labelled: Annotated[Path | None, typer.Option("--labelled", help="Folder with "
                        "answers.jsonl and labels.json.")] = None,
    pubmedqa: PubmedDir = None, model: ModelOpt = None, data_dir: DataDir = None,
    json_out: JsonOpt = False,
) -> None:
    """The claim check on claim–paper pairs from real answers, labelled by hand
    (bench/claims): precision and recall of "supported"."""
    from assistant.bench import claims as bench
    from assistant.bench.perturb import sample_papers
    from assistant.bench.pubmedqa import bench_pipeline
    from assistant.settings import PACKAGE_DIR, REPO_DIR

    settings = _settings(data_dir=data_dir, model=model)
    pairs = bench.load_pairs(labelled or REPO_DIR / "bench" / "claims")
    pipelines = {"sample": sample_papers(settings, PACKAGE_DIR / "data" / "papers-page.txt")[0]}
    if any(p["origin"].startswith("pubmedqa") for p in pairs):
        pipelines["pubmedqa"] = bench_pipeline(settings, _pubmedqa_dir(pubmedqa))
    results, path = _run("claims", lambda progress: bench.claims_bench(
        pipelines, pairs, entail, progress), settings, model if entail else None)
    for pipeline in pipelines.values():
        pipeline.close()
    _report(results, path, json_out)


@bench_app.command("relevance")
def bench_relevance(
    labelled: Annotated[Path | None, typer.Option("--labelled", help="Folder with "
                        "labels.json (the answers are bench/claims/answers.jsonl).")] = None,
    data_dir: DataDir = None, json_out: JsonOpt = False,
) -> None:
    """Claims of real answers set apart as not about the question, against labels
    written by reading (bench/relevance): padding found, relevant claims moved."""
    from assistant.bench import relevance as bench
    from assistant.bench.perturb import sample_papers
    from assistant.settings import PACKAGE_DIR, REPO_DIR

    settings = _settings(data_dir=data_dir)
    answers, labels = bench.load_answers(
        REPO_DIR / "bench" / "claims",
        (labelled or REPO_DIR / "bench" / "relevance") / "labels.json")
    pipeline = sample_papers(settings, PACKAGE_DIR / "data" / "papers-page.txt")[0]
    try:
        results, path = _run("relevance", lambda progress: bench.relevance_bench(
            pipeline, answers, labels, progress), settings, None)
    finally:
        pipeline.close()
    _report(results, path, json_out)


@bench_app.command("perturb")
def bench_perturb(
    collection: Annotated[str, typer.Option("--collection", help="sample or pubmedqa.")
                          ] = "sample",
    limit: Limit = None, neighbours: Annotated[int, typer.Option(
        "--neighbours", help="Nearest papers given beside each one.")] = 3,
    pubmedqa: PubmedDir = None, data_dir: DataDir = None, json_out: JsonOpt = False,
    entail: Annotated[bool, typer.Option("--entail/--no-entail", help="Let the chat model "
                      "read the claims that pass, as ask does (sweeps its threshold).")
                      ] = False,
    model: ModelOpt = None,
) -> None:
    """Claims made false on purpose (a neighbour's finding, a swapped method name or
    number, an inserted "not" or "only"): how often the claim check still supports them,
    and how often it supports a paper's own sentences."""
    from assistant.bench import perturb as bench
    from assistant.settings import PACKAGE_DIR

    settings = _settings(data_dir=data_dir, model=model)
    if collection == "sample":
        pipeline, papers = bench.sample_papers(settings, PACKAGE_DIR / "data" /
                                               "papers-page.txt")
    elif collection == "pubmedqa":
        from assistant.bench.pubmedqa import bench_pipeline, load_pubmedqa

        folder = _pubmedqa_dir(pubmedqa)
        pipeline = bench_pipeline(settings, folder)
        _, dev = load_pubmedqa(folder, "dev")  # perturbed: dev papers; neighbours: all
        by_id = {sp.paper.id: sp.paper for sp in pipeline.papers()}
        papers = [by_id[i] for i in dev] + [p for i, p in by_id.items() if i not in set(dev)]
        limit = limit or len(dev)
    else:
        raise UserError(f"--collection is sample or pubmedqa (got '{collection}')")
    results, path = _run(f"perturb-{collection}", lambda progress: bench.perturb(
        pipeline, papers, neighbours, limit, progress, entail), settings,
        model if entail else None)
    pipeline.close()
    _report(results, path, json_out)


@bench_app.command("injection")
def bench_injection(pubmedqa: PubmedDir = None,
                    limit: Annotated[int, typer.Option("--limit", help="Questions (each is "
                                     "answered five times).")] = 15,
                    split: Split = "test", model: ModelOpt = None, data_dir: DataDir = None,
                    json_out: JsonOpt = False) -> None:
    """Abstracts that try to steer the model (ignore your instructions, cite [9], a fake
    source list, a fixed word): followed by the model, shown to the user, verdict changed."""

    from assistant.bench.injection import injection

    settings = _settings(data_dir=data_dir, model=model)
    folder = _pubmedqa_dir(pubmedqa)
    _pipeline(data_dir=data_dir, model=model).check_model(model)
    results, path = _run("injection", lambda progress: injection(
        settings, folder, split, limit, model, progress), settings, model)
    _report(results, path, json_out)


@bench_app.command("scale")
def bench_scale(sizes: Annotated[str, typer.Option("--sizes", help="Collection sizes, "
                                 "comma-separated.")] = "1000,10000",
                data_dir: DataDir = None, json_out: JsonOpt = False) -> None:
    """The index as it grows: build, open, add one, remove one, search p50/p95, disk
    (synthetic papers with generated vectors)."""
    from assistant.bench.common import save
    from assistant.bench.scale import scale

    try:
        wanted = [int(x) for x in sizes.split(",") if x.strip()]
    except ValueError as exc:
        raise UserError(f"--sizes takes numbers like 1000,10000 (got '{sizes}')") from exc
    settings = _settings(data_dir=data_dir)
    with _bench_progress("scale") as bar:
        task = bar.add_task("", total=len(wanted))
        results = scale(wanted, lambda d, t: bar.update(task, completed=d, total=t))
    path = save("scale", results, settings)
    if json_out:
        _print_json(results)
    else:
        from rich.table import Table

        table = Table("papers", "build", "open", "add one", "remove one",
                      "search p50/p95 (--since)", "unfiltered", "cold search", "peak RSS",
                      "disk", box=None, title=f"vectors: {results['vectors']}")
        for row in results["sizes"]:
            table.add_row(f"{row['papers']:,}", f"{row['build_s']:.1f} s",
                          f"{row['open_s']:.2f} s", f"{row['add_one_s']:.2f} s",
                          f"{row['remove_one_s']:.2f} s",
                          f"{row['search_p50_s'] * 1000:.0f} / "
                          f"{row['search_p95_s'] * 1000:.0f} ms",
                          f"{row['search_unfiltered_p50_s'] * 1000:.0f} / "
                          f"{row['search_unfiltered_p95_s'] * 1000:.0f} ms",
                          f"{row['cold_search_s']:.2f} s", f"{row['peak_rss_mb']:.0f} MB",
                          f"{row['disk_mb']:.0f} MB")
        out.print(table)
        err.print(results["note"], style="dim")
    err.print(f"saved {path}", style="dim")


@bench_app.command("speed")
def bench_speed(model: ModelOpt = None, data_dir: DataDir = None,
                json_out: JsonOpt = False) -> None:
    """Ingest, ask and cold-start times next to the bare llama.cpp engine."""
    from assistant.bench.common import save
    from assistant.bench.speed import speed
    from assistant.settings import PACKAGE_DIR

    settings = _settings(data_dir=data_dir, model=model)
    err.print("measuring (about a minute)…", style="dim")
    results = speed(settings, PACKAGE_DIR / "data" / "papers-page.txt", model)
    path = save("speed", results, settings, model)
    if json_out:
        _print_json(results)
        return
    for section, rows in results.items():
        out.print(section, style="bold")
        for key, value in rows.items():
            out.print(f"  {key:>26}: {value:.3f}" if isinstance(value, float) else
                      f"  {key:>26}: {value}")
    err.print(f"saved {path}", style="dim")


@bench_app.command("results")
def bench_results(
    sets: Annotated[str, typer.Option("--set", help="sample, pubmedqa, pubmedqa_holdout, "
                                      "pubmedqa_holdout2, pubmedqa_holdout3 or both (sample "
                                      "and pubmedqa).")
                    ] = "both",
    limit: Annotated[int | None, typer.Option("--limit", help="Only the first N abstracts "
                     "of each set.")] = None,
    summaries: Annotated[int, typer.Option("--summaries", help="Papers to time "
                         "`summarize` on, for the ratio (0: none).")] = 8,
    pubmedqa: PubmedDir = None, model: ModelOpt = None, data_dir: DataDir = None,
    json_out: JsonOpt = False,
) -> None:
    """Results tables against the hand-labelled sets (bench/results/): precision and
    recall of extracted results, verbatim values, seconds per paper."""
    from assistant.bench.results import SETS, results_bench
    from assistant.settings import PACKAGE_DIR

    names = ["sample", "pubmedqa"] if sets == "both" else [sets]
    if any(n not in SETS for n in names):
        raise UserError(f"unknown set '{sets}' (use {', '.join(SETS)} or both)")
    settings = _settings(data_dir=data_dir, model=model)
    folder = _pubmedqa_dir(pubmedqa) if any(n.startswith("pubmedqa") for n in names) \
        else Path()
    results, path = _run("results", lambda progress: results_bench(
        settings, PACKAGE_DIR / "data" / "papers-page.txt", folder, names, limit, summaries,
        progress), settings, model)
    _report(results, path, json_out)
