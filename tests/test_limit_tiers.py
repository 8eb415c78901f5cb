"""Role tiers and person overrides (issue 14, item 3), on SQLite and PostgreSQL.

One person's roles or own override change what they may do, and nobody else's limits; the
real handler reserves against the real store and calls the local fake gateway.
"""

from __future__ import annotations

import uuid
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import pytest

from bot.errors import Disabled, LimitReached
from bot.handler import ImagineHandler
from bot.models import Actor, ImageRequest, Scope
from tests.fakes.gateway import FakeGateway
from tests.storefixtures import STORE_KINDS, store_url
from tests.support import gateway_handler, make_settings

WORKSPACE = Scope("discord", "G1")
SUPPORTERS, PATRONS = "R-supporters", "R-patrons"


def handler_on(
    kind: str, tmp_path: Path, gateway: FakeGateway
) -> AbstractAsyncContextManager[ImagineHandler]:
    """A handler on a fresh store of one kind, calling the fake gateway."""
    settings = make_settings(
        tmp_path,
        IMAGINE_GATEWAY_URL=gateway.url,
        IMAGINE_DATABASE_URL=store_url(kind, tmp_path),
        IMAGINE_PER_USER_CONCURRENT=0,
    )
    return gateway_handler(settings)


def person(user: str, *roles: str) -> Actor:
    return Actor("discord", "G1", "C1", user, roles=roles)


async def made(handler: ImagineHandler, actor: Actor, times: int) -> int:
    """How many of `times` one-image requests went ahead before a refusal."""
    for done in range(times):
        req = ImageRequest("generate", "a red kite", actor, uuid.uuid4().hex)
        try:
            await handler.generate(req)
        except (LimitReached, Disabled):
            return done
    return times


@pytest.mark.parametrize("kind", STORE_KINDS)
async def test_a_role_tier_and_a_person_override_change_one_persons_limits(
    kind: str, tmp_path: Path, gateway: FakeGateway
) -> None:
    async with handler_on(kind, tmp_path, gateway) as handler:
        await handler.set_limits(WORKSPACE, {"user_daily_images": "1"}, "admin")
        await handler.set_limits(
            Scope.role("discord", "G1", SUPPORTERS), {"user_daily_images": "3"}, "admin"
        )
        await handler.set_limits(
            Scope.role("discord", "G1", PATRONS), {"user_daily_images": "5"}, "admin"
        )
        await handler.set_limits(
            Scope.person("discord", "G1", "U-stopped"), {"enabled": "false"}, "admin"
        )
        await handler.set_limits(
            Scope.person("discord", "G1", "U-capped"), {"user_daily_images": "2"}, "admin"
        )

        assert await made(handler, person("U-plain"), 3) == 1
        assert await made(handler, person("U-fan", SUPPORTERS), 5) == 3
        assert await made(handler, person("U-both", SUPPORTERS, PATRONS), 6) == 5
        assert await made(handler, person("U-capped", PATRONS), 6) == 2
        assert await made(handler, person("U-stopped", PATRONS), 1) == 0
        # the tiers hold in their own workspace only, and the channel's own limits stay
        assert (
            await handler.limits_of(Actor("discord", "G2", "C1", "U-fan", roles=(SUPPORTERS,)))
        ).user_daily_images is None
        assert (await handler.limits_for(Scope("discord", "G1", "C1"))).user_daily_images == 1
