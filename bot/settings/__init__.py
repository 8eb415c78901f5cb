"""The settings, one class per concern; `bot.config.Settings` joins them into one."""
