"""What every page of the web face shares: settings, the handler, the signer and sessions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote, urlsplit

from bot.config import Settings
from bot.handler import ImagineHandler
from bot.web.guard import Sessions
from bot.web.platforms import Origin, Platforms
from bot.web.signing import ALL, Grant, Signer

PREFIX = "/web"


@dataclass
class Web:
    """The web face's shared objects; `base` is the path pages link to (behind a proxy too)."""

    settings: Settings
    handler: ImagineHandler
    signer: Signer
    platforms: Platforms
    public_url: str

    @property
    def base(self) -> str:
        """The path of the web face as browsers see it: the public URL's path + /web."""
        return urlsplit(self.public_url).path.rstrip("/") + PREFIX

    @property
    def sessions(self) -> Sessions:
        """The session cookies, Secure when the public URL is https."""
        return Sessions(self.signer, self.base + "/", self.public_url.startswith("https://"))

    def now(self) -> datetime:
        """The handler's clock."""
        return self.handler.clock()

    def link(self, grant: Grant) -> str:
        """The address that opens a session for `grant`."""
        token = self.signer.sign(grant, "link")
        return f"{self.public_url}{PREFIX}/open?t={quote(token)}"

    def _expiry(self) -> int:
        ttl = timedelta(minutes=self.settings.link_ttl_minutes)
        return int((self.now() + ttl).timestamp())

    def admin_link(self, platform: str = ALL, workspace: str = ALL, user: str = "operator") -> str:
        """A link to a workspace's dashboard (every workspace: '*') for an admin."""
        return self.link(Grant("admin", platform, workspace, user, self._expiry()))

    def editor_link(self, origin: Origin, entry_id: str, user: str, image_url: str = "") -> str:
        """A link to the Vary Region editor for one person and one result; `image_url` is
        the image as the platform shows it (read again when the kept images are gone)."""
        grant = Grant(
            "editor",
            origin.platform,
            origin.workspace,
            user,
            self._expiry(),
            entry=entry_id,
            channel=origin.channel,
            thread=origin.thread,
            image=image_url,
        )
        return self.link(grant)
