"""Which workspace a dashboard page is about, and the links between its pages."""

from __future__ import annotations

from aiohttp import web

from bot.models import Scope
from bot.web.pages import href, workspace_name
from bot.web.signing import ALL, Grant, Refusal

PAGES = (("Overview", "/"), ("Ledger", "/ledger"), ("Limits", "/limits"))


def chosen(request: web.Request, grant: Grant) -> Scope | None:
    """The workspace a page is about (None: not chosen yet); one the grant does not reach is
    refused."""
    platform = request.query.get("platform") or grant.platform
    workspace = request.query.get("workspace") or grant.workspace
    if ALL in (platform, workspace):
        return None
    if not grant.covers(platform, workspace):
        mine = "every workspace" if grant.workspace == ALL else grant.workspace
        raise Refusal(
            403,
            "Not your workspace",
            f"This link is for {workspace_name(grant.platform, mine)}; it cannot show or change "
            f"anything of {workspace_name(platform, workspace)}.",
        )
    return Scope(platform, workspace)


def nav(base: str, scope: Scope, here: str) -> list[tuple[str, str, bool]]:
    """The bar's links for one workspace."""
    where = {"platform": scope.platform, "workspace": scope.workspace_id}
    return [(label, href(base, path, **where), path == here) for label, path in PAGES]
