"""Benchmark the entity matcher with many synthetic entities.

Run ``python -m bench.bench_linking`` or ``python bench/bench_linking.py``
from the repository root; ``--help`` lists the options. Names and the article
are generated from a fixed seed, so runs are comparable.
"""

import argparse
import gc
import json
import random
import resource
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import NamedTuple

if not __package__:
    # Run as a file: make the repository root importable.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.linking.context import Scan, settle
from app.linking.matcher import EntityMatcher, Match
from app.linking.salience import lead_end, score_mentions

Entry = tuple[str, list[str]]

DEFAULT_FIXTURES = Path(__file__).resolve().parents[1] / "app" / "demo"
ARTICLE_WORDS = 1000
TARGET_FIND_MS = 2.0
TARGET_BUILD_S = 2.0

# Word lists read better as text than as one-string-per-line literals.
FIRST_NAMES = """Aaliyah Abdou Adama Ahmed Aïcha Alice Amadou Ana Andrei Anna Antoine Aminata Bakary
Beatriz Boubacar Carlos Chen Chiara Daniel David Diego Elena Emma Fatima Fatoumata Francesca Hamza
Hassan Ibrahim Ines Ismaël Jakub James Javier Jean Jonas Joseph Julia Karim Kofi Lars Laura Leila
Lucas Mamadou Marco Maria Mariam Marta Mateo Mohamed Moussa Nadia Natalia Nikos Olga Omar Oumar
Paolo Pedro Pierre Priya Rania Ravi Rosa Sabine Salif Samuel Sara Seydou Sofia Sophie Sven Tariq
Thomas Tomás Valentina Victor Wei Yasmin Youssef Yuki Zainab Zoltán""".split()  # noqa: SIM905
SYLLABLES = """ba bo ca da de di do fa ga ha ka ke ki ko la le li lo ma me mi mo na ne ni no pa
ra re ri ro sa se si so ta te ti to va ya za zo""".split()  # noqa: SIM905
ENDINGS = "a an ar el en er i ia is o on or ov ski son ou".split()  # noqa: SIM905
ADJECTIVES = """African Atlantic Central Coastal Democratic Eastern European Federal Free General
Global Independent International Islamic National Northern Pan-African People's Regional
Republican Royal Sahelian Social Southern United Western World""".split()  # noqa: SIM905
DOMAINS = """Agriculture Aviation Banking Cocoa Coffee Cotton Development Education Electricity
Energy Export Fisheries Football Forestry Gold Health Housing Justice Labour Media Mining Oil
Press Railway Rice Security Shipping Telecom Textile Tourism Trade Transport Uranium Water
Youth""".split()  # noqa: SIM905
KINDS = """Agency Alliance Association Authority Bank Board Commission Company Council Federation
Forum Front Fund Group Institute League Movement Network Party Union""".split()  # noqa: SIM905
PLACE_KINDS = ["Province", "Region", "District", "River", "Airport"]
FILLER = """officials said on Tuesday that talks would continue while observers warned that the
security situation remained fragile and aid deliveries were delayed by the rains""".split()  # noqa: SIM905


def _surname(rng: random.Random) -> str:
    syllables = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(1, 2)))
    return (syllables + rng.choice(ENDINGS)).capitalize()


