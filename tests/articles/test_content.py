# ruff: noqa: RUF001 -- typographic quotes, dashes and non-Latin scripts are the test data.

import json
from pathlib import Path

import pytest

from app.articles.content import (
    BodyFormat,
    RenderedBody,
    count_words,
    derive_summary,
    reading_time_minutes,
    render_body,
)

SEED_ARTICLE = Path(__file__).resolve().parents[2] / "app" / "demo" / "seed-article.json"


# --- html: sanitizing ---------------------------------------------------------------------


def test_script_is_removed_with_its_content() -> None:
    rendered = render_body("<p>Hello</p><script>alert(1)</script><p>world</p>", "html")

    assert rendered == RenderedBody(html="<p>Hello</p><p>world</p>", text="Hello\n\nworld")


def test_style_and_noscript_are_removed_with_their_content() -> None:
    body = (
        "<style>p { color: red }</style>"
        '<noscript><img src="https://tracker.example/px.gif"></noscript>'
        "<p>Story</p>"
    )

    assert render_body(body, "html") == RenderedBody(html="<p>Story</p>", text="Story")


def test_event_handler_attributes_are_removed() -> None:
    rendered = render_body(
        '<p onclick="steal()">Tap <a href="https://example.org" onmouseover="x()">here</a></p>',
        "html",
    )

    assert rendered.html == (
        '<p>Tap <a href="https://example.org" rel="noopener noreferrer">here</a></p>'
    )


def test_img_onerror_is_removed_and_src_kept() -> None:
    rendered = render_body('<img src=x onerror="alert(document.cookie)">', "html")

    assert rendered == RenderedBody(html='<img src="x">', text="")


@pytest.mark.parametrize(
    "href",
    ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "vbscript:msgbox(1)", "data:text/html,<b>x"],
)
def test_dangerous_link_schemes_lose_their_href(href: str) -> None:
    rendered = render_body(f'<a href="{href}">click</a>', "html")

    assert rendered == RenderedBody(html='<a rel="noopener noreferrer">click</a>', text="click")


def test_data_uri_image_loses_its_src() -> None:
    rendered = render_body('<img src="data:image/png;base64,iVBORw0KGgo=" alt="dot">', "html")

    assert rendered.html == '<img alt="dot">'


def test_mailto_links_are_kept() -> None:
    rendered = render_body('<a href="mailto:tips@example.org">Send a tip</a>', "html")

    assert rendered.html == (
        '<a href="mailto:tips@example.org" rel="noopener noreferrer">Send a tip</a>'
    )


def test_allowed_news_markup_survives_unchanged() -> None:
    body = (
        "<h2>Sub<sub>2</sub> and sup<sup>3</sup></h2>"
        "<p><strong>S</strong> <b>B</b> <em>E</em> <i>I</i> <u>U</u> <s>S</s> <q>Q</q> "
        '<cite>C</cite> <code>c</code> <span>sp</span> <abbr title="United Nations">UN</abbr> '
        '<time datetime="2023-06-16">16 June</time><br>'
        '<a href="https://example.org/a" title="More" rel="noopener noreferrer">link</a></p>'
        "<ul><li>u</li></ul><ol><li>o</li></ol>"
        "<blockquote><p>quote</p></blockquote>"
        '<figure><img src="https://img.example/a.jpg" alt="A" title="T" width="640" height="480">'
        "<figcaption>Caption</figcaption></figure>"
        "<pre>pre</pre><hr>"
        '<table><thead><tr><th colspan="2">h</th></tr></thead>'
        '<tbody><tr><td rowspan="1">a</td><td>b</td></tr></tbody></table>'
        "<h3>3</h3><h4>4</h4><h5>5</h5><h6>6</h6>"
    )

    assert render_body(body, "html").html == body


def test_disallowed_tags_and_attributes_are_dropped_but_text_kept() -> None:
    body = (
        '<h2 id="top" class="big" style="color:red" lang="fr">Titre</h2>'
        '<p><font color="red">Red</font> <span style="x" title="t">text</span></p>'
        "<form><input value=1></form><object data=x></object>"
    )

    assert render_body(body, "html") == RenderedBody(
        html="<h2>Titre</h2><p>Red <span>text</span></p>", text="Titre\n\nRed text"
    )


