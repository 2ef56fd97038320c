"""Search query parsing and its compilations, run on real FTS5 and PostgreSQL."""

import os
import re
import sqlite3
import time
from collections.abc import AsyncIterator, Iterator

# asyncpg ships no type hints; unused-ignore keeps this quiet once mypy is told so globally.
import asyncpg  # type: ignore[import-untyped, unused-ignore]
import pytest

from app.search.query import (
    MAX_PHRASE_WORDS,
    MAX_TERMS,
    Clause,
    Query,
    Term,
    parse_query,
    to_fts5,
    to_tsquery_sql,
)

# Any of these must parse and compile, and the result must run on both databases.
HOSTILE = [
    '"',
    '"unbalanced',
    'a "b c',
    "OR",
    "OR OR",
    "a OR",
    "OR a",
    "-",
    "--a",
    '-"',
    "NOT",
    "AND",
    "NEAR(a b)",
    "*",
    "a*",
    "^a",
    "title:mali",
    ":",
    "\\",
    "a\\b",
    "'",
    "''",
    "(",
    ")",
    "()",
    "a AND (b",
    "\x00",
    "a\x00b",
    "\x01\x1f\x7f",
    "🇲🇱 Mali 🙂",
    "مالي الأمم المتحدة",
    "马里 联合国",
    "x" * 10_000,
    " " * 10_000,
    "a " * 5_000,
    '"' * 1_000,
    '"\ud800"',
    '-mali OR "un',
    "a.b." * 2_500,
    "-a " * 5_000,
]
HOSTILE_IDS = [repr(text[:20]) + (f"…{len(text)}" if len(text) > 20 else "") for text in HOSTILE]

# rowid → (title, body), for checking what compiled queries find.
DOCUMENTS = {
    1: (
        "Mali demands withdrawal of UN mission",
        "The United Nations peacekeeping mission in Mali faces the U.N. Security Council.",
    ),
    2: ("France and Mali", "French troops exit Mali after a decade."),
    3: ("Sudan", "Withdrawals of peacekeepers continue; António Guterres comments."),
}
# query → the rowids it must find, on both databases.
EXPECTED = [
    ("mali", {1, 2}),
    ("Mali withdrawal", {1}),
    ("withdrawals", {1, 3}),
    ("withdrawal OR exit", {1, 2, 3}),
    ("mali withdrawal OR exit", {1, 2}),
    ('"united nations"', {1}),
    ('"nations united"', set()),
    ("mali -france", {1}),
    ('mali -"french troops"', {1}),
    ("mali -un -troops", set()),
    ("U.N.", {1}),
    ("guterres", {3}),
    ("-mali", set()),
    ("zanzibar OR mali", {1, 2}),
]


def texts(query: Query) -> list[list[str]]:
    return [[term.text for term in clause.alternatives] for clause in query.clauses]


def query_of(*clauses: list[str], excluded: tuple[str, ...] = ()) -> Query:
    return Query(
        clauses=tuple(Clause(tuple(Term(text) for text in clause)) for clause in clauses),
        excluded=tuple(Term(text) for text in excluded),
    )


# Parsing


def test_words_must_all_match() -> None:
    assert parse_query("mali withdrawal") == query_of(["mali"], ["withdrawal"])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a b OR c", [["a"], ["b", "c"]]),
        ("a OR b c", [["a", "b"], ["c"]]),
        ("a OR b OR c", [["a", "b", "c"]]),
        ("a or b", [["a"], ["or"], ["b"]]),
        ('"OR" a', [["OR"], ["a"]]),
        ("a OR OR b", [["a", "b"]]),
        ("a OR * b", [["a", "b"]]),
        ("OR", []),
        ("OR OR", []),
        ("a OR", [["a"]]),
        ("OR a", [["a"]]),
    ],
)
def test_or_binds_tighter_than_and(text: str, expected: list[list[str]]) -> None:
    assert texts(parse_query(text)) == expected


def test_quoted_phrase_is_one_term() -> None:
    query = parse_query('"United Nations" mission')
    assert texts(query) == [["United Nations"], ["mission"]]
    assert query.clauses[0].alternatives[0].words == ("United", "Nations")


def test_typographic_quotes_quote_too() -> None:
    query = parse_query("\u201cUnited Nations\u201d -\u201epeace keeping\u201c")
    assert query == query_of(["United Nations"], excluded=("peace keeping",))


