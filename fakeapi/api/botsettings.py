"""Callback answers, getMe, webhooks, commands and the bot's own texts."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from fakeapi.api.registry import HANDLERS, Files, Params, method
from fakeapi.errors import bad_request

if TYPE_CHECKING:
    from fakeapi.fake import FakeTelegram

_COMMAND = re.compile(r"[a-z0-9_]{1,32}\Z")


@method("answerCallbackQuery")
def answer_callback_query(tg: FakeTelegram, p: Params, files: Files) -> Any:
    """answerCallbackQuery: once per query, before it expires, text up to 200 characters."""
    query = tg.callbacks.get(p["callback_query_id"])
    if query is None or query.answered or tg.clock() - query.created > tg.callback_ttl:
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    if len(p.get("text") or "") > 200:
        raise bad_request("MESSAGE_TOO_LONG")
    start_link = rf"https?://t\.me/{re.escape(tg.bot.username or '')}\?start="
    if p.get("url") and not re.match(start_link, p["url"], re.IGNORECASE):
        raise bad_request("URL_INVALID")
    query.answered = True
    query.answer = {k: v for k, v in p.items() if k != "callback_query_id"}
    return True


@method("getMe")
def get_me(tg: FakeTelegram, p: Params, files: Files) -> Any:
    """getMe: the bot user with its capabilities."""
    return {
        **tg.bot.to_dict(),
        "can_join_groups": tg.can_join_groups,
        "can_read_all_group_messages": tg.can_read_all_group_messages,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


@method("logOut", "close")
def log_out(tg: FakeTelegram, p: Params, files: Files) -> Any:
    """logOut/close: accepted."""
    return True


@method("setWebhook")
def set_webhook(tg: FakeTelegram, p: Params, files: Files) -> Any:
    """setWebhook: an HTTPS URL on a port Telegram serves (plain HTTP to loopback only when the
    test allows it), an optional secret token; getUpdates then answers 409 until deleteWebhook.
    With ``tg.webhook_spread`` every URL set is kept and updates are spread over them."""
    url = p["url"]
    secret = p.get("secret_token")
    if secret is not None and not _SECRET.match(secret):
        raise bad_request("secret token contains unallowed characters")
    if not 1 <= p.get("max_connections", 40) <= 100:
        raise bad_request("bad webhook: max_connections must be between 1 and 100")
    if url:
        _check_webhook_url(tg, url)
    if p.get("drop_pending_updates"):
        tg.queue.clear()
    if p.get("allowed_updates") is not None:
        tg.queue.allowed = frozenset(p["allowed_updates"]) or None
    tg.webhook_url = url or None
    if not url:
        tg.webhook_targets.clear()
    elif tg.webhook_spread:
        tg.webhook_targets[url] = secret
    else:
        tg.webhook_targets = {url: secret}
    tg.webhook_max_connections = p.get("max_connections", 40)
    tg.queue.wake_listeners()
    return True


_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


def _check_webhook_url(tg: FakeTelegram, url: str) -> None:
    """Telegram's rules for a webhook URL (HTTPS, ports 443, 80, 88 or 8443)."""
    parts = urlsplit(url)
    unresolved = "bad webhook: Failed to resolve host: Name or service not known"
    try:
        port = parts.port
    except ValueError:
        raise bad_request(unresolved) from None
    if parts.scheme == "http" and tg.webhook_allow_http and parts.hostname in _LOOPBACK:
        return  # a test's bot on loopback
    if parts.scheme != "https":
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    if not parts.hostname:
        raise bad_request(unresolved)
    if port not in (None, 443, 80, 88, 8443):
        raise bad_request("bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443")


@method("deleteWebhook")
def delete_webhook(tg: FakeTelegram, p: Params, files: Files) -> Any:
    """deleteWebhook: back to getUpdates, optionally dropping pending updates."""
    if p.get("drop_pending_updates"):
        tg.queue.clear()
    tg.webhook_url = None
    tg.webhook_targets.clear()
    return True


@method("getWebhookInfo")
def get_webhook_info(tg: FakeTelegram, p: Params, files: Files) -> Any:
    """getWebhookInfo: the webhook URL ("" when polling) and the pending count."""
    info: dict[str, Any] = {
        "url": tg.webhook_url or "",
        "has_custom_certificate": False,
        "pending_update_count": len(tg.queue.pending),
    }
    if tg.webhook_url:
        info["max_connections"] = tg.webhook_max_connections
    if tg.webhook_last_error is not None:
        info["last_error_date"], info["last_error_message"] = tg.webhook_last_error
    if tg.queue.allowed is not None:
        info["allowed_updates"] = sorted(tg.queue.allowed)
    return info


