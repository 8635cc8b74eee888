"""The documentation's headless-Chromium render check (docs/check_render.py) itself.

The event classification is tested on hand-written DevTools events; the whole check runs on
small pages written here when a Chromium binary is installed (skipped otherwise). Neither
needs the documentation to be built.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import pytest

CHECK_RENDER = Path(__file__).resolve().parents[1] / "docs" / "check_render.py"


@pytest.fixture(scope="module")
def check_render():
    spec = importlib.util.spec_from_file_location("check_render", CHECK_RENDER)
    module = importlib.util.module_from_spec(spec)
    # dataclasses look their module up in sys.modules while the module executes.
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module


def _request(request_id, url):
    return {
        "method": "Network.requestWillBeSent",
        "params": {"requestId": request_id, "request": {"url": url}},
    }


def _failed(request_id):
    return {
        "method": "Network.loadingFailed",
        "params": {"requestId": request_id, "errorText": "net::ERR_NAME_NOT_RESOLVED"},
    }


def test_classify_events_remote_load_failure_is_offline_not_error(check_render):
    report = check_render.PageReport("page.html")
    check_render.classify_events(
        [
            _request("1", "https://cdn.example.org/mathjax.js"),
            _failed("1"),
            {
                "method": "Log.entryAdded",
                "params": {
                    "entry": {
                        "level": "error",
                        "source": "network",
                        "text": "Failed to load resource",
                        "url": "https://cdn.example.org/mathjax.js",
                    }
                },
            },
        ],
        report,
    )
    assert report.errors == []
    assert len(report.offline) == 1


@pytest.mark.parametrize(
    "event",
    [
        _failed("2"),
        {
            "method": "Runtime.exceptionThrown",
            "params": {"exceptionDetails": {"text": "Uncaught", "exception": {}}},
        },
        {
            "method": "Runtime.consoleAPICalled",
            "params": {"type": "error", "args": [{"type": "string", "value": "boom"}]},
        },
        {
            "method": "Log.entryAdded",
            "params": {"entry": {"level": "error", "source": "javascript", "text": "boom"}},
        },
    ],
)
def test_classify_events_local_failures_and_script_errors_are_errors(check_render, event):
    report = check_render.PageReport("page.html")
    check_render.classify_events([_request("2", "file:///docs/_static/theme.js"), event], report)
    assert len(report.errors) == 1


def test_classify_events_warnings_and_logs_pass(check_render):
    report = check_render.PageReport("page.html")
    check_render.classify_events(
        [
            {
                "method": "Runtime.consoleAPICalled",
                "params": {"type": "warning", "args": [{"type": "string", "value": "meh"}]},
            },
            {
                "method": "Log.entryAdded",
                "params": {"entry": {"level": "warning", "source": "other", "text": "meh"}},
            },
        ],
        report,
    )
    assert report.errors == []


def test_check_content_reports_missing_text_and_images(check_render):
    report = check_render.PageReport("page.html")
    state = {
        "title": "t",
        "text": "x" * 300,
        "mainTextLength": 300,
        "stylesheets": 1,
        "images": [
            {"src": "file:///docs/a.png", "loaded": False},
            {"src": "https://example.org/b.png", "loaded": False},
        ],
    }
    check_render.check_content(state, ("Quickstart",), report)
    assert len(report.errors) == 2  # the text and the local image
    assert len(report.offline) == 1


PAGE = """<!DOCTYPE html>
<html><head><title>{title}</title><style>body {{ font-family: sans-serif; }}</style>
{head}</head>
<body><main><h1>{title}</h1><p>{text}</p>{body}</main></body></html>
"""


@pytest.mark.skipif(shutil.which("chromium") is None, reason="needs the chromium browser")
def test_render_check_passes_a_clean_page_and_fails_a_broken_one(check_render, tmp_path, capsys):
    text = "Some documentation text. " * 20
    (tmp_path / "good.html").write_text(
        PAGE.format(
            title="Good page",
            text=text,
            # A remote script cannot load offline: reported, not an error.
            head='<script src="https://cdn.invalid/never.js"></script>',
            body="",
        )
    )
    (tmp_path / "bad.html").write_text(
        PAGE.format(
            title="Bad page",
            text=text,
            head="",
            body='<img src="missing.png">'
            '<script>console.error("broken"); undefinedCall();</script>',
        )
    )
    arguments = ["--html-dir", str(tmp_path), "--screenshots", str(tmp_path / "shots")]

    assert check_render.main([*arguments, "good.html"]) == 0
    assert (tmp_path / "shots" / "good.png").stat().st_size > 0
    assert "offline (expected" in capsys.readouterr().out

    assert check_render.main([*arguments, "bad.html"]) == 1
    output = capsys.readouterr().out
    assert "console.error: broken" in output
    assert "undefinedCall" in output
    assert "missing.png" in output