def _place(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()


def _unique(count: int, make: Callable[[], str], taken: set[str]) -> list[str]:
    names: list[str] = []
    # Bounded so an --entities beyond what the word lists can name fails instead of hanging.
    attempts = 20 * count + 100
    while len(names) < count:
        if not attempts:
            raise SystemExit(f"cannot generate {count:,} distinct names; use fewer --entities")
        attempts -= 1
        name = make()
        if name not in taken:
            taken.add(name)
            names.append(name)
    return names


def synthetic_entities(count: int, reserved: Iterable[str] = (), seed: int = 2023) -> list[Entry]:
    """``count`` entities with about two names each: 50 % persons, 30 % organisations, 20 % places.

    Persons carry their surname as an alias and organisations an acronym, so
    single-word aliases are shared by several entities, as in real data.
    Names in ``reserved`` are not generated.
    """
    rng = random.Random(seed)
    taken = set(reserved)
    persons = _unique(count // 2, lambda: f"{rng.choice(FIRST_NAMES)} {_surname(rng)}", taken)
    organisations = _unique(
        count * 3 // 10,
        lambda: (
            f"{rng.choice(ADJECTIVES)} {rng.choice(DOMAINS)} {rng.choice(KINDS)}"
            + rng.choice(["", f" of {_place(rng)}"])
        ),
        taken,
    )
    places = _unique(count - len(persons) - len(organisations), lambda: _place(rng), taken)
    entries: list[Entry] = []
    entries += [(f"person-{i}", [name, name.split()[-1]]) for i, name in enumerate(persons)]
    entries += [
        (f"org-{i}", [name, "".join(word[0] for word in name.split() if word[0].isupper())])
        for i, name in enumerate(organisations)
    ]
    entries += [
        (f"place-{i}", [name, f"{name} {rng.choice(PLACE_KINDS)}"]) for i, name in enumerate(places)
    ]
    return entries


def seed_entities(fixtures: Path) -> list[Entry]:
    records = json.loads((fixtures / "seed-entities.json").read_text(encoding="utf-8"))
    return [(f"seed-{i}", [r["name"], *r["aliases"]]) for i, r in enumerate(records)]


def article(fixtures: Path, synthetic: list[Entry], seed: int = 7) -> str:
    """The seed story, extended to ``ARTICLE_WORDS`` words with sentences naming other entities."""
    body: str = json.loads((fixtures / "seed-article.json").read_text(encoding="utf-8"))["body"]
    rng = random.Random(seed)
    paragraphs = [body]
    words = len(body.split())
    while words < ARTICLE_WORDS:
        sentence = " ".join(
            [rng.choice(synthetic)[1][0], *rng.sample(FILLER, 8), "in", rng.choice(synthetic)[1][0]]
        )
        paragraphs.append(sentence + ".")
        words += len(sentence.split())
    return "\n\n".join(paragraphs)


def with_shared_names(text: str, synthetic: list[Entry], count: int = 10) -> str:
    """``text`` with a closing paragraph naming ``count`` persons by a surname others share."""
    owners: dict[str, int] = {}
    for entity_id, names in synthetic:
        if entity_id.startswith("person-"):
            owners[names[-1]] = owners.get(names[-1], 0) + 1
    shared = [surname for surname, owned in owners.items() if owned > 1][:count]
    return text + "\n\n" + " ".join(f"Minister {surname} spoke." for surname in shared)


def _scan(matches: list[Match]) -> Scan:
    spans: dict[tuple[int, int], list[str]] = {}
    for match in matches:
        spans.setdefault((match.start, match.end), []).append(match.entity_id)
    return list(spans.items())


def link(matcher: EntityMatcher, title: str, text: str) -> int:
    """What linking an article does without a database: find the names in its title and body,
    settle shared ones (every candidate a person, none seen with another), score salience.
    Returns how many shared spans were settled."""
    scans = [_scan(matcher.find(text)), _scan(matcher.find(title))]
    shared = sum(len(ids) > 1 for _span, ids in scans[0])
    types = {i: "person" for _span, ids in scans[0] if len(ids) > 1 for i in ids}
    settle([scans], [frozenset()], [[text, title]], types, {})
    spans: dict[str, list[list[int]]] = {}
    for (start, end), ids in scans[0]:
        for entity_id in ids:
            spans.setdefault(entity_id, []).append([start, end])
    titled = frozenset(i for _span, ids in scans[1] for i in ids)
    score_mentions(spans, body_length=len(text), lead_until=lead_end(text), in_title=titled)
    return shared


class Timing(NamedTuple):
    """One measurement, in milliseconds; CPU time is what the process itself used."""

    wall_ms: float
    cpu_ms: float


def _timed(action: Callable[[], object]) -> Timing:
    wall, cpu = time.perf_counter(), time.process_time()
    action()
    return Timing((time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000)


def summary(timings: list[Timing], unit: str = "ms") -> str:
    """Median and p95 of wall time, then median CPU time (less noisy on a shared machine)."""
    scale = 1000 if unit == "s" else 1
    wall = [timing.wall_ms / scale for timing in timings]
    cpu = statistics.median(timing.cpu_ms for timing in timings) / scale
    p95 = statistics.quantiles(wall, n=20)[18] if len(wall) > 1 else wall[0]
    return f"{statistics.median(wall):.2f} / {p95:.2f} / {cpu:.2f} {unit}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--entities", type=int, default=100_000, help="synthetic entities")
    parser.add_argument("--runs", type=int, default=200, help="find() runs")
    parser.add_argument("--fixtures", type=Path, default=DEFAULT_FIXTURES, help="seed folder")
    args = parser.parse_args(argv)
    if args.entities < 10 or args.runs < 1:
        parser.error("use at least 10 --entities and 1 run")

    seed = seed_entities(args.fixtures)
    synthetic = synthetic_entities(args.entities, reserved=[name for _, ns in seed for name in ns])
    entries = seed + synthetic
    text = article(args.fixtures, synthetic)
    names = sum(len(entry[1]) for entry in entries)

    matchers: list[EntityMatcher] = []
    gc.collect()
    rss_before_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    builds = [_timed(lambda: matchers.append(EntityMatcher.build(entries)))]
    rss_growth_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before_kib) / 1024
    for _ in range(2):
        # Free the previous matcher first: its teardown is not part of a build.
        matchers.clear()
        gc.collect()
        builds.append(_timed(lambda: matchers.append(EntityMatcher.build(entries))))

    # Traced separately: tracemalloc slows the build down several times.
    matchers.clear()
    gc.collect()
    tracemalloc.start()
    matcher = EntityMatcher.build(entries)
    traced_now, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    changed = [(entity_id, [*names_, "Extra Alias"]) for entity_id, names_ in synthetic[:100]]
    removed = [entity_id for entity_id, _ in synthetic[100:200]]
    changes = _timed(lambda: matchers.append(matcher.with_changes(changed, removed)))
    matchers.clear()

    for _ in range(20):  # warm-up
        matcher.find(text)
    finds = [_timed(lambda: matcher.find(text)) for _ in range(args.runs)]
    matches = matcher.find(text)
    candidates = [_timed(lambda: matcher.candidates(text, matches)) for _ in range(args.runs)]
    title = json.loads((args.fixtures / "seed-article.json").read_text(encoding="utf-8"))["title"]
    shared_text = with_shared_names(text, synthetic)
    shared = link(matcher, title, shared_text)
    links = [_timed(lambda: link(matcher, title, text)) for _ in range(args.runs)]
    shared_links = [_timed(lambda: link(matcher, title, shared_text)) for _ in range(args.runs)]

    rows = [
        ("entities / names", f"{len(matcher):,} / {names:,}", ""),
        ("article", f"{len(text.split()):,} words, {len(text):,} chars", ""),
        ("build, 3 runs: median / p95 / CPU", summary(builds, "s"), f"≤ {TARGET_BUILD_S} s"),
        ("with_changes (100 upserts, 100 removals)", summary([changes], "s"), ""),
        ("memory: peak RSS growth, first build", f"{rss_growth_mib:.0f} MiB", ""),
        (
            "memory: tracemalloc retained / peak",
            f"{traced_now / 2**20:.0f} / {traced_peak / 2**20:.0f} MiB",
            "",
        ),
        ("find() matches", f"{len(matches)}", ""),
        ("find(): median / p95 / CPU", summary(finds), f"median ≤ {TARGET_FIND_MS} ms"),
        ("candidates(): median / p95 / CPU", summary(candidates), ""),
        ("link: find + settle + salience", summary(links), f"median ≤ {TARGET_FIND_MS} ms"),
        (
            f"  the same + {shared} lone surnames, each of many",
            summary(shared_links),
            f"median ≤ {TARGET_FIND_MS} ms",
        ),
    ]
    width = max(len(row[0]) for row in rows)
    value_width = max(len(row[1]) for row in rows)
    for label, value, target in rows:
        print(f"{label:<{width}}  {value:>{value_width}}  {target}".rstrip())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
