"""The search query as users type it, parsed once and compiled per database.

Syntax: words (all must match), ``"quoted phrases"``, ``OR`` (uppercase) between
two terms, ``-excluded`` words or ``-"phrases"``. ``OR`` binds tighter than the
implicit AND, as in web search engines: ``a b OR c`` is ``a AND (b OR c)``.
Everything else is literal text: FTS syntax (``*``, ``^``, ``:``, ``NEAR(``,
parentheses, backslashes, quotes inside words…) never acts as an operator.
Parsing never fails; what cannot mean anything is dropped.

A run of clauses that spells a known entity's name or alias is ``Named`` (the
search service finds them): those clauses then also match a story that is
linked to the entity and says any of its names, and rank its names alike. The
compilers give the words to look for (``to_fts5``, ``to_tsquery_sql``); the
search backends add the condition on the links.

Neither compiler hands user text to a query-syntax parser: every term reaches
FTS5 as a quoted string and PostgreSQL as a bound parameter of
``phraseto_tsquery``. Both therefore tokenise a term with the same tokenizer that
indexed the documents, which is what makes ``U.N.``, ``e-mail`` or Devanagari
words match on both.
"""

import re
import unicodedata
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice

__all__ = [
    "MAX_PHRASE_WORDS",
    "MAX_TERMS",
    "Clause",
    "Named",
    "Query",
    "Term",
    "parse_query",
    "term_of",
    "to_fts5",
    "to_tsquery_sql",
]

# Bounds on what one query can cost the database, whatever its length; terms
# beyond them are ignored. A phrase cut short only matches more documents.
MAX_TERMS = 32
MAX_PHRASE_WORDS = 16

# Never words, but they could sit between the words of a term, and neither database
# takes NUL or a lone surrogate. Made spaces: a control character separates words.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
# Phones and word processors turn typed quotes into typographic ones.
_CURLY_QUOTES = re.compile("[\u201c\u201d\u201e\u201f]")
# An optional "-", then a quoted phrase (an unbalanced quote runs to the end) or a
# bare chunk up to the next space or quote.
_CHUNK = re.compile(r'(-?)(?:"([^"]*)"?|([^\s"]+))')


@dataclass(frozen=True)
class Term:
    """A word or phrase: ``text`` is what the user typed, cut to its first and last word."""

    text: str

    @property
    def words(self) -> tuple[str, ...]:
        return tuple(self.text[start:end] for start, end in _word_spans(self.text))


@dataclass(frozen=True)
class Clause:
    """Terms joined by ``OR``; a plain term is a clause of one."""

    alternatives: tuple[Term, ...]


@dataclass(frozen=True)
class Named:
    """Clauses ``start`` to ``stop`` spell a name of the entities ``entity_ids``.

    ``names`` are every name and alias of those entities, as phrases.
    """

    start: int
    stop: int
    names: tuple[Term, ...]
    entity_ids: tuple[uuid.UUID, ...]


@dataclass(frozen=True)
class Query:
    """Every clause must match and no excluded term may.

    ``named`` runs of clauses (in order, never overlapping) also match through the
    entities they name.
    """

    clauses: tuple[Clause, ...]
    excluded: tuple[Term, ...] = ()
    named: tuple[Named, ...] = ()

    def widened(self) -> tuple[Named, ...]:
        """The runs whose entities have names other than what was typed: only those match
        stories the typed words alone would not (stories linked to the entities)."""
        return tuple(named for named in self.named if named.names)

    def spelled(self, named: Named) -> "Query":
        """The clauses of ``named`` alone, as typed: what a story that is not linked must say."""
        return Query(clauses=self.clauses[named.start : named.stop])

    def any_term(self) -> "Query":
        """Every term to look for (the names of named entities too) as alternatives.

        What ranks the matches: each word counts for where and how often a story
        says it, not only for how close together the words stand.
        """
        terms = [term for clause in self.clauses for term in clause.alternatives]
        terms += [name for named in self.named for name in named.names]
        return Query(clauses=(Clause(tuple(dict.fromkeys(terms))),))

    def groups(self) -> Iterator[tuple[tuple[Clause, ...], tuple[Term, ...]]]:
        """The clauses in order, each run that names entities as one, with those names."""
        position = 0
        for named in self.named:
            for clause in self.clauses[position : named.start]:
                yield (clause,), ()
            yield self.clauses[named.start : named.stop], named.names
            position = named.stop
        for clause in self.clauses[position:]:
            yield (clause,), ()

    def is_empty(self) -> bool:
        # Exclusions alone would mean "every article but…": FTS5 cannot express that
        # (its NOT is binary) and it is no search, so such a query finds nothing.
        return not self.clauses

    def words(self) -> list[str]:
        """The words to look for, lowercased, each once (for highlighting).

        The names of named entities too: what a story linked to one says for it.
        """
        terms = [term for clause in self.clauses for term in clause.alternatives]
        terms += [name for named in self.named for name in named.names]
        return list(dict.fromkeys(word.lower() for term in terms for word in term.words))


