"""Both stores take the control kinds and the allow_low_moderation limit (migrations 0004/0005)."""

from __future__ import annotations

from dataclasses import replace

from bot.models import Limits, Options, Scope
from bot.store import Store
from tests.storefixtures import NOW, reservation


async def test_control_kinds_are_reserved_with_their_control_and_the_limit_is_kept(
    store: Store,
) -> None:
    made = {}
    for control, ledger_kind in (
        ("zoom 1.5", "zoom"),
        ("pan left", "pan"),
        ("upscale", "upscale"),
        ("blend", "blend"),
        ("vary subtle", "vary"),
    ):
        wanted = replace(reservation(), kind=ledger_kind, options=Options(control=control))
        made[(await store.reserve(wanted, Limits(), NOW)).id] = (ledger_kind, control)
    for entry_id, (ledger_kind, control) in made.items():
        found = await store.get_entry(entry_id)
        assert found is not None and found.kind == ledger_kind
        assert found.options.control == control
    scope = Scope("discord", "guild1", "*")
    await store.set_limits(scope, {"allow_low_moderation": True}, "admin", NOW)
    assert (await store.get_limits(scope)).allow_low_moderation is True
