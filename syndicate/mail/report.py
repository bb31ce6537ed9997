"""Per-edition figures: how each edition went out and what came back, as rates; the
warnings a sender must heed (mailbox providers throttle or refuse senders whose
complaints pass 0.3% and whose bounces stay high: we warn well before); and the same
figures as a page with a chart."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import jinja2

from syndicate._store.bounces import EditionFigures
from syndicate.errors import Problem

COMPLAINT_WARNING = 0.001  # 0.1%: a third of Gmail's and Yahoo's limit of 0.3%
BOUNCE_WARNING = 0.02  # 2%
CHART_EDITIONS = 12


@dataclass(frozen=True)
class EditionOutcome:
    figures: EditionFigures

    @property
    def bounce_rate(self) -> float:
        bounced = self.figures.hard + self.figures.soft
        return bounced / self.figures.sent if self.figures.sent else 0.0

    @property
    def complaint_rate(self) -> float:
        return self.figures.complaints / self.figures.sent if self.figures.sent else 0.0

    def warnings(self) -> list[Problem]:
        found = []
        edition = f"edition {self.figures.edition}"
        if self.complaint_rate > COMPLAINT_WARNING:
            found.append(
                Problem(
                    f"{edition}: complaint rate {self.complaint_rate:.2%} is over "
                    f"{COMPLAINT_WARNING:.1%} (Gmail and Yahoo throttle senders over 0.3%)",
                    field="complaints",
                )
            )
        if self.bounce_rate > BOUNCE_WARNING:
            found.append(
                Problem(
                    f"{edition}: bounce rate {self.bounce_rate:.2%} is over {BOUNCE_WARNING:.0%}"
                    " (run `syndicate bounces` so that dead addresses are no longer mailed)",
                    field="bounces",
                )
            )
        return found

    def as_json(self) -> dict[str, object]:
        f = self.figures
        return {
            "edition": f.edition,
            "recipients": f.recipients,
            "sent": f.sent,
            "deferred": f.deferred,
            "failed": f.failed,
            "hard": f.hard,
            "soft": f.soft,
            "complaints": f.complaints,
            "unsubscribes": f.unsubscribes,
            "bounce_rate": round(self.bounce_rate, 6),
            "complaint_rate": round(self.complaint_rate, 6),
        }


def report_page(
    reports: Sequence[EditionOutcome], title: str, templates: jinja2.Environment
) -> str:
    """The figures as an HTML page, with a chart of the last editions' rates (inline
    SVG: no script, nothing fetched)."""
    shown = list(reversed(reports[:CHART_EDITIONS]))  # oldest first, left to right
    rates = [rate for r in shown for rate in (r.bounce_rate, r.complaint_rate)]
    top = max([BOUNCE_WARNING, *rates])
    bars = [
        {
            "edition": r.figures.edition,
            "bounce": r.bounce_rate / top,
            "complaint": r.complaint_rate / top,
            "bounce_label": f"{r.bounce_rate:.2%}",
            "complaint_label": f"{r.complaint_rate:.2%}",
        }
        for r in shown
    ]
    return templates.get_template("report/report.html.j2").render(
        title=title,
        reports=reports,
        bars=bars,
        warning_line=BOUNCE_WARNING / top,
        complaint_line=COMPLAINT_WARNING / top,
    )
