"""Text of the posts made from blog entries: plain-text summaries, the Page post and the Group draft."""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from html.parser import HTMLParser

from bot.blog.feed import FeedEntry
from bot.config import PAGE_POST_PLACEHOLDERS

PAGE_MESSAGE_LIMIT = 5000  # stay well under Facebook's own limit; long posts get folded anyway
SHORT_TITLE_CHARS = 200
DEFAULT_PAGE_TEMPLATE = (
    "{title}\n\n"
    "{summary}\n\n"
    "{call_to_action}\n"
    "Resource Center: {resource_center_url}\n"
    "Facebook group: {group_url}"
)
# The link is in the text because a Group post made by hand gets no preview from `link`.
_GROUP_TEMPLATE = (
    "{title}\n\n"
    "{summary}\n\n"
    "{read_more}: {link}\n\n"
    "{call_to_action}\n"
    "Resource Center: {resource_center_url}"
)
GROUP_HEADER = "New on our blog / Nuevo en nuestro blog"

_SKIPPED_TAGS = {"script", "style", "noscript", "template", "iframe", "svg", "button", "select", "textarea", "form"}
_BLOCK_TAGS = {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "section",
               "article", "header", "footer", "aside", "nav", "table", "tr", "td", "th", "figure", "figcaption",
               "hr", "pre", "dl", "dt", "dd"}
_PHONE = r"\(?\d{3}\)?[\s.-]?\d{3}[\s.-]\d{4}"
# Whole paragraphs that WordPress themes, plugins and the firm's own endings add to every post.
_BOILERPLATE_PARAGRAPH = re.compile(
    r"^(?:share this|compartir esto|like this|me gusta esto|related|relacionado|"
    r"share on \w+|click to (?:share|print|email)\b.*|(?:facebook|twitter|x|linkedin|email|print|whatsapp|"
    r"pinterest|reddit|tweet|more)|like loading\W*|cargando\W*)\W*$", re.IGNORECASE)
_CONTACT_PARAGRAPH = re.compile(
    rf"^(?:contact us|cont[aá]ctenos|contacto)\b|{_PHONE}.{{0,80}}\b(?:text|call|llame|llámenos|mensaje|whatsapp)\b|"
    rf"\b(?:text|call|llame|llámenos|mensaje|whatsapp)\b.{{0,80}}{_PHONE}|"
    r"\b(?:join|únase|unase)\b.{0,60}\b(?:facebook group|grupo de facebook)|"
    r"\b(?:visit|visite)\b.{0,60}\b(?:resource center|centro de recursos)", re.IGNORECASE)
_SHARE_HEADING = re.compile(r"^(?:share this|compartir esto|like this|me gusta esto)\W*$", re.IGNORECASE)
_INLINE_BOILERPLATE = [
    re.compile(r"\s*(?:The post|La entrada) .+? (?:appeared first on|se publicó primero en) .*$", re.I | re.S),
    re.compile(r"\s*\[\s*(?:…|\.\.\.)\s*\]"),
    re.compile(r"\s*(?:continue reading|keep reading|read more|read the full (?:post|article)|leer más|"
               r"leer mas|seguir leyendo|sigue leyendo)\b.{0,120}$", re.I | re.S),
]
_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’)\]]*\s+")
_ABBREVIATIONS = {"dr", "mr", "mrs", "ms", "sr", "sra", "srta", "jr", "st", "no", "núm", "vs", "etc", "jan", "feb",
                  "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "dept", "gov", "sec", "inc",
                  "esq", "lic", "corp", "ee.uu", "approx", "est", "fig", "art", "ave"}


@dataclass(frozen=True)
class PostValues:
    """The firm's details that posts mention."""

    firm_name: str
    text_number: str
    call_number: str
    group_url: str
    resource_center_url: str


def summarize(html: str, *, max_sentences: int = 2, max_chars: int = 400) -> str:
    """Plain text of the first sentences of a post, without WordPress boilerplate; '' if nothing is left."""
    if max_sentences < 1 or max_chars < 2:
        raise ValueError("summarize needs max_sentences >= 1 and max_chars >= 2")
    text = " ".join(_clean_paragraphs(_html_paragraphs(html)))
    if not text:
        return ""
    chosen: list[str] = []
    for sentence in _split_sentences(text)[:max_sentences]:
        if len(" ".join(chosen + [sentence])) > max_chars:
            break
        chosen.append(sentence)
    summary = " ".join(chosen) if chosen else _cut_at_word(text, max_chars)
    # An excerpt that WordPress cut mid-sentence should read as unfinished, not as a full stop.
    if summary[-1] not in ".!?…\"”’)" and len(summary) < max_chars:
        summary += "…"
    return summary


def compose_page_post(entry: FeedEntry, values: PostValues, *, template: str | None = None,
                      spanish_line: bool = False) -> tuple[str, str]:
    """(message, link) for the Page; raises ValueError for an unknown placeholder or an over-long template."""
    return _compose(entry, values, template or DEFAULT_PAGE_TEMPLATE, call_to_action(values, spanish_line)), entry.link


def compose_group_draft(entry: FeedEntry, values: PostValues, *, bilingual_header: bool = False) -> str:
    """Text an admin pastes into the Group: the post with its link in the text, optionally a bilingual header."""
    extra = {"read_more": "Read more / Leer más" if bilingual_header else "Read more"}
    body = _compose(entry, values, _GROUP_TEMPLATE, call_to_action(values, bilingual_header), extra)
    return f"{GROUP_HEADER}\n\n{body}" if bilingual_header else body


