"""The tagger's quality commands: eval (figures and the gate), train (fit the heads), grow."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from flows import exits
from flows.cli.checks import warehouse_if_any
from flows.cli.errors import CommandError
from flows.cli.options import DbOption


def evaluate_tags(
    eval_sets: Annotated[
        list[Path] | None,
        typer.Option(
            "--set", help="a labelled set (repeatable); default: the gate's sets in eval/"
        ),
    ] = None,
    baseline: Annotated[
        Path | None,
        typer.Option(
            "--baseline", help="figures a change may not lower; default for the gate's sets"
        ),
    ] = None,
    mistakes: Annotated[
        bool, typer.Option("--mistakes", help="list every item the tagger got wrong")
    ] = False,
    realdata: Annotated[
        Path | None,
        typer.Option(
            "--realdata",
            help="score labelled real text from this folder (../shared/realdata); reports only",
        ),
    ] = None,
    report_only: Annotated[
        bool, typer.Option("--report-only", help="print the figures; do not fail on targets")
    ] = False,
    write_baseline: Annotated[
        bool, typer.Option("--write-baseline", help="store the current figures as the baseline")
    ] = False,
    labelled: Annotated[
        Path | None,
        typer.Option(
            "--labelled",
            help="score real labelled news from this folder (../shared/labelled); reports only",
        ),
    ] = None,
    split: Annotated[
        str, typer.Option("--split", help="with --labelled: train, dev or test (never tuned on)")
    ] = "test",
) -> None:
    """Score tagging and clustering on labelled sets: P/R/F1 per label and language."""
    from training.eval_sets import EVAL_DIR, GATE_SETS, load_sets
    from transforms.evaluation import evaluate, format_report

    if labelled is not None:
        _report_labelled(labelled, split, mistakes)
        return
    if realdata is not None:
        _report_real_text(realdata, mistakes)
        return
    gate = not eval_sets
    paths = [EVAL_DIR / name for name in GATE_SETS] if gate else eval_sets or []
    if baseline is None and gate:
        baseline = EVAL_DIR / "baseline.json"  # a baseline belongs to the sets it was taken on
    report = evaluate(load_sets(paths))
    typer.echo(f"sets: {', '.join(str(p) for p in paths)}")
    typer.echo(format_report(report, show_mistakes=mistakes))
    if write_baseline:
        target = baseline or EVAL_DIR / "baseline.json"
        target.write_text(json.dumps(report.metrics(), indent=1, sort_keys=True) + "\n", "utf-8")
        typer.echo(f"\nbaseline written to {target}")
        return
    _judge(report.metrics(), baseline, report_only)


def _report_labelled(folder: Path, split: str, mistakes: bool) -> None:
    """Print the tagger's figures on one split of the real labelled news, against the targets."""
    from training.evaluate import evaluate_split, target_lines
    from transforms.evaluation import format_report

    report = evaluate_split(split, folder)
    typer.echo(f"== real labelled news, {split} split, from {folder}")
    typer.echo(format_report(report, show_mistakes=mistakes))
    typer.echo("")
    typer.echo("\n".join(target_lines(report)))


def _report_real_text(realdata: Path, mistakes: bool) -> None:
    """Print the figures on each labelled set of real text; real text informs, it does not gate."""
    from training.eval_sets import EVAL_DIR, REAL_TEXT_SETS, load_realdata_set
    from transforms.evaluation import check_against, evaluate, format_report

    for name, purpose in REAL_TEXT_SETS:
        report = evaluate(load_realdata_set(EVAL_DIR / name, realdata))
        typer.echo(f"\n== {name} ({purpose}), text from {realdata}")
        typer.echo(format_report(report, show_mistakes=mistakes))
        for problem in check_against(report.metrics(), {}):
            typer.echo(f"NOTE {problem}")


