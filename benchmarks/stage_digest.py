"""digest-compile and digest-messages: a 30-story edition for M subscribers, each with
their own choice of the six sections (a third take them all).

digest-compile (`--kind compile`): the edition planned as `plan_edition` does it
(subscribers read from the store, the web copy, a sample, one MJML compile per
variant, each subscriber's variant). Rate: subscribers per second. Floor:
mjml-python alone compiling the same MJML documents (captured from our
renderer). Target: compiles = variants (+1 for the web copy, +1 for the
all-sections sample when nobody gets that variant), never the subscribers.

digest-messages (`--kind messages`): each subscriber's message filled into their
variant's bytes, encoded once (`MessageTemplate.fill`). Floor: joining the same
pre-encoded chunks with pre-encoded values, the least work possible. Target:
ratio >= 0.25. Ours and the floor: medians of 7 runs in turn (`--runs`, if more).
Also reported: `naive_rate`, the stdlib's email package building each message
from the pre-rendered HTML and text (an EmailMessage per subscriber), timed on
500 of them; and `plain_share`, the share of recipients whose values take
`fill`'s plain path (an ASCII name of words and an ASCII address: the generated
"Reader N" all do). A name that needs RFC 2047 encoding or quoting goes through
the email package's header folding instead, tens of times dearer.
"""

from __future__ import annotations

import itertools
import json
import tempfile
import time
from collections.abc import Callable
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from pathlib import Path

from mjml import mjml2html

from benchmarks.common import (
    ENV,
    emit,
    interleaved,
    log,
    parser,
    profile,
    row,
    site_copy,
    timer,
)
from benchmarks.sites import add_subscribers
from syndicate._store.store import StateStore
from syndicate.api import load_site
from syndicate.config import LoadedConfig
from syndicate.digests import plan as digest_plan
from syndicate.digests import render
from syndicate.digests.headers import Recipient, list_id
from syndicate.digests.messages import MessageTemplate, _slot_bytes
from syndicate.digests.plan import PlannedSends, PreparedEdition, next_edition, prepare_edition
from syndicate.digests.render import (
    GREETING_TOKEN,
    UNSUBSCRIBE_TOKEN,
    DigestRenderer,
    RenderedVariant,
    renderer_for,
)
from syndicate.mail.tokens import unsubscribe_token
from syndicate.site.load import LoadedSite

SITE_ARTICLES = 300  # the edition takes the newest 30
NAIVE_SAMPLE = 500
FLOOR_POOL = 100  # floor values: those of this many recipients, in turn
# Ours and the floor take tens of milliseconds a run at 10k: on a shared machine the
# ratio of medians of 3 ran from 0.15 to 0.33 for the same code. 7 narrow it (cheap at
# this speed), but under load the floor still moves: compare several whole runs.
PAIR_RUNS = 7


def plan(site: LoadedSite) -> tuple[PreparedEdition, int]:
    """`plan_edition`, step by step, so that the renderers' compiles (the site's
    language's, and each other language's) can be counted."""
    config = site.config
    renderer = renderer_for(config)
    renderers = [renderer]

    def counted(config: LoadedConfig, language: str | None = None) -> DigestRenderer:
        renderers.append(renderer_for(config, language))
        return renderers[-1]

    vars(digest_plan)["renderer_for"] = counted  # what plan.py calls, by its name there
    try:
        with StateStore(config.store) as store:
            edition = next_edition(
                config, site.articles, site.sections, store, since=None, force=False,
                now=site.moment,
            )  # fmt: skip
            assert edition is not None
            book = store.subscribers
            subscriptions = book.subscriptions()
            prepared = prepare_edition(
                config, renderer, edition, subscriptions, book.suppressed_active()
            )
    finally:
        vars(digest_plan)["renderer_for"] = renderer_for
    return prepared, sum(r.compiles for r in renderers)


def captured_mjml(site: LoadedSite) -> list[str]:
    """The MJML documents our renderer compiles for this edition (an untimed run)."""
    documents: list[str] = []

    def record(mjml: str) -> str:
        documents.append(mjml)
        return mjml2html(mjml)

    vars(render)["mjml2html"] = record  # what render.py calls, by its name there
    try:
        plan(site)
    finally:
        vars(render)["mjml2html"] = mjml2html
    return documents


def bench_compile(site: LoadedSite, size: int, runs: int, profiling: bool) -> dict[str, object]:
    prepared, compiles = plan(site)
    sends = prepared.sends
    assert sends is not None and len(sends.sends) == size, "every subscriber gets the edition"
    documents = captured_mjml(site)
    assert len(documents) == compiles
    log(f"digest-compile {size}: ours and the floor, in turn")
    medians = interleaved(
        {
            "ours": timer(lambda: plan(site)),
            "floor": timer(lambda: [mjml2html(document) for document in documents]),
        },
        runs,
    )
    seconds, floor = medians["ours"], medians["floor"]
    if profiling:
        profile(lambda: plan(site), f"digest-compile {size}")
    variants = len(sends.variants)
    extra = 1 + (0 if "*" in sends.variants else 1)  # the web copy; the unsent sample
    return row("digest-compile", size, seconds, floor) | {
        "compiles": compiles,
        "variants": variants,
        "compile_ms": round(floor / compiles * 1000, 2),
        "target": "compiles = variants",
        "met": compiles == variants + extra,
    }


