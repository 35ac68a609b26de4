"""Bodies to safe HTML: Markdown and plain text as members write them, XSS vectors neutralised."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.domain import rendering
from server.domain.rendering import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, render, sanitise

REL = 'rel="nofollow noopener noreferrer"'


class _Audit(HTMLParser):
    """Every tag, attribute and URL in a fragment, to check against the allow-list."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.problems.append(f"tag <{tag}>")
        for name, value in attrs:
            allowed = ALLOWED_ATTRIBUTES.get(tag, set()) | ({"rel"} if tag == "a" else set())
            if name not in allowed:
                self.problems.append(f"attribute {name} on <{tag}>")
            if name == "href" and value is not None:
                scheme = urlsplit(value.strip()).scheme.lower()
                if scheme not in ("", "http", "https", "mailto"):
                    self.problems.append(f"URL scheme {scheme!r}")
            if name == "rel" and value != "nofollow noopener noreferrer":
                self.problems.append(f"rel={value!r}")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_comment(self, data: str) -> None:
        self.problems.append("comment")


def assert_safe(fragment: str) -> None:
    audit = _Audit()
    audit.feed(fragment)
    audit.close()
    assert audit.problems == [], fragment


@pytest.mark.parametrize(
    ("body", "html"),
    [
        ("", ""),
        ("   \n\n ", ""),
        ("Hello *world*", "<p>Hello <em>world</em></p>"),
        (
            "**bold** _em_ `code` ~~gone~~",
            "<p><strong>bold</strong> <em>em</em> <code>code</code> <s>gone</s></p>",
        ),
        ("# One\n## Two\n###### Six", "<h1>One</h1>\n<h2>Two</h2>\n<h6>Six</h6>"),
        ("> quoted", "<blockquote>\n<p>quoted</p>\n</blockquote>"),
        ("- a\n- b", "<ul>\n<li>a</li>\n<li>b</li>\n</ul>"),
        ("3. c\n4. d", '<ol start="3">\n<li>c</li>\n<li>d</li>\n</ol>'),
        ("a\n\n---\n\nb", "<p>a</p>\n<hr>\n<p>b</p>"),
        ("line one  \nline two", "<p>line one<br>\nline two</p>"),
        ("```python\nif a < b:\n    pass\n```", "<pre><code>if a &lt; b:\n    pass\n</code></pre>"),
        ("    indented code", "<pre><code>indented code\n</code></pre>"),
        (
            '[docs](https://example.org/a?b=1&c=2 "The docs")',
            f'<p><a href="https://example.org/a?b=1&amp;c=2" title="The docs" {REL}>docs</a></p>',
        ),
        (
            "<https://example.org>",
            f'<p><a href="https://example.org" {REL}>https://example.org</a></p>',
        ),
        (
            "[write](mailto:ada@example.org)",
            f'<p><a href="mailto:ada@example.org" {REL}>write</a></p>',
        ),
        ("[section](#intro)", f'<p><a href="#intro" {REL}>section</a></p>'),
        ("plain https://example.org stays text", "<p>plain https://example.org stays text</p>"),
        (
            "![diagram](https://example.org/d.png)",
            f'<p>!<a href="https://example.org/d.png" {REL}>diagram</a></p>',
        ),
        ("a & b < c", "<p>a &amp; b &lt; c</p>"),
    ],
)
def test_markdown(body: str, html: str) -> None:
    assert render(body, "markdown") == html
    assert_safe(render(body, "markdown"))


@pytest.mark.parametrize(
    ("body", "html"),
    [
        ("", ""),
        ("just text", "<p>just text</p>"),
        ("one\ntwo", "<p>one<br>\ntwo</p>"),
        ("one\r\ntwo\r\n\r\nthree", "<p>one<br>\ntwo</p>\n<p>three</p>"),
        ("a\n\n\n  \nb", "<p>a</p>\n<p>b</p>"),
        ("*not* markdown", "<p>*not* markdown</p>"),
        ('<b>x</b> & "y"', '<p>&lt;b&gt;x&lt;/b&gt; &amp; "y"</p>'),
        ("https://example.org", "<p>https://example.org</p>"),
    ],
)
def test_plain_text(body: str, html: str) -> None:
    assert render(body, "plain") == html


XSS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    '<img src=x onerror="alert(1)">',
    "<svg onload=alert(1)>",
    '<iframe src="https://evil.example"></iframe>',
    "<style>body{display:none}</style>",
    '<a href="javascript:alert(1)">x</a>',
    '<p onclick="alert(1)">x</p>',
    "<!-- <script>alert(1)</script> -->",
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](javascript&#58;alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](java\tscript:alert(1))",
    "[x]( javascript:alert(1))",
    "[x](vbscript:msgbox(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[x](file:///etc/passwd)",
    "![x](javascript:alert(1))",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "<javascript:alert(1)>",
    '[x](https://example.org "a\\" onmouseover=\\"alert(1)")',
    "[x][r]\n\n[r]: javascript:alert(1)",
    "`<script>` <b onmouseover=alert(1)>hover</b>",
    "*<img src=x onerror=alert(1)>*",
]


