"""The lifecycle of one request, written once for every surface (Discord, Slack, the CLI).

A surface turns its platform's event into an `Ask` and implements `Surface`; the `Runner`
does the rest: repeats, options, progress, the handler call, delivery and every word a
person reads.
"""

from bot.requests.ask import Ask, AskKind, Headline
from bot.requests.runner import Runner
from bot.requests.surface import Failure, Pace, Surface

__all__ = ["Ask", "AskKind", "Failure", "Headline", "Pace", "Runner", "Surface"]
