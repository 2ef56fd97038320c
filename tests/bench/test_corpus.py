"""The benchmark corpus generator: determinism, shape of the payloads, proportions."""

import re
import time
from collections import Counter
from itertools import islice
from typing import Any

import orjson
import pytest

from bench.corpus import (
    QUERY_MIX,
    RARE_SENTENCES,
    REFERENCE_TIME,
    SECTIONS,
    SOURCES,
    iter_articles,
    load_seed_article,
    load_seed_entities,
    make_entities,
)

ARTICLE_FIELDS = {
    "title",
    "summary",
    "body_format",
    "body",
    "section",
    "language",
    "status",
    "published_at",
    "tags",
    "authors",
    "source",
    "canonical_url",
}
RFC3339_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
CORPUS_SIZE = 2000


@pytest.fixture(scope="module")
def entities() -> list[dict[str, Any]]:
    return make_entities(seed=42)


@pytest.fixture(scope="module")
def corpus(entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return list(iter_articles(CORPUS_SIZE, seed=42, entities=entities))


def searchable(article: dict[str, Any]) -> str:
    return f"{article['title']}\n{article.get('summary', '')}\n{article['body']}".lower()


def words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


class Document:
    """An article's words and phrases as an index without stemming would see them."""

    def __init__(self, article: dict[str, Any]) -> None:
        tokens = words(searchable(article))
        self.words = set(tokens)
        self.flat = f" {' '.join(tokens)} "

    def has(self, term: str) -> bool:
        tokens = words(term)
        if len(tokens) == 1:
            return tokens[0] in self.words
        return f" {' '.join(tokens)} " in self.flat


def matches(query: str, document: Document) -> bool:
    """Just enough of the search syntax to check the query mix: words, phrases, OR, -x."""
    terms = re.findall(r'-?"[^"]*"|\S+', query)
    if "OR" in terms:
        return any(document.has(term) for term in terms if term != "OR")
    return all(
        not document.has(term[1:]) if term.startswith("-") else document.has(term) for term in terms
    )


def test_same_seed_gives_the_same_articles(entities: list[dict[str, Any]]) -> None:
    def first_50(seed: int) -> bytes:
        return orjson.dumps(list(islice(iter_articles(50, seed=seed, entities=entities), 50)))

    assert first_50(42) == first_50(42)
    assert first_50(42) != first_50(43)


def test_same_seed_gives_the_same_entities() -> None:
    assert orjson.dumps(make_entities(300, seed=5)) == orjson.dumps(make_entities(300, seed=5))


def test_article_zero_is_a_copy_of_the_seed_story(corpus: list[dict[str, Any]]) -> None:
    seed_article = load_seed_article()
    assert corpus[0] == seed_article

    first = next(iter_articles(1, seed_article=seed_article))
    first["tags"].append("changed")
    assert "changed" not in seed_article["tags"]


def test_statuses_are_in_the_specified_proportions(corpus: list[dict[str, Any]]) -> None:
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(REFERENCE_TIME))
    shares = Counter(
        "scheduled" if article.get("published_at", "") > now else article["status"]
        for article in corpus
    )
    assert shares["published"] / CORPUS_SIZE == pytest.approx(0.92, abs=0.03)
    assert shares["draft"] / CORPUS_SIZE == pytest.approx(0.05, abs=0.02)
    assert shares["scheduled"] / CORPUS_SIZE == pytest.approx(0.02, abs=0.012)
    assert shares["archived"] / CORPUS_SIZE == pytest.approx(0.01, abs=0.008)
    assert sum(shares.values()) == CORPUS_SIZE


def test_payloads_use_only_article_create_fields(corpus: list[dict[str, Any]]) -> None:
    sections = {section for section, _, _ in SECTIONS}
    for article in corpus[1:]:
        assert set(article) <= ARTICLE_FIELDS
        assert article["body_format"] == "text"
        assert article["language"] == "en"
        assert article["section"] in sections
        assert article["source"] in SOURCES
        assert article["status"] in {"draft", "published", "archived"}
        assert ("published_at" in article) == (article["status"] != "draft")
        assert RFC3339_UTC.fullmatch(article.get("published_at", "2000-01-01T00:00:00Z"))
        assert 6 <= len(article["title"].split()) <= 14
        assert len(article.get("summary", "")) <= 1000
        assert all(isinstance(tag, str) and tag for tag in article["tags"])
        assert all(isinstance(author, str) and author for author in article["authors"])
    urls = [article["canonical_url"] for article in corpus[1:]]
    assert len(set(urls)) == len(urls)


def test_bodies_are_blank_line_separated_paragraphs(corpus: list[dict[str, Any]]) -> None:
    for article in corpus[1:]:
        paragraphs = article["body"].split("\n\n")
        assert 4 <= len(paragraphs) <= 12
        assert all(paragraph.strip() and "\n" not in paragraph for paragraph in paragraphs)
        assert 300 <= len(article["body"].split()) <= 1200


def test_government_appears_in_about_a_third_of_articles(corpus: list[dict[str, Any]]) -> None:
    share = sum("government" in searchable(article) for article in corpus) / CORPUS_SIZE
    assert 0.2 <= share <= 0.5


def test_every_query_in_the_mix_finds_articles(corpus: list[dict[str, Any]]) -> None:
    documents = [Document(article) for article in corpus]
    rare_terms = {term for term, _ in RARE_SENTENCES}
    assert len(QUERY_MIX) == 50
    for query in QUERY_MIX:
        hits = sum(matches(query, document) for document in documents)
        assert hits > 0, query
        if query in rare_terms:
            assert hits <= CORPUS_SIZE // 100, query


def test_entities_include_the_seeds_and_never_share_a_name(
    entities: list[dict[str, Any]],
) -> None:
    assert len(entities) == 5000
    seed_names = {entity["name"] for entity in load_seed_entities()}
    assert seed_names <= {entity["name"] for entity in entities}
    assert {entity["type"] for entity in entities} == {
        "person",
        "organization",
        "location",
        "event",
    }
    # Within one entity a name may repeat in another case ("Wagner group"); across
    # entities, a shared name or alias would make linking ambiguous.
    names = Counter(
        name
        for entity in entities
        for name in {name.casefold() for name in (entity["name"], *entity["aliases"])}
    )
    assert names.most_common(1)[0][1] == 1
    assert any(entity["aliases"] for entity in entities if entity["type"] == "person")


def test_entity_mentions_follow_popularity_order(
    entities: list[dict[str, Any]], corpus: list[dict[str, Any]]
) -> None:
    persons = [entity["name"] for entity in entities if entity["type"] == "person"]
    text = "\n".join(article["body"] for article in corpus)
    head = sum(text.count(name) for name in persons[:20])
    tail = sum(text.count(name) for name in persons[-20:])
    assert head > 10 * tail