def _judge(metrics: dict[str, float], baseline: Path | None, report_only: bool) -> None:
    """Fail (exit 1) when a figure misses its target or fell below the baseline."""
    from transforms.evaluation import TOLERANCE, check_against

    stored = json.loads(baseline.read_text(encoding="utf-8")) if baseline else {}
    problems = check_against(metrics, stored)
    for problem in problems:
        typer.echo(f"{'NOTE' if report_only else 'FAIL'} {problem}", err=True)
    if problems and not report_only:
        raise typer.Exit(exits.FAILED)
    if not problems:
        against = f" and are within {TOLERANCE} of {baseline}" if baseline else ""
        typer.echo(f"\nall figures meet the targets{against}")


def train(
    labelled: Annotated[
        Path | None,
        typer.Option("--labelled", help="real labelled news (default ../shared/labelled)"),
    ] = None,
    db: DbOption = None,
    cross_validate: Annotated[
        bool,
        typer.Option(
            "--cross-validate",
            help="write nothing: fit five times, each without a fifth of the labelled train and "
            "dev news, and print how that fifth was decided (the test split is never read)",
        ),
    ] = False,
    mistakes: Annotated[
        bool, typer.Option("--mistakes", help="with --cross-validate: list the relevance errors")
    ] = False,
) -> None:
    """Fit the learned tagging heads on the labelled news, the grown items and the analysts'
    corrections in the warehouse; write them to transforms/data/learned (then re-run eval)."""
    from training.labelled import DEFAULT_FOLDER
    from training.retrain import retrain

    folder = labelled or DEFAULT_FOLDER
    if not folder.is_dir():
        raise CommandError(
            f"no labelled news at {folder}: training needs it (the committed heads stay)",
            exits.CONFIG,
        )
    if cross_validate:
        _print_cross_validation(folder, warehouse_if_any(db), mistakes)
        return
    result = retrain(folder, db=warehouse_if_any(db))
    rows = ", ".join(f"{key} {count}" for key, count in result.rows.items())
    typer.echo(f"trained on {rows}")
    if result.without_evidence:
        typer.echo(
            f"{result.without_evidence} grown items have no rules' evidence found with today's "
            "rules (their text was not at hand since): they train the embedding heads only; "
            "`cityradar grow LABELS TEXTS` with their text finds it again"
        )
    dev = result.dev
    typer.echo(
        f"dev (heads fitted on train): relevance accuracy {dev['relevance_accuracy']:.3f}, "
        f"focus F1 {dev['focus_f1']:.3f}; the full encoder decides "
        f"{dev['full_share']:.0%} of stories (quick probability in "
        f"{dev['band_low']:.2f}-{dev['band_high']:.2f})"
    )
    typer.echo(
        f"heads written to {result.folder}; `cityradar reclassify` applies them to the warehouse"
    )


def _print_cross_validation(folder: Path, db: Path | None, mistakes: bool) -> None:
    from training.crossval import cross_validate, figures
    from training.retrain import training_rows

    decisions = cross_validate(training_rows(folder, db))
    for language in ("ko", "en", None):
        part = [d for d in decisions if language in (None, d.language)]
        shown = figures(part)
        typer.echo(
            f"{language or 'all'} ({shown['items']} items): relevance accuracy "
            f"{shown['relevance']:.3f}, smart-city precision {shown['precision']:.3f} and recall "
            f"{shown['recall']:.3f}, focus micro-F1 {shown['focus_f1']:.3f}"
        )
    for d in decisions if mistakes else ():
        if d.smart != d.gold_smart:
            typer.echo(f"{d.id}: smart-city {d.smart}, labelled {d.gold_smart}")


def grow(
    labels: Annotated[Path, typer.Argument(help="JSON Lines of newly labelled items")],
    texts: Annotated[
        Path, typer.Argument(help="JSON Lines with their id, source_url, title, summary")
    ],
) -> None:
    """Add labelled items found on real pages: keep their labels and embeddings, not their text."""
    from training.grown import add_grown

    grown = add_grown(labels, texts)
    typer.echo(f"added {grown.added} items to training/data (their text stays where it is)")
    if grown.refreshed:
        typer.echo(f"found the rules' evidence again for {grown.refreshed} known items")