@pytest.mark.parametrize("body", XSS)
@pytest.mark.parametrize("format", ["markdown", "plain"])
def test_xss_vectors_are_neutralised(body: str, format: str) -> None:
    html = render(body, format)
    assert_safe(html)  # only allow-listed tags and attributes, only http(s)/mailto links
    for element in ("<script", "<img", "<svg", "<iframe", "<style"):
        assert element not in html.lower()


@pytest.mark.parametrize(
    ("body", "html"),
    [
        ("<script>alert(1)</script>", "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"),
        ("<img src=x onerror=alert(1)>", "<p>&lt;img src=x onerror=alert(1)&gt;</p>"),
        ("<b>raw</b> html", "<p>&lt;b&gt;raw&lt;/b&gt; html</p>"),
        ("<div>\nblock\n</div>", "<p>&lt;div&gt;\nblock\n&lt;/div&gt;</p>"),
        ("[x](javascript:alert(1))", "<p>[x](javascript:alert(1))</p>"),
        (
            "[x](data:text/html;base64,PHNjcmlwdD4=)",
            "<p>[x](data:text/html;base64,PHNjcmlwdD4=)</p>",
        ),
        ("![x](javascript:alert(1))", "<p>![x](javascript:alert(1))</p>"),
    ],
)
def test_raw_html_and_unsafe_links_in_markdown_show_as_text(body: str, html: str) -> None:
    assert render(body, "markdown") == html


@pytest.mark.parametrize(
    ("fragment", "clean"),
    [
        ("<p>ok<script>alert(1)</script></p>", "<p>ok</p>"),
        ('<p><img src="x" onerror="alert(1)">hi</p>', "<p>hi</p>"),
        ('<a href="javascript:alert(1)">x</a>', f"<a {REL}>x</a>"),
        ('<a href="data:text/html,x">x</a>', f"<a {REL}>x</a>"),
        ('<a href="ftp://example.org/f">x</a>', f"<a {REL}>x</a>"),
        (
            '<a href="https://example.org" target="_blank" rel="opener" onclick="x()">x</a>',
            f'<a href="https://example.org" {REL}>x</a>',
        ),
        ('<p style="color:red" class="c" id="i">x</p>', "<p>x</p>"),
        ("<div><span>text</span></div>", "text"),
        ("<iframe src=https://evil.example></iframe>after", "after"),
        ("<!-- hidden -->shown", "shown"),
        ("<table><tr><td>cell</td></tr></table>", "cell"),
    ],
)
def test_sanitise_keeps_only_the_allow_list(fragment: str, clean: str) -> None:
    """`render` always ends here; remote HTML (federation) can use it directly."""
    assert sanitise(fragment) == clean


def test_an_unknown_format_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="html"):
        render("<p>x</p>", "html")


@given(
    st.text(
        alphabet=st.sampled_from(list("<>&\"'`*_[]()!:/\\ \n#-=~abcjsvpt0123456789"))
        # Lone surrogates never reach a body: msgspec refuses them when it decodes a request.
        | st.characters(exclude_categories=("Cs",))
    )
)
def test_any_text_renders_to_allow_listed_html(body: str) -> None:
    for format in ("markdown", "plain"):
        assert_safe(render(body, format))


_PLAIN = list("abcXYZ0189 ,.;:!?'()/-")
_OPENING = list('*_`[]<>&\\#=~|+"\t\n')


@settings(max_examples=3000)
@given(
    st.text(alphabet=st.sampled_from(_PLAIN), max_size=40)
    | st.sampled_from(_OPENING).flatmap(
        lambda opening: st.text(alphabet=st.sampled_from([*_PLAIN, opening]), max_size=40)
    )
    | st.text(alphabet=st.sampled_from(_PLAIN + _OPENING), max_size=40)
)
def test_a_plain_line_renders_as_the_parser_renders_it(body: str) -> None:
    """The shortcut for one plain line gives what the Markdown parser gives, and is taken
    only where it can: on lines of what it accepts, of that with one character that opens a
    construct, and of that with all of them."""
    assert render(body, "markdown") == sanitise(rendering._markdown(body)).strip()


@pytest.mark.parametrize(
    "body",
    [
        "Saving this for later. Thank you!",
        "Week 21 of learning: rebuilding an example (from memory) - next up/later.",
        "I can't wait; it's done?",
        "a  b",
    ],
)
def test_plain_lines_take_the_shortcut(body: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def parser_called(_: str) -> str:
        raise AssertionError("the Markdown parser was used")

    monkeypatch.setattr(rendering, "_markdown", parser_called)
    assert render(body, "markdown") == f"<p>{body}</p>"
