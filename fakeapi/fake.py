"""FakeTelegram: the fake Bot API server state and its request dispatcher."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from fakeapi.api import HANDLERS
from fakeapi.errors import ApiError, bad_request
from fakeapi.faults import BAD_GATEWAY, Faults
from fakeapi.flood import FloodControl, FloodLimits
from fakeapi.models import ApiCall, FakeChat, FakeMessage, FakeUser, UploadedFile
from fakeapi.request import FakeRequest
from fakeapi.spec import MethodSpec, load_spec
from fakeapi.updates import UpdateBuilders
from fakeapi.validate import Checker, Decoder, result_problem

DEFAULT_TOKEN = "123456:TEST-token-for-the-fake-api-0000000"
_TOKEN_SHAPE = re.compile(r"(\d+:[A-Za-z0-9_-]+)/[^/]*\Z")
_NO_FLOOD = frozenset({"sendChatAction"})
_FLOODED = ("copyMessage", "copyMessages", "forwardMessage", "forwardMessages")

ChatRef = FakeChat | FakeUser | int


class FakeTelegram(UpdateBuilders):
    """A strict in-memory Telegram Bot API for one bot, driven by tests and demos."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        bot_username: str = "klaszter_test_bot",
        bot_first_name: str = "Klaszterbot",
        *,
        can_read_all_group_messages: bool = False,
        can_join_groups: bool = True,
        strict_params: bool = True,
        strict_html: bool = True,
        flood_limits: bool | FloodLimits = False,
        auto_deliver: bool = True,
        check_results: bool = True,
        callback_ttl: float = 900.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        bot = FakeUser(int(token.split(":", 1)[0]), bot_first_name, username=bot_username)
        bot.is_bot = True
        super().__init__(bot, can_read_all_group_messages, auto_deliver, clock)
        self.token = token
        self.can_join_groups = can_join_groups
        self.strict_html = strict_html
        self.callback_ttl = callback_ttl
        self.spec = load_spec()
        self.decoder = Decoder(self.spec, strict_params)
        self.result_checker = Checker(self.spec, strict=True) if check_results else None
        limits = FloodLimits() if flood_limits is True else flood_limits or None
        self.flood = FloodControl(limits, clock) if limits else None
        self.calls: list[ApiCall] = []
        self.base_urls: list[str] = []
        self.commands: dict[str, list[dict[str, str]]] = {}
        self.bot_texts: dict[tuple[str, str], str] = {}
        self.menu_buttons: dict[int, dict[str, Any]] = {}
        self.webhook_url: str | None = None
        #: Where updates are pushed (URL → secret token); ``fakeapi.webhook.Pusher`` does it.
        self.webhook_targets: dict[str, str | None] = {}
        #: Tests: keep every URL set and spread updates over them (replicas of one bot).
        self.webhook_spread = False
        #: Tests: accept plain http:// to a loopback address (a bot process on this machine).
        self.webhook_allow_http = False
        self.webhook_max_connections = 40
        #: (unix time, message) of the last failed push, as getWebhookInfo reports it.
        self.webhook_last_error: tuple[int, str] | None = None
        #: Injected faults (``Faults``), or none.
        self.faults: Faults | None = None

    # --- transports -------------------------------------------------------------------------

    def request(self, read_timeout: float | None = 5.0) -> FakeRequest:
        """A telegram.request.BaseRequest that talks to this fake in-process."""
        return FakeRequest(self, read_timeout=read_timeout)

    async def handle(
        self, http_method: str, url: str, params: dict[str, Any], files: dict[str, UploadedFile]
    ) -> tuple[int, bytes]:
        """Answer one HTTP request to <base_url><token>/<method> (or a file download)."""
        path = unquote(url.split("?", 1)[0])
        marker = self.token + "/"
        if marker not in path:
            code, text = (401, "Unauthorized") if _TOKEN_SHAPE.search(path) else (404, "Not Found")
            name = path.rsplit("/", 1)[-1]
            self.calls.append(ApiCall(name, dict(params), False, text, None, code))
            return code, _json({"ok": False, "error_code": code, "description": text})
        base, rest = path.split(marker, 1)
        if base not in self.base_urls:
            self.base_urls.append(base)
        if base.endswith("/file/bot") and http_method == "GET":
            return self._download(rest)
        call = ApiCall(rest, dict(params), False, None, None, base_url=base, files=dict(files))
        if self.keep_history:
            self.calls.append(call)
        try:
            spec = self.spec.method(rest)
            if spec is None:
                raise ApiError(404, "Not Found")
            call.method = spec.name
            call.params = self.decoder.decode(spec, params, files)
            strike = self.faults is not None and self.faults.strike(spec.name)
            if strike and self.faults is not None and not self.faults.after:
                call.error, call.error_code = "Bad Gateway", self.faults.status
                call.injected = True
                return self.faults.status, BAD_GATEWAY
            result = await self._run(spec, call.params, files)
            if strike and self.faults is not None:
                call.error, call.error_code = "Bad Gateway (after it took effect)", 502
                call.ok, call.result, call.injected = False, result, True
                return self.faults.status, BAD_GATEWAY
        except ApiError as exc:
            call.error, call.error_code = exc.description, exc.code
            return exc.code, _json(exc.payload())
        call.ok, call.result = True, result
        return 200, _json({"ok": True, "result": result})

    def _download(self, file_path: str) -> tuple[int, bytes]:
        """The bytes of a file by the file_path getFile gave out."""
        for stored in self.files.values():
            if stored.file_path == file_path:
                return 200, stored.content
        return 404, _json({"ok": False, "error_code": 404, "description": "Not Found"})

    async def _run(self, spec: MethodSpec, params: dict[str, Any], files: dict[str, Any]) -> Any:
        """Run a decoded method call and check its result against the spec."""
        if spec.name == "getUpdates":
            result: Any = await self._get_updates(params)
        else:
            result = self._invoke(spec, params, files)
        if self.result_checker is not None:
            problem = result_problem(self.result_checker, result, spec.returns)
            if problem is not None:
                raise ApiError(500, f"fakeapi bug: {spec.name} result breaks the spec: {problem}")
        return result

    def _invoke(self, spec: MethodSpec, params: dict[str, Any], files: dict[str, Any]) -> Any:
        """Call the method's handler, with flood control around message senders."""
        handler = HANDLERS.get(spec.name)
        if handler is None:
            if spec.returns != ("Boolean",):
                raise bad_request("method not supported by the fake")
            return True
        flood_chat = self._flood_chat(spec.name, params)
        count = len(params.get("media") or ()) if spec.name == "sendMediaGroup" else 1
        if flood_chat is not None and self.flood is not None:
            self.flood.check(flood_chat.id, flood_chat.type != "private", count)
        result = handler(self, params, files)
        if flood_chat is not None and self.flood is not None:
            self.flood.record(flood_chat.id, flood_chat.type != "private", count)
        return result

    def _flood_chat(self, name: str, params: dict[str, Any]) -> FakeChat | None:
        """The chat a message-sending call counts against, if flood control applies."""
        if self.flood is None or name in _NO_FLOOD:
            return None
        if not (name.startswith("send") or name in _FLOODED):
            return None
        try:
            return self.resolve_chat(params["chat_id"])
        except ApiError:
            return None

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        """getUpdates: long polling on the update queue."""
        if self.webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        limit = params.get("limit") or 100
        if not 1 <= limit <= 100:
            limit = 100
        return await self.queue.get(
            params.get("offset"), limit, params.get("timeout") or 0, params.get("allowed_updates")
        )

    # --- inspection -------------------------------------------------------------------------

    def _chat_id(self, chat: ChatRef) -> int:
        """The chat id of a chat, a user (their private chat) or an id."""
        return chat if isinstance(chat, int) else chat.id

    def history(self, chat: ChatRef) -> list[FakeMessage]:
        """Every live message of a chat (the bot's and users'), oldest first."""
        return [m for m in self.chat_messages.get(self._chat_id(chat), []) if not m.deleted]

    def outbox(self, chat: ChatRef) -> list[FakeMessage]:
        """The bot's live messages in a chat, oldest first, with edits applied."""
        return [m for m in self.history(chat) if m.from_bot]

    def last_sent(self, chat: ChatRef) -> FakeMessage:
        """The bot's most recent live message in a chat."""
        sent = self.outbox(chat)
        if not sent:
            raise LookupError(f"the bot has no messages in chat {self._chat_id(chat)}")
        return sent[-1]

    def find_message(self, chat: ChatRef, message_id: int) -> FakeMessage:
        """A message by chat and id (deleted ones included)."""
        return self.messages[(self._chat_id(chat), message_id)]

    def calls_to(self, method_name: str) -> list[ApiCall]:
        """The recorded calls of one method."""
        return [c for c in self.calls if c.method == method_name]

    def clear_calls(self) -> None:
        """Forget the recorded calls."""
        self.calls.clear()

    @property
    def flood_hits(self) -> int:
        """How many 429 answers flood control has given."""
        return self.flood.hits if self.flood else 0

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates queued and not yet confirmed by getUpdates."""
        return list(self.queue.pending)

    def callback_answer(self, update: dict[str, Any] | str) -> dict[str, Any] | None:
        """How the bot answered a callback query (None if not yet answered)."""
        query_id = update if isinstance(update, str) else update["callback_query"]["id"]
        query = self.callbacks[query_id]
        return query.answer if query.answered else None


def _json(body: Any) -> bytes:
    """Serialize a response body like Telegram (UTF-8 JSON)."""
    return json.dumps(body, ensure_ascii=False).encode("utf-8")
