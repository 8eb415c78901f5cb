"""The web face: a spending dashboard for admins and the Vary Region editor, served by the
bot's own HTTP server under IMAGINE_PUBLIC_URL, entered by signed, expiring links."""
