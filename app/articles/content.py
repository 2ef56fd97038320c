"""Turn an article body as submitted into the sanitized HTML and plain text the API stores.

``RenderedBody.text`` is what entity spans index into, so a plain-text body must come back
character for character when it is already in canonical form.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from html import escape
from html.parser import HTMLParser
from typing import Literal, assert_never

import nh3
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore

BodyFormat = Literal["html", "markdown", "text"]

WORDS_PER_MINUTE = 230


@dataclass(frozen=True, slots=True)
class RenderedBody:
    html: str
    text: str


_SANITIZER = nh3.Cleaner(
    tags=(
        {"p", "br", "hr", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre"}
        | {"strong", "b", "em", "i", "u", "s", "q", "cite", "code", "sub", "sup", "span"}
        | {"abbr", "time", "a", "img", "figure", "figcaption", "ul", "ol", "li"}
        | {"table", "thead", "tbody", "tr", "th", "td"}
    ),
    # ammonia parses as a scripting browser would, so <noscript> content is raw text that
    # readers would otherwise see as literal markup.
    clean_content_tags={"script", "style", "noscript"},
    attributes={
        # Without an explicit "*" entry ammonia allows lang and title on every tag.
        "*": set(),
        "a": {"href", "title"},
        "img": {"src", "alt", "title", "width", "height"},
        "time": {"datetime"},
        "abbr": {"title"},
        "td": {"colspan", "rowspan"},
        "th": {"colspan", "rowspan"},
    },
    url_schemes={"http", "https", "mailto"},
)

# Raw HTML in markdown is escaped rather than passed through, so markdown bodies cannot
# smuggle in markup that differs from what the author previewed.
_MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])


def _demote_top_headings(state: StateCore) -> None:
    """``# Heading`` becomes ``<h2>``: the page's one ``<h1>`` is the article's title."""
    for token in state.tokens:
        if token.tag == "h1" and token.type in ("heading_open", "heading_close"):
            token.tag = "h2"


_MARKDOWN.core.ruler.push("demote_top_headings", _demote_top_headings)

# The same in HTML bodies: an ``<h1>`` would otherwise lose its tag to the sanitizer and
# leave its text outside any block. Renaming the tag is enough; the sanitizer does the rest.
_HTML_TOP_HEADING = re.compile(r"<(/?)h1(?=[\s/>])", re.IGNORECASE)

_PARAGRAPH_TAGS = frozenset(
    {"p", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "blockquote", "figure", "figcaption"}
    | {"pre", "table", "tr", "hr"}
)
_CELL_TAGS = frozenset({"td", "th"})
# HTMLParser spends microseconds on every tag, so the inline tags and attributes, which add
# nothing to the text, are dropped by ammonia first; this halves the time to render a body.
_STRUCTURE = nh3.Cleaner(
    tags=_PARAGRAPH_TAGS | _CELL_TAGS | {"br"}, attributes={"*": set()}, link_rel=None
)

# HTML collapses only ASCII whitespace; a no-break space is content.
_HTML_WHITESPACE = re.compile(r" [ \t\n\r\f]+|[\t\n\r\f][ \t\n\r\f]*")
_NEWLINES = re.compile(r"\r\n?")
_BLANK_LINES = re.compile(r"\n\s*\n")

# Han and kana are written without spaces, so each of their characters counts as a word
# and no word continues into one; counting whole runs would make a Chinese article look a
# few words long.
_CJK = (
    "\u3041-\u309f\u30a0-\u30ff\u31f0-\u31ff"  # kana
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"  # Han
)
# A word starts at a letter or digit and runs to the next space or separator. Continuing
# through anything else, rather than only through \w, keeps combining marks (Devanagari
# vowel signs, Arabic harakat), the Persian zero-width non-joiner, apostrophes, hyphens and
# digit grouping ("1,000") inside the word they belong to.
_WORD = re.compile(rf"[^\W_][^\s\u2013\u2014/\u2026{_CJK}]*")

