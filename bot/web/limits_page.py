"""The limits editor of one workspace and its channels, writing through the handler's
`set_limits`, so every change lands in the same audit trail as the chat commands'."""

from __future__ import annotations

from datetime import timedelta
from html import escape

from aiohttp import web

from bot.errors import BadRequest
from bot.limits import check_scope, describe_scope, format_limit
from bot.models import LIMIT_KEYS, Limits, Scope
from bot.web.context import Web
from bot.web.figures import Month
from bot.web.forms import url_fields
from bot.web.guard import check_csrf, html, see_other
from bot.web.pages import hidden, href, layout, workspace_name
from bot.web.reads import rows_of
from bot.web.scopes import chosen, nav
from bot.web.signing import ALL, Grant

NOTES = {"1": "Saved. The change is in the audit trail.", "0": "Nothing changed."}
HINTS = {
    "enabled": "true or false",
    "max_quality": "low, medium, high, …",
    "allowed_sizes": "1024x1024,1536x1024",
    "allowed_models": "openai/gpt-image-2",
    "admins_exempt": "true or false",
    "others_can_vary": "true or false",
}


def as_text(value: object) -> str:
    """A stored limit value as the form shows it ('' when unset)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple | list):
        return ",".join(str(v) for v in value)
    return f"{value:g}" if isinstance(value, float) else str(value)


def limits_form(web_: Web, scope: Scope, here: Limits, effective: Limits, csrf: str) -> str:
    """One scope's limits: set values filled in, the inherited ones as placeholders."""
    rows = []
    for key in LIMIT_KEYS:
        value = as_text(getattr(here, key))
        inherited = f"inherits {format_limit(key, getattr(effective, key))}" if not value else ""
        hint = HINTS.get(key, "a number; empty inherits")
        rows.append(
            f'<label class="limit"><span><code>{key}</code><small>{escape(hint)}</small></span>'
            f'<input name="{key}" value="{escape(value)}" placeholder="{escape(inherited)}" '
            f'aria-label="{key}"></label>'
        )
    fields = hidden(
        csrf=csrf, platform=scope.platform, workspace=scope.workspace_id, channel=scope.channel_id
    )
    return (
        f'<form method="post" action="{web_.base}/limits" class="card limits" '
        f'data-scope="{escape(scope.channel_id)}"><h2>{escape(describe_scope(scope))}</h2>'
        f'{fields}<div class="limit-grid">{"".join(rows)}</div>'
        '<button type="submit" class="primary">Save</button></form>'
    )


async def limits_page(web_: Web, scope: Scope, channel: str, csrf: str, note: str) -> str:
    """The workspace's limits, and one channel's when one is picked."""
    handler = web_.handler
    now = web_.now()
    rows = await rows_of(handler, scope, Month.of(now).previous().start, now + timedelta(1))
    channels = sorted({row.channel_id for row in rows} | ({channel} - {"", ALL}))
    where = {"platform": scope.platform, "workspace": scope.workspace_id}
    picker = "".join(
        f'<a class="chip{" on" if c == channel else ""}" '
        f'href="{escape(href(web_.base, "/limits", **where, channel=c))}">{escape(c)}</a>'
        for c in channels
    )
    forms = []
    for target in (scope, Scope(scope.platform, scope.workspace_id, channel)):
        if target.channel_id in ("", ALL) and target is not scope:
            continue
        here = await handler.limits_here(target)
        forms.append(limits_form(web_, target, here, await handler.limits_for(target), csrf))
    pick = (
        f'<form method="get" action="{web_.base}/limits" class="card picker">'
        f"{hidden(**where)}<span>Channels:</span>{picker}"
        '<label>Another channel id <input name="channel"></label>'
        '<button type="submit">Open</button></form>'
    )
    title = f"Limits · {workspace_name(scope.platform, scope.workspace_id)}"
    return layout(web_.base, title, pick + "".join(forms), nav(web_.base, scope, "/limits"), note)


async def save(web_: Web, grant: Grant, fields: dict[str, str]) -> tuple[Scope, bool]:
    """Set the keys whose value changed for exactly the form's scope; whether any did."""
    workspace = Scope(fields.get("platform", ""), fields.get("workspace", ""))
    if not workspace.platform or not grant.covers(workspace.platform, workspace.workspace_id):
        raise BadRequest("This form is for a workspace this link does not reach.")
    channel = fields.get("channel", ALL) or ALL
    target = Scope(workspace.platform, workspace.workspace_id, channel)
    check_scope(target, limits=True)
    here = await web_.handler.limits_here(target)
    changes = {
        key: fields[key]
        for key in LIMIT_KEYS
        if key in fields and fields[key].strip() != as_text(getattr(here, key))
    }
    if changes:
        await web_.handler.set_limits(target, changes, grant.user)
    return target, bool(changes)


def routes(web_: Web) -> list[web.RouteDef]:
    """The limits editor's routes."""

    async def page(request: web.Request) -> web.Response:
        grant, csrf = web_.sessions.current(request, "admin", web_.now())
        scope = chosen(request, grant)
        if scope is None:
            raise BadRequest("Pick a workspace first.")
        channel = request.query.get("channel", "").strip()
        note = NOTES.get(request.query.get("saved", ""), "")
        return html(await limits_page(web_, scope, channel, csrf, note))

    async def post(request: web.Request) -> web.Response:
        grant, csrf = web_.sessions.current(request, "admin", web_.now())
        fields = await url_fields(request)
        check_csrf(fields, csrf)
        target, changed = await save(web_, grant, fields)
        channel = "" if target.channel_id == ALL else target.channel_id
        where = {"platform": target.platform, "workspace": target.workspace_id}
        return see_other(
            href(web_.base, "/limits", **where, channel=channel, saved=str(int(changed)))
        )

    return [web.get("/limits", page), web.post("/limits", post)]
