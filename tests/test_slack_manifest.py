"""slack-manifest.yml asks for exactly what the adapter uses, and small pieces of the adapter."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from adapters.slack import EVENTS_PATH, REQUIRED_SCOPES
from adapters.slack.app import api_base, granted_scopes
from adapters.slack.blend import BLEND_SHORTCUT
from adapters.slack.commands import subcommand
from adapters.slack.files import size_text
from adapters.slack.replies import cap, from_slack, quoted
from adapters.slack.shortcuts import EDIT_SHORTCUT, VARY_SHORTCUT

MANIFEST = (Path(__file__).parent.parent / "slack-manifest.yml").read_text(encoding="utf-8")


def manifest_list(key: str) -> list[str]:
    """The items of a YAML block list under `key:` (the manifest has no flow lists)."""
    match = re.search(rf"^(\s*){key}:\n((?:\1\s+- .+\n)+)", MANIFEST, re.MULTILINE)
    assert match is not None, key
    return [line.strip().removeprefix("- ") for line in match.group(2).splitlines()]


def test_the_manifest_asks_for_exactly_the_scopes_the_adapter_checks() -> None:
    assert set(manifest_list("bot")) == REQUIRED_SCOPES
    assert len(manifest_list("bot")) == len(REQUIRED_SCOPES)


def test_the_manifest_names_the_shortcuts_event_and_route_the_adapter_serves() -> None:
    callbacks = re.findall(r"callback_id: (\S+)", MANIFEST)
    assert callbacks == [EDIT_SHORTCUT, VARY_SHORTCUT, BLEND_SHORTCUT]
    assert manifest_list("bot_events") == ["app_mention"]
    urls = re.findall(r"(?:url|request_url): (\S+)", MANIFEST)
    assert len(urls) == 3 and all(url.endswith(EVENTS_PATH) for url in urls)
    assert "command: /imagine" in MANIFEST
    assert "is_enabled: true" in MANIFEST


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ("help", "")),
        ("HELP", ("help", "")),
        ("usage", ("usage", "")),
        ("Dashboard", ("dashboard", "")),
        ("dashboard of a car", ("generate", "dashboard of a car")),
        ("limits  workspace", ("limits", "workspace")),
        ("a red balloon --n 2", ("generate", "a red balloon --n 2")),
        ("usage of color in art", ("generate", "usage of color in art")),
        ("limits of the sky at dusk", ("generate", "limits of the sky at dusk")),
        ("limits team", ("limits", "team")),
        ("limits @designers", ("limits", "@designers")),
        ("Limits S0DESIGN", ("limits", "S0DESIGN")),
        ("limits <!subteam^S0DESIGN|@designers>", ("limits", "<!subteam^S0DESIGN|@designers>")),
        ("limits U0123ABCD", ("limits", "U0123ABCD")),
        ("limits <@U0123ABCD|dana>", ("limits", "<@U0123ABCD|dana>")),
        ("limits u0123abcd", ("generate", "limits u0123abcd")),
        ("limits @designers and more", ("generate", "limits @designers and more")),
    ],
)
def test_subcommands(text: str, expected: tuple[str, str]) -> None:
    assert subcommand(text) == expected


def test_slack_limits_text_to_4000_characters() -> None:
    assert cap("x" * 4000) == "x" * 4000
    assert cap("x" * 4001) == "x" * 3999 + "…"
    assert len(cap("y" * 50_000)) == 4000


def test_the_api_base_ends_with_one_slash() -> None:
    assert api_base("https://slack-gov.com/api") == "https://slack-gov.com/api/"
    assert api_base("http://127.0.0.1:9/api/") == "http://127.0.0.1:9/api/"


def test_scopes_are_read_from_the_header_whatever_its_case() -> None:
    assert granted_scopes({"X-OAuth-Scopes": "chat:write, commands"}) == {"chat:write", "commands"}
    assert granted_scopes({}) == set()


def test_sizes_read_like_a_person_writes_them() -> None:
    assert [size_text(n) for n in (900, 4096, 25 * 1024 * 1024)] == ["900 bytes", "4 KB", "25 MB"]


def test_a_persons_text_is_escaped_and_never_cut_inside_an_entity() -> None:
    assert quoted("<!here> & you", 100) == "&lt;!here&gt; &amp; you"
    assert quoted("&" * 10, 8) == "&amp;…"
    assert quoted("ab" + "&" * 10, 8) == "ab&amp;…"
    assert len(quoted("<" * 5000, 3000)) <= 3000
    assert from_slack("salt &amp; pepper &lt;3 &amp;lt;") == "salt & pepper <3 &lt;"