def test_unbalanced_quote_runs_to_the_end() -> None:
    assert texts(parse_query('mali "united nations')) == [["mali"], ["united nations"]]


def test_exclusions() -> None:
    query = parse_query('mali -france -"peace keeping" -')
    assert query == query_of(["mali"], excluded=("france", "peace keeping"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("-mali OR un", query_of(["un"], excluded=("mali",))),
        ("a OR -b c", query_of(["a"], ["c"], excluded=("b",))),
        ("--a b", query_of(["b"], excluded=("a",))),
        ("-OR b", query_of(["b"], excluded=("OR",))),
    ],
)
def test_or_next_to_an_exclusion_is_ignored(text: str, expected: Query) -> None:
    assert parse_query(text) == expected


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("U.N.", ("U", "N")),
        ("don't", ("don", "t")),
        ("title:mali", ("title", "mali")),
        ("NEAR(a", ("NEAR", "a")),
        ("snake_case", ("snake", "case")),
        ("हिन्दी", ("हिन्दी",)),
        ("1,000", ("1", "000")),
    ],
)
def test_a_term_splits_into_words_at_anything_but_letters_and_digits(
    text: str, words: tuple[str, ...]
) -> None:
    (clause,) = parse_query(text).clauses
    assert clause.alternatives[0].words == words


def test_term_text_is_cut_to_its_words() -> None:
    # The databases tokenise the text themselves, as they did the documents.
    assert texts(parse_query('(U.N.) "  peace-keeping!! " *mali*')) == [
        ["U.N"],
        ["peace-keeping"],
        ["mali"],
    ]


@pytest.mark.parametrize("text", ["", "   ", "*", "🙂 🇲🇱", "-mali", '-"a b" -c', "OR - ()", "'' :"])
def test_queries_that_ask_for_nothing_are_empty(text: str) -> None:
    assert parse_query(text).is_empty()


def test_a_query_with_a_word_is_not_empty() -> None:
    assert not parse_query("-france mali").is_empty()


def test_control_characters_and_surrogates_separate_words() -> None:
    query = parse_query('a\x00b "c\x07d" e\ud800f\x7f')
    assert texts(query) == [["a"], ["b"], ["c d"], ["e"], ["f"]]


def test_input_is_composed_first() -> None:
    # "e" + COMBINING ACUTE ACCENT, as some keyboards and copy-pastes send it.
    assert texts(parse_query("re\u0301sume\u0301")) == [["résumé"]]


def test_words_are_lowercased_once_each() -> None:
    query = parse_query('Mali mali "UN Mission" OR mali -France')
    assert query.words() == ["mali", "un", "mission"]


def test_number_of_terms_is_capped() -> None:
    query = parse_query(" ".join(f"w{index}" for index in range(100)) + " -last")
    assert len(query.clauses) == MAX_TERMS
    assert not query.excluded


def test_phrase_length_is_capped() -> None:
    query = parse_query('"' + " ".join(f"w{index}" for index in range(100)) + '"')
    (clause,) = query.clauses
    assert clause.alternatives[0].words == tuple(f"w{index}" for index in range(MAX_PHRASE_WORDS))


@pytest.mark.parametrize("text", HOSTILE, ids=HOSTILE_IDS)
def test_hostile_input_parses_quickly(text: str) -> None:
    started = time.process_time()
    query = parse_query(text)
    # Linear work on 10 000 characters is a few milliseconds; quadratic is seconds.
    assert time.process_time() - started < 0.1
    assert len(query.clauses) + len(query.excluded) <= MAX_TERMS
    for clause in query.clauses:
        for term in clause.alternatives:
            assert term.words
            assert not re.search("[\x00-\x1f\x7f\ud800-\udfff]", term.text)


# Compilation


def test_fts5_quotes_every_term() -> None:
    query = parse_query('Mali withdrawal OR exit -France -"peace keeping"')
    assert to_fts5(query) == (
        '("Mali" AND ("withdrawal" OR "exit")) NOT "France" NOT "peace keeping"'
    )


def test_fts5_single_clause() -> None:
    assert to_fts5(parse_query("a OR b -c")) == '("a" OR "b") NOT "c"'


def test_fts5_doubles_quotes_inside_a_term() -> None:
    assert to_fts5(query_of(['say "hi"'])) == '"say ""hi"""'


def test_fts5_empty_query_matches_nothing() -> None:
    assert to_fts5(parse_query("-mali")) == '""'


