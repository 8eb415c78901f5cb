"""`imagine-bot usage [export]` and `imagine-bot limits show|set`: the admin commands.

They speak only to the handler's admin door (bot/admin.py), never to the store.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot import reports
from bot.entry.wiring import App
from bot.errors import BadRequest
from bot.limits import check_scope, describe_change
from bot.models import Actor, Scope
from bot.wording import plural

Subparsers = Any  # argparse's _SubParsersAction, which it does not export
CHANNEL_NOTE = (
    "alert_channel and log_channel take a channel id as it is; the CLI has no connection to "
    "Discord or Slack, so it cannot check that the bot may post there (the admin commands in "
    "Discord and Slack do)."
)


def add_commands(sub: Subparsers) -> None:
    """Add `usage` (with `export`) and `limits` (with `show` and `set`) to the command line."""
    usage = sub.add_parser("usage", help="show usage (of a user, or of a scope)")
    _scope_options(usage)
    usage.add_argument("--user", help="one user's usage and what remains")
    usage.add_argument("--json", action="store_true")
    usage.set_defaults(func=cmd_usage)
    usage_sub = usage.add_subparsers(dest="usage_command")
    export = usage_sub.add_parser("export", help="write the ledger as CSV (of a scope, a user)")
    _scope_options(export, default=argparse.SUPPRESS)
    export.add_argument("--user", default=argparse.SUPPRESS, help="only this user's rows")
    export.add_argument("--since", required=True, type=_date, help="YYYY-MM-DD (UTC)")
    export.add_argument("--until", type=_date, help="YYYY-MM-DD, exclusive (default: now)")
    export.add_argument("--out", type=Path, help="CSV file (default: stdout)")
    export.set_defaults(func=cmd_export)

    limits = sub.add_parser("limits", help="show or set limits")
    limits_sub = limits.add_subparsers(dest="limits_command", required=True)
    show = limits_sub.add_parser(
        "show", help="the effective limits of a scope, and its workspace's role tiers and people"
    )
    _limit_scope_options(show)
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=cmd_limits_show)
    set_ = limits_sub.add_parser(
        "set",
        help="set limits: KEY=VALUE ... (KEY= clears)",
        description="Set or clear limits of exactly one scope; every change is audited.",
        epilog=CHANNEL_NOTE,
    )
    _limit_scope_options(set_)
    set_.add_argument("assignments", nargs="+", metavar="KEY=VALUE")
    set_.set_defaults(func=cmd_limits_set)


def _scope_options(parser: argparse.ArgumentParser, default: str | None = None) -> None:
    parser.add_argument("--platform", default=default, help="cli, discord or slack")
    parser.add_argument("--workspace", default=default, help="guild or team id ('*' for all)")
    parser.add_argument("--channel", default=default, help="channel id ('*' for all)")


def _limit_scope_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--platform", help="cli, discord or slack; '*' for the installation's own budgets"
    )
    parser.add_argument("--workspace", help="guild or team id ('*' for all)")
    place = parser.add_mutually_exclusive_group()
    place.add_argument("--channel", help="channel id ('*' for all)")
    place.add_argument("--role", help="a Discord role or Slack user group id (a tier)")
    place.add_argument("--user", help="one person's own limits (an exception)")


def _date(text: str) -> datetime:
    try:
        return datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date: {text!r} (use YYYY-MM-DD)") from None


def _scope(args: argparse.Namespace) -> Scope:
    if not (args.platform or args.workspace or args.channel):
        return Scope("cli", "local", "local")
    return Scope(args.platform or "cli", args.workspace or "*", args.channel or "*")


def _limit_scope(args: argparse.Namespace) -> Scope:
    tier: Callable[[str, str, str], Scope] | None = None
    if args.role is not None:
        tier, who = Scope.role, args.role
    elif args.user is not None:
        tier, who = Scope.person, args.user
    if tier is None:
        return _scope(args)
    platform = args.platform or "cli"
    workspace = args.workspace or ("local" if platform == "cli" else "*")
    return tier(platform, workspace, who)


async def cmd_usage(app: App, args: argparse.Namespace) -> int:
    """A user's usage (with --user) or a scope's totals and top users."""
    scope = _scope(args)
    check_scope(scope, limits=False)
    now = app.handler.clock()
    data: dict[str, Any]
    if args.user:
        report = await app.handler.period_report(
            Scope(scope.platform, scope.workspace_id), args.user
        )
        actor = Actor(scope.platform, scope.workspace_id, scope.channel_id, args.user)
        user_usage = await app.handler.usage(actor)
        data = reports.user_usage_dict(user_usage) | reports.period_dict(report)
        text = reports.format_user_usage(user_usage, now, report)
    else:
        report = await app.handler.period_report(scope)
        scope_usage = await app.handler.scope_usage(scope)
        data = reports.scope_usage_dict(scope_usage) | reports.scope_period_dict(report)
        text = reports.format_scope_usage(scope_usage, report)
    print(json.dumps(data) if args.json else text)
    return 0


async def cmd_export(app: App, args: argparse.Namespace) -> int:
    """The ledger between two dates as CSV, of one scope or user if asked ('*' by default)."""
    if args.json:
        raise BadRequest("usage export writes CSV, not JSON: leave out --json.")
    until = args.until or app.handler.clock() + timedelta(seconds=1)
    if until <= args.since:
        raise BadRequest(f"--until {until:%Y-%m-%d} is not after --since {args.since:%Y-%m-%d}.")
    scope = Scope(args.platform or "*", args.workspace or "*", args.channel or "*")
    check_scope(scope, limits=False)
    span = (args.since, until)
    if args.out is None:
        count = await app.handler.export_csv(sys.stdout, span, scope, args.user)
    else:
        try:
            out = args.out.open("w", newline="", encoding="utf-8")
        except OSError as exc:
            print(f"imagine-bot: cannot write {args.out}: {exc.strerror or exc}.", file=sys.stderr)
            return 2
        with out:
            count = await app.handler.export_csv(out, span, scope, args.user)
    print(f"{plural(count, 'row')} exported.", file=sys.stderr)
    return 0


async def cmd_limits_show(app: App, args: argparse.Namespace) -> int:
    """The effective limits of a scope, marking those set there; for a workspace or a
    channel, then the workspace's role tiers and person overrides."""
    scope = _limit_scope(args)
    check_scope(scope, limits=True)
    effective = await app.handler.limits_for(scope)
    if args.json:
        print(json.dumps(effective.as_dict()))
    else:
        here = await app.handler.limits_here(scope)
        print(reports.format_limits(effective, here))
        if scope.workspace_id != "*" and scope.role_id is None and scope.user_id is None:
            tiers = reports.format_tiers(await app.handler.tiers(scope), _tier_name)
            if tiers:
                print(f"\n{tiers}")
    return 0


def _tier_name(scope: Scope) -> str:
    return f"role {scope.role_id}" if scope.role_id is not None else f"user {scope.user_id}"


async def cmd_limits_set(app: App, args: argparse.Namespace) -> int:
    """Set or clear limits of exactly one scope; every change is audited."""
    assignments = {}
    for item in args.assignments:
        key, sep, value = item.partition("=")
        if not sep:
            raise BadRequest(f"Expected KEY=VALUE, got {item!r}.")
        assignments[key.strip()] = value
    scope = _limit_scope(args)
    check_scope(scope, limits=True)
    await app.handler.set_limits(scope, assignments, f"cli:{getpass.getuser()}")
    print(describe_change(assignments, scope))
    effective = await app.handler.limits_for(scope)
    print(reports.format_limits(effective, await app.handler.limits_here(scope)))
    return 0
