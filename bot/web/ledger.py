"""The ledger of one workspace: filtered by person, channel, status, model and dates, as a
table (newest first, prompts only while they are kept) and as CSV."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html import escape

from aiohttp import web

from bot.errors import BadRequest
from bot.models import LedgerEntry, Scope
from bot.reports import write_csv
from bot.web.context import Web
from bot.web.figures import Month
from bot.web.guard import html
from bot.web.pages import href, layout, money, table, workspace_name
from bot.web.reads import rows_of
from bot.web.scopes import chosen, nav

SHOWN = 500
STATUSES = ("", "succeeded", "failed", "reserved", "abandoned")


@dataclass(frozen=True)
class Filters:
    """What the ledger page shows: text fields as typed, dates as YYYY-MM-DD (UTC)."""

    person: str = ""
    channel: str = ""
    status: str = ""
    model: str = ""
    since: str = ""
    until: str = ""

    @classmethod
    def of(cls, query: dict[str, str], now: datetime) -> Filters:
        """The filters of a query, the dates defaulting to this month."""
        picked = {k: query.get(k, "").strip() for k in cls.__dataclass_fields__}
        picked["since"] = picked["since"] or f"{Month.of(now).start:%Y-%m-%d}"
        picked["until"] = picked["until"] or f"{now:%Y-%m-%d}"
        if picked["status"] not in STATUSES:
            raise BadRequest(f"Unknown status {picked['status']!r}.")
        return cls(**picked)

    def window(self) -> tuple[datetime, datetime]:
        """[since, until + 1 day) as moments."""
        try:
            since = datetime.strptime(self.since, "%Y-%m-%d").replace(tzinfo=UTC)
            until = datetime.strptime(self.until, "%Y-%m-%d").replace(tzinfo=UTC)
        except ValueError:
            raise BadRequest("Dates are written YYYY-MM-DD, e.g. 2026-12-01.") from None
        return since, until + timedelta(days=1)

    def keeps(self, entry: LedgerEntry) -> bool:
        """Whether a row passes the text filters."""
        pairs = (
            (self.person, entry.user_id),
            (self.channel, entry.channel_id),
            (self.status, entry.status),
            (self.model, entry.model),
        )
        return all(not wanted or wanted == value for wanted, value in pairs)


async def filtered(web_: Web, scope: Scope, filters: Filters) -> list[LedgerEntry]:
    """The rows the filters keep, oldest first."""
    since, until = filters.window()
    rows = await rows_of(web_.handler, scope, since, until)
    return [row for row in rows if filters.keeps(row)]


def _row(entry: LedgerEntry) -> list[str]:
    prompt = (
        escape(entry.prompt) if entry.prompt is not None else '<span class="quiet">not kept</span>'
    )
    status = f"{entry.status}: {entry.error_kind}" if entry.error_kind else entry.status
    return [
        f"{entry.created_at:%Y-%m-%d %H:%M}",
        escape(entry.user_id),
        escape(entry.channel_id),
        escape(entry.kind),
        escape(entry.model),
        f'<span class="status {escape(entry.status)}">{escape(status)}</span>',
        str(entry.images_delivered),
        money(entry.est_cost_usd),
        prompt,
    ]


def _form(web_: Web, scope: Scope, filters: Filters) -> str:
    def field(name: str, label: str, kind: str = "text") -> str:
        value = escape(getattr(filters, name))
        return f'<label>{label}<input type="{kind}" name="{name}" value="{value}"></label>'

    options = "".join(
        f'<option value="{s}"{" selected" if s == filters.status else ""}>{s or "any"}</option>'
        for s in STATUSES
    )
    return (
        f'<form method="get" action="{web_.base}/ledger" class="card filters">'
        f'<input type="hidden" name="platform" value="{escape(scope.platform)}">'
        f'<input type="hidden" name="workspace" value="{escape(scope.workspace_id)}">'
        f"{field('person', 'Person')}{field('channel', 'Channel')}"
        f'<label>Status<select name="status">{options}</select></label>'
        f"{field('model', 'Model')}{field('since', 'From', 'date')}{field('until', 'To', 'date')}"
        '<button type="submit" class="primary">Filter</button></form>'
    )


def ledger_page(web_: Web, scope: Scope, filters: Filters, rows: Iterable[LedgerEntry]) -> str:
    """The filtered ledger, newest first."""
    newest = list(reversed(list(rows)))
    headers = (
        "when (UTC)",
        "person",
        "channel",
        "kind",
        "model",
        "status",
        "images",
        "cost",
        "prompt",
    )
    query = {"platform": scope.platform, "workspace": scope.workspace_id} | {
        k: v for k, v in vars(filters).items() if v
    }
    csv = href(web_.base, "/ledger.csv", **query)
    more = f"Showing the latest {SHOWN} of {len(newest)} rows. " if len(newest) > SHOWN else ""
    body = (
        f"{_form(web_, scope, filters)}"
        f'<p class="quiet">{more}{len(newest)} rows, {money(sum(r.est_cost_usd for r in newest))}. '
        f'<a href="{escape(csv)}" download>Download CSV</a></p>'
        f'<section class="card">'
        f"{table(headers, [_row(r) for r in newest[:SHOWN]], 'No rows match.')}</section>"
    )
    title = f"Ledger · {workspace_name(scope.platform, scope.workspace_id)}"
    return layout(web_.base, title, body, nav(web_.base, scope, "/ledger"))


def routes(web_: Web) -> list[web.RouteDef]:
    """The ledger's routes: the page and its CSV."""

    async def scoped(request: web.Request) -> tuple[Scope, Filters]:
        grant, _ = web_.sessions.current(request, "admin", web_.now())
        scope = chosen(request, grant)
        if scope is None:
            raise BadRequest("Pick a workspace first.")
        return scope, Filters.of(dict(request.query), web_.now())

    async def page(request: web.Request) -> web.Response:
        scope, filters = await scoped(request)
        return html(ledger_page(web_, scope, filters, await filtered(web_, scope, filters)))

    async def csv(request: web.Request) -> web.Response:
        scope, filters = await scoped(request)
        rows = await filtered(web_, scope, filters)

        async def each() -> AsyncIterator[LedgerEntry]:
            for row in rows:
                yield row

        out = io.StringIO()
        await write_csv(each(), out)
        stem = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{scope.platform}-{scope.workspace_id}")
        name = f"imagine-{stem}-{filters.since}.csv"
        disposition = f'attachment; filename="{name}"'
        return web.Response(
            text=out.getvalue(),
            content_type="text/csv",
            charset="utf-8",
            headers={"Content-Disposition": disposition},
        )

    return [web.get("/ledger", page), web.get("/ledger.csv", csv)]
