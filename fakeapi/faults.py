"""Injected faults: the fake answers a share of calls as an overloaded Telegram does.

``tg.faults = Faults(rate=0.1)`` answers one in ten sending and editing calls with ``502 Bad
Gateway`` (an nginx HTML page, as Telegram's front end sends it), chosen by a seeded random, so a
test is repeatable. ``after=True`` makes the fault strike after the call took effect (the
message exists, the answer is lost), which is what makes retries deliver twice.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

#: Calls that send or change messages, and the answers to button presses.
SENDING = frozenset(
    {
        "sendMessage", "sendPhoto", "sendDocument", "sendMediaGroup", "sendVideo", "sendAudio",
        "sendVoice", "sendAnimation", "sendSticker", "copyMessage", "copyMessages",
        "forwardMessage", "forwardMessages", "editMessageText", "editMessageReplyMarkup",
        "editMessageCaption", "answerCallbackQuery", "pinChatMessage", "setMessageReaction",
    }
)  # fmt: skip

BAD_GATEWAY = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    b"</body>\r\n</html>\r\n"
)


@dataclass
class Faults:
    """Which calls fail, how often, and how."""

    rate: float = 0.1
    status: int = 502
    methods: frozenset[str] = SENDING
    after: bool = False
    seed: int = 1
    #: How many faults were injected (per method).
    injected: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)

    def strike(self, method: str) -> bool:
        """Whether this call fails."""
        if method not in self.methods or self._random.random() >= self.rate:
            return False
        self.injected[method] = self.injected.get(method, 0) + 1
        return True

    @property
    def total(self) -> int:
        return sum(self.injected.values())
