"""A strict fake of the Telegram Bot API for end-to-end tests, demos and benchmarks."""

from fakeapi.errors import ApiError
from fakeapi.fake import DEFAULT_TOKEN, FakeTelegram
from fakeapi.faults import Faults
from fakeapi.flood import FloodLimits
from fakeapi.http import serve
from fakeapi.models import ApiCall, FakeChat, FakeMessage, FakeUser, UploadedFile
from fakeapi.request import FakeRequest

__all__ = [
    "DEFAULT_TOKEN",
    "ApiCall",
    "ApiError",
    "FakeChat",
    "FakeMessage",
    "FakeRequest",
    "FakeTelegram",
    "FakeUser",
    "Faults",
    "FloodLimits",
    "UploadedFile",
    "serve",
]
