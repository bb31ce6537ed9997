"""Headless Chromium for the tests of pages: a page at a width, its screenshot and
the widths it measured (its content against the viewport); and one browser driven
over the DevTools protocol (`Browser`), for clicks, accessibility checks and shots.

The protocol goes over a pipe (--remote-debugging-pipe: JSON messages ending in NUL,
commands on fd 3, answers on fd 4), so the standard library is enough: no websocket
client, no new dependency."""

from __future__ import annotations

import base64
import fcntl
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
]  # fmt: skip
# Puts the pipe's ends on fds 3 and 4, where Chromium looks for them, then becomes Chromium.
TRAMPOLINE = (
    "import os, sys; os.dup2(int(sys.argv[1]), 3); os.dup2(int(sys.argv[2]), 4); "
    "os.execv(sys.argv[3], sys.argv[3:])"
)
# axe-core, pinned in tests/package.json; `make test` installs it (npm ci).
AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
# Chromium's window is at least 500 px wide, so the page goes in a frame of the
# width under test; once it has loaded, the frame's widths go into the title.
HARNESS = """<!doctype html><html><head><title>waiting</title></head>
<body style="margin:0"><iframe id="page" src="{src}" style="border:0;width:{width}px;height:3000px"
onload="var d=this.contentDocument.documentElement;
document.title='measured:'+d.scrollWidth+'x'+d.clientWidth+':'+
getComputedStyle(this.contentDocument.body).direction"></iframe></body></html>"""

# In CI (.ci/run installs it) a missing Chromium fails the tests instead.
NEEDS_CHROMIUM = [
    pytest.mark.browser,
    pytest.mark.skipif(
        CHROMIUM is None and os.environ.get("CI") != "true",
        reason="Chromium is not installed (apt install chromium)",
    ),
]


def run_chromium(
    page: Path, width: int, folder: Path, *arguments: str
) -> subprocess.CompletedProcess[str]:
    if CHROMIUM is None:
        pytest.fail("Chromium is not installed")
    harness = folder / f"harness-{width}.html"
    harness.write_text(HARNESS.format(src=page.as_uri(), width=width))
    command = [
        CHROMIUM, *FLAGS, "--allow-file-access-from-files", f"--window-size={max(width, 500)},1400",
        f"--user-data-dir={folder / 'profile'}", *arguments, harness.as_uri(),
    ]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def measured_direction(page: Path, width: int, folder: Path) -> str:
    """The direction ('ltr', 'rtl') the browser computed for the page's body."""
    done = run_chromium(page, width, folder, "--dump-dom")
    match = re.search(r"measured:\d+x\d+:(\w+)", done.stdout)
    assert match, done.stderr[-2000:]
    return match.group(1)


def measured_widths(page: Path, width: int, folder: Path) -> tuple[int, int]:
    """The page's content width and the viewport's, at `width`."""
    done = run_chromium(page, width, folder, "--dump-dom")
    match = re.search(r"measured:(\d+)x(\d+)", done.stdout)
    assert match, done.stderr[-2000:]
    return int(match.group(1)), int(match.group(2))


