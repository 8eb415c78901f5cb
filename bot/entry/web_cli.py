"""The web face in the composition root: `imagine-bot dashboard-link`, and the /web app that
`run` mounts, with the platforms its editor posts results through."""

from __future__ import annotations

import argparse
import getpass
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from aiohttp import web

from bot.entry.cliargs import Parser
from bot.entry.wiring import App
from bot.limits import check_scope
from bot.models import Scope
from bot.web.app import OFF, open_web, web_application
from bot.web.context import Web
from bot.web.platforms import LocalPlatform, Platforms
from bot.web.signing import ALL

log = logging.getLogger(__name__)


def add_dashboard_link(sub: argparse._SubParsersAction[Parser]) -> None:
    """The `dashboard-link` command."""
    link = sub.add_parser("dashboard-link", help="print a signed link to the web dashboard")
    link.add_argument("--platform", default=ALL, help="cli, discord or slack (default: all)")
    link.add_argument("--workspace", default=ALL, help="guild or team id (default: all)")
    link.set_defaults(func=cmd_dashboard_link)


async def cmd_dashboard_link(app: App, args: argparse.Namespace) -> int:
    """Print a link to the dashboard of one workspace, or of every one, for the operator."""
    scope = Scope(args.platform, args.workspace)
    check_scope(scope, limits=False)
    if scope.platform == ALL and scope.workspace_id != ALL:
        print("imagine-bot: --workspace needs its --platform.", file=sys.stderr)
        return 2
    web_ = await open_web(app.settings, app.handler, Platforms({}))
    if web_ is None:
        print(f"imagine-bot: {OFF}", file=sys.stderr)
        return 2
    print(web_.admin_link(scope.platform, scope.workspace_id, f"cli:{getpass.getuser()}"))
    minutes = app.settings.link_ttl_minutes
    print(f"Valid for {minutes} min; anyone holding it can see and change limits.", file=sys.stderr)
    return 0


async def open_face(app: App) -> Web | None:
    """The web face for `run`, before the adapters (which hand out its links), or None
    (logged) when IMAGINE_PUBLIC_URL is unset; results of the CLI go to the working folder."""
    web_ = await open_web(app.settings, app.handler, Platforms({}))
    if web_ is None:
        log.info("web dashboard off: IMAGINE_PUBLIC_URL is not set")
        return None
    web_.platforms.add("cli", LocalPlatform(app.http, Path.cwd()))
    return web_


def mount(web_: Web | None, adapters: Sequence[object]) -> web.Application | None:
    """The /web application, with every adapter that offers the editor's two methods
    (`source_image`, `post_result`) connected by its `platform` name."""
    if web_ is None:
        return None
    for adapter in adapters:
        name = getattr(adapter, "platform", None)
        if isinstance(name, str) and hasattr(adapter, "post_result"):
            web_.platforms.add(name, adapter)  # type: ignore[arg-type]
    log.info("web dashboard at %s/web/", web_.public_url)
    return web_application(web_)