def _word_spans(text: str) -> Iterator[tuple[int, int]]:
    """Offsets of the words of ``text``: runs of letters and digits.

    A combining mark continues the word before it, as in PostgreSQL's parser:
    ``\\w`` would cut a Hindi word at each vowel sign.
    """
    start: int | None = None
    for index, char in enumerate(text):
        kind = unicodedata.category(char)[0]
        if kind in "LN" or (kind == "M" and start is not None):
            if start is None:
                start = index
        elif start is not None:
            yield start, index
            start = None
    if start is not None:
        yield start, len(text)


def term_of(chunk: str) -> Term | None:
    """``chunk`` as a term (a phrase of its words), or ``None`` when it has no words."""
    spans = list(islice(_word_spans(chunk), MAX_PHRASE_WORDS))
    if not spans:
        return None
    return Term(chunk[spans[0][0] : spans[-1][1]])


def parse_query(text: str) -> Query:
    """Parse ``text`` as typed in a search box; never raises, runs in linear time."""
    text = unicodedata.normalize("NFC", _UNSAFE.sub(" ", _CURLY_QUOTES.sub('"', text)))
    clauses: list[list[Term]] = []
    excluded: list[Term] = []
    after_or = False
    # OR joins two positive terms; next to an exclusion it means nothing and is dropped.
    after_positive = False
    kept = 0
    for match in _CHUNK.finditer(text):
        if kept == MAX_TERMS:
            break
        minus, phrase, bare = match.groups()
        if bare == "OR" and not minus:
            after_or = True
            continue
        term = term_of(bare if phrase is None else phrase)
        if term is None:
            continue
        kept += 1
        if minus:
            excluded.append(term)
        elif after_or and after_positive:
            clauses[-1].append(term)
        else:
            clauses.append([term])
        after_or = False
        after_positive = not minus
    return Query(
        clauses=tuple(Clause(tuple(alternatives)) for alternatives in clauses),
        excluded=tuple(excluded),
    )


def _fts5_string(term: Term) -> str:
    # Inside an FTS5 string only '"' is special (doubled); the table's tokenizer
    # splits the text into a phrase exactly as it split the documents.
    return '"' + term.text.replace('"', '""') + '"'


def _fts5_clause(clause: Clause) -> str:
    if len(clause.alternatives) == 1:
        return _fts5_string(clause.alternatives[0])
    return "(" + " OR ".join(map(_fts5_string, clause.alternatives)) + ")"


def _fts5_group(clauses: tuple[Clause, ...], names: tuple[Term, ...]) -> str:
    typed = " AND ".join(map(_fts5_clause, clauses))
    if not names:
        return typed
    return "(" + " OR ".join([f"({typed})", *map(_fts5_string, names)]) + ")"


def to_fts5(query: Query) -> str:
    """An FTS5 ``MATCH`` expression; an empty query gives one that matches no row."""
    if query.is_empty():
        # An empty phrase is valid FTS5 and matches nothing.
        return '""'
    positive = " AND ".join(_fts5_group(clauses, names) for clauses, names in query.groups())
    if not query.excluded:
        return positive
    if len(query.clauses) > 1:
        positive = f"({positive})"
    # FTS5 has no unary NOT: each exclusion is "<everything before> NOT <term>".
    return positive + "".join(f" NOT {_fts5_string(term)}" for term in query.excluded)


def to_tsquery_sql(
    query: Query, config: str = "english", prefix: str = "q"
) -> tuple[str, dict[str, str]]:
    """A SQL expression of type ``tsquery`` and its bind parameters, for ``sqlalchemy.text()``.

    Parameters are named ``qcfg`` (the text search configuration) and ``q0``,
    ``q1``… (one per term), after ``prefix``. An empty query gives an empty
    tsquery, which matches nothing.
    """
    if query.is_empty():
        return "CAST('' AS tsquery)", {}
    texts: list[str] = []

    def tsquery(term: Term) -> str:
        texts.append(term.text)
        # phraseto_tsquery on one word equals plainto_tsquery, and a bare chunk the
        # parser splits ("e-mail", "don't") must stay a phrase. Stopwords give an empty
        # tsquery, which && and || skip (PostgreSQL emits a NOTICE).
        return f"phraseto_tsquery(CAST(:{prefix}cfg AS regconfig), :{prefix}{len(texts) - 1})"

    def clause_sql(clause: Clause) -> str:
        if len(clause.alternatives) == 1:
            return tsquery(clause.alternatives[0])
        return "(" + " || ".join(map(tsquery, clause.alternatives)) + ")"

    def group_sql(clauses: tuple[Clause, ...], names: tuple[Term, ...]) -> str:
        typed = " && ".join(map(clause_sql, clauses))
        if not names:
            return typed
        return "(" + " || ".join([f"({typed})", *map(tsquery, names)]) + ")"

    parts = [group_sql(clauses, names) for clauses, names in query.groups()]
    parts.extend(f"!!{tsquery(term)}" for term in query.excluded)
    params = {f"{prefix}cfg": config} | {
        f"{prefix}{index}": text for index, text in enumerate(texts)
    }
    return " && ".join(parts), params
