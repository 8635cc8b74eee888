"""Open pages of the built documentation in headless Chromium and check that they render.

Usage (after ``python -m sphinx -b html docs docs/_build/html``)::

    python docs/check_render.py [--html-dir docs/_build/html] [--screenshots DIR]
                                [--require-chromium] [PAGE ...]

Each page is loaded from ``file://`` in a fresh headless Chromium (its own temporary
profile), driven through the DevTools protocol over a pipe (``--remote-debugging-pipe``; no
port, no network). For each page the check collects

* JavaScript exceptions and ``console.error`` / ``console.assert`` messages;
* browser log entries of level "error" and failed resource loads;
* the page's content: the expected text, and whether every image was decoded;

and writes a screenshot (1280 × 2000 CSS pixels) to ``--screenshots``.

The check fails (exit status 1) on any JavaScript error, any error about a local
(``file:``) resource, a failed local load, an image that did not load, or missing expected
content. Failed loads of **remote** resources (``http:``/``https:``; e.g. MathJax from its
CDN on pages with formulas) are expected on an offline machine: they are listed as
"offline" but do not fail the check, because the content checks catch whatever they would
break. Without a Chromium binary the check is skipped (exit status 0, with a message), or
fails with ``--require-chromium``.
"""

from __future__ import annotations

import argparse
import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DOCS = Path(__file__).resolve().parent

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")

# The flags asked for on these machines (root, no network), plus a fixed window.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",  # containers often have a tiny /dev/shm
    "--hide-scrollbars",
    "--mute-audio",
    "--window-size=1280,2000",
    "--remote-debugging-pipe",
)

WIDTH, HEIGHT = 1280, 2000

# Page (relative to the HTML directory) -> texts its rendered body must contain.
DEFAULT_PAGES: dict[str, tuple[str, ...]] = {
    "index.html": ("skxml", "short-text extreme multi-label classification", "User guide"),
    "auto_examples/plot_quickstart.html": ("Quickstart", "P@1", "PSP@5", "fit in"),
    "user_guide/inceptionxml.html": ("InceptionXML", "The network"),
}

# Evaluated in the page once it has loaded: what the content checks need.
PAGE_STATE_JS = """
(() => {
  const images = Array.from(document.images).map(img => ({
    src: img.currentSrc || img.src,
    loaded: img.complete && img.naturalWidth > 0,
  }));
  const main = document.querySelector("main") || document.body;
  return JSON.stringify({
    title: document.title,
    text: document.body ? document.body.innerText : "",
    mainTextLength: main ? main.innerText.trim().length : 0,
    images: images,
    stylesheets: document.styleSheets.length,
  });
})()
"""


@dataclass
class PageReport:
    """What was found on one page."""

    page: str
    errors: list[str] = field(default_factory=list)
    offline: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    screenshot: Path | None = None


