"""The Slack adapter: slash command, message shortcuts, mentions, buttons and uploads."""

from adapters.slack.app import EVENTS_PATH, REQUIRED_SCOPES, SlackAdapter

__all__ = ["EVENTS_PATH", "REQUIRED_SCOPES", "SlackAdapter"]
