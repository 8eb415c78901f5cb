"""Links and sessions: expired, altered and cross-workspace links are refused with a clear
page, changes need the session's CSRF token, and every answer carries a strict CSP."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from playwright.async_api import Page

from bot.handler import utcnow
from bot.models import Scope
from bot.web.signing import Grant
from tests.fakes.gateway import FakeGateway
from tests.support import cli_env, run_cli
from tests.webfixtures import WebBot, browser_page, needs_chromium, screenshot, seed, web_bot

pytestmark = needs_chromium

CSP = "default-src 'none'; script-src 'self'"


async def refused(page: Page, url: str, status: int, title: str, shot: str) -> str:
    """Open `url`; assert the refusal page's status, title and CSP; its text."""
    response = await page.goto(url)
    assert response is not None and response.status == status
    assert (await response.all_headers())["content-security-policy"].startswith(CSP)
    assert await page.inner_text("h1") == title
    await screenshot(page, shot)
    return await page.inner_text("main")


async def signed_in(bot: WebBot, page: Page, workspace: str = "guild1") -> None:
    """Open an admin link for a workspace of Discord."""
    response = await page.goto(bot.web.admin_link("discord", workspace, "admin1"))
    assert response is not None and response.status == 200
    await page.wait_for_selector("svg.chart")


async def refused_change(
    bot: WebBot, page: Page, form: dict[str, str], status: int, words: str
) -> None:
    """Post max_n=1 to the limits editor: refused with `status` and `words`, nothing set."""
    answer = await page.request.post(
        f"{bot.url}/web/limits", form=form | {"max_n": "1"}, max_redirects=0
    )
    assert answer.status == status
    assert words in await answer.text()
    assert (await bot.app.store.get_limits(Scope("discord", form["workspace"]))).max_n is None


async def test_an_expired_link_is_refused_with_a_clear_page(
    tmp_path: Path, gateway: FakeGateway
) -> None:
    async with web_bot(tmp_path, gateway) as bot, browser_page() as page:
        gone = Grant("admin", "discord", "guild1", "admin1", int(utcnow().timestamp()) - 1)
        link = bot.web.link(gone)
        text = await refused(page, link, 403, "This link has expired", "refused-expired")
        assert "Ask the bot for a new one" in text
        assert await page.context.cookies() == []


async def test_an_altered_link_is_refused(tmp_path: Path, gateway: FakeGateway) -> None:
    async with web_bot(tmp_path, gateway) as bot, browser_page() as page:
        link = bot.web.admin_link("discord", "guild1", "admin1")
        token = link.split("t=", 1)[1]
        payload, mac = token.split(".")
        grant = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        grant["workspace"] = "guild2"
        other = base64.urlsafe_b64encode(json.dumps(grant).encode()).rstrip(b"=").decode()
        text = await refused(
            page, link.replace(token, f"{other}.{mac}"), 403, "This link is not valid", "refused"
        )
        assert "changed or cut short" in text
        await refused(page, link[:-3], 403, "This link is not valid", "refused-cut")
        assert await page.context.cookies() == []


async def test_a_link_for_one_workspace_reads_and_changes_nothing_of_another(
    tmp_path: Path, gateway: FakeGateway
) -> None:
    async with web_bot(tmp_path, gateway) as bot, browser_page() as page:
        await seed(bot.app.store, utcnow(), user="mallory", workspace="guild2", cost=9.99)
        await signed_in(bot, page)
        base = f"{bot.url}/web"
        for path in ("/", "/ledger", "/ledger.csv", "/limits"):
            text = await refused(
                page,
                f"{base}{path}?platform=discord&workspace=guild2",
                403,
                "Not your workspace",
                "refused-workspace",
            )
            assert "Discord server guild1" in text and "mallory" not in text
        await page.goto(f"{base}/limits")
        csrf = await page.locator('input[name="csrf"]').first.get_attribute("value")
        form = {"csrf": csrf or "", "platform": "discord", "workspace": "guild2", "channel": "*"}
        await refused_change(bot, page, form, 400, "does not reach")