def _scope_key(tg: FakeTelegram, p: Params) -> str:
    """A canonical key for a command scope + language, checking both."""
    scope = p.get("scope") or {"type": "default"}
    if "chat_id" in scope:
        tg.resolve_chat(scope["chat_id"])
    if "user_id" in scope and scope["user_id"] not in tg.users:
        raise bad_request("user not found")
    language = p.get("language_code") or ""
    if language and not re.fullmatch(r"[a-z]{2}", language):
        raise bad_request("invalid language code specified")
    return json.dumps([scope, language], sort_keys=True)


@method("setMyCommands")
def set_my_commands(tg: FakeTelegram, p: Params, files: Files) -> Any:
    """setMyCommands: up to 100 commands, names [a-z0-9_]{1,32}, descriptions 1-256."""
    commands = p["commands"]
    if len(commands) > 100:
        raise bad_request("BOT_COMMANDS_TOO_MUCH")
    for cmd in commands:
        if not cmd["command"]:
            raise bad_request("command must be non-empty")
        if not cmd["description"].strip():
            raise bad_request("command description must be non-empty")
        if not _COMMAND.match(cmd["command"]):
            raise bad_request("BOT_COMMAND_INVALID")
        if len(cmd["description"]) > 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
    key = _scope_key(tg, p)
    if commands:
        tg.commands[key] = [{"command": c["command"], "description": c["description"]}
                            for c in commands]  # fmt: skip
    else:
        tg.commands.pop(key, None)
    return True


@method("getMyCommands")
def get_my_commands(tg: FakeTelegram, p: Params, files: Files) -> Any:
    """getMyCommands: the list set for exactly this scope and language."""
    return tg.commands.get(_scope_key(tg, p), [])


@method("deleteMyCommands")
def delete_my_commands(tg: FakeTelegram, p: Params, files: Files) -> Any:
    """deleteMyCommands: forget the list of this scope and language."""
    tg.commands.pop(_scope_key(tg, p), None)
    return True


_BOT_TEXTS = {"name": 64, "description": 512, "short_description": 120}


def _bot_text_handlers(field: str, camel: str) -> None:
    """Register setMy<X>/getMy<X> for a per-language bot text."""

    def setter(tg: FakeTelegram, p: Params, files: Files) -> Any:
        """Store the text for a language ("" removes it)."""
        value = p.get(field) or ""
        if len(value) > _BOT_TEXTS[field]:
            raise bad_request(f"bot {field.replace('_', ' ')} is too long")
        tg.bot_texts[(field, p.get("language_code") or "")] = value
        return True

    def getter(tg: FakeTelegram, p: Params, files: Files) -> Any:
        """Return the text for a language, falling back to the default one."""
        lang = p.get("language_code") or ""
        value = tg.bot_texts.get((field, lang)) or tg.bot_texts.get((field, ""), "")
        if field == "name" and not value:
            value = tg.bot.first_name
        return {field: value}

    HANDLERS[f"setMy{camel}"] = setter
    HANDLERS[f"getMy{camel}"] = getter


for _field, _camel in (("name", "Name"), ("description", "Description"),
                       ("short_description", "ShortDescription")):  # fmt: skip
    _bot_text_handlers(_field, _camel)


@method("setChatMenuButton")
def set_chat_menu_button(tg: FakeTelegram, p: Params, files: Files) -> Any:
    """setChatMenuButton: store the menu button (default or per private chat)."""
    key = 0
    if p.get("chat_id") is not None:
        chat = tg.resolve_chat(p["chat_id"])
        if chat.type != "private":
            raise bad_request("chat_id must be a private chat")  # "the target private chat"
        key = chat.id
    button = p.get("menu_button") or {"type": "default"}
    if button.get("type") == "web_app" and not button["web_app"]["url"].startswith("https://"):
        raise bad_request("BUTTON_URL_INVALID")
    if button.get("type") == "web_app" and not button.get("text", "").strip():
        raise bad_request("BUTTON_TEXT_INVALID")
    tg.menu_buttons[key] = button
    return True


@method("getChatMenuButton")
def get_chat_menu_button(tg: FakeTelegram, p: Params, files: Files) -> Any:
    """getChatMenuButton: the stored menu button, else the default one."""
    key = tg.resolve_chat(p["chat_id"]).id if p.get("chat_id") is not None else 0
    return tg.menu_buttons.get(key) or tg.menu_buttons.get(0) or {"type": "commands"}
