"""The settings, one class per concern and one row per setting (bot/settings/base.py says how
a row reads); `bot.config.Settings` joins them into one."""