_SUMMARY_TRAILING = re.compile(r"[\s,;:\u2013\u2014]+$")


def render_body(body: str, body_format: BodyFormat) -> RenderedBody:
    if body_format == "text":
        return _render_text(body)
    if body_format == "markdown":
        html = _SANITIZER.clean(_MARKDOWN.render(body)).strip()
    elif body_format == "html":
        html = _SANITIZER.clean(_HTML_TOP_HEADING.sub(r"<\1h2", body)).strip()
    else:
        assert_never(body_format)
    return RenderedBody(html=html, text=_html_to_text(html))


def derive_summary(text: str, limit: int = 1000) -> str | None:
    """First paragraph of ``text``, cut at a word boundary to at most ``limit`` characters."""
    if limit < 1:
        raise ValueError("limit must be at least 1")
    first = text.strip().split("\n\n", 1)[0].strip()
    if not first:
        return None
    if len(first) <= limit:
        return first
    cut = first[: limit - 1]
    if not (first[limit - 1].isspace() or cut[-1:].isspace()):
        words = cut.rsplit(maxsplit=1)
        # A paragraph with no space to cut at (CJK, a long URL) gets a hard cut instead.
        if len(words) == 2:
            cut = words[0]
    return _SUMMARY_TRAILING.sub("", cut) + "…"


def count_words(text: str) -> int:
    return len(_WORD.findall(text))


def reading_time_minutes(word_count: int) -> int:
    if word_count <= 0:
        return 0
    return math.ceil(word_count / WORDS_PER_MINUTE)


def _render_text(body: str) -> RenderedBody:
    normalised = _NEWLINES.sub("\n", body)
    paragraphs = [p for chunk in _BLANK_LINES.split(normalised) if (p := chunk.strip())]
    html = "\n".join(
        "<p>" + escape(p, quote=False).replace("\n", "<br>\n") + "</p>" for p in paragraphs
    )
    return RenderedBody(html=html, text="\n\n".join(paragraphs))


def _html_to_text(html: str) -> str:
    extractor = _TextExtractor()
    extractor.feed(_STRUCTURE.clean(html))
    extractor.close()
    return "\n\n".join(extractor.paragraphs)


class _TextExtractor(HTMLParser):
    """Collects the visible text of sanitized HTML, one entry per block-level element."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.paragraphs: list[str] = []
        self._parts: list[str] = []
        self._pre_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _PARAGRAPH_TAGS:
            self._flush()
            if tag == "pre":
                self._pre_depth += 1
        elif tag == "br":
            if self._parts:
                self._parts[-1] = self._parts[-1].rstrip(" ")
            self._parts.append("\n")
        elif tag in _CELL_TAGS:
            self.handle_data(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _PARAGRAPH_TAGS:
            self._flush()
            if tag == "pre":
                self._pre_depth -= 1

    def handle_data(self, data: str) -> None:
        if self._pre_depth:
            self._parts.append(data)
            return
        text = data
        # Tabs, newlines and the like are unprintable, so this skips the regex, by far the
        # slowest part of extraction, for the usual text node that has only single spaces.
        if "  " in text or not text.isprintable():
            text = _HTML_WHITESPACE.sub(" ", text)
        # Whitespace split across text nodes ("a <b> b</b>") must still collapse to one space.
        if text.startswith(" ") and (not self._parts or self._parts[-1].endswith((" ", "\n"))):
            text = text[1:]
        if text:
            self._parts.append(text)

    def close(self) -> None:
        super().close()
        self._flush()

    def _flush(self) -> None:
        joined = "".join(self._parts)
        self._parts.clear()
        # Indentation on the first line of a code block is content; blank edge lines are not.
        paragraph = joined.lstrip("\n").rstrip() if self._pre_depth else joined.strip()
        if paragraph.strip():
            self.paragraphs.append(paragraph)
