"""Role tiers, person overrides and the installation's scope through the real CLI (issue 14,
item 3 and 7): what `limits set` accepts, what it refuses and why, and what it changes."""

from __future__ import annotations

from pathlib import Path

from bot.models import Scope
from bot.store import open_store
from tests.fakes.gateway import FakeGateway
from tests.support import cli_env, database_url, run_cli

WIDE = (
    "Only the installation's budgets go with --platform '*': bot_daily_images, "
    "bot_daily_cost_usd, bot_weekly_images, bot_weekly_cost_usd, bot_monthly_images, "
    "bot_monthly_cost_usd."
)


async def test_limits_set_names_a_role_or_a_person_and_audits_it(tmp_path: Path) -> None:
    env = cli_env(tmp_path)
    cases = [
        (
            ("--platform", "discord", "--workspace", "G1", "--role", "R1", "user_daily_images=5"),
            "Set user_daily_images=5 for Discord role R1 in server G1.",
            Scope.role("discord", "G1", "R1"),
        ),
        (
            ("--platform", "slack", "--workspace", "T1", "--user", "U1", "enabled=false"),
            "Set enabled=false for Slack user U1 in workspace T1.",
            Scope.person("slack", "T1", "U1"),
        ),
        (
            ("--platform", "*", "bot_monthly_cost_usd=49.5"),
            "Set bot_monthly_cost_usd=49.5 for the whole installation (every platform).",
            Scope("*"),
        ),
        (
            ("--user", "alice", "max_n=1"),
            "Set max_n=1 for CLI user alice in workspace local.",
            Scope.person("cli", "local", "alice"),
        ),
    ]
    for flags, said, _ in cases:
        ran = await run_cli("limits", "set", *flags, env=env, cwd=tmp_path)
        assert ran.code == 0, ran.err
        assert ran.out.splitlines()[0] == said
    store = await open_store(database_url(tmp_path))
    try:
        audited = [(c.scope, c.key, c.new_value) for c in await store.limit_changes()]
        assert audited == [(scope, *flags[-1].split("=")) for flags, _, scope in cases]
    finally:
        await store.close()


async def test_limits_set_refuses_a_tier_or_key_that_cannot_apply_and_changes_nothing(
    tmp_path: Path,
) -> None:
    env = cli_env(tmp_path)
    cases = {
        ("--platform", "discord", "--role", "R1", "max_n=2"): (
            "--role needs its server: a Discord role's limits apply within one server, "
            "so add --workspace with its id."
        ),
        ("--platform", "cli", "--role", "R1", "max_n=2"): (
            "The CLI has no roles: --role is for Discord roles and Slack user groups."
        ),
        ("--platform", "discord", "--workspace", "G1", "--role", "R1", "channel_daily_images=3"): (
            "channel_daily_images is not a person's limit: set it for a channel or a server, "
            "without --role."
        ),
        ("--platform", "*", "max_n=2"): (
            f"max_n is set for one platform at a time: use discord, slack or cli. {WIDE}"
        ),
        ("--platform", "discord", "--workspace", "G1", "bot_daily_cost_usd=5"): (
            "bot_daily_cost_usd is the whole installation's budget, across every platform: "
            "set it with --platform '*' and no --workspace or --channel."
        ),
        ("--platform", "*", "--workspace", "G1", "max_n=2"): (
            "--platform '*' sets the whole installation's budgets: leave out --workspace, "
            "--channel, --role and --user."
        ),
        ("--workspace", "G1", "--user", "alice", "max_n=2"): (
            "The CLI has one workspace, 'local': --workspace G1 matches no request. "
            "For Discord or Slack, add --platform."
        ),
    }
    for flags, message in cases.items():
        ran = await run_cli("limits", "set", *flags, env=env, cwd=tmp_path)
        assert (ran.code, ran.out, ran.err) == (2, "", f"imagine-bot: {message}\n"), flags
    ran = await run_cli(
        "limits", "set", "--role", "R1", "--channel", "C1", "max_n=2", env=env, cwd=tmp_path
    )
    assert ran.code == 2 and "not allowed with argument" in ran.err

    store = await open_store(database_url(tmp_path))
    try:
        assert await store.limit_changes() == []
    finally:
        await store.close()


async def test_a_person_override_stops_one_person_and_nobody_else(
    tmp_path: Path, gateway: FakeGateway
) -> None:
    env = cli_env(tmp_path, IMAGINE_GATEWAY_URL=gateway.url)
    for flags in (("user_daily_images=1",), ("--user", "bob", "user_daily_images=3")):
        assert (await run_cli("limits", "set", *flags, env=env, cwd=tmp_path)).code == 0
    made = {}
    for user in ("alice", "bob"):
        codes = [
            (await run_cli("generate", f"kite {i}", "--user", user, env=env, cwd=tmp_path)).code
            for i in range(3)
        ]
        made[user] = codes
    assert made == {"alice": [0, 1, 1], "bob": [0, 0, 0]}
    shown = await run_cli("limits", "show", "--user", "bob", "--json", env=env, cwd=tmp_path)
    assert shown.json()["user_daily_images"] == 3


async def test_limits_show_lists_the_workspace_tiers_with_plain_ids(tmp_path: Path) -> None:
    env = cli_env(tmp_path)
    guild = ("--platform", "discord", "--workspace", "G1")
    for flags in (
        (*guild, "--role", "R1", "user_monthly_images=50", "max_n=4"),
        (*guild, "--user", "U9", "enabled=false"),
        ("--platform", "discord", "--workspace", "G2", "--role", "R2", "max_n=2"),
    ):
        assert (await run_cli("limits", "set", *flags, env=env, cwd=tmp_path)).code == 0
    for place in (guild, (*guild, "--channel", "C1")):
        shown = await run_cli("limits", "show", *place, env=env, cwd=tmp_path)
        assert shown.code == 0, shown.err
        assert shown.out.endswith(
            "\n\nRole tiers (a person gets the most generous of their roles):\n"
            "  role R1: max_n = 4, user_monthly_images = 50\n"
            "Person overrides (over any role):\n"
            "  user U9: enabled = no\n"
        )
    tier = await run_cli("limits", "show", *guild, "--role", "R1", env=env, cwd=tmp_path)
    assert "Role tiers" not in tier.out and "max_n = 4  (set here)" in tier.out


async def test_limits_set_help_says_channels_are_not_checked(tmp_path: Path) -> None:
    ran = await run_cli("limits", "set", "--help", env=cli_env(tmp_path), cwd=tmp_path)
    assert ran.code == 0
    assert " ".join(ran.out.split()).endswith(
        "alert_channel and log_channel take a channel id as it is; the CLI has no connection "
        "to Discord or Slack, so it cannot check that the bot may post there (the admin "
        "commands in Discord and Slack do)."
    )