async def test_a_change_without_the_sessions_token_is_refused(
    tmp_path: Path, gateway: FakeGateway
) -> None:
    async with web_bot(tmp_path, gateway) as bot, browser_page() as page:
        fresh = await page.goto(f"{bot.url}/web/")
        assert fresh is not None and fresh.status == 401
        assert await page.inner_text("h1") == "You are not signed in"
        await signed_in(bot, page)
        form = {"csrf": "forged", "platform": "discord", "workspace": "guild1"}
        await refused_change(bot, page, form, 403, "This form has expired")


async def test_the_operators_link_from_the_cli_opens_every_workspace(
    tmp_path: Path, gateway: FakeGateway
) -> None:
    async with web_bot(tmp_path, gateway) as bot, browser_page() as page:
        await seed(bot.app.store, utcnow(), workspace="guild1")
        await seed(bot.app.store, utcnow(), user="mallory", workspace="guild2")
        env = cli_env(tmp_path, IMAGINE_PUBLIC_URL=bot.url)
        ran = await run_cli("dashboard-link", env=env, cwd=tmp_path)
        assert ran.code == 0, ran.err
        assert "Valid for 15 min" in ran.err
        await page.goto(ran.out.strip())
        await page.wait_for_selector(".workspaces table")
        await screenshot(page, "workspaces")
        names = await page.locator(".workspaces a").all_inner_texts()
        assert names == ["Discord server guild1", "Discord server guild2"]
        await page.click("text=Discord server guild2")
        await page.wait_for_selector("svg.chart")
        assert "mallory" in await page.inner_text("main")


async def test_the_cli_says_the_web_face_is_off_without_a_public_url(tmp_path: Path) -> None:
    ran = await run_cli(
        "dashboard-link", "--platform", "slack", env=cli_env(tmp_path), cwd=tmp_path
    )
    assert ran.code == 2
    assert ran.err.strip() == (
        "imagine-bot: The web dashboard is off: the bot's admin has not set IMAGINE_PUBLIC_URL "
        "(the address browsers reach the bot at). See docs/web.md."
    )
    assert ran.out == ""


async def test_a_cli_link_for_one_workspace_opens_only_that_one(
    tmp_path: Path, gateway: FakeGateway
) -> None:
    async with web_bot(tmp_path, gateway) as bot, browser_page() as page:
        env = cli_env(tmp_path, IMAGINE_PUBLIC_URL=bot.url, IMAGINE_LINK_TTL_MINUTES="2")
        args = ("dashboard-link", "--platform", "discord", "--workspace", "guild1")
        ran = await run_cli(*args, env=env, cwd=tmp_path)
        assert ran.code == 0, ran.err
        assert "Valid for 2 min" in ran.err
        await page.goto(ran.out.strip())
        assert await page.inner_text("h1") == "Discord server guild1"
        cookie = (await page.context.cookies())[0]
        assert (cookie["httpOnly"], cookie["sameSite"], cookie["path"]) == (True, "Strict", "/web/")
        await refused(
            page,
            f"{bot.url}/web/?platform=discord&workspace=guild2",
            403,
            "Not your workspace",
            "refused-workspace",
        )


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        (
            "IMAGINE_LINK_TTL_MINUTES",
            "0",
            "Invalid setting IMAGINE_LINK_TTL_MINUTES: Input should be greater than or equal to 1",
        ),
        (
            "IMAGINE_PUBLIC_URL",
            "bot.example.com",
            "Invalid setting IMAGINE_PUBLIC_URL: must start with http:// or https://",
        ),
    ],
)
async def test_a_bad_web_setting_is_named(
    tmp_path: Path, name: str, value: str, message: str
) -> None:
    env = cli_env(tmp_path, **{name: value})
    ran = await run_cli("dashboard-link", env=env, cwd=tmp_path)
    assert ran.code == 2
    assert ran.err.strip() == f"imagine-bot: {message}"
