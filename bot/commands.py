"""What the bot's commands are: a command's spec, the registry /help and the menus read, and the
handler groups. No handler logic here (that is ``bot.access``), so everything may import it."""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from telegram import Update

from bot.services.roles import Permission, Standing, allows

if TYPE_CHECKING:
    from bot.context import BotContext

Callback = Callable[[Update, "BotContext"], Awaitable[None]]


class Group(enum.IntEnum):
    """Handler groups. PTB runs one handler per group, groups in ascending order."""

    #: Before everything: bookkeeping that must see every update (e.g. deliveries on /start).
    EARLY = -10
    #: A command ends the person's pending dialogues before it runs (``bot.dialogues``).
    DIALOGUES = -2
    #: Commands, buttons and conversations.
    DEFAULT = 0
    #: Free text that belongs to nobody else: messages routed to a katalizátor.
    ROUTING = 50
    #: Last: a short hint for what nobody else answered (``bot.handlers.fallback``).
    FALLBACK = 100


class ShowUsage(Exception):
    """A command's arguments are missing or malformed: the gate answers with its ``usage``."""


@dataclass(frozen=True)
class CommandSpec:
    """A command: names, who may use it, its one-line help, and its handler."""

    name: str
    description: str
    permission: Permission
    callback: Callback
    english: str | None = None
    aliases: tuple[str, ...] = ()
    private_only: bool = False
    group_only: bool = False
    in_menu: bool = True
    #: The handler is registered by the feature itself (a conversation's entry point).
    own_handler: bool = False
    #: Longer usage shown under the command in /help (an ``N_()``-marked text; ``{command}``
    #: names the command in the reader's language, as in ``usage``).
    help_note: str | None = None
    #: How to call it, the answer when its arguments are missing (``raise ShowUsage``): an
    #: ``N_()``-marked text with ``{command}``, which names the command in the reader's language.
    usage: str | None = None

    @property
    def english_name(self) -> str:
        """The name shown to English clients (the Hungarian one when there is no English one)."""
        return self.english or self.name

    @property
    def names(self) -> tuple[str, ...]:
        """Every name the command answers to."""
        return tuple(dict.fromkeys((self.name, self.english_name, *self.aliases)))


@dataclass
class CommandRegistry:
    """Every command the bot knows, in registration order: /help and the menus read it."""

    specs: list[CommandSpec] = field(default_factory=list)
    #: Every name of every command (looked up on every command a person sends).
    names: set[str] = field(default_factory=set)

    def add(self, spec: CommandSpec) -> None:
        clash = self.names & set(spec.names)
        if clash:
            raise ValueError(f"command name registered twice: {sorted(clash)}")
        self.specs.append(spec)
        self.names.update(spec.names)

    def __iter__(self) -> Iterator[CommandSpec]:
        return iter(self.specs)

    def available_to(self, standing: Standing) -> list[CommandSpec]:
        """The commands this caller may use."""
        return [s for s in self.specs if allows(s.permission, standing)]
