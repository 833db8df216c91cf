"""Tagger speed: items per second, tagged the way ingest tags them, once the models are loaded.

    python -m bench.tagging [--labelled ../shared/labelled] [--repeat 3]

Input: every train and dev item of ../shared/labelled (never test) as (title, summary, body),
where the body is 1,000 characters made of the summaries of the next 7 items joined by spaces:
real Korean and English text of an article's length. Without that folder, the written evaluation
sets (eval/*.yaml gate sets) stand in, with bodies made the same way, and the output says so.

Made that way, a chunk's bodies repeat each other's sentences (item i's body holds the summaries
of items i+1..i+7), which real feeds seldom do and which the analysis, reading each distinct
stretch of a chunk once, would profit from. So every layout is timed twice: as described, and
with the bodies made of the summaries of items a chunk apart (i+64, i+128, ...), so that no
sentence repeats within a chunk. The second is the figure to expect from ingest.

Items go through in chunks of ``ANALYSIS_CHUNK`` (64), each chunk's texts analysed together
(the next chunk's while this one is tagged) by ``analysed_ahead`` as ``normalize_chunks`` does,
then ``tag_items`` per chunk (the rules read each item, the encoder embeds the chunk's openings
together, the learned heads decide). The rules alone and the encoder alone are timed too, to show
where the time goes. Loading is timed apart, as ingest loads (Kiwi's process started first, so
that it loads beside the rest; then the gazetteer and taxonomy, the encoder and the heads; ready
when the first Korean analysis is answered), then one warm-up pass, then ``--repeat`` timed
passes; prints items/s of each.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from training.eval_sets import GATE_SETS, load_sets
from training.labelled import DEFAULT_FOLDER, read_labelled
from transforms.embedding import encode, opening_text
from transforms.learned import learned_model
from transforms.matching import load_kiwi, primed_analysis
from transforms.normalize import ANALYSIS_CHUNK, CleanText, analysed_ahead, batched
from transforms.tagging import ItemText, read_rules, tag_items
from transforms.vocabularies import gazetteer, taxonomy

BODY_CHARS = 1_000
BODY_FROM_NEXT = 7  # the summaries of this many following items make an item's body
EVAL_FOLDER = Path(__file__).resolve().parents[1] / "eval"


def labelled_texts(folder: Path) -> list[tuple[str, str]]:
    """(title, summary) of every train and dev item of the labelled folder; test is left out."""
    return [
        (item.title, item.summary)
        for item in read_labelled(folder)
        if item.split in ("train", "dev")
    ]


def eval_texts() -> list[tuple[str, str]]:
    """(title, summary or body) of every item of the written gate sets."""
    items = load_sets(EVAL_FOLDER / name for name in GATE_SETS)
    return [(item.title, item.summary or item.body) for item in items]


def with_bodies(texts: list[tuple[str, str]], stride: int = 1) -> list[CleanText]:
    """Each item with a body of the summaries of the items ``stride``, 2 x ``stride``... after it
    (wrapping around at the end)."""
    items = []
    for index, (title, summary) in enumerate(texts):
        following = (
            texts[(index + k * stride) % len(texts)][1] for k in range(1, BODY_FROM_NEXT + 1)
        )
        body = " ".join(following)[:BODY_CHARS]
        items.append(CleanText(title, summary, body, body))
    return items


def load_everything() -> tuple[float, float, float]:
    """Seconds until the gazetteer and taxonomy are loaded, then the encoder and the heads, and
    until the tagger is ready (Kiwi, loading in its own process meanwhile, answered once)."""
    started = time.perf_counter()
    load_kiwi()  # its process loads beside what follows
    gazetteer()
    taxonomy()
    rules = time.perf_counter() - started
    encode(["부산시는 스마트시티를 추진한다."])
    learned_model()
    learned = time.perf_counter() - started - rules
    with primed_analysis(["부산시는 스마트시티를 추진한다."]):
        pass
    return rules, learned, time.perf_counter() - started


def tag_all(items: Iterable[CleanText]) -> int:
    """Tag every item as ingest does (chunks analysed together, then tagged together)."""
    count = 0
    chunks = ((chunk, chunk) for chunk in batched(items, ANALYSIS_CHUNK))
    for chunk, _ in analysed_ahead(chunks):
        count += len(tag_items([ItemText(i.title, i.summary, i.for_tagging) for i in chunk]))
    return count


def rules_all(items: Iterable[CleanText]) -> int:
    """The rules alone, chunks analysed together as ingest does."""
    count = 0
    chunks = ((chunk, chunk) for chunk in batched(items, ANALYSIS_CHUNK))
    for chunk, _ in analysed_ahead(chunks):
        for item in chunk:
            read_rules(ItemText(item.title, item.summary, item.for_tagging))
            count += 1
    return count


def encode_all(items: Iterable[CleanText]) -> int:
    """The encoder alone: every chunk's openings embedded together."""
    count = 0
    for chunk in batched(items, ANALYSIS_CHUNK):
        count += len(encode([opening_text(i.title, i.summary, i.for_tagging) for i in chunk]))
    return count


def main() -> None:
    """Load, warm up, then time ``--repeat`` passes over the items."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--labelled", type=Path, default=DEFAULT_FOLDER)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if args.labelled.is_dir():
        texts, origin = labelled_texts(args.labelled), f"{args.labelled} (train + dev)"
    else:
        texts, origin = eval_texts(), f"eval/ gate sets ({args.labelled} not found)"
    print(f"items: {len(texts)} from {origin}; body {BODY_CHARS} characters")
    rules, learned, ready = load_everything()
    print(
        f"load: ready in {ready:.2f} s (gazetteer and taxonomy {rules:.2f} s, encoder and heads "
        f"{learned:.2f} s, Kiwi loading in its own process meanwhile)"
    )
    layouts = (("bodies from the next items", 1), ("no repeats in a chunk", ANALYSIS_CHUNK))
    for layout, stride in layouts:
        items = with_bodies(texts, stride)
        print(f"{layout}:")
        print(f"  tagging (rules + encoder + heads): {time_passes(tag_all, items, args.repeat)}")
        print(f"  rules alone: {time_passes(rules_all, items, args.repeat)}")
        print(f"  encoder alone: {time_passes(encode_all, items, args.repeat)}")


def time_passes(
    run_all: Callable[[list[CleanText]], int], items: list[CleanText], repeat: int
) -> str:
    """One warm-up pass, then ``repeat`` timed ones (each printed); the summary."""
    run_all(items)
    rates, cpu = [], []
    for run in range(1, repeat + 1):
        started, started_cpu = time.perf_counter(), time.process_time()
        count = run_all(items)
        seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - started_cpu
        rates.append(count / seconds)
        cpu.append(1000 * cpu_seconds / count)
        print(
            f"  run {run}: {count} items in {seconds:.2f} s = {rates[-1]:.0f} items/s, "
            f"{cpu[-1]:.2f} ms CPU per item (all threads)"
        )
    return (
        f"{statistics.median(rates):.0f} items/s (median of {repeat}, best {max(rates):.0f}), "
        f"{statistics.median(cpu):.2f} ms CPU per item"
    )


if __name__ == "__main__":
    main()
