"""The pages of `serve`, in the reader's language, on the one layout of every page
(templates/layout.html.j2): the site they belong to, its notices and its error pages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from syndicate.config import LoadedConfig
from syndicate.serve.headers import SECURITY_HEADERS
from syndicate.serve.signup import SignupLimits
from syndicate.serve.speech import Speech, speech_of


@dataclass
class Site:
    config: LoadedConfig
    key: str
    limits: SignupLimits
    speeches: dict[str, Speech]  # by language, the site's own first

    @property
    def base(self) -> str:
        """The base URL's path: links and forms stay on whatever host serves them."""
        return urlsplit(self.config.settings.site.base_url).path or "/"

    def page(self, speech: Speech, name: str, status: int = 200, **values: Any) -> HTMLResponse:
        """One of serve's pages, in `speech`'s language."""
        site = {"title": self.config.title, "url": self.config.settings.site.base_url}
        html = speech.pages.get_template(f"serve/{name}.html.j2").render(
            site=site | speech.context(), **values
        )
        headers = {"cache-control": "no-store", "content-language": speech.language}
        if len(self.speeches) > 1:
            headers["vary"] = "Accept-Language"
        return HTMLResponse(html, status_code=status, headers=headers)

    def notice(self, speech: Speech, heading: str, text: str, status: int) -> HTMLResponse:
        """A page of one heading and one sentence, both already in `speech`'s language."""
        return self.page(speech, "notice", status, heading=heading, text=text)


def translated(speech: Speech, message: str) -> str:
    """`message` in `speech`'s language (`make messages` extracts these calls)."""
    return speech.messages.gettext(message)


async def error_page(site: Site, request: Request, exc: Exception) -> Response:
    """What a person sees for an address with nothing behind it (404), a method the
    address does not take (405) or a fault of ours (500): the site's page, in their
    language, with the status and headers (Allow) of the error."""
    speech = speech_of(site.speeches, request)
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    if status == 404:
        heading = translated(speech, "Page not found")
        text = translated(
            speech, "There is nothing at this address. The link may be mistyped or out of date."
        )
    elif status == 405:
        heading = translated(speech, "Not allowed here")
        text = translated(speech, "This address does not take that kind of request.")
    elif status < 500:
        heading = translated(speech, "This request cannot be taken")
        text = translated(speech, "Something in it is not as this address expects.")
    else:
        heading = translated(speech, "Something went wrong on our side")
        text = translated(speech, "Please try again in a few minutes.")
    response = site.notice(speech, heading, text, status)
    if isinstance(exc, HTTPException) and exc.headers:
        response.headers.update(exc.headers)
    # A 500 is answered outside every middleware (Starlette's ServerErrorMiddleware),
    # so the headers of every other answer are put on here.
    for name, value in SECURITY_HEADERS:
        response.headers.setdefault(name.decode("latin-1"), value.decode("latin-1"))
    return response