class Browser:
    """One headless Chromium and one tab in it, driven over the DevTools pipe."""

    def __init__(self, profile: Path) -> None:
        assert CHROMIUM is not None
        commands_read, self._commands = os.pipe()
        self._answers, answers_write = os.pipe()
        # Above 9, so that putting them on 3 and 4 never overwrites one with the other.
        child_read = fcntl.fcntl(commands_read, fcntl.F_DUPFD, 10)
        child_write = fcntl.fcntl(answers_write, fcntl.F_DUPFD, 10)
        os.close(commands_read)
        os.close(answers_write)
        self.process = subprocess.Popen(
            [sys.executable, "-c", TRAMPOLINE, str(child_read), str(child_write), CHROMIUM,
             *FLAGS, "--remote-debugging-pipe", f"--user-data-dir={profile}", "about:blank"],
            pass_fds=(child_read, child_write),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # Chromium's helpers too, to stop them all by group id
        )  # fmt: skip
        os.close(child_read)
        os.close(child_write)
        self._buffer = b""
        self._inbox: list[dict[str, Any]] = []
        self._last_id = 0
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        attached = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})
        self.session = attached["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            self.call(f"{domain}.enable", session=self.session)

    def call(
        self, method: str, params: dict[str, Any] | None = None, session: str | None = None
    ) -> Any:
        self._last_id += 1
        message: dict[str, Any] = {"id": self._last_id, "method": method, "params": params or {}}
        if session is not None:
            message["sessionId"] = session
        os.write(self._commands, json.dumps(message).encode() + b"\0")
        answer = self._take(lambda m: m.get("id") == self._last_id)
        assert "error" not in answer, (method, answer["error"])
        return answer["result"]

    def tab(self, method: str, **params: Any) -> Any:
        return self.call(method, params, self.session)

    def _take(self, wanted: Any, timeout: float = 30) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            for index, message in enumerate(self._inbox):
                if wanted(message):
                    return self._inbox.pop(index)
            ready, _, _ = select.select([self._answers], [], [], deadline - time.monotonic())
            assert ready, "Chromium did not answer in time"
            chunk = os.read(self._answers, 1 << 16)
            assert chunk, "Chromium closed the DevTools pipe"
            *complete, self._buffer = (self._buffer + chunk).split(b"\0")
            self._inbox += [json.loads(part) for part in complete]

    def events(self, method: str) -> list[dict[str, Any]]:
        return [m["params"] for m in self._inbox if m.get("method") == method]

    def evaluate(self, expression: str) -> Any:
        """DevTools evaluates outside the page's CSP (which lets no script run)."""
        result = self.tab("Runtime.evaluate", expression=expression, returnByValue=True)
        assert "exceptionDetails" not in result, result
        return result["result"]["value"]

    def loaded(self, timeout: float = 15) -> None:
        try:
            self._take(lambda m: m.get("method") == "Page.loadEventFired", timeout)
        except AssertionError:
            console = [e["entry"]["text"] for e in self.events("Log.entryAdded")]
            raise AssertionError(f"no page loaded; the console said {console}") from None

    def open(self, url: str) -> None:
        self.tab("Page.navigate", url=url)
        self.loaded()

    def click(self, selector: str) -> None:
        """A left click at the middle of the element, as a person makes it."""
        x, y = self.evaluate(
            f"(() => {{ const box = document.querySelector({json.dumps(selector)})"
            ".getBoundingClientRect(); return [box.x + box.width / 2, box.y + box.height / 2]; })()"
        )
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.tab("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)

    def type_into(self, selector: str, text: str) -> None:
        """Text typed into a field, as a keyboard puts it there (after a click on it)."""
        self.click(selector)
        self.tab("Input.insertText", text=text)

    def view(self, width: int, *, dark: bool = False) -> None:
        """The next pages at `width` CSS pixels (a phone's viewport below 500), in the
        light or the dark colour scheme."""
        self.tab(
            "Emulation.setDeviceMetricsOverride",
            width=width, height=900, deviceScaleFactor=1, mobile=width < 500,
        )  # fmt: skip
        scheme = "dark" if dark else "light"
        features = [{"name": "prefers-color-scheme", "value": scheme}]
        self.tab("Emulation.setEmulatedMedia", features=features)

    def speak(self, accept_language: str) -> None:
        """The Accept-Language the next requests send (the pages' language)."""
        agent = self.evaluate("navigator.userAgent")
        self.tab("Network.setUserAgentOverride", userAgent=agent, acceptLanguage=accept_language)

    def overflow(self) -> int:
        """How many CSS pixels the page is wider than its viewport (0: no sideways scroll)."""
        widths = self.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        return int(widths[0]) - int(widths[1])

    def screenshot(self, path: Path) -> None:
        """The whole page, top to bottom, as a PNG."""
        shot = self.tab("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        path.write_bytes(base64.b64decode(shot["data"]))

    def axe(self) -> list[dict[str, Any]]:
        """axe-core's violations on the page (every rule of its default set: WCAG 2.x A
        and AA and best practices), each with its id, impact and the nodes it found."""
        if not self.evaluate("typeof axe !== 'undefined'"):
            self.evaluate(AXE.read_text("utf-8") + "; true")
        result = self.tab(
            "Runtime.evaluate",
            expression="axe.run(document).then(r => r.violations.map(v => ({id: v.id, "
            "impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(' ')"
            " + ': ' + n.failureSummary)})))",
            awaitPromise=True,
            returnByValue=True,
        )
        assert "exceptionDetails" not in result, result
        return list(result["result"]["value"])

    def close(self) -> None:
        try:
            self.call("Browser.close")
            self.process.wait(10)
        except (AssertionError, OSError, subprocess.TimeoutExpired):
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        finally:
            os.close(self._commands)
            os.close(self._answers)
