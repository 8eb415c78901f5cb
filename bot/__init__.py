"""imagine-bot: AI image generation for Discord and Slack (the platform-free core)."""