def test_html_comments_are_dropped() -> None:
    rendered = render_body("<p>Public<!-- source: Jane, do not print --></p>", "html")

    assert rendered == RenderedBody(html="<p>Public</p>", text="Public")


def test_unclosed_tags_are_balanced() -> None:
    assert render_body("<p>One <strong>bold", "html").html == "<p>One <strong>bold</strong></p>"


# --- html: text extraction --------------------------------------------------------------


def test_block_elements_become_paragraphs() -> None:
    body = (
        "<h2>Heading</h2><p>Intro</p>"
        "<ul><li>First</li><li>Second<ol><li>Nested</li></ol></li></ul>"
        "<blockquote><p>Quoted</p><cite>Speaker</cite></blockquote>"
        '<figure><img src="https://img.example/a.jpg" alt="ignored"><figcaption>Caption'
        "</figcaption></figure><hr>"
        "<table><tr><th>Year</th><th>Troops</th></tr><tr><td>2013</td><td>12,000</td></tr></table>"
        "<p>End</p>"
    )

    assert render_body(body, "html").text == (
        "Heading\n\nIntro\n\nFirst\n\nSecond\n\nNested\n\nQuoted\n\nSpeaker\n\nCaption"
        "\n\nYear Troops\n\n2013 12,000\n\nEnd"
    )


def test_br_becomes_newline_without_surrounding_spaces() -> None:
    rendered = render_body("<p>Line one <br> line two<br/>line three</p>", "html")

    assert rendered.text == "Line one\nline two\nline three"


def test_inline_whitespace_collapses_across_tags() -> None:
    body = "<p>\n  Spread   over\tlines <em> and </em> tags\n</p>\n\n<p>Next</p>"

    assert render_body(body, "html").text == "Spread over lines and tags\n\nNext"


def test_inline_elements_do_not_split_words() -> None:
    assert render_body("<p>Mali<strong>’s</strong> capital</p>", "html").text == "Mali’s capital"


def test_pre_keeps_its_whitespace() -> None:
    body = "<pre>\n  indented\n    more   spaces\n</pre>"

    assert render_body(body, "html").text == "  indented\n    more   spaces"


def test_entities_are_unescaped_in_text() -> None:
    body = "<p>Fish &amp; chips &rsquo;n&rsquo; peas &mdash; &#8364;5 &lt;b&gt;&nbsp;now</p>"

    rendered = render_body(body, "html")

    assert rendered.text == "Fish & chips ’n’ peas — €5 <b>\xa0now"
    assert "&amp; chips" in rendered.html
    assert "&lt;b&gt;" in rendered.html


def test_empty_paragraphs_are_dropped() -> None:
    body = "<p>One</p><p></p><p>&nbsp;</p><p> <br> </p><p>Two</p>"

    assert render_body(body, "html").text == "One\n\nTwo"


def test_crlf_html_input() -> None:
    rendered = render_body("<p>One\r\nstill one</p>\r\n<p>Two</p>\r\n", "html")

    assert rendered.text == "One still one\n\nTwo"
    assert "\r" not in rendered.html


# --- markdown -------------------------------------------------------------------------------


def test_markdown_headings_lists_links_and_emphasis() -> None:
    body = (
        "## Background\n\n"
        'MINUSMA was *established* in **2013**. See [the UN](https://un.org "UN site").\n\n'
        "- Mali\n- Niger\n\n"
        "1. First\n2. Second\n"
    )

    rendered = render_body(body, "markdown")

    assert rendered.html == (
        "<h2>Background</h2>\n"
        "<p>MINUSMA was <em>established</em> in <strong>2013</strong>. See "
        '<a href="https://un.org" title="UN site" rel="noopener noreferrer">the UN</a>.</p>\n'
        "<ul>\n<li>Mali</li>\n<li>Niger</li>\n</ul>\n"
        "<ol>\n<li>First</li>\n<li>Second</li>\n</ol>"
    )
    assert rendered.text == (
        "Background\n\nMINUSMA was established in 2013. See the UN.\n\nMali\n\nNiger\n\n"
        "First\n\nSecond"
    )


