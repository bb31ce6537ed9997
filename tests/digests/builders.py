"""Builders shared by the digest tests: a renderer on small in-memory templates, recipients."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import jinja2

from syndicate.digests import DigestRenderer, DigestSite, EditionHeaders, Recipient

SITE = DigestSite(
    title="Harbour Courier",
    url="https://news.example.com/",
    host="news.example.com",
    language="en",
    zone=ZoneInfo("Europe/London"),
    postal_address="1 Quay Street, Velmar",
)
HEADERS = EditionHeaders(
    sender="Harbour Courier <digest@news.example.com>",
    subject="Harbour Courier digest: Wednesday, November 25, 2026",
    date=datetime(2026, 11, 25, 12, 0, tzinfo=UTC),
    list_id="Harbour Courier <digest.news.example.com>",
    host="news.example.com",
    edition_id="2026-11-25",
)

# The contract of the real templates, kept small so that these tests do not follow
# the design: the greeting once as text, the unsubscribe URL once as an href.
MJML = """\
<mjml lang="{{ site.language }}">
  <mj-head>
    <mj-title>{{ site.title }}</mj-title>
    <mj-preview>{{ edition.preheader }}</mj-preview>
  </mj-head>
  <mj-body>
    <mj-section><mj-column>
      <mj-text><p>{{ subscriber.greeting }}</p></mj-text>
      {%- for section in sections %}
      <mj-text><h1>{{ section.name }}</h1></mj-text>
      {%- for story in section.stories %}
      {%- if story.image %}
      <mj-image src="{{ story.image.url }}" alt="{{ story.image.alt or story.title }}" />
      {%- endif %}
      <mj-text>
        <h2><a href="{{ story.url }}">{{ story.title }}</a></h2>
        <p>{{ story.summary }}</p>
        {%- for link in story.related %}
        <p><a href="{{ link.url }}">{{ link.title }}</a></p>
        {%- endfor %}
      </mj-text>
      {%- endfor %}
      {%- endfor %}
      <mj-text><a href="{{ subscriber.unsubscribe_url }}">Unsubscribe</a></mj-text>
    </mj-column></mj-section>
  </mj-body>
</mjml>
"""
TEXT = """\
{{ site.title }}
{{ subscriber.greeting }}
{% for section in sections %}
{{ section.name }}
{% for story in section.stories %}
{{ story.title }}
{{ story.url }}
{% endfor %}{% endfor %}
Unsubscribe: {{ subscriber.unsubscribe_url }}
"""


def small_renderer(site: DigestSite = SITE) -> DigestRenderer:
    """A renderer on in-memory templates that keep the real templates' contract."""

    def environment(autoescape: bool) -> jinja2.Environment:
        loader = jinja2.DictLoader({"digest/digest.mjml.j2": MJML, "digest/digest.txt.j2": TEXT})
        return jinja2.Environment(
            loader=loader, autoescape=autoescape, undefined=jinja2.StrictUndefined
        )

    return DigestRenderer(site, environment(True), environment(False))


def recipient(
    email: str = "hana.lowry@example.com",
    name: str = "Hana Lowry",
    unsubscribe_url: str = "https://news.example.com/unsubscribe/abc.def",
) -> Recipient:
    return Recipient(email, name, unsubscribe_url, "mailto:unsubscribe@news.example.com?subject=u")
