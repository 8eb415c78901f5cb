"""The dashboard's overview: spend and images per day for two months, the forecast, the top
people, channels and models, and every budget as a gauge. One workspace per page; a link
for every workspace (the operator's) first lists them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from html import escape
from zoneinfo import ZoneInfo

from aiohttp import web

from bot.models import LedgerEntry, Scope
from bot.periods import windows
from bot.web.alerts import alerts_list
from bot.web.budgets import workspace_gauges
from bot.web.charts import Series, day_bars, gauges, legend
from bot.web.context import Web
from bot.web.figures import Month, Total, billed, forecast, top
from bot.web.guard import html
from bot.web.pages import amount, href, layout, money, table, workspace_name
from bot.web.reads import rows_of
from bot.web.scopes import chosen, nav
from bot.web.signing import Grant


async def overview(web_: Web, scope: Scope) -> str:
    """The overview page of one workspace, its days and months in the workspace's timezone."""
    now = web_.now()
    timezone = (await web_.handler.limits_for(scope)).timezone
    month = Month.of(now, ZoneInfo(timezone or "UTC"))
    prev = month.previous()
    cost, cost_prev, made, made_prev = await _day_series(web_, scope, month, prev)
    day_start = windows(now, timezone).starts["daily"]  # the budgets' day, as they count it
    entries = await rows_of(web_.handler, scope, min(month.start, day_start), month.end)
    this_month = [e for e in billed(entries) if e.created_at >= month.start]
    today_at = now.astimezone(month.tz).day - 1
    today = [e for e in entries if e.created_at >= day_start and e.status != "failed"]
    cards = _cards(
        ("Spent this month", money(sum(cost.values)), f"{int(sum(made.values))} images"),
        ("Forecast", money(forecast(cost.values, month, now)), f"for {month.label}"),
        ("Spent today", money(cost.values[today_at]), f"{int(made.values[today_at])} images"),
        ("Last month", money(sum(cost_prev.values)), prev.label),
    )
    charts = (
        '<section class="card"><h2>Spend per day</h2>'
        f"{day_bars('Spend per day', cost, cost_prev, money)}{legend(cost, cost_prev)}</section>"
        '<section class="card"><h2>Images per day</h2>'
        f"{day_bars('Images per day', made, made_prev, lambda v: f'{v:g}')}"
        f"{legend(made, made_prev)}</section>"
    )
    budgets = gauges(await workspace_gauges(web_.handler, scope, today, now), amount)
    tops = "".join(
        _top(title, top(this_month, key))
        for title, key in (
            ("Top people", lambda e: e.user_id),
            ("Top channels", lambda e: e.channel_id),
            ("Top models", lambda e: e.model),
        )
    )
    body = (
        f"{cards}{charts}"
        f'<section class="card"><h2>Budgets</h2>{budgets}</section>'
        f'<div class="tops">{tops}</div>{alerts_list(await web_.handler.alerts_sent(scope))}'
    )
    title = workspace_name(scope.platform, scope.workspace_id)
    return layout(web_.base, title, body, nav(web_.base, scope, "/"))


async def _day_series(
    web_: Web, scope: Scope, month: Month, prev: Month
) -> tuple[Series, Series, Series, Series]:
    """Spend and images per day of this month and the last, from the store's daily sums."""
    days = await web_.handler.day_totals(scope, prev.first_day, month.last_day)
    cost_days, made_days = [d.cost_usd for d in days], [float(d.images) for d in days]
    return (
        Series("cost-current", month.label, tuple(cost_days[prev.days :])),
        Series("cost-previous", prev.label, tuple(cost_days[: prev.days])),
        Series("images-current", month.label, tuple(made_days[prev.days :])),
        Series("images-previous", prev.label, tuple(made_days[: prev.days])),
    )


def _cards(*cards: tuple[str, str, str]) -> str:
    return (
        '<div class="cards">'
        + "".join(
            f'<div class="card stat"><span>{escape(label)}</span><strong>{escape(value)}</strong>'
            f"<small>{escape(sub)}</small></div>"
            for label, value, sub in cards
        )
        + "</div>"
    )


def _top(title: str, totals: Sequence[Total]) -> str:
    rows = [[escape(t.name), str(t.requests), str(t.images), money(t.cost_usd)] for t in totals]
    headers = ("", "requests", "images", "spent")
    return (
        f'<section class="card"><h2>{escape(title)}</h2>'
        f"{table(headers, rows, 'Nothing this month yet.')}</section>"
    )


async def workspaces(web_: Web, grant: Grant) -> str:
    """The operator's list of the workspaces seen in the ledger in the last two months."""
    now = web_.now()
    since = Month.of(now).previous().start
    entries = await rows_of(web_.handler, Scope(grant.platform), since, now + timedelta(1))
    month = Month.of(now).start
    seen = sorted({_workspace_of(e): (e.platform, e.workspace_id) for e in entries}.items())
    totals = {
        t.name: t for t in top([e for e in entries if e.created_at >= month], _workspace_of, 99)
    }
    rows = []
    for name, (platform, workspace) in seen:
        total = totals.get(name, Total(name, 0, 0.0, 0))
        link = href(web_.base, "/", platform=platform, workspace=workspace)
        cells = [f'<a href="{escape(link)}">{escape(name)}</a>', str(total.images)]
        rows.append([*cells, money(total.cost_usd)])
    headers = ("workspace", "images this month", "spent this month")
    empty = "No workspace has used the bot in the last two months."
    body = f'<section class="card workspaces">{table(headers, rows, empty)}</section>'
    return layout(web_.base, "Workspaces", body)


def _workspace_of(entry: LedgerEntry) -> str:
    return workspace_name(entry.platform, entry.workspace_id)


def routes(web_: Web) -> list[web.RouteDef]:
    """The overview's route."""

    async def index(request: web.Request) -> web.Response:
        grant, _ = web_.sessions.current(request, "admin", web_.now())
        scope = chosen(request, grant)
        return html(await (workspaces(web_, grant) if scope is None else overview(web_, scope)))

    return [web.get("/", index)]
