"""Deterministic synthetic news corpus for the Lede benchmarks.

Generates English wire stories as ``POST /v1/articles`` payloads and entities as
``POST /v1/entities`` payloads. The same seed gives the same output byte
for byte, so benchmark runs on different machines load identical data::

    python -m bench.corpus --articles 100000 --entities 5000 --seed 42 --out var/corpus

writes ``articles.ndjson`` (one payload per line) and ``entities.json``. Article #0
is always the seed story and the seed entities are always part of the entity list.
``QUERY_MIX`` is a fixed set of search queries that all match this corpus.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
import unicodedata
from bisect import bisect
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import accumulate
from math import log
from pathlib import Path
from typing import Any, TypeVar

import orjson

FIXTURES_DIR = Path(__file__).resolve().parents[1] / "app" / "demo"
DEFAULT_ENTITY_COUNT = 5000

# A fixed clock, not the wall clock: output must not change from one day to the next.
REFERENCE_TIME = int(datetime(2026, 11, 1, tzinfo=UTC).timestamp())
_DAY = 86_400
_PUBLISHED_SPAN = 5 * 365 * _DAY
# Scheduled stories sit two to three years past the fixed clock so that they are
# still in the future of the real clock for as long as this corpus is in use.
_SCHEDULED_FROM = 2 * 365 * _DAY
_SCHEDULED_SPAN = 365 * _DAY

# ---------------------------------------------------------------------------
# Vocabulary for entities
# ---------------------------------------------------------------------------

FIRST_NAMES = """Amadou Aminata Fatoumata Moussa Ibrahim Aisha Oumar Mariam Kwame Ama Chidi Ngozi
Tunde Folake Wanjiru Kamau Achieng Otieno Thabo Lerato Sipho Naledi Yohannes Selam Hassan Leila
Omar Yasmin Karim Nadia Mehmet Elif Dimitri Elena Pavel Katarzyna Tomasz Agnieszka Sofia Lucas
Camille Julien Margaux Matteo Giulia Lorenzo Chiara Javier Lucia Diego Carmen Joao Ines Rafael
Beatriz Santiago Valentina Mateo Camila Andres Paula Emeka Hauwa Bongani Zanele Kofi Abena Seun
Priya Arjun Ananya Rohan Kavya Wei Mei Jun Hiroshi Yuki Haruto Thanh Linh Somchai Siriporn Ahmad
Siti Bayu Dewi Farhan Nusrat Tenzin Pema Anders Ingrid Lars Freya Henrik Astrid Niamh Cian Owen
Erin Miguel Ana Pierre Claire Hugo Lea Felix Hanna Jonas Greta Viktor Olga Andriy Oksana Giorgi
Nino Arman Aigerim Dilnoza Rustam Salif Seydou Boubacar Adama Rokia Awa Issa Halima""".split()  # noqa: SIM905

# Surnames become single-word aliases, which link case-sensitively: none of these
# is an English word that could start a sentence ("Park", "May", "Young").
LAST_NAMES = """Traore Keita Coulibaly Toure Sangare Konate Cisse Diallo Ndiaye Sow Mensah Owusu
Boateng Okafor Adeyemi Balogun Okonkwo Mwangi Kariuki Odhiambo Kiptoo Nkosi Dlamini Mokoena
Tshabalala Tesfaye Bekele Abdi Warsame Haddad Mansour Khalil Benali Ouedraogo Kabore Zongo
Sawadogo Mahamat Yilmaz Demir Kaya Papadopoulos Georgiou Kowalczyk Nowak Horvat Novak Kovac
Dumitrescu Popescu Moreau Lefebvre Fontaine Girard Rossi Esposito Bianchi Romano Fernandez
Navarro Ortega Iglesias Moreno Castillo Oliveira Pereira Almeida Carvalho Rocha Souza Gomes
Mendoza Vargas Rojas Quispe Herrera Gutierrez Ramirez Cabrera Alvarez Schneider Fischer Becker
Hoffmann Richter Vogel Jansen Visser Bakker Lindqvist Johansson Nilsson Haugen Virtanen Korhonen
Gallagher Byrne Sharma Gupta Iyer Reddy Nair Chowdhury Rahman Hossain Qureshi Siddiqui Malik
Nguyen Pham Zhang Chen Liu Huang Zhou Tanaka Sato Watanabe Nakamura Santoso Wijaya Hidayat Reyes
Bautista Tamang Gurung Aliyev Mammadov Beridze Kapanadze Sargsyan Grigoryan Dembele Kante Sissoko
Maiga Cissoko Kouyate Diakite Tall Kane Gueye Faye Sy Diop""".split()  # noqa: SIM905

# Region -> (country, city used in datelines). Every country reads naturally without
# "the" ("Lawmakers in Kenya", "Kenya's economy"), which the sentence templates rely on.
REGIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "africa": (
        ("Nigeria", "Abuja"),
        ("Kenya", "Nairobi"),
        ("Mali", "Bamako"),
        ("Ethiopia", "Addis Ababa"),
        ("Senegal", "Dakar"),
        ("Ghana", "Accra"),
        ("South Africa", "Johannesburg"),
        ("Sudan", "Khartoum"),
        ("Niger", "Niamey"),
        ("Burkina Faso", "Ouagadougou"),
        ("Somalia", "Mogadishu"),
        ("Egypt", "Cairo"),
        ("Morocco", "Rabat"),
        ("Tanzania", "Dar es Salaam"),
        ("Uganda", "Kampala"),
        ("Chad", "N'Djamena"),
        ("Cameroon", "Yaounde"),
        ("Zimbabwe", "Harare"),
        ("Mozambique", "Maputo"),
        ("Ivory Coast", "Abidjan"),
    ),
    "europe": (
        ("France", "Paris"),
        ("Germany", "Berlin"),
        ("Britain", "London"),
        ("Ukraine", "Kyiv"),
        ("Russia", "Moscow"),
        ("Italy", "Rome"),
        ("Spain", "Madrid"),
        ("Poland", "Warsaw"),
        ("Greece", "Athens"),
        ("Sweden", "Stockholm"),
        ("Belgium", "Brussels"),
        ("Portugal", "Lisbon"),
        ("Hungary", "Budapest"),
        ("Romania", "Bucharest"),
        ("Serbia", "Belgrade"),
    ),
    "americas": (
        ("Brazil", "Brasilia"),
        ("Mexico", "Mexico City"),
        ("Canada", "Ottawa"),
        ("Argentina", "Buenos Aires"),
        ("Colombia", "Bogota"),
        ("Peru", "Lima"),
        ("Chile", "Santiago"),
        ("Venezuela", "Caracas"),
        ("Haiti", "Port-au-Prince"),
        ("Ecuador", "Quito"),
        ("Bolivia", "La Paz"),
        ("Cuba", "Havana"),
    ),
    "asia": (
        ("China", "Beijing"),
        ("India", "New Delhi"),
        ("Japan", "Tokyo"),
        ("Pakistan", "Islamabad"),
        ("Indonesia", "Jakarta"),
        ("Vietnam", "Hanoi"),
        ("Thailand", "Bangkok"),
        ("South Korea", "Seoul"),
        ("Bangladesh", "Dhaka"),
        ("Myanmar", "Yangon"),
        ("Afghanistan", "Kabul"),
        ("Malaysia", "Kuala Lumpur"),
        ("Nepal", "Kathmandu"),
        ("Sri Lanka", "Colombo"),
    ),
}
_CAPITALS = {country: city for pairs in REGIONS.values() for country, city in pairs}
_COUNTRY_ALIASES = {"Britain": ["United Kingdom", "UK"], "Ivory Coast": ["Côte d'Ivoire"]}

# (name, acronym or None, description)
REAL_ORGANIZATIONS: tuple[tuple[str, str | None, str], ...] = (
    ("African Union", "AU", "Continental union of African states"),
    ("European Union", "EU", "Political and economic union of European states"),
    ("International Monetary Fund", "IMF", "International financial institution"),
    ("World Bank", None, "International development bank"),
    ("World Health Organization", "WHO", "UN agency for international public health"),
    ("Economic Community of West African States", "ECOWAS", "West African regional bloc"),
    ("NATO", None, "North Atlantic military alliance"),
    ("International Criminal Court", "ICC", "International court in The Hague"),
    ("World Food Programme", "WFP", "UN food assistance agency"),
    ("UNICEF", None, "UN children's agency"),
    ("International Committee of the Red Cross", "ICRC", "Humanitarian organization"),
    ("Amnesty International", None, "Human rights organization"),
    ("Human Rights Watch", None, "Human rights organization"),
    ("World Trade Organization", "WTO", "Intergovernmental trade organization"),
    ("European Central Bank", "ECB", "Central bank of the euro area"),
    ("FIFA", None, "World football governing body"),
    ("International Olympic Committee", "IOC", "Governing body of the Olympic movement"),
    ("OPEC", None, "Organization of oil-exporting countries"),
)

# Name parts that also tell the article generator what kind of organization or event
# an entity is, so that clubs play matches and companies report profits.
CLUB_SUFFIXES = ("FC", "United", "City", "Rovers")
CLUB_PREFIXES = ("Real", "Sporting", "Athletic")
COMPANY_SUFFIXES = (
    "Holdings", "Group", "Technologies", "Energy", "Capital", "Motors", "Pharmaceuticals",
    "Mining", "Telecom", "Airways", "Logistics", "Foods", "Systems", "Networks", "Semiconductors",
)  # fmt: skip
INSTITUTION_KINDS = (
    "Electoral Commission", "Chamber of Commerce", "Port Authority", "Teachers' Union",
    "Farmers' Association", "Human Rights Commission", "Development Bank",
    "Broadcasting Corporation", "Red Cross Society", "Medical Association", "Bar Association",
    "Anti-Corruption Agency", "Meteorological Service", "Football Federation",
    "Institute of Technology", "People's Party", "Democratic Alliance", "Freedom Front",
)  # fmt: skip
SPORT_EVENTS = ("Marathon", "Cup", "Grand Prix", "Open", "Games")
CULTURE_EVENTS = ("Film Festival", "Book Fair", "Music Festival", "Jazz Festival", "Biennale")
MEETING_EVENTS = (
    "Summit", "Peace Talks", "Climate Conference", "Donor Conference", "Investment Forum",
    "Trade Fair", "Security Forum",
)  # fmt: skip

_ONSETS = "b d f g k l m n p r s t v z ch sh".split()  # noqa: SIM905
_VOWELS = "aeiou"
_PLACE_ENDINGS = ["", "", "n", "r", "ra", "no", "ta", "ssa", "ndi", "via", "mbe", "go", "li"]
_BRAND_ENDINGS = ["o", "a", "ix", "on", "ex", "ia", "us", "ara", "ent"]

PERSON_ROLES = (
    "Finance minister of {country}", "Foreign minister of {country}", "President of {country}",
    "Opposition leader in {country}", "Central bank governor of {country}",
    "Footballer from {country}", "Film director from {country}", "Novelist from {country}",
    "Army spokesperson in {country}", "Human rights lawyer in {country}", "Economist",
    "Climate scientist", "Chief executive of {org}", "Spokesperson for {org}",
)  # fmt: skip

_ENTITY_SHARES = {"person": 0.50, "organization": 0.25, "location": 0.18, "event": 0.07}
# Where the seed entities sit in their type's popularity order: the seed story's cast
# recurs in later stories, some often and some rarely.
_SEED_RANKS = (0, 3, 12, 40, 120, 400)


def load_seed_article(path: Path = FIXTURES_DIR / "seed-article.json") -> dict[str, Any]:
    article: dict[str, Any] = orjson.loads(path.read_bytes())
    return article


def load_seed_entities(path: Path = FIXTURES_DIR / "seed-entities.json") -> list[dict[str, Any]]:
    entities: list[dict[str, Any]] = orjson.loads(path.read_bytes())
    return entities


class _Names:
    """Names and aliases already in use, compared case-insensitively like the API does."""

    def __init__(self) -> None:
        self._taken: set[str] = set()

    def __contains__(self, name: str) -> bool:
        return name.casefold() in self._taken

    def add(self, *names: str) -> None:
        self._taken.update(name.casefold() for name in names)


def _word(rng: random.Random, endings: Sequence[str]) -> str:
    syllables = "".join(rng.choice(_ONSETS) + rng.choice(_VOWELS) for _ in range(rng.randint(2, 3)))
    return (syllables + rng.choice(endings)).capitalize()


def _acronym(name: str) -> str:
    return "".join(word[0] for word in name.replace("-", " ").split() if word[0].isupper())


def _unique(
    rng: random.Random, count: int, names: _Names, make: Callable[[random.Random], str]
) -> list[str]:
    made: list[str] = []
    for _ in range(100 * count + 1000):
        if len(made) == count:
            return made
        name = make(rng)
        if name not in names:
            names.add(name)
            made.append(name)
    raise ValueError(f"cannot make {count} distinct names; ask for fewer entities")


def org_kind(name: str) -> str:
    """``club``, ``company`` or ``institution``, read from the name's first or last word."""
    words = name.split()
    if words[0] in CLUB_PREFIXES or words[-1] in CLUB_SUFFIXES:
        return "club"
    return "company" if words[-1] in COMPANY_SUFFIXES else "institution"