def _high_descriptor(descriptor: int) -> int:
    """A close-on-exec copy of ``descriptor`` numbered 10 or more; the original is closed."""
    high = fcntl.fcntl(descriptor, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(descriptor)
    return high


class DevTools:
    """A minimal Chrome DevTools Protocol client over ``--remote-debugging-pipe``.

    Chromium reads commands from its file descriptor 3 and writes replies and events to
    its descriptor 4, each message a JSON object followed by a NUL byte.
    """

    def __init__(self, binary: str, user_data_dir: str) -> None:
        # Pipe ends numbered 10 and up, so that putting two of them at 3 and 4 in the child
        # never overwrites the other (dup2 onto itself would also leave it close-on-exec).
        to_browser_read, self._to_browser, self._from_browser, from_browser_write = (
            _high_descriptor(descriptor) for pipe in (os.pipe(), os.pipe()) for descriptor in pipe
        )

        def connect_pipes() -> None:  # runs in the child, before exec
            os.dup2(to_browser_read, 3)
            os.dup2(from_browser_write, 4)

        self.process = subprocess.Popen(
            [binary, *CHROMIUM_FLAGS, f"--user-data-dir={user_data_dir}", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            # The descriptors dup2'ed to 3 and 4 must survive: no closing of inherited
            # descriptors (Python's own are not inheritable anyway, PEP 446).
            preexec_fn=connect_pipes,
            close_fds=False,
        )
        os.close(to_browser_read)
        os.close(from_browser_write)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []

    def _read_message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no reply from Chromium in time")
            ready, _, _ = select.select([self._from_browser], [], [], remaining)
            if ready:
                chunk = os.read(self._from_browser, 1 << 20)
                if not chunk:
                    raise ConnectionError("Chromium closed the DevTools pipe (did it crash?)")
                self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def call(
        self,
        method: str,
        params: dict | None = None,
        *,
        session: str | None = None,
        timeout: float = 30.0,
    ) -> dict[str, Any]:
        """Send a command and return its result; events arriving meanwhile are kept."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session is not None:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method} failed: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str, timeout: float) -> bool:
        """Wait until an event ``method`` has arrived (kept or new); False on timeout."""
        deadline = time.monotonic() + timeout
        while not any(event.get("method") == method for event in self.events):
            try:
                self.events.append(self._read_message(deadline))
            except TimeoutError:
                return False
        return True

    def drain(self, seconds: float) -> None:
        """Keep the events of the next ``seconds`` (late scripts, lazy images)."""
        deadline = time.monotonic() + seconds
        try:
            while True:
                self.events.append(self._read_message(deadline))
        except TimeoutError:
            pass

    def close(self) -> None:
        try:
            self.call("Browser.close", timeout=5)
        except (OSError, RuntimeError, TimeoutError, ConnectionError):
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for descriptor in (self._to_browser, self._from_browser):
            try:
                os.close(descriptor)
            except OSError:
                pass


def is_remote(url: str) -> bool:
    return url.startswith(("http://", "https://", "ws://", "wss://"))


def classify_events(events: list[dict[str, Any]], report: PageReport) -> None:
    """Sort the page's console, log and network events into errors and expected ones."""
    request_urls: dict[str, str] = {}
    for event in events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Network.requestWillBeSent":
            request_urls[params["requestId"]] = params["request"]["url"]
        elif method == "Network.loadingFailed":
            url = request_urls.get(params["requestId"], "?")
            what = f"failed to load {url}: {params.get('errorText', '')}"
            if params.get("canceled"):
                report.notes.append(what + " (canceled)")
            else:
                (report.offline if is_remote(url) else report.errors).append(what)
        elif method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            description = details.get("exception", {}).get("description") or details.get("text")
            report.errors.append(
                f"uncaught exception: {description} "
                f"({details.get('url', '')}:{details.get('lineNumber', '')})"
            )
        elif method == "Runtime.consoleAPICalled" and params["type"] in ("error", "assert"):
            text = " ".join(
                str(arg.get("value", arg.get("description", ""))) for arg in params.get("args", [])
            )
            report.errors.append(f"console.{params['type']}: {text}")
        elif method == "Log.entryAdded":
            entry = params["entry"]
            if entry["level"] != "error":
                continue
            url = entry.get("url", "")
            text = f"{entry['source']}: {entry['text']} {url}".strip()
            # A failed remote load is reported both here and by Network.loadingFailed.
            if entry["source"] == "network" and is_remote(url):
                continue
            report.errors.append(text)


def check_content(state: dict[str, Any], expected: tuple[str, ...], report: PageReport) -> None:
    text = state["text"].lower()
    for snippet in expected:
        if snippet.lower() not in text:
            report.errors.append(f"expected text not found: {snippet!r}")
    if state["mainTextLength"] < 200:
        report.errors.append(
            f"the page's main content is almost empty ({state['mainTextLength']} characters)"
        )
    if state["stylesheets"] == 0:
        report.errors.append("no stylesheet applied")
    for image in state["images"]:
        if not image["loaded"]:
            if is_remote(image["src"]):
                report.offline.append(f"image not loaded: {image['src']}")
            else:
                report.errors.append(f"image not loaded: {image['src']}")
    report.notes.append(f"title {state['title']!r}, {len(state['images'])} images")


def check_page(
    devtools: DevTools,
    path: Path,
    expected: tuple[str, ...],
    report: PageReport,
    screenshot: Path,
) -> None:
    target = devtools.call("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = devtools.call("Target.attachToTarget", {"targetId": target, "flatten": True})[
        "sessionId"
    ]
    for domain in ("Page", "Runtime", "Log", "Network"):
        devtools.call(f"{domain}.enable", session=session)
    devtools.call(
        "Emulation.setDeviceMetricsOverride",
        {"width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 1, "mobile": False},
        session=session,
    )
    devtools.events.clear()
    navigation = devtools.call("Page.navigate", {"url": path.as_uri()}, session=session)
    if navigation.get("errorText"):
        report.errors.append(f"navigation failed: {navigation['errorText']}")
        return
    if not devtools.wait_for("Page.loadEventFired", timeout=60):
        report.errors.append("the page did not finish loading within 60 s")
    devtools.drain(2.0)  # the theme's scripts run after the load event
    state = json.loads(
        devtools.call(
            "Runtime.evaluate",
            {"expression": PAGE_STATE_JS, "returnByValue": True},
            session=session,
        )["result"]["value"]
    )
    classify_events([e for e in devtools.events if e.get("sessionId") == session], report)
    check_content(state, expected, report)
    image = devtools.call("Page.captureScreenshot", {"format": "png"}, session=session)
    screenshot.parent.mkdir(parents=True, exist_ok=True)
    screenshot.write_bytes(base64.b64decode(image["data"]))
    report.screenshot = screenshot
    devtools.call("Target.closeTarget", {"targetId": target})


def find_chromium(explicit: str | None) -> str | None:
    if explicit:
        return shutil.which(explicit) or (explicit if Path(explicit).is_file() else None)
    return next((found for name in CHROMIUM_NAMES if (found := shutil.which(name))), None)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "pages",
        nargs="*",
        help=f"pages relative to --html-dir (default: {', '.join(DEFAULT_PAGES)})",
    )
    parser.add_argument("--html-dir", type=Path, default=DOCS / "_build" / "html")
    parser.add_argument("--screenshots", type=Path, default=DOCS / "_build" / "screenshots")
    parser.add_argument("--chromium", help="the browser binary (default: found on PATH)")
    parser.add_argument(
        "--require-chromium",
        action="store_true",
        help="fail instead of skipping when no Chromium is installed",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    binary = find_chromium(args.chromium)
    if binary is None:
        message = f"no Chromium found (looked for {', '.join(CHROMIUM_NAMES)} on PATH)"
        if args.require_chromium:
            print(f"render check FAILED: {message}", file=sys.stderr)
            return 1
        print(f"render check SKIPPED: {message}; install it with 'apt-get install chromium'.")
        return 0
    pages = {page: DEFAULT_PAGES.get(page, ()) for page in args.pages} or DEFAULT_PAGES
    reports = []
    with tempfile.TemporaryDirectory(prefix="skxml-render-") as profile:
        devtools = DevTools(binary, profile)
        try:
            version = devtools.call("Browser.getVersion")["product"]
            print(f"render check with {version} ({binary})")
            for page, expected in pages.items():
                report = PageReport(page)
                reports.append(report)
                path = (args.html_dir / page).resolve()
                if not path.is_file():
                    report.errors.append(f"{path} does not exist (build the docs first)")
                    continue
                screenshot = args.screenshots / (
                    page.replace("/", "__").removesuffix(".html") + ".png"
                )
                check_page(devtools, path, expected, report, screenshot)
        except (ConnectionError, TimeoutError, RuntimeError) as exc:
            stderr = b""
            if devtools.process.poll() is not None and devtools.process.stderr is not None:
                stderr = devtools.process.stderr.read()[-2000:]
            print(
                f"render check FAILED: Chromium: {exc}\n{stderr.decode(errors='replace')}",
                file=sys.stderr,
            )
            return 1
        finally:
            devtools.close()
    failed = False
    for report in reports:
        status = "FAILED" if report.errors else "ok"
        failed |= bool(report.errors)
        print(
            f"{report.page}: {status}"
            + (f", screenshot {report.screenshot}" if report.screenshot else "")
        )
        for line in report.errors:
            print(f"    error: {line}")
        for line in report.offline:
            print(f"    offline (expected, not an error): {line}")
        for line in report.notes:
            print(f"    {line}")
    print("render check " + ("FAILED" if failed else "passed"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
