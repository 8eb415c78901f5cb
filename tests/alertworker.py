"""One bot process of the alert race: its own store on the shared ledger, the offline
backend, and a recording `Channels` that prints each post as a JSON line.

Run as `python tests/alertworker.py DATABASE_URL USER [WEBHOOK]`: it prints 'ready', waits
for 'go' on stdin, runs one /imagine by USER in discord guild1 #general, then 'done'.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.config import load_settings
from bot.entry.wiring import open_app
from bot.models import Actor, Result
from bot.requests import Ask, Failure, Headline, Pace


class Printed:
    """Channels that print every post."""

    async def post(self, workspace_id: str, channel_id: str, text: str) -> None:
        print(json.dumps({"workspace": workspace_id, "channel": channel_id, "text": text}))


class Quiet:
    """A surface that shows nothing."""

    pace: Pace | None = None

    async def acknowledge(self, headline: Headline) -> bool:
        return True

    async def progress(self, text: str, preview: bytes | None) -> None:
        return None

    async def deliver(self, result: Result) -> None:
        return None

    async def fail(self, failure: Failure) -> None:
        print(json.dumps({"failed": failure.text}))

    async def drop(self, text: str | None = None) -> None:
        return None

    def again(self, request_id: str) -> str:
        return ""


async def main(url: str, user: str, webhook: str | None) -> None:
    env = {"IMAGINE_DATABASE_URL": url, "IMAGINE_OFFLINE": "true"}
    settings = load_settings(None, **env, **({"IMAGINE_ALERT_WEBHOOK": webhook} if webhook else {}))
    async with open_app(settings, offline=True) as app:
        app.runner.notices.register("discord", Printed())
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.readline)
        actor = Actor("discord", "guild1", "general", user)
        await app.runner.submit(Ask("generate", actor, f"race-{user}", text="a kite"), Quiet())
    print("done", flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None))
