"""The limits editor writes through the handler: `imagine-bot limits show` sees the change,
the audit trail names who made it, and a bad value changes nothing."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Locator, Page

from bot.models import Scope
from tests.fakes.gateway import FakeGateway
from tests.support import cli_env, run_cli
from tests.webfixtures import WebBot, browser_page, needs_chromium, screenshot, web_bot

pytestmark = needs_chromium


async def limits_page(bot: WebBot, page: Page, platform: str = "discord") -> Locator:
    """Sign in as guild1's admin (or the CLI's) and open the limits editor; the workspace's
    form."""
    workspace = "local" if platform == "cli" else "guild1"
    await page.goto(bot.web.admin_link(platform, workspace, "admin1"))
    await page.click("nav >> text=Limits")
    return page.locator('form.limits[data-scope="*"]')


async def save(page: Page, form: Locator, values: dict[str, str], button: str = "Save") -> None:
    """Fill a limits form and press one of its buttons; the saved note must follow."""
    for key, value in values.items():
        await form.locator(f'input[name="{key}"]').fill(value)
    await form.locator(f"button:has-text('{button}')").click()
    await page.wait_for_selector("p.note")
    assert await page.inner_text("p.note") == "Saved. The change is in the audit trail."


async def open_tier(page: Page, kind: str, who: str) -> None:
    """Open a role tier ('role') or person override ('person') by its id."""
    await page.select_option('select[name="tier"]', kind)
    await page.fill('input[name="who"]', who)
    await page.click("button:has-text('Open tier')")


async def test_a_limit_saved_in_the_form_is_what_the_cli_shows(
    tmp_path: Path, gateway: FakeGateway
) -> None:
    async with web_bot(tmp_path, gateway) as bot, browser_page() as page:
        workspace = await limits_page(bot, page)
        hints = await workspace.locator("label.limit").evaluate_all(
            "labels => labels.map(l => [l.querySelector('code').textContent,"
            " l.querySelector('small').textContent])"
        )
        assert dict(hints)["allow_private"] == "true or false"
        assert dict(hints)["timezone"] == "an IANA timezone name such as Europe/Paris or UTC"
        assert dict(hints)["alert_at"].startswith("percentages from 1 to 100")
        await save(page, workspace, {"user_daily_images": "7", "max_quality": "medium"})
        await page.fill('input[name="channel"]', "general")
        await page.click("button:has-text('Open')")
        await save(page, page.locator('form.limits[data-scope="general"]'), {"max_n": "2"})
        await screenshot(page, "limits")
        env = cli_env(tmp_path)
        args = ("limits", "show", "--platform", "discord", "--workspace", "guild1")
        shown = await run_cli(*args, env=env, cwd=tmp_path)
        assert shown.code == 0, shown.err
        assert "user_daily_images = 7  (set here)" in shown.out
        assert "max_quality = medium  (set here)" in shown.out
        in_channel = await run_cli(*args, "--channel", "general", env=env, cwd=tmp_path)
        assert "max_n = 2  (set here)" in in_channel.out
        assert "user_daily_images = 7\n" in in_channel.out
        changes = await bot.app.store.limit_changes()
        assert [(c.scope.channel_id, c.key, c.new_value, c.changed_by) for c in changes] == [
            ("*", "user_daily_images", "7", "admin1"),
            ("*", "max_quality", "medium", "admin1"),
            ("general", "max_n", "2", "admin1"),
        ]


async def test_a_bad_value_is_named_and_nothing_is_changed(
    tmp_path: Path, gateway: FakeGateway
) -> None:
    async with web_bot(tmp_path, gateway) as bot, browser_page() as page:
        form = await limits_page(bot, page)
        await form.locator('input[name="max_n"]').fill("3")
        await form.locator('input[name="user_daily_images"]').fill("lots")
        await form.locator("button:has-text('Save')").click()
        await page.wait_for_selector("section.refusal")
        await screenshot(page, "limits-refused")
        assert await page.inner_text("h1") == "That did not work"
        assert await page.inner_text("section.refusal") == (
            "user_daily_images must be a whole number, not 'lots'."
        )
        assert await bot.app.store.get_limits(
            Scope("discord", "guild1")
        ) == await bot.app.store.get_limits(Scope("discord", "nowhere"))
        assert await bot.app.store.limit_changes() == []


async def test_a_role_tier_and_a_person_override_saved_in_the_form_are_the_handlers(
    tmp_path: Path, gateway: FakeGateway
) -> None:
    async with web_bot(tmp_path, gateway) as bot, browser_page() as page:
        await limits_page(bot, page)
        assert await page.inner_text("section.tiers p.quiet") == (
            "No role tier or person override is set in this workspace."
        )
        await open_tier(page, "role", "112233")
        role = page.locator('form.limits[data-scope="role:112233"]')
        assert await role.locator('input[name="channel_daily_images"]').count() == 0  # a channel's
        await save(page, role, {"user_daily_images": "20"})
        await open_tier(page, "person", "445566")
        person = page.locator('form.limits[data-scope="user:445566"]')
        await save(page, person, {"user_daily_cost_usd": "2.5", "cooldown_s": "30"})
        await screenshot(page, "limits-tiers")
        listed = await page.locator("section.tiers li").evaluate_all(
            "ls => ls.map(l => [l.dataset.tier, l.textContent])"
        )
        assert listed == [
            ["role:112233", "role 112233 user_daily_images=20"],
            ["user:445566", "person 445566 user_daily_cost_usd=2.5, cooldown_s=30"],
        ]
        workspace = Scope("discord", "guild1")
        tiers = {scope: limits for scope, limits in await bot.app.handler.tiers(workspace)}
        assert tiers.keys() == {
            Scope.role("discord", "guild1", "112233"),
            Scope.person("discord", "guild1", "445566"),
        }
        assert tiers[Scope.role("discord", "guild1", "112233")].user_daily_images == 20
        assert tiers[Scope.person("discord", "guild1", "445566")].cooldown_s == 30
        args = ("limits", "show", "--platform", "discord", "--workspace", "guild1")
        shown = await run_cli(*args, "--role", "112233", env=cli_env(tmp_path), cwd=tmp_path)
        assert shown.code == 0, shown.err
        assert "user_daily_images = 20  (set here)" in shown.out
        await page.click("section.tiers >> text=person 445566")
        await save(page, page.locator('form.limits[data-scope="user:445566"]'), {}, "Clear")
        assert [scope for scope, _ in await bot.app.handler.tiers(workspace)] == [
            Scope.role("discord", "guild1", "112233")
        ]
        changes = await bot.app.handler.limit_changes()
        assert [(c.scope.channel_id, c.key, c.new_value, c.changed_by) for c in changes] == [
            ("role:112233", "user_daily_images", "20", "admin1"),
            ("user:445566", "user_daily_cost_usd", "2.5", "admin1"),
            ("user:445566", "cooldown_s", "30", "admin1"),
            ("user:445566", "user_daily_cost_usd", None, "admin1"),
            ("user:445566", "cooldown_s", None, "admin1"),
        ]


async def test_an_id_not_spelled_as_the_platform_spells_it_is_named_and_nothing_changes(
    tmp_path: Path, gateway: FakeGateway
) -> None:
    cases = [
        ("discord", "guild1", "role", "admins", "A Discord role id is its digits", "1122334455"),
        (
            "discord",
            "guild1",
            "person",
            "U024BE7LH",
            "A Discord user id is its digits",
            "9988776655",
        ),
        ("slack", "T1", "role", "U024BE7LH", "A Slack user group id starts with S", "S0614TZR7"),
        ("slack", "T1", "person", "S0614TZR7", "A Slack user id starts with U or W", "U024BE7LH"),
        (
            "cli",
            "local",
            "person",
            "ali ce",
            "A CLI user is a name without spaces or colons",
            "alice",
        ),
    ]
    async with web_bot(tmp_path, gateway) as bot, browser_page() as page:
        for platform, workspace, kind, who, what, example in cases:
            await page.goto(bot.web.admin_link(platform, workspace, "admin1"))
            await page.click("nav >> text=Limits")
            await open_tier(page, kind, who)
            await page.wait_for_selector("section.refusal")
            assert await page.inner_text("section.refusal") == (
                f"{what} (like {example}), not {who!r}."
            )
        await screenshot(page, "limits-tier-refused")
        await page.go_back()
        await open_tier(page, "person", "  ")
        assert await page.inner_text("section.refusal") == "Type the id of the person."
        await page.goto(f"{bot.url}/web/limits?platform=cli&workspace=local&tier=group&who=1")
        assert await page.inner_text("section.refusal") == "Pick a role tier or a person override."
        assert await bot.app.handler.limit_changes() == []


async def test_a_tier_of_another_workspace_or_a_cli_role_is_refused(
    tmp_path: Path, gateway: FakeGateway
) -> None:
    async with web_bot(tmp_path, gateway) as bot, browser_page() as page:
        base = f"{bot.url}/web/limits"
        await limits_page(bot, page)
        opened = await page.goto(f"{base}?platform=discord&workspace=guild2&tier=role&who=1")
        assert opened is not None and opened.status == 403
        assert await page.inner_text("h1") == "Not your workspace"
        await page.go_back()
        csrf = await page.locator('input[name="csrf"]').first.get_attribute("value") or ""
        tier = {"csrf": csrf, "tier": "role", "who": "1", "user_daily_images": "99"}
        answer = await page.request.post(
            base, form=tier | {"platform": "discord", "workspace": "guild2"}, max_redirects=0
        )
        assert answer.status == 400
        assert "This form is for a workspace this link does not reach." in await answer.text()
        assert await bot.app.handler.tiers(Scope("discord", "guild2")) == []
        await page.fill('input[name="channel"]', "user:445566")
        await page.click("button:has-text('Open')")
        assert await page.inner_text("section.refusal") == (
            "'user:445566' is not a channel id: channel ids hold no colon."
        )
        await limits_page(bot, page, "cli")
        assert await page.locator('select[name="tier"] option').all_inner_texts() == [
            "a person override"
        ]
        csrf = await page.locator('input[name="csrf"]').first.get_attribute("value") or ""
        await page.goto(f"{base}?platform=cli&workspace=local&tier=role&who=staff")
        no_roles = "The CLI has no roles: --role is for Discord roles and Slack user groups."
        assert await page.inner_text("section.refusal") == no_roles
        answer = await page.request.post(
            base, form=tier | {"csrf": csrf, "platform": "cli", "workspace": "local"}
        )
        assert answer.status == 400
        assert no_roles in await answer.text()
        assert await bot.app.handler.limit_changes() == []
