"""The SQL of the web face's signing key (migrations/sqlite/0005_web_secret.sql), the same
on both databases: the first process to offer a key keeps it, every later one reads it."""

from __future__ import annotations

OFFER_SECRET = (
    "INSERT INTO web_secret (id, secret, created_at) VALUES (1, :secret, :now) "
    "ON CONFLICT (id) DO NOTHING"
)
KEPT_SECRET = "SELECT secret FROM web_secret WHERE id = 1"