def test_a_markdown_top_heading_becomes_an_allowed_heading() -> None:
    rendered = render_body("# Background\n\nText.\n\nUnderlined\n==========\n", "markdown")
    assert rendered.html == "<h2>Background</h2>\n<p>Text.</p>\n<h2>Underlined</h2>"
    assert rendered.text == "Background\n\nText.\n\nUnderlined"


def test_an_html_top_heading_becomes_an_allowed_heading() -> None:
    rendered = render_body('<H1 class="x">Background</h1 ><p>Text.</p><h1/>', "html")
    assert rendered.html == "<h2>Background</h2><p>Text.</p><h2></h2>"
    assert rendered.text == "Background\n\nText."


def test_markdown_raw_html_is_shown_as_text_not_executed() -> None:
    body = '<script>alert(1)</script>\n\nHi <img src=x onerror="alert(2)"> <b>bold?</b>'

    rendered = render_body(body, "markdown")

    assert rendered.html == (
        "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n"
        '<p>Hi &lt;img src=x onerror="alert(2)"&gt; &lt;b&gt;bold?&lt;/b&gt;</p>'
    )
    assert rendered.text == (
        '<script>alert(1)</script>\n\nHi <img src=x onerror="alert(2)"> <b>bold?</b>'
    )


def test_markdown_javascript_link_is_not_a_link() -> None:
    rendered = render_body("[click](javascript:alert(1))", "markdown")

    assert "<a" not in rendered.html
    assert rendered.text == "[click](javascript:alert(1))"


def test_markdown_tables_strikethrough_quotes_and_code() -> None:
    body = (
        "| Year | Event |\n|---|:--|\n| 2020 | Coup |\n\n"
        "~~Rumour~~ Fact\n\n> Quoted\n\n```\n  code  block\n```\n"
    )

    rendered = render_body(body, "markdown")

    assert "<table>" in rendered.html
    assert "<td>2020</td>" in rendered.html
    assert "<s>Rumour</s>" in rendered.html
    assert "<blockquote>" in rendered.html
    assert rendered.text == "Year Event\n\n2020 Coup\n\nRumour Fact\n\nQuoted\n\n  code  block"


def test_markdown_hard_and_soft_breaks() -> None:
    rendered = render_body("Hard  \nbreak and soft\nbreak", "markdown")

    assert rendered == RenderedBody(
        html="<p>Hard<br>\nbreak and soft\nbreak</p>", text="Hard\nbreak and soft break"
    )


# --- text -------------------------------------------------------------------------------------


def test_text_paragraphs_and_line_breaks() -> None:
    body = "Dateline BAMAKO\nby Staff\n\nSecond paragraph."

    assert render_body(body, "text") == RenderedBody(
        html="<p>Dateline BAMAKO<br>\nby Staff</p>\n<p>Second paragraph.</p>", text=body
    )


def test_text_is_html_escaped() -> None:
    body = 'Use <b>bold</b> & "quotes" if 2 < 3'

    assert render_body(body, "text") == RenderedBody(
        html='<p>Use &lt;b&gt;bold&lt;/b&gt; &amp; "quotes" if 2 &lt; 3</p>', text=body
    )


def test_text_blank_lines_with_whitespace_separate_paragraphs() -> None:
    body = "  One  \n \t \n\n\n   Two\n\n\n"

    assert render_body(body, "text").text == "One\n\nTwo"


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_text_crlf_and_cr_are_normalised(newline: str) -> None:
    body = f"One{newline}still one{newline}{newline}Two{newline}"

    assert render_body(body, "text") == RenderedBody(
        html="<p>One<br>\nstill one</p>\n<p>Two</p>", text="One\nstill one\n\nTwo"
    )


def test_seed_story_text_round_trips_exactly() -> None:
    article = json.loads(SEED_ARTICLE.read_text(encoding="utf-8"))
    assert article["body_format"] == "text"
    body: str = article["body"]

    rendered = render_body(body, "text")

    assert rendered.text == body
    assert rendered.html.count("<p>") == body.count("\n\n") + 1
    assert rendered.html.startswith("<p>Mali’s Foreign Ministry has called")


@pytest.mark.parametrize("body_format", ["html", "markdown", "text"])
@pytest.mark.parametrize("body", ["", "  \n\t\n "])
def test_empty_bodies(body: str, body_format: BodyFormat) -> None:
    assert render_body(body, body_format) == RenderedBody("", "")


