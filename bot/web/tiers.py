"""The limits editor's role tiers and person overrides: a workspace's list of them, a form to
open one by its id (checked as each platform spells ids), and the opened one's own keys.

A tier is a role's (a Discord role, a Slack user group) or one person's scope in the
workspace; it holds a person's keys only, as `imagine-bot limits set --role/--user` does.
"""

from __future__ import annotations

import re
from html import escape

from bot.errors import BadSetting
from bot.limits import TIER_IDS
from bot.models import LIMIT_KEYS, Limits, Scope
from bot.web.pages import as_text

KINDS = {"role": Scope.role, "person": Scope.person}
ROLE_NAMES = {"discord": "role", "slack": "user group"}


def tier_scope(workspace: Scope, kind: str, who: str) -> Scope:
    """The scope of a role tier or person override in a workspace, its id checked."""
    make = KINDS.get(kind)
    if make is None:
        raise BadSetting("Pick a role tier or a person override.")
    who = who.strip()
    if not who:
        raise BadSetting(f"Type the id of the {'role' if kind == 'role' else 'person'}.")
    spelling = TIER_IDS.get((workspace.platform, kind))
    if spelling is not None and not re.fullmatch(spelling[0], who):
        _, what, example = spelling
        raise BadSetting(f"{what} (like {example}), not {who!r}.")
    return make(workspace.platform, workspace.workspace_id, who)


def kind_of(scope: Scope) -> tuple[str, str]:
    """A tier's kind ('role' or 'person') and id."""
    if scope.role_id is not None:
        return "role", scope.role_id
    return "person", scope.user_id or ""


def tier_name(scope: Scope) -> str:
    """'role 1122…' / 'user group S1' / 'person U1'."""
    kind, who = kind_of(scope)
    return f"{ROLE_NAMES.get(scope.platform, 'role') if kind == 'role' else 'person'} {who}"


def tiers_list(tiers: list[tuple[Scope, Limits]], links: dict[Scope, str]) -> str:
    """The workspace's tiers, each with what it sets and a link to open it."""
    if not tiers:
        return '<p class="quiet">No role tier or person override is set in this workspace.</p>'
    rows = []
    for scope, limits in tiers:
        values = ", ".join(
            f"{key}={as_text(getattr(limits, key))}"
            for key in LIMIT_KEYS
            if getattr(limits, key) is not None
        )
        rows.append(
            f'<li data-tier="{escape(scope.channel_id)}"><a href="{escape(links[scope])}">'
            f"{escape(tier_name(scope))}</a> <code>{escape(values)}</code></li>"
        )
    return f'<ul class="tiers">{"".join(rows)}</ul>'


def opener(action: str, platform: str, hidden: str) -> str:
    """The form that opens (or starts) a tier by its id."""
    kinds = [("person", "a person override")]
    if platform in ROLE_NAMES:
        kinds.insert(0, ("role", f"a {ROLE_NAMES[platform]} tier"))
    options = "".join(f'<option value="{k}">{escape(label)}</option>' for k, label in kinds)
    return (
        f'<form method="get" action="{action}" class="opener">{hidden}'
        f'<label>Add or edit <select name="tier" aria-label="tier">{options}</select></label>'
        '<label>id <input name="who" aria-label="who"></label>'
        '<button type="submit">Open tier</button></form>'
    )
