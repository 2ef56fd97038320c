"""Search highlights: escaped text, query words in <mark>, snippets."""

# Typographic quotes and accented letters are the subject matter here.
# ruff: noqa: RUF001

import html
import re
import time
from typing import Any

import pytest

from app.search.highlight import highlight
from app.search.query import parse_query


def visible(snippet: str) -> str:
    """What a reader sees: marks removed, entities decoded."""
    return html.unescape(snippet.replace("<mark>", "").replace("</mark>", ""))


def marked(snippet: str | None) -> list[str]:
    assert snippet is not None
    return re.findall(r"<mark>(.*?)</mark>", snippet)


def test_seed_title(seed_article: dict[str, Any]) -> None:
    words = parse_query("mali un").words()
    assert highlight(seed_article["title"], words) == (
        "<mark>Mali</mark> Demands Expulsion of <mark>UN</mark> Peacekeeping Mission"
        " Amid Security Concerns"
    )


def test_seed_title_without_a_match_is_escaped_whole(seed_article: dict[str, Any]) -> None:
    assert highlight(seed_article["title"], ["wagner"]) == seed_article["title"]


def test_seed_body_snippet(seed_article: dict[str, Any]) -> None:
    snippet = highlight(seed_article["body"], parse_query("withdrawals").words(), max_chars=160)
    assert snippet is not None
    assert marked(snippet) == ["withdrawal"]
    assert snippet.startswith("Mali’s Foreign Ministry")
    assert snippet.endswith("…")
    assert len(visible(snippet)) <= 160 + 1


def test_seed_body_snippet_goes_where_the_matches_are(seed_article: dict[str, Any]) -> None:
    snippet = highlight(seed_article["body"], ["guterres", "antonio"], max_chars=200)
    assert marked(snippet) == ["Antonio", "Guterres", "Guterres"]
    assert snippet is not None
    assert snippet.startswith("…")


def test_seed_body_without_a_match_has_no_snippet(seed_article: dict[str, Any]) -> None:
    assert highlight(seed_article["body"], ["zanzibar"], max_chars=200) is None


@pytest.mark.parametrize(
    ("word", "text", "expected"),
    [
        ("withdrawal", "Withdrawals", True),
        ("withdrawals", "withdrawal", True),
        ("withdrawal", "withdrawing", True),
        ("withdrawal", "withdrawn", False),
        ("country", "countries", True),
        ("united", "UNITED", True),
        ("un", "UN", True),
        ("un", "under", False),
        ("un", "United", False),
        ("mali", "Malian", False),
        ("mali", "Somalia", False),
        ("mission", "missions", True),
        ("a", "an", False),
    ],
)
def test_words_match_whole_words_and_their_inflections(
    word: str, text: str, expected: bool
) -> None:
    assert highlight(f"({text})", [word]) == (f"(<mark>{text}</mark>)" if expected else f"({text})")


def test_only_the_word_is_marked_not_the_punctuation_around_it() -> None:
    assert highlight("Guterres’ attempts, “Mali’s” (UN)", ["guterres", "mali", "un"]) == (
        "<mark>Guterres</mark>’ attempts, “<mark>Mali</mark>’s” (<mark>UN</mark>)"
    )


def test_underscore_separates_words() -> None:
    assert highlight("mali_un", ["un"]) == "mali_<mark>un</mark>"


@pytest.mark.parametrize(
    ("words", "text", "expected"),
    [
        (["antonio"], "António Guterres", "<mark>António</mark> Guterres"),
        (["antónio"], "Antonio Guterres", "<mark>Antonio</mark> Guterres"),
        (["antonio"], "ANTÓNIO", "<mark>ANTÓNIO</mark>"),
        # Decomposed input comes out composed: the same text to any reader.
        (["antonio"], "Anto\u0301nio", "<mark>António</mark>"),
        (["bamako"], "ḄAMAKO", "<mark>ḄAMAKO</mark>"),
        (
            parse_query("İstanbul").words(),
            "İstanbul istanbul",
            "<mark>İstanbul</mark> <mark>istanbul</mark>",
        ),
        (["istanbul"], "İSTANBUL", "<mark>İSTANBUL</mark>"),
    ],
)
def test_case_and_latin_diacritics_are_ignored(words: list[str], text: str, expected: str) -> None:
    assert highlight(text, words) == expected


def test_offsets_survive_characters_whose_lowercase_is_longer() -> None:
    assert highlight("İİİ mali", ["mali"]) == "İİİ <mark>mali</mark>"