def call_to_action(values: PostValues, spanish_line: bool = False) -> str:
    """'Questions? Text … or call ….' (plus the Spanish line when asked); '' without contact numbers."""
    text, call = values.text_number.strip(), values.call_number.strip()
    if text and call:
        lines = [f"Questions? Text {text} or call {call}.",
                 f"¿Preguntas? Envíe un mensaje de texto al {text} o llame al {call}."]
    elif text or call:
        lines = [f"Questions? {'Text' if text else 'Call'} {text or call}.",
                 f"¿Preguntas? {'Envíe un mensaje de texto al' if text else 'Llame al'} {text or call}."]
    else:
        return ""
    return "\n".join(lines if spanish_line else lines[:1])


# --- templates --------------------------------------------------------------------------------

def _compose(entry: FeedEntry, values: PostValues, template: str, cta: str, extra: dict | None = None) -> str:
    allowed = set(PAGE_POST_PLACEHOLDERS) | set(extra or {})
    _check_template(template, allowed)
    summary = summarize(entry.content_html or entry.summary_html) or summarize(entry.summary_html)
    if entry.title and summary.startswith(entry.title):  # themes often repeat the title as a heading
        summary = summary[len(entry.title):].lstrip(" :.-–—") or ""
    fields = {"title": entry.title, "summary": summary, "call_to_action": cta, "link": entry.link,
              "firm_name": values.firm_name, "text_number": values.text_number, "call_number": values.call_number,
              "group_url": values.group_url, "resource_center_url": values.resource_center_url, **(extra or {})}
    message = _render(template, fields)
    if len(message) >= PAGE_MESSAGE_LIMIT:
        message = _render(template, fields | {"summary": "", "title": _cut_at_word(entry.title, SHORT_TITLE_CHARS)})
    if len(message) >= PAGE_MESSAGE_LIMIT:
        raise ValueError(f"the post template renders to {len(message)} characters; posts must stay under "
                         f"{PAGE_MESSAGE_LIMIT}")
    return message


def _check_template(template: str, allowed: set[str]) -> None:
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise ValueError(f"the post template is malformed ({exc}); write literal braces as {{{{ and }}}}") from None
    for _, name, spec, conversion in parts:
        if name is None:
            continue
        if name not in allowed:
            raise ValueError(f"unknown placeholder {{{name}}} in the post template; "
                             f"use {', '.join('{' + p + '}' for p in sorted(allowed))}")
        if spec or conversion:
            raise ValueError(f"placeholder {{{name}}} in the post template takes no format spec or conversion")


def _render(template: str, fields: dict[str, str]) -> str:
    """Fill the template line by line, dropping lines whose placeholders are all empty."""
    lines = []
    for line in template.split("\n"):
        names = [name for _, name, _, _ in string.Formatter().parse(line) if name is not None]
        if names and not any(fields[name] for name in names):
            continue
        lines.append(line.format_map(fields))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


# --- HTML to text -----------------------------------------------------------------------------

class _TextExtractor(HTMLParser):
    """Collects text by paragraph, skipping scripts, styles and form controls."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.paragraphs: list[str] = []
        self._current: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in _SKIPPED_TAGS:
            self._skipping += 1
        elif tag in _BLOCK_TAGS:
            self._break()

    def handle_endtag(self, tag):
        if tag in _SKIPPED_TAGS:
            self._skipping = max(0, self._skipping - 1)
        elif tag in _BLOCK_TAGS:
            self._break()

    def handle_data(self, data):
        if not self._skipping:
            self._current.append(data)

    def close(self):
        super().close()
        self._break()

    def _break(self):
        text = " ".join("".join(self._current).replace("\u200b", "").split())
        if text:
            self.paragraphs.append(text)
        self._current = []


def _html_paragraphs(html: str) -> list[str]:
    extractor = _TextExtractor()
    extractor.feed(html or "")
    extractor.close()
    return extractor.paragraphs


def _clean_paragraphs(paragraphs: list[str]) -> list[str]:
    kept = []
    for paragraph in paragraphs:
        if _SHARE_HEADING.match(paragraph):
            break  # everything after a sharing heading is buttons and "related posts"
        for pattern in _INLINE_BOILERPLATE:
            paragraph = pattern.sub("", paragraph).strip()
        if paragraph and not _BOILERPLATE_PARAGRAPH.match(paragraph) and not _CONTACT_PARAGRAPH.search(paragraph):
            kept.append(paragraph)
    return kept


def _split_sentences(text: str) -> list[str]:
    sentences, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        before = text[start:match.start()].split()
        word = before[-1].lstrip("(\"'“¿¡").lower() if before else ""
        if text[match.start()] == "." and _is_abbreviation(word):
            continue
        sentences.append(text[start:match.end()].strip())
        start = match.end()
    tail = text[start:].strip()
    return sentences + ([tail] if tail else [])


def _is_abbreviation(word: str) -> bool:
    """'U.S.', 'e.g.', 'a.m.', initials and 'Dr.' end in a period without ending the sentence."""
    return word in _ABBREVIATIONS or re.fullmatch(r"(?:[^\W\d_]\.)+[^\W\d_]|[^\W\d_]", word) is not None


def _cut_at_word(text: str, max_chars: int) -> str:
    if len(text) <= max_chars:
        return text
    cut = text[: max_chars - 1]
    if " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:-–—") + "…"
