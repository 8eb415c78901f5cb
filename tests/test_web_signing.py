"""The web face's key and cookies: one key per installation (kept in the database when
IMAGINE_SECRET_KEY is unset, on both databases), another installation's links refused, the
session cookie Secure behind https, and paths under the public URL's own path."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from bot.handler import utcnow
from bot.store import open_store
from bot.web.signing import EXPIRED, TAMPERED, Grant, Signer
from tests.fakes.gateway import FakeGateway
from tests.storefixtures import STORE_KINDS, store_url
from tests.webfixtures import web_bot


@pytest.mark.parametrize("kind", STORE_KINDS)
async def test_the_first_key_offered_is_the_one_every_store_keeps(
    kind: str, tmp_path: Path
) -> None:
    url = store_url(kind, tmp_path)
    first, second = await open_store(url), await open_store(url)
    try:
        assert await first.web_secret("key-one", utcnow()) == "key-one"
        assert await second.web_secret("key-two", utcnow()) == "key-one"
        assert await first.web_secret("key-three", utcnow()) == "key-one"
    finally:
        await first.close()
        await second.close()


def test_a_grant_signed_with_another_key_or_for_another_purpose_is_refused() -> None:
    grant = Grant("admin", "slack", "T1", "U1", int(utcnow().timestamp()) + 60)
    token = Signer(b"ours").sign(grant, "link")
    assert Signer(b"ours").check(token, "link", utcnow()) == grant
    for signer, purpose in ((Signer(b"theirs"), "link"), (Signer(b"ours"), "session")):
        with pytest.raises(type(TAMPERED)) as refused:
            signer.check(token, purpose, utcnow())
        assert refused.value is TAMPERED
    late = Signer(b"ours").sign(Grant("admin", "slack", "T1", "U1", 0), "link")
    with pytest.raises(type(EXPIRED)) as expired:
        Signer(b"ours").check(late, "link", utcnow())
    assert expired.value is EXPIRED


async def test_behind_an_https_proxy_the_cookie_is_secure_and_paths_keep_the_prefix(
    tmp_path: Path, gateway: FakeGateway
) -> None:
    public = "https://tools.example.com/imagine"
    async with web_bot(tmp_path, gateway, public, IMAGINE_SECRET_KEY="s3cret") as bot:
        link = bot.web.admin_link("slack", "T1", "U1")
        assert link.startswith(f"{public}/web/open?t=")
        local = link.replace(public, bot.url)
        async with httpx.AsyncClient() as http:
            answer = await http.get(local)
        cookie = answer.headers["set-cookie"]
        assert answer.status_code == 200
        assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=Strict" in cookie
        assert "Path=/imagine/web/" in cookie
        assert 'href="/imagine/web/static/web.css"' in answer.text
        assert 'url=/imagine/web/"' in answer.text
