"""The HTML around every page: one layout, navigation, forms' hidden fields, error pages.

No inline script or style anywhere (the Content-Security-Policy forbids both): the look is
/web/static/web.css, the editor's behaviour /web/static/editor.js.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from urllib.parse import urlencode

from bot.limits import PLATFORMS


def money(value: float) -> str:
    """Dollars as people read them: $0.053, $12.40."""
    if value and abs(value) < 1:
        return f"${value:.3f}"
    return f"${value:,.2f}"


def amount(value: float, unit: str) -> str:
    """A budget figure in its unit ('usd' or 'images')."""
    if unit == "usd":
        return money(value)
    whole = int(value)
    return f"{whole} image{'' if whole == 1 else 's'}"


def as_text(value: object) -> str:
    """A stored limit value as the form shows it ('' when unset)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple | list):
        return ",".join(str(v) for v in value)
    return f"{value:g}" if isinstance(value, float) else str(value)


def workspace_name(platform: str, workspace: str) -> str:
    """'Discord server 123' / 'Slack workspace T1'."""
    name, kind = PLATFORMS.get(platform, (platform, "workspace"))
    return f"{name} {kind} {workspace}"


def href(base: str, path: str, **query: str) -> str:
    """An address inside the web face, with its query."""
    given = {k: v for k, v in query.items() if v}
    return f"{base}{path}" + (f"?{urlencode(given)}" if given else "")


def layout(
    base: str,
    title: str,
    body: str,
    nav: Sequence[tuple[str, str, bool]] = (),
    note: str = "",
    script: str = "",
    refresh: str = "",
) -> str:
    """A whole page: head, the bar with its links (label, address, current), the body, and
    the one script (a file under /web/static) it may need; `refresh` moves on to an address."""
    current = ' aria-current="page"'
    links = "".join(
        f'<a href="{escape(url)}"{current if here else ""}>{escape(label)}</a>'
        for label, url, here in nav
    )
    flash = f'<p class="note" role="status">{escape(note)}</p>' if note else ""
    moving = f'<meta http-equiv="refresh" content="0;url={escape(refresh)}">' if refresh else ""
    tail = f'<script src="{base}/static/{script}" defer></script>' if script else ""
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8">{moving}'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)} · imagine-bot</title>"
        f'<link rel="stylesheet" href="{base}/static/web.css"></head><body>'
        f'<header class="bar"><span class="brand">imagine-bot</span><nav>{links}</nav></header>'
        f"<main><h1>{escape(title)}</h1>{flash}{body}</main>{tail}</body></html>"
    )


def refusal_page(base: str, title: str, message: str) -> str:
    """The page for a link or request turned away: what happened and what to do."""
    body = f'<section class="card refusal"><p>{escape(message)}</p></section>'
    return layout(base, title, body)


def hidden(**fields: str) -> str:
    """Hidden form fields (the CSRF token, the scope a form changes)."""
    return "".join(
        f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">' for k, v in fields.items()
    )


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], empty: str) -> str:
    """A table of already-escaped cells, or a quiet line when it has no rows."""
    if not rows:
        return f'<p class="quiet">{escape(empty)}</p>'
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    rows_html = f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody>"
    return f'<div class="scroll"><table>{rows_html}</table></div>'