def event_kind(name: str) -> str:
    """``sport``, ``culture`` or ``meeting``, read from the end of the name."""
    if name.endswith(SPORT_EVENTS):
        return "sport"
    return "culture" if name.endswith(CULTURE_EVENTS) else "meeting"


_ORG_DESCRIPTIONS = {"club": "Football club", "company": "Company", "institution": "Organization"}
_EVENT_DESCRIPTIONS = {
    "sport": "Sporting event",
    "culture": "Cultural event",
    "meeting": "International meeting",
}


def make_entities(
    n: int = DEFAULT_ENTITY_COUNT,
    *,
    seed: int = 42,
    seed_entities: Sequence[Mapping[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """Return ``n`` entity payloads (never fewer than the seed entities).

    Within each type, list order is popularity order: ``iter_articles`` mentions the
    first ones most often (Zipf). Real countries, cities and international
    organizations come first; fictional people, towns, companies, clubs and events
    make the long tail. ``seed_entities`` defaults to the demo copy of the seed fixture.
    """
    rng = random.Random(seed)
    if seed_entities is None:
        seed_entities = load_seed_entities()
    seeds = [dict(entity) for entity in seed_entities]
    names = _Names()
    for entity in seeds:
        names.add(entity["name"], *entity.get("aliases", []))

    budget = max(n - len(seeds), 0)
    quotas = {kind: int(budget * share) for kind, share in _ENTITY_SHARES.items()}
    quotas["person"] += budget - sum(quotas.values())
    countries = list(_CAPITALS)
    # Synthetic ids far above the range Wikidata has assigned, so they can never be
    # mistaken for (or resolve to) a real item.
    serials = iter(range(900_000_001, 1_000_000_000))

    def new_entity(
        name: str, kind: str, aliases: list[str], description: str | None
    ) -> dict[str, Any]:
        ids = {"wikidata": f"Q{next(serials)}"} if rng.random() < 0.35 else {}
        return {
            "name": name,
            "type": kind,
            "aliases": aliases,
            "description": description,
            "external_ids": ids,
        }

    locations: list[dict[str, Any]] = []
    for country, city in _CAPITALS.items():
        for name, description in ((country, "Country"), (city, f"City in {country}")):
            aliases = _COUNTRY_ALIASES.get(name, [])
            if name not in names and not any(alias in names for alias in aliases):
                names.add(name, *aliases)
                locations.append(new_entity(name, "location", aliases, description))
    del locations[quotas["location"] :]
    towns = _unique(
        rng, quotas["location"] - len(locations), names, lambda r: _word(r, _PLACE_ENDINGS)
    )
    locations += [
        new_entity(town, "location", [], f"Town in {rng.choice(countries)}") for town in towns
    ]
    places = countries + towns

    organizations: list[dict[str, Any]] = []
    for name, acronym, description in REAL_ORGANIZATIONS:
        aliases = [acronym] if acronym else []
        if name not in names and not any(alias in names for alias in aliases):
            names.add(name, *aliases)
            organizations.append(new_entity(name, "organization", aliases, description))
    del organizations[quotas["organization"] :]

    def make_org(r: random.Random) -> str:
        roll = r.random()
        if roll < 0.45:
            return f"{r.choice(places)} {r.choice(INSTITUTION_KINDS)}"
        if roll < 0.8:
            return f"{_word(r, _BRAND_ENDINGS)} {r.choice(COMPANY_SUFFIXES)}"
        if roll < 0.9:
            return f"{r.choice(CLUB_PREFIXES)} {r.choice(places)}"
        return f"{r.choice(places)} {r.choice(CLUB_SUFFIXES)}"

    for name in _unique(rng, quotas["organization"] - len(organizations), names, make_org):
        kind = org_kind(name)
        # Companies go by their brand ("Veltrano"), public bodies by their initials.
        short = name.split()[0] if kind == "company" else _acronym(name)
        aliases = []
        if kind != "club" and len(short) >= 3 and short not in names and rng.random() < 0.5:
            names.add(short)
            aliases.append(short)
        organizations.append(new_entity(name, "organization", aliases, _ORG_DESCRIPTIONS[kind]))

    def make_event(r: random.Random) -> str:
        kinds = r.choice((SPORT_EVENTS, CULTURE_EVENTS, MEETING_EVENTS, MEETING_EVENTS))
        event = f"{r.choice(places)} {r.choice(kinds)}"
        return f"{r.randint(2015, 2027)} {event}" if r.random() < 0.4 else event

    events = [
        new_entity(name, "event", [], _EVENT_DESCRIPTIONS[event_kind(name)])
        for name in _unique(rng, quotas["event"], names, make_event)
    ]

    def make_person(r: random.Random) -> str:
        first, last = r.choice(FIRST_NAMES), r.choice(LAST_NAMES)
        if r.random() < 0.2:
            return f"{first} {r.choice('ABCDEHJKLMNORST')}. {last}"
        return f"{first} {last}"

    org_names = [org["name"] for org in organizations] or ["United Nations"]
    persons = []
    # A surname alias goes to the first (most mentioned) bearer only, as in a newsroom
    # where "Diop" means the foreign minister; namesakes are always named in full.
    surnames_seen: set[str] = set()
    for name in _unique(rng, quotas["person"], names, make_person):
        surname = name.split()[-1]
        aliases = []
        if surname not in surnames_seen and surname not in names and rng.random() < 0.7:
            aliases.append(surname)
        surnames_seen.add(surname)
        role = rng.choice(PERSON_ROLES).format(
            country=rng.choice(countries), org=rng.choice(org_names)
        )
        persons.append(new_entity(name, "person", aliases, role if rng.random() < 0.8 else None))

    by_type = {
        "person": persons,
        "organization": organizations,
        "location": locations,
        "event": events,
    }
    placed: dict[str, int] = {}
    for seed_entity in seeds:
        ranked = by_type.setdefault(seed_entity["type"], [])
        position = placed.get(seed_entity["type"], 0)
        placed[seed_entity["type"]] = position + 1
        rank = _SEED_RANKS[min(position, len(_SEED_RANKS) - 1)]
        ranked.insert(min(rank, len(ranked)), seed_entity)

    # Interleave the types by relative rank so that any prefix of the list is a
    # plausible smaller entity set.
    ordered = sorted(
        (
            (rank / len(ranked), type_index, item)
            for type_index, ranked in enumerate(by_type.values())
            for rank, item in enumerate(ranked)
        ),
        key=lambda entry: entry[:2],
    )
    return [item for _, _, item in ordered]


# ---------------------------------------------------------------------------
# Story text
#
# Slots filled per article: persons {p1} {p2} {p3} and their short forms {s1} {s2};
# organizations {o1} {o2} and short forms {a1} {a2}; the story's country {l1}, its
# dateline city {c1}, another country {l2} and any place {l3}; an event {e1}; topic
# issues {i1} {i2} ({I1} in title case); numbers {n1} (2-12) {n2} (12-95) {n3}
# (hundreds to thousands) {pct} {pct2} {bn} {g1} {g2} {temp}; years {pyr} (past) and
# {fyr} (future); {day}, the weekday of publication.
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Topic:
    # (title, lead, summary): told together so the headline matches the story.
    stories: tuple[tuple[str, str, str], ...]
    sentences: tuple[str, ...]
    subjects: tuple[str, ...]
    clauses: tuple[str, ...]
    tag_suffix: str
    org_kind: str
    event_kind: str
    # Share of the topic's stories about a government: tuned so that "government"
    # appears in about a third of all articles, as in real wire copy.
    government_share: float


TOPICS: dict[str, _Topic] = {
    "politics": _Topic(
        stories=(
            (
                "{p1} Replaces {n1} Ministers as Coalition Tensions Mount",
                "{p1} announced a sweeping cabinet reshuffle on {day}, replacing {n1} ministers "
                "in a bid to restore confidence in the ruling coalition.",
                "The shake-up follows months of infighting over {i1}.",
            ),
            (
                "Lawmakers in {l1} Clash Over {I1} as {s1} Seeks Deal",
                "Lawmakers in {l1} traded insults in parliament on {day} as {p1} sought a deal on "
                "{i1} before a deadline.",
                "The dispute threatens to paralyse parliament for the rest of the session.",
            ),
            (
                "Thousands March in {c1} to Demand Resignation of {p1}",
                "Thousands of people marched through {c1} on {day} to demand the resignation of "
                "{p1}, accusing the leadership of corruption.",
                "Police used tear gas to disperse protesters near parliament.",
            ),
            (
                "{l1} Opposition Leader {p1} Detained in {c1}, Party Says",
                "Opposition leader {p1} was detained by police in {c1} on {day}, the party said, "
                "in a move critics called politically motivated.",
                "Supporters gathered outside the police station demanding a release.",
            ),
            (
                "{p1} Vows to Press Ahead With {I1} Despite Protests",
                "{p1} said on {day} there would be no retreat on {i1}, a day after tens of "
                "thousands of people protested in {c1}.",
                "Unions have called a general strike for next week.",
            ),
            (
                "{p1} Helps {l1} Government Survive No-Confidence Vote by {n1} Votes",
                "The government of {l1} survived a no-confidence vote by {n1} votes on {day}, "
                "after {p1} secured the backing of a small regional party.",
                "The vote exposed deep divisions within the ruling coalition over {i1}.",
            ),
            (
                "{l1} Government Delays {I1} Plan After Protests Led by {p1}",
                "The government of {l1} said on {day} it would postpone its plans for {i1} "
                "after days of protests in {c1} led by {p1}.",
                "Ministers said they would consult unions and business groups first.",
            ),
        ),
        sentences=(
            "The reshuffle follows months of tension within the ruling coalition.",
            "Critics said the move was designed to sideline rivals ahead of the party congress.",
            "The prime minister is expected to present a new legislative programme before the "
            "end of the session.",
            "Opposition parties said they would boycott the debate and take their case to the "
            "constitutional court.",
            "{p2}, a senior member of the opposition, described the vote as a dark day for "
            "democracy.",
            "The interior minister said security forces had shown restraint and that {n2} people "
            "had been arrested.",
            "Parliament is due to hold a second reading of the bill in {n1} days.",
            "The speaker adjourned the session after scuffles broke out between lawmakers.",
            "Human rights groups have accused the authorities of using emergency powers to "
            "silence dissent.",
            "Police in {c1} said the protest had been largely peaceful.",
            "The president has yet to comment publicly on the crisis.",
            "The government has denied the allegations and said any investigation would be "
            "independent.",
            "A government spokesperson said the cabinet would meet again on {day}.",
            "The coalition government has struggled to pass legislation since losing its "
            "majority in {pyr}.",
        ),
        subjects=(
            "The prime minister",
            "Opposition lawmakers",
            "The interior minister",
            "Members of the ruling party",
            "The speaker of parliament",
            "Protest leaders",
            "A government spokesperson",
        ),
        clauses=(
            "the reform would be put to a vote before the end of the year",
            "the coalition remained united despite recent disagreements",
            "{i1} would be the main issue at the next party congress",
            "the opposition had no credible plan for {i1}",
            "talks between the main parties had broken down over {i1}",
            "the cabinet would review proposals on {i2} next week",
            "the prime minister had lost the confidence of parliament",
            "the constitutional court was expected to rule on the case within weeks",
            "protests would continue until demands on {i2} were met",
            "the bill on {i1} had been watered down in committee",
            "the president had no intention of stepping down",
            "the arrests were part of a wider crackdown on dissent",
            "corruption allegations had damaged public trust in institutions",
            "a snap election could not be ruled out",
            "police had detained {n2} protesters overnight",
            "the ruling party had secured enough votes to pass the budget",
            "the government would not be drawn into a confrontation with the opposition",
            "the government had failed to deliver on {i1}",
        ),
        tag_suffix="politics",
        org_kind="institution",
        event_kind="meeting",
        government_share=0.55,
    ),
    "elections": _Topic(
        stories=(
            (
                "{l1} Votes in Tight Race Between {p1} and {p2}",
                "Voters in {l1} went to the polls on {day} in a closely fought election that "
                "pits {p1} against {p2}.",
                "Polls suggest neither candidate will win an outright majority.",
            ),
            (
                "{p1} Claims Victory in {l1} Presidential Election",
                "{p1} claimed victory in the presidential election in {l1} on {day}, with "
                "provisional results showing a lead of {n2} percent of votes counted.",
                "The opposition said it would not accept the result until every vote is counted.",
            ),
            (
                "{p1} Rejects Early Results in {l1} Vote, Alleges Fraud",
                "The main opposition candidate in {l1}, {p1}, rejected early election results on "
                "{day}, alleging fraud at polling stations across the country.",
                "Observers said they had seen no evidence of systematic fraud.",
            ),
            (
                "{l1} Election Heads for Run-Off Between {p1} and {p2}",
                "The presidential election in {l1} is heading for a run-off, the electoral "
                "commission said on {day}, after no candidate won more than half the vote.",
                "The second round is expected to take place within {n1} weeks.",
            ),
            (
                "Turnout Hits {n2} Percent in {l1} Parliamentary Vote",
                "The electoral commission in {l1} said on {day} that turnout in the "
                "parliamentary election had reached {n2} percent.",
                "Long queues formed outside polling stations in {c1}.",
            ),
            (
                "{p1} Struggles to Form Government {n1} Weeks After {l1} Vote",
                "Talks to form a new government in {l1} stalled on {day}, {n1} weeks after an "
                "election that left no party with a majority.",
                "{p1} said a deal on {i1} was still possible.",
            ),
        ),
        sentences=(
            "Polls opened at 7 a.m. and were due to close at 6 p.m., with results expected "
            "within {n1} days.",
            "Observers from {o1} said voting had been largely peaceful, although some polling "
            "stations opened late.",
            "The campaign of {p2} has focused on unemployment, rising prices and corruption.",
            "The opposition leader told supporters in {c1} that the count must be transparent.",
            "More than {n3} polling stations were set up across the country.",
            "If no candidate wins an outright majority, a run-off will be held next month.",
            "{p3}, a political analyst, said turnout among young voters would decide the outcome.",
            "Campaigning was marred by allegations of vote buying and intimidation in rural areas.",
            "The electoral commission has promised to publish results polling station by polling "
            "station.",
            "Both candidates have pledged to accept the result if the vote is judged free and "
            "fair.",
            "Police were deployed outside the offices of the electoral commission.",
            "The outgoing government has been criticised for its handling of the economy.",
            "Several ministers in the caretaker government are standing for re-election.",
        ),
        subjects=(
            "Election observers",
            "The electoral commission",
            "Campaign officials",
            "Opposition leaders",
            "Pollsters",
            "The opposition leader",
        ),
        clauses=(
            "turnout was higher than at the last election",
            "the count was proceeding smoothly in most regions",
            "there had been irregularities at a number of polling stations",
            "{s1} was on course to win a majority",
            "the result would be too close to call until late in the night",
            "young voters were most concerned about {i1}",
            "the opposition would challenge the result in court",
            "the campaign had been dominated by {i1} and {i2}",
            "observers had been denied access to some counting centres",
            "the winner would face an immediate crisis over {i1}",
            "a run-off between the two leading candidates looked likely",
            "voting had been extended by {n1} hours in some districts",
            "the electoral roll contained thousands of errors",
            "final results would be announced within {n1} days",
            "the new government would be sworn in next month",
            "coalition talks to form a government could take weeks",
        ),
        tag_suffix="elections",
        org_kind="institution",
        event_kind="meeting",
        government_share=0.35,
    ),
    "economy": _Topic(
        stories=(
            (
                "{l1} Central Bank Raises Interest Rates as Inflation Hits {pct} Percent",
                "The central bank of {l1} raised interest rates on {day} as inflation climbed to "
                "{pct} percent, the highest level in more than a decade.",
                "Policymakers signalled that further increases could follow.",
            ),
            (
                "{a1} Profit Jumps {pct} Percent, Beating Forecasts",
                "{o1} reported a {pct} percent rise in quarterly profit on {day}, beating "
                "analysts' forecasts as demand held up despite higher prices.",
                "The company raised its outlook for the full year.",
            ),
            (
                "{l1} Economy Grows {pct2} Percent, Beating Expectations",
                "The economy of {l1} grew by {pct2} percent in the last quarter, official data "
                "showed on {day}, helped by strong exports and consumer spending.",
                "Economists had expected slower growth because of {i1}.",
            ),
            (
                "{a1} to Cut {n3} Jobs in Restructuring Drive",
                "{o1} said on {day} it would cut {n3} jobs over the next two years as it "
                "struggles with {i1}.",
                "Unions said they would fight the cuts.",
            ),
            (
                "Oil Prices Climb {pct2} Percent as {l1} Extends Output Cuts",
                "Oil prices rose {pct2} percent on {day} after {l1} said it would extend output "
                "cuts, lifting energy shares across markets.",
                "Traders said supply would remain tight into next year.",
            ),
            (
                "{p1} Warns {I1} Threatens Recovery in {l1}",
                "{p1} warned on {day} that {i1} threatened the economic recovery in {l1}, "
                "calling for urgent action from policymakers.",
                "Business groups echoed the warning.",
            ),
            (
                "{p1} Unveils {bn} Billion Dollar Stimulus for {l1} Businesses",
                "{p1}, the finance minister of {l1}, unveiled a {bn} billion dollar government "
                "stimulus package on {day} to support businesses hit by soaring energy costs.",
                "The plan includes tax breaks and cheap loans for small firms.",
            ),
            (
                "{l1} Government Plans {bn} Billion Dollar Bond Sale, {s1} Says",
                "The government of {l1} plans to raise {bn} billion dollars through a bond sale, "
                "{p1} said on {day}, as it struggles with {i1}.",
                "Investors expect strong demand.",
            ),
        ),
        sentences=(
            "Inflation has remained above the central bank's target for {n1} consecutive months.",
            "The finance minister said the measures would help households cope with the rising "
            "cost of living.",
            "Economists polled by {o2} had expected a smaller increase.",
            "The currency weakened by {pct2} percent against the dollar after the announcement.",
            "Shares in {o1} rose {pct2} percent in early trading.",
            "{p2}, chief economist at {o2}, said further rate rises could not be ruled out.",
            "Exports fell for a third straight month, hurt by weak demand from Europe and China.",
            "The IMF has warned that public debt could exceed {n2} percent of economic output by "
            "the end of the decade.",
            "Higher borrowing costs have weighed on the housing market.",
            "Investors are watching for signs that inflation has peaked.",
            "Fuel and food prices have driven most of the increase in consumer prices.",
            "The World Bank cut its growth forecast for the region last month.",
            "The government expects the budget deficit to narrow to {pct2} percent of gross "
            "domestic product next year.",
            "Government bond yields rose to their highest level in {n1} years.",
        ),
        subjects=(
            "The finance minister",
            "The central bank governor",
            "Economists",
            "Traders",
            "Business leaders",
            "The company",
            "Analysts at {o2}",
            "Government officials",
        ),
        clauses=(
            "inflation was likely to ease in the second half of the year",
            "interest rates would stay high for longer than markets expected",
            "the central bank was ready to act if price pressures persisted",
            "{i1} posed the biggest risk to growth",
            "exports had been hit by weaker demand in Europe and China",
            "the economy would grow by about {pct2} percent next year",
            "consumer spending remained resilient despite higher prices",
            "the currency was undervalued against the dollar",
            "profits would recover by {fyr}",
            "a loan agreement with the IMF was close",
            "wage growth was failing to keep pace with inflation",
            "oil prices would remain volatile while supply was tight",
            "small businesses were struggling with {i1}",
            "investors were increasingly worried about {i2}",
            "the trade surplus had narrowed for a third consecutive month",
            "the government would raise taxes on large companies",
            "government borrowing had exceeded forecasts",
        ),
        tag_suffix="economy",
        org_kind="company",
        event_kind="meeting",
        government_share=0.35,
    ),
    "conflict": _Topic(
        stories=(
            (
                "At Least {n2} Killed in Attack on Village in Northern {l1}",
                "At least {n2} people were killed on {day} when armed men attacked a village in "
                "northern {l1}, local officials said.",
                "No group has claimed responsibility for the attack.",
            ),
            (
                "{a1} to Withdraw Peacekeeping Mission From {l1} by Year End",
                "{o1} said on {day} it would withdraw its peacekeeping mission from {l1} by the "
                "end of the year, after the authorities demanded its departure.",
                "Aid agencies fear the withdrawal will leave civilians exposed.",
            ),
            (
                "Fighting in Eastern {l1} Forces {n3} to Flee, Aid Agencies Say",
                "Fighting between the army and rebel groups in eastern {l1} has forced more than "
                "{n3} people to flee their homes, aid agencies said on {day}.",
                "Many have crossed into {l2}.",
            ),
            (
                "Ceasefire Brokered by {a1} Collapses as Shelling Resumes Near {c1}",
                "A ceasefire brokered by {o1} collapsed on {day} as heavy shelling resumed on the "
                "outskirts of {c1}.",
                "Both sides blamed each other for the breakdown.",
            ),
            (
                "{l1} Demands Expulsion of {a1} Mission Amid Security Concerns",
                "{l1} has demanded the withdrawal of the {o1} mission, accusing it of failing to "
                "respond to the country's security crisis, officials said on {day}.",
                "The mission has been deployed since {pyr}.",
            ),
            (
                "{a1} Warns of Hunger as Fighting Spreads in {l1}",
                "{o1} warned on {day} that fighting spreading across {l1} could push millions of "
                "people into hunger.",
                "Humanitarian convoys have been blocked for weeks.",
            ),
            (
                "{l1} Government Declares Emergency as {p1} Orders Troops North",
                "The government of {l1} declared a state of emergency in {n1} provinces on {day} "
                "following a wave of attacks on army positions.",
                "{p1} ordered reinforcements to the north.",
            ),
        ),
        sentences=(
            "The peacekeeping mission has been deployed in the country since {pyr} and has "
            "about {n3} personnel.",
            "Security forces said they had repelled the attack and killed several assailants.",
            "No group has claimed responsibility.",
            "{p1}, a spokesperson for {o1}, said humanitarian access remained severely restricted.",
            "Aid agencies warned that the violence could push thousands more people into hunger.",
            "The defence minister said reinforcements had been sent to the region.",
            "Residents described hearing gunfire and explosions throughout the night.",
            "The United Nations has repeatedly called for a ceasefire and the protection of "
            "civilians.",
            "Talks on a truce, mediated by {l2}, have made little progress.",
            "Human rights groups have documented abuses by all sides in the conflict.",
            "The army said it had regained control of the town after {n1} days of fighting.",
            "Refugees crossing into {l2} described looted homes and burned markets.",
            "Diplomats said the peacekeeping mission's mandate was unlikely to be renewed.",
            "Police set up checkpoints on the main roads into {c1}.",
            "The government accused foreign mercenaries of fuelling the violence.",
            "Government troops have struggled to hold territory in the north since {pyr}.",
        ),
        subjects=(
            "The army",
            "A military spokesperson",
            "Aid workers",
            "The defence minister",
            "Witnesses",
            "Local officials",
            "The peacekeeping mission",
        ),
        clauses=(
            "the attackers had arrived on motorcycles before dawn",
            "the peacekeeping mission had failed to protect civilians",
            "humanitarian convoys had been blocked for {n1} days",
            "the ceasefire was holding in most areas despite sporadic clashes",
            "armed groups were recruiting children in the north",
            "the army had launched a new offensive near {l3}",
            "talks on a truce would resume in {l2} next week",
            "thousands of people had fled to neighbouring countries",
            "the death toll was likely to rise",
            "foreign fighters were operating in the region",
            "security forces had arrested {n1} suspects",
            "the withdrawal of the peacekeeping mission would leave a security vacuum",
            "access to the area remained restricted for journalists",
            "conditions in the camps around {l3} were deteriorating rapidly",
            "landmines were killing farmers in the fields",
            "{i1} was now the most urgent concern",
            "the government had lost control of large parts of the countryside",
            "peace talks between the government and the rebels had stalled",
        ),
        tag_suffix="security",
        org_kind="institution",
        event_kind="meeting",
        government_share=0.4,
    ),
    "climate": _Topic(
        stories=(
            (
                "Drought in {l1} Leaves {n3} Families in Need of Food Aid",
                "Severe drought in {l1} has destroyed crops and left {n3} families in need of "
                "food aid, officials said on {day}.",
                "It is the third failed rainy season in a row.",
            ),
            (
                "Floods Kill {n2} in {l1}, Forcing {n3} From Their Homes",
                "Flooding caused by days of torrential rain has killed at least {n2} people in "
                "{l1}, emergency services said on {day}.",
                "More than {n3} people have been forced from their homes.",
            ),
            (
                "{c1} Records {temp} Degrees as Heatwave Sends {n3} to Hospital",
                "Temperatures in {c1} reached {temp} degrees Celsius on {day}, the highest ever "
                "recorded in the city, as a heatwave gripped {l1}.",
                "Hospitals treated {n3} people for heatstroke.",
            ),
            (
                "Delegates at {e1} Agree {bn} Billion Dollar Climate Fund",
                "Delegates at the {e1} agreed on {day} to set up a {bn} billion dollar fund to "
                "help poorer countries cope with climate change.",
                "Campaigners said the sums pledged fell far short of what is needed.",
            ),
            (
                "{p1} Says {I1} Threatens Farmers Across {l1}",
                "{p1} said on {day} that {i1} threatened the livelihoods of farmers across {l1}, "
                "calling for emergency support.",
                "Food prices have already risen sharply.",
            ),
            (
                "{p1} Says {l1} Government Will Phase Out Coal by {fyr}",
                "{p1} said on {day} the government of {l1} would phase out coal power by {fyr}, "
                "bringing forward its target by five years.",
                "Environmental groups welcomed the decision but called for more detail.",
            ),
        ),
        sentences=(
            "Scientists say climate change is making extreme weather events more frequent and "
            "more intense.",
            "Farmers said the rains had failed for a second year in a row.",
            "The energy minister said solar and wind power would supply {n2} percent of "
            "electricity by {fyr}.",
            "{p2}, a climate scientist at {o2}, said the findings were deeply worrying.",
            "Emissions from the power sector rose {pct2} percent last year.",
            "Environmental groups criticised the plan as too little, too late.",
            "Rescue teams used boats to reach villages cut off by the floodwaters.",
            "The heatwave has put pressure on power grids and hospitals.",
            "Water levels in the main reservoir have fallen to {n2} percent of capacity.",
            "Activists staged a protest outside the {e1} to demand faster action on emissions.",
            "Insurers estimate the damage at more than {bn} billion dollars.",
            "The government has been criticised for approving new oil and gas licences.",
            "Local government officials said evacuation centres were overcrowded.",
        ),
        subjects=(
            "Scientists",
            "Environmental groups",
            "The energy minister",
            "Farmers",
            "Meteorologists",
            "Campaigners",
        ),
        clauses=(
            "the drought was the worst in four decades",
            "rising temperatures were putting crops and livestock at risk",
            "the country would miss its emissions targets without urgent action",
            "rich countries must do more to pay for adaptation",
            "floodwaters had destroyed {n3} homes",
            "the heatwave would last at least until the weekend",
            "solar power had become the cheapest source of electricity",
            "coastal communities around {l3} were being forced to move inland",
            "the new fund would be operational by {fyr}",
            "{i1} was the main concern for farmers this season",
            "deforestation had accelerated over the past year",
            "water rationing would be introduced in {c1}",
            "the climate talks had failed to agree on phasing out fossil fuels",
            "the rainy season had started {n1} weeks late",
            "the government had ignored repeated warnings about the dams",
            "government subsidies for fossil fuels should be scrapped",
        ),
        tag_suffix="climate",
        org_kind="institution",
        event_kind="meeting",
        government_share=0.3,
    ),
    "sport": _Topic(
        stories=(
            (
                "{l1} Beat {l2} {g1}-{g2} to Reach {e1} Final",
                "{l1} beat {l2} {g1}-{g2} on {day} to reach the final of the {e1}.",
                "The winning goal came in the closing minutes.",
            ),
            (
                "{p1} Scores Twice as {a1} Come From Behind to Win",
                "{p1} scored twice as {o1} came from behind to beat {o2} {g1}-{g2} on {day}.",
                "The result lifts the club to second place in the table.",
            ),
            (
                "{a1} Sack Coach {p1} After {n1} Games Without a Win",
                "{o1} have sacked their coach {p1} after a run of {n1} games without a win, the "
                "club said on {day}.",
                "An interim replacement will take charge for the next match.",
            ),
            (
                "{p1} Wins {e1} Ahead of Rival {p2}",
                "{p1} won the {e1} on {day}, finishing {n1} seconds ahead of {p2}.",
                "It was a first major title after years of near misses.",
            ),
            (
                "{a1} Sign {p1} in Record Transfer Deal",
                "{o1} have signed {p1} from {o2} in a deal worth a club record fee, the club "
                "announced on {day}.",
                "The striker has signed a contract until {fyr}.",
            ),
            (
                "{l1} Government to Fund New National Stadium Ahead of {e1}",
                "The government of {l1} said on {day} it would fund a new national stadium "
                "ahead of the {e1}.",
                "Construction is due to start next year.",
            ),
        ),
        sentences=(
            "The striker opened the scoring after {n2} minutes with a low shot from the edge of "
            "the area.",
            "The goalkeeper made several fine saves to keep the visitors in the game.",
            "{s1} said after the match that the team had shown great character.",
            "The midfielder was sent off early in the second half for a second yellow card.",
            "The coach said the squad would need to improve before the next round.",
            "More than {n3} fans packed into the stadium in {c1}.",
            "It was the first trophy in {n1} years.",
            "The defending champions had been unbeaten in their previous {n1} matches.",
            "{p2} equalised shortly before half-time with a header from a corner.",
            "Ticket prices have been a source of controversy among supporters.",
            "The sports minister congratulated the players on social media.",
            "Police said the match had passed without serious incident.",
            "The government has promised to bid to host the tournament in future.",
        ),
        subjects=("The coach", "The captain", "Club officials", "Fans", "Pundits", "The striker"),
        clauses=(
            "the team had deserved the win",
            "the squad was focused on the next match",
            "the referee had made several controversial decisions",
            "the injury was not as serious as first feared",
            "the club was in talks to sign a new striker",
            "the players had shown great character in the second half",
            "the coach's job was safe for now",
            "the final would be played in {c1} in front of a sell-out crowd",
            "the team had not lost at home for {n1} months",
            "the goalkeeper had been the best player on the pitch",
            "ticket sales had exceeded expectations",
            "the league would review its rules on {i1}",
            "the transfer fee was a record for the club",
            "the captain would miss the rest of the season",
            "the government should invest more in grassroots sport",
        ),
        tag_suffix="sport",
        org_kind="club",
        event_kind="sport",
        government_share=0.08,
    ),
    "technology": _Topic(
        stories=(
            (
                "{a1} Unveils AI Model It Says Speaks {n2} Languages",
                "{o1} unveiled a new artificial intelligence model on {day}, saying it could "
                "answer questions in more than {n2} languages.",
                "The company said the model would be free for researchers.",
            ),
            (
                "{a1} Hit by Cyberattack Exposing Data of {n3} Customers",
                "{o1} said on {day} it had been hit by a cyberattack that exposed the personal "
                "data of {n3} customers.",
                "The company said payment details were not affected.",
            ),
            (
                "Chipmaker {a1} Plans {bn} Billion Dollar Factory in {l1}",
                "Chipmaker {o1} announced plans on {day} to build a {bn} billion dollar factory "
                "in {l1}, creating {n3} jobs.",
                "Production is expected to start in {fyr}.",
            ),
            (
                "Regulators in {l1} Fine {a1} Over {I1} Failings",
                "Regulators in {l1} fined {o1} on {day} over failings in {i1}, the largest "
                "penalty of its kind in the country.",
                "The company said it would appeal.",
            ),
            (
                "{l1} Startup Founded by {p1} Raises Fresh Funding",
                "A startup in {l1} founded by {p1} said on {day} it had raised {bn} million "
                "dollars from investors to expand across the region.",
                "The company makes software for small retailers.",
            ),
            (
                "{l1} Government Blocks Social Media as {p1} Cites Security",
                "The government of {l1} ordered internet providers on {day} to block access to "
                "several social media platforms, citing security concerns.",
                "{p1} said the block was temporary; digital rights groups condemned it.",
            ),
        ),
        sentences=(
            "The company said the software would be available to users in {l2} later this year.",
            "{p1}, the chief executive of {o1}, said the technology would transform the way "
            "people work.",
            "Privacy campaigners raised concerns about how the data would be stored.",
            "The data protection regulator said it was investigating the breach.",
            "Shares in the company rose {pct2} percent after the announcement.",
            "Analysts said the move intensifies competition in the smartphone market.",
            "The startup employs about {n2} engineers in {c1}.",
            "Experts warned that the attack exposed weaknesses in digital infrastructure.",
            "Mobile payments have grown rapidly, with {n3} new accounts opened last month.",
            "{o2} said it would train {n3} young people in coding.",
            "The digital minister said the country aimed to become a regional technology hub.",
            "Police said they had arrested {n1} suspects in connection with the hacking.",
            "Government agencies were told to stop using the app on official devices.",
            "The government wants all public services to be available online by {fyr}.",
        ),
        subjects=(
            "The company",
            "Regulators",
            "Security researchers",
            "The digital minister",
            "Industry analysts",
            "The chipmaker",
        ),
        clauses=(
            "the new chip would be twice as fast as its predecessor",
            "the breach had affected customers in {n1} countries",
            "the app had been downloaded {n3} times in its first week",
            "artificial intelligence would create more jobs than it destroyed",
            "the startup planned to expand into {l2} next year",
            "regulators were examining whether the deal would harm competition",
            "the outage had been caused by a faulty software update",
            "{i1} was the biggest challenge facing the industry",
            "customer data had not been sold to third parties",
            "the chipmaker would invest {bn} billion dollars in new factories",
            "mobile internet coverage would reach rural areas by {fyr}",
            "the ransomware group had demanded payment in cryptocurrency",
            "the company would appeal against the fine",
            "users would be able to opt out of data collection",
            "the government wanted to regulate {i1} more tightly",
            "government websites had been targeted by hackers",
        ),
        tag_suffix="tech",
        org_kind="company",
        event_kind="meeting",
        government_share=0.15,
    ),
    "culture": _Topic(
        stories=(
            (
                "Film by {p1} Wins Top Prize at {e1}",
                "A film by {p1} won the top prize at the {e1} on {day}, the first such award "
                "for a director from {l1}.",
                "The jury praised its portrayal of everyday life in {c1}.",
            ),
            (
                "Museum Agrees to Return {n2} Looted Artefacts to {l1}",
                "A museum in {l2} agreed on {day} to return {n2} looted artefacts to {l1}, "
                "ending a dispute that lasted decades.",
                "The objects were taken during the colonial period.",
            ),
            (
                "New Novel by {p1} Set in {c1} Shortlisted for Prize",
                "The new novel by {p1}, set in {c1} in the years after independence, has been "
                "shortlisted for a major literary prize, organisers said on {day}.",
                "The winner will be announced next month.",
            ),
            (
                "Record Crowds Flock to {e1} in {c1}",
                "Thousands of people attended the opening night of the {e1} in {c1} on {day}, "
                "organisers said, a record for the event.",
                "This year's programme focuses on {i1}.",
            ),
            (
                "{p1} Says {l1} Government Will Double Arts Funding",
                "{p1} said on {day} the government of {l1} would double funding for the arts "
                "over the next {n1} years.",
                "Artists said the money was long overdue.",
            ),
        ),
        sentences=(
            "The jury praised the film for its portrayal of everyday life.",
            "{s1} said the award was a tribute to the cast and crew.",
            "The festival has grown rapidly and now attracts visitors from across the region.",
            "Critics have described the book as a moving portrait of a family torn apart by war.",
            "Tickets for the concert sold out within minutes.",
            "The culture minister attended the ceremony.",
            "{p2}, a curator at the museum, said the return was long overdue.",
            "The exhibition runs until the end of the year.",
            "Police closed several streets in the centre of {c1} for the parade.",
            "The government has promised to build a new national library.",
        ),
        subjects=("The director", "Critics", "The culture minister", "Organisers", "The author"),
        clauses=(
            "the film had been shot on a small budget in {c1}",
            "the festival had attracted record crowds this year",
            "the novel drew on childhood memories of {l1}",
            "the artefacts would go on display next spring",
            "streaming had changed the way audiences discovered music",
            "the exhibition explored the legacy of colonial rule",
            "the award would help young artists find funding",
            "ticket prices had put the concerts out of reach for many fans",
            "the theatre would reopen after a {n1}-month renovation",
            "{i1} was a recurring theme in the new work",
            "the museum had received {n3} visitors in its first year",
            "the government should do more to protect historic buildings",
        ),
        tag_suffix="culture",
        org_kind="institution",
        event_kind="culture",
        government_share=0.1,
    ),
}

# What a topic's stories are about: {i1} and {i2}, most often the first.
ISSUES: dict[str, tuple[str, ...]] = {
    "politics": (
        "pension reform", "corruption", "judicial independence", "press freedom", "fuel subsidies",
        "land reform", "immigration", "public sector wages", "electoral reform", "decentralisation",
        "the cost of living", "police reform", "housing", "youth unemployment", "healthcare",
    ),
    "elections": (
        "unemployment", "the cost of living", "security", "corruption", "healthcare", "education",
        "housing", "fuel prices", "migration", "climate policy",
    ),
    "economy": (
        "inflation", "public debt", "the trade deficit", "energy prices", "youth unemployment",
        "food prices", "the exchange rate", "tax reform", "bank lending", "foreign investment",
        "supply chain disruption", "wage growth",
    ),
    "conflict": (
        "civilian protection", "humanitarian access", "disarmament", "border security",
        "arms smuggling", "displacement", "food insecurity", "the peace process",
        "kidnappings for ransom", "landmines",
    ),
    "climate": (
        "drought", "flooding", "heatwaves", "water scarcity", "deforestation", "coastal erosion",
        "crop failure", "air pollution", "renewable energy", "carbon emissions",
    ),
    "sport": (
        "video assistant referees", "player welfare", "ticket prices", "financial fair play",
        "doping", "concussion", "squad rotation", "youth academies",
    ),
    "technology": (
        "artificial intelligence", "data privacy", "cybersecurity", "chip supply",
        "online misinformation", "digital payments", "satellite internet", "cloud computing",
        "content moderation",
    ),
    "culture": (
        "identity", "memory", "migration", "family", "colonial history", "exile", "love and loss",
        "urban life",
    ),
}  # fmt: skip

# Each story carries one of its topic's tags, most often the first.
TOPIC_TAGS: dict[str, tuple[str, ...]] = {
    "politics": (
        "Politics", "Parliament", "Protests", "Corruption", "Constitutional reform", "Human rights",
        "Coalition politics", "Press freedom", "Pensions", "Opposition",
    ),
    "elections": (
        "Elections", "Presidential election", "Parliamentary election", "Voting", "Electoral fraud",
        "Democracy", "Referendums", "Campaigns",
    ),
    "economy": (
        "Economy", "Inflation", "Interest rates", "Markets", "Oil", "Trade", "Jobs",
        "Central banks", "Public debt", "Company results", "Currencies",
    ),
    "conflict": (
        "Conflict", "UN peacekeeping", "Sahel security", "Refugees", "Humanitarian aid",
        "Ceasefires", "Terrorism", "Armed groups", "Defence",
    ),
    "climate": (
        "Climate change", "Extreme weather", "Drought", "Floods", "Renewable energy", "Emissions",
        "Agriculture", "Climate finance",
    ),
    "sport": (
        "Sport", "Football", "Athletics", "Transfers", "Olympics", "Motor racing", "Tennis",
        "Women's football",
    ),
    "technology": (
        "Technology", "Artificial intelligence", "Cybersecurity", "Semiconductors", "Startups",
        "Social media", "Data privacy", "Telecoms",
    ),
    "culture": (
        "Culture", "Film", "Books", "Music", "Museums", "Festivals", "Art",
    ),
}  # fmt: skip


GENERAL_SENTENCES = (
    '"We are following the situation very closely," {s1} said.',
    "{s2} declined to comment.",
    "The ministry did not respond to a request for comment.",
    "Officials said more details would be released in the coming days.",
    '"This is a decisive moment for our country," {s1} told reporters in {c1}.',
    "The announcement was welcomed by business groups but criticised by unions.",
    "Local media reported that the meeting lasted more than {n1} hours.",
    "{p3} said the decision had been taken after consultations with regional partners.",
    "{o1} said in a statement that it remained committed to working with all parties.",
    "Officials said the authorities would respond to the concerns raised by residents.",
    "It was not immediately clear how many people were affected.",
    "{s1} is expected to travel to {l2} next week for talks.",
    "The issue is likely to dominate discussions at the {e1}.",
    "Critics say the plan lacks detail and has no clear source of funding.",
    "A spokesperson for {a1} confirmed the figures but gave no further details.",
    "The move comes amid growing frustration over the slow pace of change.",
    "Residents in {c1} said they had seen little improvement in their daily lives.",
    "{a2} said the situation remained fragile.",
    "Diplomatic sources said {l2} had offered to mediate.",
    "The figures could not be independently verified.",
    '"There is still a lot of work to be done," {s2} said.',
    "The foreign minister held talks with {p3} on the sidelines of the {e1}.",
    "The president said in a televised address that the country would not bow to pressure.",
    "{i2} has also become a growing concern in recent months.",
    "Residents of {l3} said they had not been consulted.",
    "The government said it would set up a commission to investigate.",
    '"The government must take responsibility," {s2} said.',
    "Trust in the government has fallen sharply, according to a recent survey.",
)

GENERAL_CLAUSES = (
    "talks would continue next week",
    "the situation remained fragile",
    "more needed to be done to protect the most vulnerable",
    "the decision had been taken after weeks of consultations",
    "the plan would be reviewed in {n1} months",
    "the authorities had been slow to respond",
    "the figures showed the scale of the challenge",
    "there was no quick fix",
    "the proposals would be published in full",
    "a final decision was expected by the end of the month",
    "public anger was growing in {c1}",
    "regional partners had been kept informed",
    "the measures were only temporary",
    "the cost would be shared with international partners",
    "{l2} was watching developments closely",
    "the timing of the announcement was no coincidence",
    "lessons had been learned since {pyr}",
    "the next few weeks would be critical",
    "{i2} could not be ignored much longer",
    "the government had acted too slowly",
    "the government was open to dialogue",
)

GENERAL_SUBJECTS = (
    "{p1}",
    "{s1}",
    "{s2}",
    "{p3}",
    "A spokesperson for {a1}",
    "Officials in {c1}",
    "Diplomats",
    "Analysts",
    "{a2}",
    "Local officials",
)

SAY_BEFORE = (
    "said",
    "said",
    "said",
    "said on {day}",
    "told reporters that",
    "warned that",
    "argued that",
    "insisted that",
    "acknowledged that",
    "told a news conference in {c1} that",
    "said in a statement that",
)
SAY_AFTER = (
    "said",
    "said",
    "said on {day}",
    "told reporters",
    "warned",
    "added",
    "said in a statement",
    "told a news conference in {c1}",
    "said late on {day}",
)

# Terms that only these sentences use, so that rare-word queries have few hits.
# Earlier ones are less rare (Zipf); every one is guaranteed to appear at least once.
RARE_SENTENCES: tuple[tuple[str, str], ...] = (
    ("cholera", "Health workers reported a rise in cholera cases in camps for displaced people."),
    ("remittances", "Remittances from workers abroad account for about {n2} percent of income."),
    ("locusts", "Swarms of desert locusts have been spotted near the border."),
    ("ombudsman", "The ombudsman has opened an inquiry into how the contracts were awarded."),
    ("desalination", "A new desalination plant is expected to supply water to {n3} households."),
    ("permafrost", "Thawing permafrost is damaging roads and pipelines in the far north."),
    ("mangroves", "Volunteers are replanting mangroves to protect the coast from storm surges."),
    ("Timbuktu", "The ancient manuscripts of Timbuktu were moved to safety during the fighting."),
    ("Kidal", "Armed groups still control parts of the region around Kidal."),
    ("sorghum", "Farmers around {l3} have switched from maize to sorghum, which needs less water."),
    ("filibuster", "Opposition senators threatened a filibuster to delay the vote."),
    ("gerrymandering", "Critics accused the ruling party of gerrymandering electoral boundaries."),
    ("stablecoin", "Regulators also warned about the risks of an unregulated stablecoin."),
    ("quinoa", "Exports of quinoa have doubled in the past {n1} years."),
    ("plebiscite", "Some lawmakers have called for a plebiscite on the issue."),
    ("Svalbard", "Researchers in Svalbard recorded the warmest summer on record."),
    ("Kamchatka", "A volcanic eruption in Kamchatka disrupted flights across the region."),
    ("Ouarzazate", "The solar complex near Ouarzazate is being expanded."),
    ("Ushuaia", "Cruise ships bound for Antarctica from Ushuaia have been delayed by storms."),
    ("hydrofoil", "The ferry operator plans to introduce a hydrofoil service across the lake."),
    ("transhumance", "Herders said transhumance routes through {l3} had been blocked for months."),
    ("exoplanet", "The observatory also announced the discovery of an exoplanet."),
    ("cryptojacking", "Investigators said the servers had also been used for cryptojacking."),
    ("agrivoltaics", "A pilot project in agrivoltaics, growing crops under solar panels, began."),
    ("Tessalit", "Fighters were also reported near Tessalit, close to the Algerian border."),
    ("Aguelhok", "A convoy was ambushed on the road to Aguelhok earlier this month."),
    ("marimba", "The evening closed with a performance by a marimba ensemble from {c1}."),
    ("sargassum", "Beaches have been covered by sargassum seaweed, hurting tourism."),
    ("sukuk", "The finance ministry plans to issue its first sukuk, an Islamic bond."),
    ("lahar", "Authorities warned that a lahar could reach villages below the volcano."),
    ("phylloxera", "Winegrowers fear an outbreak of phylloxera could devastate vineyards."),
    ("haboob", "A haboob, a violent dust storm, swept through {c1} on {day}, grounding flights."),
)
_RARE_RATE = 0.02

QUERY_MIX: list[str] = [
    # rare words: each in a handful of articles
    "haboob",
    "phylloxera",
    "lahar",
    "sukuk",
    "sargassum",
    "marimba",
    "Aguelhok",
    "Tessalit",
    "agrivoltaics",
    "cryptojacking",
    # common words
    "government",
    "minister",
    "said",
    "president",
    "election",
    "inflation",
    "police",
    "climate",
    # two words, both required
    "interest rates",
    "peacekeeping civilians",
    "drought farmers",
    "ceasefire talks",
    "opposition parliament",
    "inflation currency",
    "cyberattack customers",
    "film festival",
    "minister reform",
    "striker goalkeeper",
    # phrases
    '"peacekeeping mission"',
    '"prime minister"',
    '"interest rates"',
    '"climate change"',
    '"human rights"',
    '"central bank"',
    '"opposition leader"',
    '"security forces"',
    # alternatives
    "drought OR flooding",
    "ceasefire OR truce",
    "striker OR goalkeeper",
    "startup OR chipmaker",
    "museum OR festival",
    # exclusions
    "minister -football",
    "election -fraud",
    "inflation -oil",
    # names
    "Guterres",
    "Abdoulaye Diop",
    "MINUSMA",
    "IMF",
    '"World Bank"',
    '"African Union"',
]

# ---------------------------------------------------------------------------
# Articles
# ---------------------------------------------------------------------------

# (section, region its datelines come from or None for anywhere, topics it runs)
SECTIONS: tuple[tuple[str, str | None, tuple[str, ...]], ...] = (
    ("world/africa", "africa", ("conflict", "politics", "elections", "economy", "climate")),
    ("world/europe", "europe", ("politics", "economy", "conflict", "elections", "climate")),
    ("world/americas", "americas", ("politics", "elections", "economy", "climate", "conflict")),
    ("world/asia", "asia", ("economy", "politics", "climate", "conflict", "elections")),
    ("politics", None, ("politics", "elections")),
    ("business", None, ("economy", "economy", "technology")),
    ("technology", None, ("technology",)),
    ("sport", None, ("sport",)),
    ("climate", None, ("climate",)),
    ("culture", None, ("culture",)),
)
SOURCES = ("Reuters", "AP", "AFP")
_SOURCE_WEIGHTS = (0.45, 0.8, 1.0)  # cumulative: 45 % Reuters, 35 % AP, 20 % AFP
# 92 % published, 5 % draft, 2 % scheduled (published, dated in the future), 1 % archived.
_STATUSES = ("published", "draft", "scheduled", "archived")
_STATUS_SHARES = (0.92, 0.97, 0.99, 1.0)  # cumulative
_AUTHOR_COUNTS = (0.10, 0.75, 0.97, 1.0)  # cumulative shares of 0, 1, 2 and 3 bylines
_MONTHS = "January February March April May June July August September October November December"
_MONTH_NAMES = _MONTHS.split()
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_SMALL_WORDS = frozenset({"a", "and", "at", "for", "in", "of", "on", "the", "to"})
_NON_SLUG = re.compile(r"[^a-z0-9]+")
_DECK_COUNT = 64
_Card = TypeVar("_Card")


class _Zipf:
    """Picks ``items`` with probability proportional to 1 / (rank + offset) ** exponent.

    An offset above 1 (Zipf-Mandelbrot) flattens the head: with thousands of people
    in the news, the most quoted one is in a few percent of stories, not a third.
    """

    __slots__ = ("cum", "items", "total")

    def __init__(self, items: Sequence[str], exponent: float = 1.0, offset: float = 1.0) -> None:
        if not items:
            raise ValueError("cannot draw from an empty list")
        self.items = list(items)
        weights = (1.0 / (rank + offset) ** exponent for rank in range(len(items)))
        self.cum = list(accumulate(weights))
        self.total = self.cum[-1]

    def pick(self, rng: random.Random) -> str:
        return self.items[bisect(self.cum, rng.random() * self.total)]

    def distinct(self, rng: random.Random, count: int, *, besides: str = "") -> list[str]:
        picked: list[str] = []
        for _ in range(10 * count):
            item = self.pick(rng)
            if item != besides and item not in picked:
                picked.append(item)
                if len(picked) == count:
                    return picked
        # A list too short to give distinct items: repeat rather than fail.
        return (picked + self.items * count)[:count]


def _sentence_case(template: str) -> str:
    # Issues are lower case ("inflation"); at the start of a sentence they take the
    # capitalized copy the cast carries as {i1_cap}.
    if template.startswith(("{i1}", "{i2}")):
        return f"{{{template[1:3]}_cap}}{template[4:]}"
    return template[0].upper() + template[1:]


@dataclass(frozen=True, slots=True)
class _Variant:
    """A topic's text, either all of it or only the parts that never say "government"."""

    stories: tuple[tuple[str, str, str], ...]
    sentences: tuple[str, ...]
    # For each clause, every sentence made of it: "X said <clause>." and
    # "<Clause>, x said.", built once so that an article only picks one.
    clause_forms: tuple[tuple[str, ...], ...]


def _variant(topic: _Topic, *, government: bool) -> _Variant:
    def keep(text: str) -> bool:
        return government or "government" not in text.lower()

    stories = tuple(
        story for story in topic.stories if ("government" in " ".join(story).lower()) == government
    )
    subjects = [s for s in topic.subjects + GENERAL_SUBJECTS if keep(s)]
    # After the clause ("..., analysts said") a subject loses its capital unless it
    # is a name slot.
    subjects_after = [s if s.startswith("{") else s[0].lower() + s[1:] for s in subjects]
    clauses = [c for c in topic.clauses + GENERAL_CLAUSES if keep(c)]
    return _Variant(
        stories=stories,
        sentences=tuple(_sentence_case(s) for s in topic.sentences + GENERAL_SENTENCES if keep(s)),
        clause_forms=tuple(
            tuple(f"{subject} {verb} {clause}." for subject in subjects for verb in SAY_BEFORE)
            + tuple(
                _sentence_case(f"{clause}, {subject} {verb}.")
                for subject in subjects_after
                for verb in SAY_AFTER
            )
            for clause in clauses
        ),
    )


_VARIANTS = {
    (name, government): _variant(topic, government=government)
    for name, topic in TOPICS.items()
    for government in (False, True)
}


def _title_case(text: str) -> str:
    words = text.split()
    return " ".join(
        word if index and word in _SMALL_WORDS else word[0].upper() + word[1:]
        for index, word in enumerate(words)
    )


def _slug(title: str) -> str:
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    return _NON_SLUG.sub("-", ascii_title.lower()).strip("-")


def _between(rnd: Callable[[], float], low: int, high: int) -> int:
    """A uniform integer in [low, high]; ``randint`` is the slowest call per article."""
    return low + int(rnd() * (high - low + 1))


def _pick_cumulative(rng: random.Random, shares: Sequence[float]) -> int:
    return bisect(shares, rng.random())


class _ArticleMaker:
    """Everything drawn once per corpus, then one method call per article."""

    def __init__(self, rng: random.Random, entities: Sequence[Mapping[str, Any]]) -> None:
        self.rng = rng
        by_type: dict[str, list[str]] = {}
        self.short: dict[str, str] = {}
        for entity in entities:
            name = entity["name"]
            by_type.setdefault(entity["type"], []).append(name)
            self.short[name] = _short_form(name, entity.get("aliases") or [])
        missing = {"person", "organization", "location", "event"} - by_type.keys()
        if missing:
            raise ValueError(f"entities need at least one of each type; none of {sorted(missing)}")
        self.persons = _Zipf(by_type["person"], offset=10)
        self.places = _Zipf(by_type["location"], offset=10)
        self.orgs = _pools(by_type["organization"], org_kind)
        self.events = _pools(by_type["event"], event_kind)
        self.countries = {
            region: _Zipf([country for country, _ in pairs], offset=2)
            for region, pairs in REGIONS.items()
        }
        self.all_countries = _Zipf(list(_CAPITALS), offset=3)
        self.sections = _Zipf([section for section, _, _ in SECTIONS], exponent=0.8)
        self.section_info = {section: (region, topics) for section, region, topics in SECTIONS}
        self.regions = list(REGIONS)
        self.issues = {name: _Zipf(issues) for name, issues in ISSUES.items()}
        self.topic_tags = {name: _Zipf(tags) for name, tags in TOPIC_TAGS.items()}
        self.title_issues = {
            issue: _title_case(issue) for issues in ISSUES.values() for issue in issues
        }
        self.rare = _Zipf([sentence for _, sentence in RARE_SENTENCES])
        # Shuffling a story's sentence pools for every article costs more than writing
        # it; shuffled decks dealt from a random cut are just as free of repeats.
        self.decks = {
            key: (_decks(rng, variant.sentences), _decks(rng, variant.clause_forms))
            for key, variant in _VARIANTS.items()
        }
        self.reporters = _Zipf(
            _unique(
                rng, 300, _Names(), lambda r: f"{r.choice(FIRST_NAMES)} {r.choice(LAST_NAMES)}"
            ),
            exponent=0.7,
        )

    def article(self, index: int) -> dict[str, Any]:
        rng = self.rng
        section = self.sections.pick(rng)
        region, topics = self.section_info[section]
        topic_name = rng.choice(topics)
        topic = TOPICS[topic_name]
        government = rng.random() < topic.government_share
        variant = _VARIANTS[topic_name, government]

        status = _STATUSES[_pick_cumulative(rng, _STATUS_SHARES)]
        if status == "scheduled":
            timestamp = REFERENCE_TIME + _SCHEDULED_FROM + rng.randrange(_SCHEDULED_SPAN)
        else:
            timestamp = REFERENCE_TIME - rng.randrange(_PUBLISHED_SPAN)
        moment = time.gmtime(timestamp)

        cast = self._cast(rng, topic_name, region or rng.choice(self.regions), moment)
        source = SOURCES[_pick_cumulative(rng, _SOURCE_WEIGHTS)]
        if source == "Reuters":
            month = _MONTH_NAMES[moment.tm_mon - 1]
            dateline = f"{cast['c1'].upper()}, {month} {moment.tm_mday} (Reuters) - "
        elif source == "AP":
            dateline = f"{cast['c1'].upper()}, {cast['l1']} (AP) — "
        else:
            dateline = f"{cast['c1']} (AFP) - "

        title, lead, summary = self._story(rng, variant, cast)
        article: dict[str, Any] = {"title": title}
        if rng.random() < 0.7:
            article["summary"] = summary
        article["body_format"] = "text"
        article["body"] = self._body(rng, index, (topic_name, government), cast, dateline + lead)
        article["section"] = section
        article["language"] = "en"
        article["status"] = "published" if status == "scheduled" else status
        # A draft has not been published yet, so it has no date; the API sets one
        # when it is first published.
        if status != "draft":
            article["published_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", moment)
        article["tags"] = self._tags(rng, topic_name, cast["l1"])
        article["authors"] = self.reporters.distinct(rng, _pick_cumulative(rng, _AUTHOR_COUNTS))
        article["source"] = source
        article["canonical_url"] = _canonical_url(rng, index, source, section, title, moment)
        return article

    def _cast(
        self, rng: random.Random, topic_name: str, region: str, moment: time.struct_time
    ) -> dict[str, str]:
        topic = TOPICS[topic_name]
        p1, p2, p3 = self.persons.distinct(rng, 3)
        o1, o2 = self.orgs.get(topic.org_kind, self.orgs[""]).distinct(rng, 2)
        l1 = self.countries[region].pick(rng)
        i1, i2 = self.issues[topic_name].distinct(rng, 2)
        rnd = rng.random
        goals = _between(rnd, 1, 5)
        year = moment.tm_year
        return {
            "p1": p1,
            "p2": p2,
            "p3": p3,
            "s1": self.short[p1],
            "s2": self.short[p2],
            "o1": o1,
            "o2": o2,
            "a1": self.short[o1],
            "a2": self.short[o2],
            "l1": l1,
            "l2": self.all_countries.distinct(rng, 1, besides=l1)[0],
            "l3": self.places.pick(rng),
            "c1": _CAPITALS[l1],
            "e1": self.events.get(topic.event_kind, self.events[""]).pick(rng),
            "i1": i1,
            "i2": i2,
            "i1_cap": i1[0].upper() + i1[1:],
            "i2_cap": i2[0].upper() + i2[1:],
            "I1": self.title_issues[i1],
            "n1": str(_between(rnd, 2, 12)),
            "n2": str(_between(rnd, 12, 95)),
            "n3": f"{_between(rnd, 3, 400) * 100:,}",
            "pct": f"{_between(rnd, 15, 149) / 10}",
            "pct2": f"{_between(rnd, 2, 49) / 10}",
            "bn": f"{_between(rnd, 12, 480) / 10}",
            "g1": str(goals),
            "g2": str(_between(rnd, 0, goals - 1)),
            "temp": str(_between(rnd, 38, 49)),
            "pyr": str(year - _between(rnd, 2, 12)),
            "fyr": str(year + _between(rnd, 2, 10)),
            "day": _WEEKDAYS[moment.tm_wday],
        }

    @staticmethod
    def _story(rng: random.Random, variant: _Variant, cast: dict[str, str]) -> tuple[str, str, str]:
        # Long names can push a headline past 14 words: try other stories first.
        for _ in range(10):
            title, lead, summary = rng.choice(variant.stories)
            title = title.format_map(cast)
            if 6 <= len(title.split()) <= 14:
                break
        return title, lead.format_map(cast), summary.format_map(cast)

    def _body(
        self,
        rng: random.Random,
        index: int,
        variant: tuple[str, bool],
        cast: dict[str, str],
        lead: str,
    ) -> str:
        rnd = rng.random  # indexing with random() is several times faster than choice()
        target = min(max(int(rng.lognormvariate(log(600), 0.35)), 300), 1100)
        words = lead.count(" ") + 1
        # Sentences and clauses are dealt like cards so that a story repeats nothing
        # until it has used everything; only the longest go round the clauses twice.
        sentence_decks, clause_decks = self.decks[variant]
        fixed = _deal(rnd, sentence_decks)
        clauses: list[tuple[str, ...]] = []
        sentences: list[str] = []
        while words < target:
            if fixed and rnd() < 0.4:
                template = fixed.pop()
            else:
                if not clauses:
                    clauses = _deal(rnd, clause_decks)
                forms = clauses.pop()
                template = forms[int(rnd() * len(forms))]
            sentence = template.format_map(cast)
            sentences.append(sentence)
            words += sentence.count(" ") + 1

        rare = [RARE_SENTENCES[index - 1][1]] if index <= len(RARE_SENTENCES) else []
        if rnd() < _RARE_RATE:
            rare.append(self.rare.pick(rng))
        for template in rare:
            sentences.insert(rng.randint(0, len(sentences)), template.format_map(cast))

        # Wire style: the lead stands alone and the rest falls into 3-11 paragraphs of
        # roughly even length.
        groups = min(max(round(words / rng.uniform(55.0, 100.0)), 4), 12, len(sentences) + 1) - 1
        sizes = list(accumulate(rng.uniform(0.6, 1.4) for _ in range(groups)))
        scale = len(sentences) / sizes[-1]
        ends = [round(size * scale) for size in sizes]
        paragraphs = [lead]
        start = 0
        for number, end in enumerate(ends):
            # At least one sentence per paragraph, and leave one for each still to come.
            end = min(max(end, start + 1), len(sentences) - (groups - number - 1))
            paragraphs.append(" ".join(sentences[start:end]))
            start = end
        return "\n\n".join(paragraphs)

    def _tags(self, rng: random.Random, topic_name: str, country: str) -> list[str]:
        tags = [self.topic_tags[topic_name].pick(rng)]
        roll = rng.random()
        if roll < 0.5:
            tags.append(country)
        elif roll < 0.8:
            tags.append(f"{country} {TOPICS[topic_name].tag_suffix}")
        tags += self.topic_tags[topic_name].distinct(rng, rng.randint(0, 2))
        return list(dict.fromkeys(tags))


def _decks(rng: random.Random, cards: Sequence[_Card]) -> list[list[_Card]]:
    return [rng.sample(cards, len(cards)) for _ in range(_DECK_COUNT)]


def _deal(rnd: Callable[[], float], decks: Sequence[list[_Card]]) -> list[_Card]:
    deck = decks[int(rnd() * len(decks))]
    cut = int(rnd() * len(deck))
    return deck[cut:] + deck[:cut]


def _short_form(name: str, aliases: Sequence[str]) -> str:
    """How a story refers to an entity on second mention: "Diop", "IMF", else in full."""
    # One word only: a surname, an acronym or a brand, never another full name.
    return next((alias for alias in aliases if " " not in alias), name)


def _pools(names: Sequence[str], kind_of: Callable[[str], str]) -> dict[str, _Zipf]:
    """One Zipf pool per kind, keeping the popularity order, plus ``""`` for all of them."""
    by_kind: dict[str, list[str]] = {}
    for name in names:
        by_kind.setdefault(kind_of(name), []).append(name)
    pools = {kind: _Zipf(members, offset=5) for kind, members in by_kind.items()}
    return {"": _Zipf(names, offset=5)} | pools


def _canonical_url(
    rng: random.Random, index: int, source: str, section: str, title: str, moment: time.struct_time
) -> str:
    slug = _slug(title)
    # Each pattern carries the article index, so URLs are unique even for equal titles.
    if source == "Reuters":
        return (
            f"https://www.reuters.com/{section}/{slug}-{time.strftime('%Y-%m-%d', moment)}-{index}/"
        )
    if source == "AP":
        return f"https://apnews.com/article/{slug}-{rng.getrandbits(96):024x}{index:08x}"
    return f"https://www.afp.com/en/news/{slug}-doc-{index:08d}"


def iter_articles(
    n: int,
    *,
    seed: int = 42,
    seed_article: Mapping[str, Any] | None = None,
    entities: Sequence[Mapping[str, Any]] | None = None,
) -> Iterator[dict[str, Any]]:
    """Yield ``n`` article create payloads; the first is a copy of the seed story.

    ``seed_article`` defaults to the demo copy of the seed fixture; ``entities`` (whose names the
    stories mention, most often the first of each type) to ``make_entities(seed=seed)``.
    """
    if n <= 0:
        return
    seed_story = seed_article if seed_article is not None else load_seed_article()
    yield orjson.loads(orjson.dumps(seed_story))
    if entities is None:
        entities = make_entities(seed=seed)
    maker = _ArticleMaker(random.Random(seed), entities)
    for index in range(1, n):
        yield maker.article(index)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.corpus", description="Write a synthetic news corpus for benchmarks."
    )
    add = parser.add_argument
    add("--articles", type=int, default=100_000, help="articles, the seed story included")
    add("--entities", type=int, default=DEFAULT_ENTITY_COUNT, help="entities, seeds included")
    add("--seed", type=int, default=42, help="same seed, same files byte for byte")
    add("--out", type=Path, default=Path("var/corpus"), help="directory to write to")
    add("--seed-article", type=Path, default=FIXTURES_DIR / "seed-article.json")
    add("--seed-entities", type=Path, default=FIXTURES_DIR / "seed-entities.json")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    entities = make_entities(
        args.entities, seed=args.seed, seed_entities=load_seed_entities(args.seed_entities)
    )
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "entities.json").write_bytes(orjson.dumps(entities, option=orjson.OPT_INDENT_2))
    articles = iter_articles(
        args.articles,
        seed=args.seed,
        seed_article=load_seed_article(args.seed_article),
        entities=entities,
    )
    count = 0
    with (args.out / "articles.ndjson").open("wb") as out:
        for article in articles:
            out.write(orjson.dumps(article, option=orjson.OPT_APPEND_NEWLINE))
            count += 1
    elapsed = time.perf_counter() - started
    print(
        f"wrote {count} articles and {len(entities)} entities to {args.out} "
        f"in {elapsed:.1f} s ({count / elapsed:,.0f} articles/s)"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
