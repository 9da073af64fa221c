"""FakeRequest: a python-telegram-bot request backend wired straight into a FakeTelegram."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from telegram.request import BaseRequest, RequestData

from fakeapi.models import UploadedFile

if TYPE_CHECKING:
    from fakeapi.fake import FakeTelegram


def upload_from_field(field: Any) -> UploadedFile:
    """An UploadedFile from PTB's multipart (filename, content, mime type) tuple."""
    filename, content, mime_type = field
    if hasattr(content, "read"):
        content = content.read()
    return UploadedFile(filename or "file", bytes(content), mime_type or "application/octet-stream")


class FakeRequest(BaseRequest):
    """Sends PTB's requests to a FakeTelegram, encoded as a real HTTP server would see them."""

    __slots__ = ("_read_timeout", "_tg")

    def __init__(self, tg: FakeTelegram, read_timeout: float | None = 5.0):
        self._tg = tg
        self._read_timeout = read_timeout

    @property
    def read_timeout(self) -> float | None:
        """The default read timeout PTB adds to long-polling timeouts."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Pass the form fields (strings) and file parts to the fake; return its answer."""
        params: dict[str, Any] = dict(request_data.json_parameters) if request_data else {}
        files: dict[str, UploadedFile] = {}
        if request_data is not None and request_data.contains_files:
            files = {
                name: upload_from_field(field)
                for name, field in request_data.multipart_data.items()
            }
        return await self._tg.handle(method, url, params, files)