def test_tsquery_binds_every_term() -> None:
    sql, params = to_tsquery_sql(parse_query('mali withdrawal OR exit -"peace keeping"'), "simple")
    term = "phraseto_tsquery(CAST(:qcfg AS regconfig), :q{})".format
    assert sql == f"{term(0)} && ({term(1)} || {term(2)}) && !!{term(3)}"
    assert params == {
        "qcfg": "simple",
        "q0": "mali",
        "q1": "withdrawal",
        "q2": "exit",
        "q3": "peace keeping",
    }


def test_tsquery_empty_query_is_an_empty_tsquery() -> None:
    assert to_tsquery_sql(parse_query("-mali")) == ("CAST('' AS tsquery)", {})


# FTS5


@pytest.fixture
def fts() -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(":memory:")
    connection.execute(
        "CREATE VIRTUAL TABLE t USING fts5(title, body,"
        " tokenize='porter unicode61 remove_diacritics 2')"
    )
    connection.executemany(
        "INSERT INTO t (rowid, title, body) VALUES (?, ?, ?)",
        [(rowid, title, body) for rowid, (title, body) in DOCUMENTS.items()],
    )
    yield connection
    connection.close()


def fts5_search(connection: sqlite3.Connection, text: str) -> set[int]:
    rows = connection.execute(
        "SELECT rowid FROM t WHERE t MATCH ?", (to_fts5(parse_query(text)),)
    ).fetchall()
    return {rowid for (rowid,) in rows}


@pytest.mark.parametrize(("text", "expected"), EXPECTED)
def test_fts5_finds(fts: sqlite3.Connection, text: str, expected: set[int]) -> None:
    assert fts5_search(fts, text) == expected


def test_fts5_folds_diacritics(fts: sqlite3.Connection) -> None:
    assert fts5_search(fts, "antonio") == fts5_search(fts, "ANTÓNIO") == {3}


@pytest.mark.parametrize("text", HOSTILE, ids=HOSTILE_IDS)
def test_fts5_runs_hostile_input(fts: sqlite3.Connection, text: str) -> None:
    fts5_search(fts, text)


# PostgreSQL

POSTGRES_URL = os.environ.get("LEDE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="module")
async def pg() -> AsyncIterator[asyncpg.Connection]:
    try:
        connection = await asyncpg.connect(POSTGRES_URL, timeout=5)
    except OSError as error:
        pytest.skip(f"PostgreSQL unreachable at {POSTGRES_URL}: {error}")
    # A temporary table lives and dies with this connection.
    await connection.execute("CREATE TEMPORARY TABLE documents (id int, body text)")
    await connection.executemany(
        "INSERT INTO documents VALUES ($1, $2)",
        [(rowid, f"{title}\n{body}") for rowid, (title, body) in DOCUMENTS.items()],
    )
    yield connection
    await connection.close()


def positional(sql: str, params: dict[str, str]) -> tuple[str, list[str]]:
    """asyncpg takes $1, $2… where sqlalchemy.text() takes :name."""
    names = list(params)
    numbered = re.sub(r":(\w+)", lambda match: f"${names.index(match[1]) + 1}", sql)
    return numbered, [params[name] for name in names]


async def pg_search(connection: asyncpg.Connection, text: str) -> set[int]:
    sql, args = positional(*to_tsquery_sql(parse_query(text)))
    rows = await connection.fetch(
        f"SELECT id FROM documents WHERE to_tsvector('english', body) @@ ({sql})", *args
    )
    return {row["id"] for row in rows}


@pytest.mark.parametrize(("text", "expected"), EXPECTED)
async def test_postgres_finds(pg: asyncpg.Connection, text: str, expected: set[int]) -> None:
    assert await pg_search(pg, text) == expected


async def test_postgres_stopwords_drop_out(pg: asyncpg.Connection) -> None:
    # plainto/phraseto_tsquery('english', 'the') is empty; && and || skip it.
    assert await pg_search(pg, "the mali") == {1, 2}
    assert await pg_search(pg, "mali -the") == {1, 2}
    assert await pg_search(pg, "the") == set()


@pytest.mark.parametrize("text", HOSTILE, ids=HOSTILE_IDS)
async def test_postgres_runs_hostile_input(pg: asyncpg.Connection, text: str) -> None:
    sql, args = positional(*to_tsquery_sql(parse_query(text)))
    await pg.fetchval(f"SELECT ({sql})::text", *args)
