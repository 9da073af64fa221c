"""Pending dialogues of a person, and the rule that the last command wins.

A dialogue is anything that waits for the person's next free message: a conversation (the
ballot wizard, a comment prompt, the announcement wizard, the progress-note prompt) or the
routing session after /katalizator. A person has at most one: every command in a private chat,
and every button that opens a dialogue (``begin``), ends the others first and says which it
ended, so the next message never lands in a dialogue the person has left behind.

Features declare their dialogues with ``add_conversation`` (a ``ConversationHandler``) or
``add`` (a dialogue kept elsewhere, e.g. in the database); the early hook (``Group.DIALOGUES``)
does the rest.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import Application, ConversationHandler, MessageHandler, filters

from bot.commands import Group
from bot.views.dialogues import ended_notice

if TYPE_CHECKING:
    from bot.context import BotContext, UserData

log = logging.getLogger(__name__)

Check = Callable[[Update, "BotContext"], Awaitable[bool]]
End = Callable[[Update, "BotContext"], Awaitable[None]]

#: Commands that end a dialogue themselves (they answer "Cancelled." or close the session).
SELF_ENDING = frozenset({"megse", "cancel"})


@dataclass(frozen=True)
class Dialogue:
    """One kind of dialogue: how to tell whether it is pending for the update's person and
    chat, how to end it, and the commands that belong to it (they do not end it)."""

    name: str
    #: An ``N_()``-marked noun phrase: "the comment on a ballot".
    label: str
    pending: Check
    end: End
    commands: frozenset[str] = frozenset()
    #: It may wait for a button (a conversation step); free text it did not take gets the
    #: "use the buttons" hint. A routing session takes any text: False.
    may_wait_for_buttons: bool = True


@dataclass
class Dialogues:
    """Every dialogue kind of the bot (in ``BotData.dialogues``)."""

    kinds: list[Dialogue] = field(default_factory=list)

    def add(self, dialogue: Dialogue) -> None:
        if any(d.name == dialogue.name for d in self.kinds):
            raise ValueError(f"dialogue registered twice: {dialogue.name}")
        self.kinds.append(dialogue)

    async def end_others(
        self, update: Update, context: BotContext, *, keep: str | None = None, command: str = ""
    ) -> list[Dialogue]:
        """End every pending dialogue of the update's person but ``keep`` (and those that
        ``command`` belongs to); returns the ended ones."""
        ended = []
        for dialogue in self.kinds:
            if dialogue.name == keep or command in dialogue.commands:
                continue
            if await dialogue.pending(update, context):
                await dialogue.end(update, context)
                ended.append(dialogue)
        return ended


def registry(app: Any) -> Dialogues:
    return app.bot_data.dialogues  # type: ignore[no-any-return]


def add(app: Application[Any, Any, Any, Any, Any, Any], dialogue: Dialogue) -> None:
    """Declare a dialogue that is not a ``ConversationHandler``."""
    registry(app).add(dialogue)


def add_conversation(
    app: Application[Any, Any, Any, Any, Any, Any],
    handler: ConversationHandler[Any],
    label: str,
    forget: Callable[[UserData], None],
    commands: Iterable[str] = (),
) -> None:
    """Add the conversation to the application and declare it as a dialogue; ``forget``
    clears its ``UserData`` fields when another command ends it."""
    app.add_handler(handler)

    async def pending(update: Update, context: BotContext) -> bool:
        if update.effective_chat is None or update.effective_user is None:
            return False
        # PTB has no public API to end a conversation from outside it (nor to read its
        # state); tests/e2e/test_dialogues.py pins this use of its internals.
        key = handler._get_key(update)
        return handler._conversations.get(key) is not None

    async def end(update: Update, context: BotContext) -> None:
        key = handler._get_key(update)
        handler._update_state(ConversationHandler.END, key)
        job = handler.timeout_jobs.pop(key, None)
        if job is not None:
            job.schedule_removal()
        if context.user_data is not None:
            forget(context.user_data)

    assert handler.name is not None
    registry(app).add(Dialogue(handler.name, label, pending, end, frozenset(commands)))


async def begin(update: Update, context: BotContext, name: str) -> None:
    """A button opens dialogue ``name``: end the person's other dialogues, saying so."""
    await _end_and_tell(update, context, keep=name)


def command_of(text: str, bot_username: str) -> str:
    """``/Name@bot args`` → ``name`` (empty when addressed to another bot)."""
    head = text.split(None, 1)[0][1:] if text.startswith("/") and len(text) > 1 else ""
    name, _, target = head.partition("@")
    if target and target.casefold() != bot_username.casefold():
        return ""
    return name.casefold()


async def on_command(update: Update, context: BotContext) -> None:
    """A command in a private chat: it ends every pending dialogue it does not belong to."""
    message = update.effective_message
    if message is None or not message.text:
        return
    command = command_of(message.text, context.bot.username)
    if not command or command in SELF_ENDING:
        return
    if command not in context.bot_data.commands.names:
        return  # a typo ends nothing; the fallback answers it
    await _end_and_tell(update, context, command=command)


async def _end_and_tell(
    update: Update, context: BotContext, *, keep: str | None = None, command: str = ""
) -> None:
    chat = update.effective_chat
    if chat is None or chat.type != ChatType.PRIVATE:
        return
    await context.load_caller(update)
    ended = await registry(context.application).end_others(
        update, context, keep=keep, command=command
    )
    if not ended:
        return
    log.info(
        "ended dialogues %s of telegram user %s",
        ",".join(d.name for d in ended),
        context.caller.telegram_id,
    )
    await context.bot.send_message(chat.id, ended_notice(context.t, [d.label for d in ended]))


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """The early hook that ends dialogues on a new command."""
    app.add_handler(
        MessageHandler(
            filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE & filters.COMMAND, on_command
        ),
        group=Group.DIALOGUES,
    )