def recipients_of(config: LoadedConfig, sends: PlannedSends) -> list[tuple[str, Recipient]]:
    """Each send's variant and recipient, with a signed unsubscribe link (untimed)."""
    with StateStore(config.paths.state_db) as store:
        book = {s.id: s for s in store.subscribers.all()}
    listed, base = list_id(config.settings.site.host), config.settings.site.base_url
    host = config.settings.site.host
    out = []
    for subscriber_id, key in sends.sends:
        subscriber = book[subscriber_id]
        token = unsubscribe_token(ENV["SYNDICATE_SECRET_KEY"], subscriber_id, listed)
        out.append(
            (
                key,
                Recipient(
                    subscriber.email,
                    subscriber.name,
                    f"{base}unsubscribe/{token}",
                    f"mailto:unsubscribe@{host}?subject=unsubscribe%20{token}",
                ),
            )
        )
    return out


def naive_message(variant: RenderedVariant, sends: PlannedSends, reader: Recipient) -> bytes:
    """The email package building one message from the pre-rendered HTML and text."""
    values = {GREETING_TOKEN: f"Hello {reader.name},", UNSUBSCRIBE_TOKEN: reader.unsubscribe_url}
    html, text = variant.html, variant.text
    for token, value in values.items():
        html, text = html.replace(token, value), text.replace(token, value)
    headers = sends.headers_of(variant)
    message = EmailMessage(policy=SMTP)
    message["From"] = headers.sender
    message["To"] = f"{reader.name} <{reader.email}>"
    message["Subject"] = headers.subject
    message["Date"] = format_datetime(headers.date)
    message["Message-ID"] = f"<{headers.edition_id}.{reader.email}>"
    message["List-Id"] = headers.list_id
    message["List-Unsubscribe"] = f"<{reader.unsubscribe_url}>, <{reader.unsubscribe_mailto}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(text, cte="8bit")
    message.add_alternative(html, subtype="html", cte="base64")
    return message.as_bytes()


def bench_messages(site: LoadedSite, size: int, runs: int, profiling: bool) -> dict[str, object]:
    prepared, _ = plan(site)
    sends = prepared.sends
    assert sends is not None
    templates = {
        key: MessageTemplate.prepare(variant, sends.headers_of(variant))
        for key, variant in sends.variants.items()
    }
    readers = recipients_of(site.config, sends)

    def ours() -> None:
        for key, reader in readers:
            templates[key].fill(reader)

    # Floor: the same chunks, joined with values already encoded (those of a pool of
    # recipients in turn: the same sizes, without holding M sets of them).
    values: dict[tuple[str, int], list[bytes]] = {}
    for key, template in templates.items():
        for number, (_, reader) in enumerate(readers[:FLOOR_POOL]):
            encoded = _slot_bytes(template.variant, template.headers, reader)
            values[key, number] = [encoded[slot] for slot in template.slots]
    jobs = [
        (templates[key].chunks, values[key, number % FLOOR_POOL])
        for number, (key, _) in enumerate(readers)
    ]

    def floor() -> None:
        for chunks, filled in jobs:
            parts = [chunks[0]]
            for value, chunk in zip(filled, chunks[1:], strict=True):
                parts += [value, chunk]
            b"".join(parts)

    sample = list(itertools.islice(readers, NAIVE_SAMPLE))
    variants = sends.variants

    def naive_build() -> None:
        for key, reader in sample:
            naive_message(variants[key], sends, reader)

    log(f"digest-messages {size}: ours and the floor in turn, then the naive build")
    medians = interleaved({"ours": timer(ours), "floor": timer(floor)}, max(runs, PAIR_RUNS))
    naive = interleaved({"naive": timer(naive_build)}, runs)["naive"]
    seconds, floor_seconds = medians["ours"], medians["floor"]
    if profiling:
        profile(ours, f"digest-messages {size}")
    sizes = [len(templates[key].fill(reader)) for key, reader in readers[:1000]]
    plains = [(templates[key].plain, reader) for key, reader in readers[:1000]]
    taken = [plain is not None and plain.values(reader) is not None for plain, reader in plains]
    return row("digest-messages", size, seconds, floor_seconds) | {
        "naive_rate": round(len(sample) / naive, 1),
        "vs_naive": round(naive / len(sample) * size / seconds, 1),
        "message_kb": round(sum(sizes) / len(sizes) / 1024, 1),
        "plain_share": round(sum(taken) / len(taken), 3),
        "target": 0.25,
    }


def main() -> None:
    arguments = parser(__doc__)
    arguments.add_argument("--kind", choices=("compile", "messages"), required=True)
    arguments.add_argument(
        "--languages",
        default="",
        help="comma-separated: site.languages, read in turn with the site's by subscribers",
    )
    args = arguments.parse_args()
    languages = tuple(tag for tag in args.languages.split(",") if tag)
    bench: Callable[[LoadedSite, int, int, bool], dict[str, object]]
    bench = bench_compile if args.kind == "compile" else bench_messages
    with tempfile.TemporaryDirectory() as folder:
        config = f"languages = {json.dumps(list(languages))}\n" if languages else ""
        root = site_copy(SITE_ARTICLES, Path(folder), config)
        start = time.perf_counter()
        add_subscribers(root, args.size, languages=languages)
        log(f"{args.size} subscribers added in {time.perf_counter() - start:.1f}s (setup)")
        site = load_site(root, ENV)
        result = bench(site, args.size, args.runs, args.profile)
    if languages:  # a row of its own: digest-messages-4lang beside digest-messages
        result |= {"stage": f"{result['stage']}-{len(languages) + 1}lang", "languages": languages}
    emit(result)


if __name__ == "__main__":
    main()
