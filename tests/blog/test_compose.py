"""Post text made from blog entries: summaries, the Page post, the Group draft."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.blog.compose import (
    DEFAULT_PAGE_TEMPLATE,
    PAGE_MESSAGE_LIMIT,
    PostValues,
    compose_group_draft,
    compose_page_post,
    summarize,
)
from bot.blog.feed import FeedEntry, parse_feed

SITE = "https://blog.example-immigration-firm.test"
VALUES = PostValues(firm_name="Demo Immigration Law Firm", text_number="619-569-1768", call_number="619-819-9204",
                    group_url="https://www.facebook.com/groups/demo-immigration-help",
                    resource_center_url=f"{SITE}/resource-center/")
CTA = "Questions? Text 619-569-1768 or call 619-819-9204."
SPANISH_CTA = "¿Preguntas? Envíe un mensaje de texto al 619-569-1768 o llame al 619-819-9204."


def entry(title="DACA Update: USCIS Continues Processing Renewals", content="", summary="") -> FeedEntry:
    return FeedEntry(key=f"{SITE}/?p=2844", guid=f"{SITE}/?p=2844", link=f"{SITE}/2026/09/29/daca-update/",
                     title=title, summary_html=summary, content_html=content, published=None, updated=None)


# --- summarize --------------------------------------------------------------------------------

@pytest.mark.parametrize("html, expected", [
    ('<p>USCIS extended EADs.</p>'
     '<p>The post <a href="x">EAD news</a> appeared first on <a href="y">Demo Firm, P.C.</a>.</p>',
     "USCIS extended EADs."),
    ('<p>La regla cambió.</p><p>La entrada <a>Asilo</a> se publicó primero en <a>Demo</a>.</p>', "La regla cambió."),
    ("<p>The Department will extend permits for people who [&#8230;]</p>",
     "The Department will extend permits for people who…"),
    ("<p>Renewals continue. [...]</p>", "Renewals continue."),
    ('<p>Renewals continue. <a href="x">Continue reading <span>DACA</span> &rarr;</a></p>', "Renewals continue."),
    ('<p>Renewals continue.</p><p><a class="more-link" href="x">Read More &raquo;</a></p>', "Renewals continue."),
    ("<p>Renewals continue.</p><h3>Share this:</h3><ul><li>Facebook</li><li>Click to share on Twitter</li></ul>",
     "Renewals continue."),
    ("<p>Renewals continue.</p><h2>Contact Us</h2><p>Text 619-569-1768 or call 619-819-9204.</p>",
     "Renewals continue."),
    ("<p>Renovaciones continúan.</p><p>Envíe un mensaje de texto al 619-569-1768 o llame al 619-819-9204.</p>",
     "Renovaciones continúan."),
    ("<p>Join our <a>Facebook group</a> and visit our <a>Immigration and COVID-19 Resource Center</a>.</p>", ""),
])
def test_wordpress_boilerplate_is_removed(html, expected):
    assert summarize(html) == expected


def test_entities_are_decoded_and_whitespace_folded():
    html = "<p>Families in San&nbsp;Diego &amp; Tijuana&#8217;s\n\n   border   region.</p><script>track()</script>"

    assert summarize(html) == "Families in San Diego & Tijuana’s border region."


def test_summary_stops_at_a_sentence_boundary_and_ignores_abbreviations():
    html = ("<p>The U.S. and Mexico announced a plan on Jan. 5. It affects asylum seekers at 9 a.m. daily. "
            "A third sentence is left out.</p>")

    assert summarize(html) == ("The U.S. and Mexico announced a plan on Jan. 5. "
                               "It affects asylum seekers at 9 a.m. daily.")
    assert summarize(html, max_sentences=1) == "The U.S. and Mexico announced a plan on Jan. 5."


def test_spanish_questions_end_sentences():
    assert summarize("<p>¿Qué cambió? El Sr. Pérez habló con EE.UU. ayer. Llame hoy.</p>") == \
        "¿Qué cambió? El Sr. Pérez habló con EE.UU. ayer."


def test_summary_never_exceeds_max_chars():
    long_sentence = "<p>" + "The new rule changes how asylum claims are screened at the border " * 20 + ".</p>"

    summary = summarize(long_sentence, max_chars=120)

    assert len(summary) <= 120 and summary.endswith("…")
    assert not summary.endswith(" …")


def test_second_sentence_is_dropped_when_it_would_not_fit():
    html = "<p>Short first sentence. " + "Very long second sentence " * 30 + ".</p>"

    assert summarize(html, max_chars=200) == "Short first sentence."


def test_empty_or_boilerplate_only_html_gives_empty_summary():
    assert summarize("") == ""
    assert summarize("<p>The post <a>X</a> appeared first on <a>Y</a>.</p>") == ""


# --- the Page post ----------------------------------------------------------------------------

def test_page_post_has_title_summary_and_call_to_action_but_not_the_link():
    post = entry(content="<p>USCIS continues to accept DACA renewals. File early. Keep copies.</p>")

    message, link = compose_page_post(post, VALUES)

    assert link == f"{SITE}/2026/09/29/daca-update/"
    assert link not in message  # Facebook draws the preview from `link`
    assert message.startswith("DACA Update: USCIS Continues Processing Renewals\n\n"
                              "USCIS continues to accept DACA renewals. File early.\n\n" + CTA)
    assert VALUES.resource_center_url in message and VALUES.group_url in message
    assert "¿Preguntas?" not in message


def test_spanish_line_follows_the_english_one():
    message, _ = compose_page_post(entry(content="<p>Renewals continue.</p>"), VALUES, spanish_line=True)

    assert f"{CTA}\n{SPANISH_CTA}" in message


def test_excerpt_is_used_when_there_is_no_full_content():
    post = entry(summary="USCIS continues to accept DACA renewal requests [&#8230;]")

    message, _ = compose_page_post(post, VALUES)

    assert "USCIS continues to accept DACA renewal requests…" in message
    assert "[" not in message


def test_custom_template_may_place_the_link_and_the_firm_name():
    template = "{firm_name}: {title}\n{link}\n\n{call_to_action}"

    message, link = compose_page_post(entry(), VALUES, template=template)

    assert message == f"Demo Immigration Law Firm: DACA Update: USCIS Continues Processing Renewals\n{link}\n\n{CTA}"


@pytest.mark.parametrize("template, named", [
    ("{title}\n{sumary}", "{sumary}"),
    ("{title.__class__}", "{title.__class__}"),
    ("{title[0]}", "{title[0]}"),
    ("{}", "{}"),
])
def test_unknown_placeholders_are_refused_with_their_name(template, named):
    with pytest.raises(ValueError, match="unknown placeholder") as error:
        compose_page_post(entry(), VALUES, template=template)

    assert named in str(error.value)


def test_format_specs_are_refused():
    with pytest.raises(ValueError, match=r"\{title\} in the post template takes no format spec"):
        compose_page_post(entry(), VALUES, template="{title:>9999999}")


def test_malformed_template_is_refused_clearly():
    with pytest.raises(ValueError, match="malformed"):
        compose_page_post(entry(), VALUES, template="{title")


def test_lines_with_only_empty_values_disappear():
    bare = PostValues(firm_name="Demo", text_number="", call_number="619-819-9204", group_url="",
                      resource_center_url="")

    message, _ = compose_page_post(entry(content="<p>Renewals continue.</p>"), bare, spanish_line=True)

    assert message == ("DACA Update: USCIS Continues Processing Renewals\n\nRenewals continue.\n\n"
                       "Questions? Call 619-819-9204.\n¿Preguntas? Llame al 619-819-9204.")


def test_huge_title_and_body_still_fit_a_post():
    post = entry(title="Breaking " * 2000, content="<p>" + "word " * 20000 + ".</p>")

    message, _ = compose_page_post(post, VALUES)

    assert len(message) < PAGE_MESSAGE_LIMIT
    assert CTA in message


def test_template_too_long_by_itself_is_refused():
    with pytest.raises(ValueError, match="5000"):
        compose_page_post(entry(), VALUES, template="{title}\n" + "x" * PAGE_MESSAGE_LIMIT)


def test_default_template_only_uses_known_placeholders():
    message, _ = compose_page_post(entry(), VALUES, template=DEFAULT_PAGE_TEMPLATE)

    assert "{" not in message


# --- the Group draft --------------------------------------------------------------------------

def test_group_draft_carries_the_link_in_its_text():
    draft = compose_group_draft(entry(content="<p>Renewals continue.</p>"), VALUES)

    assert f"Read more: {SITE}/2026/09/29/daca-update/" in draft
    assert draft.startswith("DACA Update")
    assert CTA in draft and "Nuevo" not in draft and "¿Preguntas?" not in draft


def test_group_draft_with_bilingual_header():
    draft = compose_group_draft(entry(content="<p>Renewals continue.</p>"), VALUES, bilingual_header=True)

    assert draft.startswith("New on our blog / Nuevo en nuestro blog\n\nDACA Update")
    assert "Read more / Leer más: " in draft and SPANISH_CTA in draft


def test_every_demo_post_composes_cleanly():
    entries, _, _ = parse_feed((Path(__file__).parents[2] / "bot" / "data" / "demo_feed.xml").read_bytes())

    for post in entries:
        message, link = compose_page_post(post, VALUES, spanish_line=True)
        assert "appeared first on" not in message and "se publicó primero" not in message
        assert message.count("619-569-1768") == 2  # the CTA lines only, not the post's own ending
        assert message.startswith(post.title) and link == post.link
        assert len(message) < PAGE_MESSAGE_LIMIT