# --- non-Latin text ------------------------------------------------------------------------


def test_arabic_text_round_trips_and_counts_words() -> None:
    body = "طالبت مالي بانسحاب بعثة الأمم المتحدة.\n\nقال الوزير عبد اللهِ دِيوب إنّ البعثة فشلت."

    rendered = render_body(body, "text")

    assert rendered.text == body
    assert count_words(rendered.text) == 14


def test_chinese_html_text_and_word_count() -> None:
    rendered = render_body("<p>马里要求联合国维和部队撤离。</p><p>外交部长发表声明。</p>", "html")

    assert rendered.text == "马里要求联合国维和部队撤离。\n\n外交部长发表声明。"
    assert count_words(rendered.text) == 21


# --- summary --------------------------------------------------------------------------------


def test_summary_is_the_first_paragraph() -> None:
    assert derive_summary("Lead paragraph.\n\nSecond paragraph.") == "Lead paragraph."


def test_summary_of_seed_story_is_its_lead() -> None:
    body: str = json.loads(SEED_ARTICLE.read_text(encoding="utf-8"))["body"]

    assert derive_summary(body) == body.split("\n\n")[0]


def test_long_paragraph_is_cut_at_a_word_boundary() -> None:
    text = "The peacekeeping mission, established in 2013, has faced mounting criticism."

    summary = derive_summary(text, limit=30)

    assert summary == "The peacekeeping mission…"
    assert len(summary) <= 30


def test_summary_never_exceeds_limit_and_only_splits_an_overlong_first_word() -> None:
    text = "Foreign Minister Abdoulaye Diop emphasized the government’s willingness to cooperate."

    for limit in range(1, len(text) + 2):
        summary = derive_summary(text, limit=limit)

        assert summary is not None
        assert len(summary) <= limit, limit
        if summary != text:
            stem = summary.removesuffix("…")
            assert text.startswith(stem), limit
            if " " in stem:
                assert text[len(stem)] == " ", limit


def test_summary_cut_exactly_at_a_space_keeps_the_last_word() -> None:
    assert derive_summary("alpha beta gamma", limit=11) == "alpha beta…"


def test_summary_drops_punctuation_before_the_ellipsis() -> None:
    assert derive_summary("Bamako, Mali, and Niamey", limit=14) == "Bamako, Mali…"


def test_summary_hard_cuts_text_without_spaces() -> None:
    assert derive_summary("马里要求联合国维和部队撤离", limit=5) == "马里要求…"


def test_summary_that_fits_is_unchanged() -> None:
    assert derive_summary("Exactly ten", limit=11) == "Exactly ten"


@pytest.mark.parametrize("text", ["", "   ", "\n\n"])
def test_summary_of_empty_text_is_none(text: str) -> None:
    assert derive_summary(text) is None


def test_summary_rejects_a_limit_below_one() -> None:
    with pytest.raises(ValueError, match="limit"):
        derive_summary("text", limit=0)


# --- word count and reading time --------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", 0),
        ("   \n\n ", 0),
        ("— … / - !", 0),
        ("One", 1),
        ("Mali’s well-known don't", 3),
        ("12,000 troops, 3.5 percent, U.S. officials", 6),
        ("before—after and 2013–2023 and/or wait…what", 9),
        ("snake_case __", 1),
        ("First paragraph.\n\nSecond\nline.", 4),
        ("हिन्दी भाषा में समाचार", 4),
        ("مُحَمَّد رسول", 2),
        ("می‌خواهم بروم", 2),
        ("联合国", 3),
        ("日本語のテキスト", 8),
        ("iPhone手机", 3),
    ],
)
def test_count_words(text: str, expected: int) -> None:
    assert count_words(text) == expected


@pytest.mark.parametrize(
    ("word_count", "minutes"),
    [(0, 0), (1, 1), (229, 1), (230, 1), (231, 2), (460, 2), (461, 3), (2300, 10)],
)
def test_reading_time_minutes(word_count: int, minutes: int) -> None:
    assert reading_time_minutes(word_count) == minutes


def test_reading_time_of_seed_story() -> None:
    body: str = json.loads(SEED_ARTICLE.read_text(encoding="utf-8"))["body"]

    words = count_words(body)

    assert words == len(body.split())
    assert reading_time_minutes(words) == 2