@pytest.mark.parametrize(
    ("words", "text", "expected"),
    [
        (["مالي"], "مالي الأمم المتحدة", "<mark>مالي</mark> الأمم المتحدة"),
        (["马里"], "马里 联合国", "<mark>马里</mark> 联合国"),
        (["हिन्दी"], "हिन्दी भाषा", "<mark>हिन्दी</mark> भाषा"),
        # A vowel sign continues the word: "हिन्द" is not marked inside "हिन्दी".
        (["हिन्द"], "हिन्दी हिन्द", "हिन्दी <mark>हिन्द</mark>"),
        (["न्दी"], "हिन्दी", "हिन्दी"),
        (["σπίτι"], "Σπίτι", "<mark>Σπίτι</mark>"),
    ],
)
def test_other_scripts(words: list[str], text: str, expected: str) -> None:
    assert highlight(text, words) == expected


def test_html_in_the_text_is_escaped() -> None:
    text = '<script>alert("mali")</script> & <b>Mali</b>'
    expected = (
        "&lt;script&gt;alert(&quot;<mark>mali</mark>&quot;)&lt;/script&gt; &amp; "
        "&lt;b&gt;<mark>Mali</mark>&lt;/b&gt;"
    )
    assert highlight(text, ["mali"]) == expected
    assert highlight(text, ["mali"], max_chars=1000) == expected
    assert highlight(text, ["zanzibar"]) == html.escape(text)


def test_no_words() -> None:
    assert highlight("<Mali>", []) == "&lt;Mali&gt;"
    assert highlight("<Mali>", [""]) == "&lt;Mali&gt;"
    assert highlight("<Mali>", [], max_chars=100) is None


def test_short_text_snippet_is_the_whole_text() -> None:
    assert highlight("  Mali and\n\nthe UN  ", ["mali"], max_chars=100) == (
        "<mark>Mali</mark> and the UN"
    )


def test_snippet_is_cut_at_whitespace_around_the_match() -> None:
    before = " ".join(f"before{index}" for index in range(50))
    after = " ".join(f"after{index}" for index in range(50))
    snippet = highlight(f"{before} Mali {after}", ["mali"], max_chars=60)
    assert snippet is not None
    assert snippet.startswith("…before")
    assert snippet.endswith("…")
    assert "<mark>Mali</mark>" in snippet
    words = visible(snippet).strip("…").split()
    assert all(re.fullmatch(r"before\d+|Mali|after\d+", word) for word in words), words
    assert 40 <= len(visible(snippet)) <= 60 + 2


def test_snippet_prefers_the_densest_run_of_matches() -> None:
    filler = " ".join(["filler"] * 40)
    text = f"Mali first. {filler} Guterres met Diop in Mali. {filler}"
    snippet = highlight(text, ["mali", "guterres", "diop"], max_chars=60)
    assert marked(snippet) == ["Guterres", "Diop", "Mali"]


def test_snippet_of_a_match_longer_than_the_window() -> None:
    word = "peacekeeping" * 10
    assert highlight(f"start {word} end", [word], max_chars=20) == f"…<mark>{word}</mark>…"


def test_snippet_collapses_whitespace() -> None:
    snippet = highlight("Mali\n\n\tand   the\u00a0UN", ["un"], max_chars=100)
    assert snippet == "Mali and the <mark>UN</mark>"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("es" * 30_000 + "x", ["es", "e"]),
        ("withdraw" + "es" * 30_000 + "x", ["withdrawal"]),
        ("es " * 20_000, ["es"]),
        ("a" * 60_000, ["a", "aa"]),
    ],
    ids=["ending-run", "long-ending", "every-word", "one-long-word"],
)
def test_pathological_text_stays_linear(text: str, words: list[str]) -> None:
    started = time.process_time()
    highlight(text, words, max_chars=200)
    # A fraction of a second; quadratic would take tens of seconds.
    assert time.process_time() - started < 2


def test_long_body_is_fast(seed_article: dict[str, Any]) -> None:
    body = "\n\n".join([seed_article["body"]] * 30)
    assert len(body.split()) >= 10_000
    words = parse_query(
        "mali withdrawal guterres peace mission minusma united nations diop security"
    ).words()
    # CPU time, best of several, so that other work on the machine does not count.
    best = min(_cpu_seconds(body, words) for _ in range(10))
    # About 4 ms on an idle developer machine, 6 ms on a busy one.
    assert best < 0.015


def _cpu_seconds(body: str, words: list[str]) -> float:
    started = time.process_time()
    highlight(body, words, max_chars=300)
    return time.process_time() - started
