"""The limits editor of one workspace, its channels, role tiers and person overrides, writing
through the handler's `set_limits`, so every change lands in the same audit trail as the chat
commands'."""

from __future__ import annotations

from datetime import timedelta
from html import escape

from aiohttp import web

from bot.errors import BadRequest, BadSetting
from bot.limits import check_scope, describe_scope, format_limit
from bot.models import LIMIT_KEYS, LIMITS, PERSON_KEYS, Limits, Scope
from bot.web.context import Web
from bot.web.figures import Month
from bot.web.forms import url_fields
from bot.web.guard import check_csrf, html, see_other
from bot.web.pages import as_text, hidden, href, layout, workspace_name
from bot.web.reads import rows_of
from bot.web.scopes import chosen, nav
from bot.web.signing import ALL, Grant
from bot.web.tiers import kind_of, opener, tier_scope, tiers_list

NOTES = {"1": "Saved. The change is in the audit trail.", "0": "Nothing changed."}


def limits_form(
    web_: Web, scope: Scope, here: Limits, effective: Limits, csrf: str, tier: bool = False
) -> str:
    """One scope's limits: set values filled in, the inherited ones as placeholders; a
    `tier` has a person's keys only, and a button that clears it."""
    rows = []
    for key in PERSON_KEYS if tier else LIMIT_KEYS:
        value = as_text(getattr(here, key))
        inherited = f"inherits {format_limit(key, getattr(effective, key))}" if not value else ""
        hint = LIMITS[key].type.expected.removeprefix("use ")
        rows.append(
            f'<label class="limit"><span><code>{key}</code><small>{escape(hint)}</small></span>'
            f'<input name="{key}" value="{escape(value)}" placeholder="{escape(inherited)}" '
            f'aria-label="{key}"></label>'
        )
    where = {"platform": scope.platform, "workspace": scope.workspace_id}
    if tier:
        where["tier"], where["who"] = kind_of(scope)
        clear = '<button type="submit" name="clear" value="1">Clear this tier</button>'
    else:
        where["channel"], clear = scope.channel_id, ""
    return (
        f'<form method="post" action="{web_.base}/limits" class="card limits" '
        f'data-scope="{escape(scope.channel_id)}"><h2>{escape(describe_scope(scope))}</h2>'
        f'{hidden(csrf=csrf, **where)}<div class="limit-grid">{"".join(rows)}</div>'
        f'<div class="actions"><button type="submit" class="primary">Save</button>{clear}</div>'
        "</form>"
    )


async def limits_page(
    web_: Web, scope: Scope, opened: tuple[str, Scope | None], csrf: str, note: str
) -> str:
    """The workspace's limits, one channel's when one is picked, its tiers, and the opened
    tier's."""
    handler = web_.handler
    channel, tier = opened
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
    body = pick + "".join(forms) + await _tiers(web_, scope, tier, csrf)
    title = f"Limits · {workspace_name(scope.platform, scope.workspace_id)}"
    return layout(web_.base, title, body, nav(web_.base, scope, "/limits"), note)


async def _tiers(web_: Web, scope: Scope, opened: Scope | None, csrf: str) -> str:
    where = {"platform": scope.platform, "workspace": scope.workspace_id}
    tiers = await web_.handler.tiers(scope)
    links = {
        tier: href(web_.base, "/limits", **where, tier=kind_of(tier)[0], who=kind_of(tier)[1])
        for tier, _ in tiers
    }
    section = (
        '<section class="card tiers"><h2>Role tiers and person overrides</h2>'
        f"{tiers_list(tiers, links)}"
        f"{opener(f'{web_.base}/limits', scope.platform, hidden(**where))}</section>"
    )
    if opened is None:
        return section
    here = await web_.handler.limits_here(opened)
    effective = await web_.handler.limits_for(scope)
    return section + limits_form(web_, opened, here, effective, csrf, tier=True)


def _target(workspace: Scope, fields: dict[str, str]) -> Scope:
    """The scope a form (or a page's query) names: a tier, a channel, or the workspace;
    refused when no request can fall in it."""
    if fields.get("tier"):
        target = tier_scope(workspace, fields["tier"], fields.get("who", ""))
    else:
        channel = fields.get("channel", ALL).strip() or ALL
        if ":" in channel:
            raise BadSetting(f"{channel!r} is not a channel id: channel ids hold no colon.")
        target = Scope(workspace.platform, workspace.workspace_id, channel)
    check_scope(target, limits=True)
    return target


async def save(web_: Web, grant: Grant, fields: dict[str, str]) -> tuple[Scope, bool]:
    """Set the keys whose value changed for exactly the form's scope (with `clear`, clear
    every key set there); whether any did."""
    workspace = Scope(fields.get("platform", ""), fields.get("workspace", ""))
    if not workspace.platform or not grant.covers(workspace.platform, workspace.workspace_id):
        raise BadRequest("This form is for a workspace this link does not reach.")
    target = _target(workspace, fields)
    here = await web_.handler.limits_here(target)
    if fields.get("clear"):
        fields = {key: "" for key in LIMIT_KEYS}
    changes = {
        key: fields[key]
        for key in LIMIT_KEYS
        if key in fields and fields[key].strip() != as_text(getattr(here, key))
    }
    if changes:
        await web_.handler.set_limits(target, changes, grant.user)
    return target, bool(changes)


def _back(web_: Web, target: Scope, changed: bool) -> str:
    """The page to see a saved scope on."""
    where = {"platform": target.platform, "workspace": target.workspace_id}
    if target.role_id is not None or target.user_id is not None:
        kind, who = kind_of(target)
        where |= {"tier": kind, "who": who}
    elif target.channel_id != ALL:
        where["channel"] = target.channel_id
    return href(web_.base, "/limits", **where, saved=str(int(changed)))


def routes(web_: Web) -> list[web.RouteDef]:
    """The limits editor's routes."""

    async def page(request: web.Request) -> web.Response:
        grant, csrf = web_.sessions.current(request, "admin", web_.now())
        scope = chosen(request, grant)
        if scope is None:
            raise BadRequest("Pick a workspace first.")
        target = _target(scope, dict(request.query))
        opened = target if target.role_id is not None or target.user_id is not None else None
        channel = "" if opened is not None or target == scope else target.channel_id
        note = NOTES.get(request.query.get("saved", ""), "")
        return html(await limits_page(web_, scope, (channel, opened), csrf, note))

    async def post(request: web.Request) -> web.Response:
        grant, csrf = web_.sessions.current(request, "admin", web_.now())
        fields = await url_fields(request)
        check_csrf(fields, csrf)
        target, changed = await save(web_, grant, fields)
        return see_other(_back(web_, target, changed))

    return [web.get("/limits", page), web.post("/limits", post)]
