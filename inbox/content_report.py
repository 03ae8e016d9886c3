"""The inbox's Content report page, for signed-in staff: what `make report` shows (report/), read from the tracker
store the assistant is configured with (TRACKER_DB), never beyond the retention period."""

from __future__ import annotations

import asyncio
from functools import partial
from typing import Any, Callable, Optional

from sanic import Sanic
from sanic.request import Request
from sanic.response import HTTPResponse, redirect

from actions.content import load_content
from report.collect import REASONS, TrackerReader, collect, themes
from report.write import REASON_WORDS, topic_table
from service.settings import Settings

DEFAULT_DAYS = 7
ROWS_SHOWN = 200  # the newest; the CSV from `make report` has them all


def chosen_days(value: Optional[str], retention_days: int) -> int:
    """?days=N, kept between 1 and the retention period (a bad value: the default)."""
    try:
        days = int(value or DEFAULT_DAYS)
    except ValueError:
        days = DEFAULT_DAYS
    return max(1, min(days, retention_days))


def add_content_report(app: Sanic, settings: Settings, page: Callable[..., HTTPResponse], signed_in: Callable) -> None:
    """Adds GET /content-report to the inbox app: sign-in required, like the tickets page."""
    reader = TrackerReader(settings.tracker_db)
    titles = {name: topic.title for name, topic in load_content().topics.items()}

    @app.get("/content-report")
    async def content_report(request: Request) -> HTTPResponse:
        staff = signed_in(request)
        if staff is None:
            return redirect("/sign-in", status=303)
        days = chosen_days(request.args.get("days"), settings.retention_days)
        # reading thousands of conversations takes a moment: not on the event loop
        work = partial(collect, reader, days, settings.retention_days)
        findings = await asyncio.get_running_loop().run_in_executor(None, work)
        reasons = findings.reasons()
        values: dict[str, Any] = dict(
            findings=findings,
            days=days,
            retention_days=settings.retention_days,
            reasons=[(REASON_WORDS[r], reasons.get(r, 0)) for r in REASONS],
            topics=topic_table(findings, titles),
            themes=themes(r for r in findings.rows if r.text),
            rows=list(reversed(findings.rows))[:ROWS_SHOWN],
            shown_rows=ROWS_SHOWN,
            reason_words=REASON_WORDS,
            titles=titles,
            staff=staff.name,
            csrf=staff.csrf,
        )
        return page("content_report.html", **values)
