"""Plausible media objects (PhotoSize lists, Document, Voice, ...) for stored files."""

from __future__ import annotations

from typing import Any

from fakeapi.models import StoredFile

DEFAULT_MIME = {
    "photo": "image/jpeg",
    "voice": "audio/ogg",
    "video": "video/mp4",
    "audio": "audio/mpeg",
    "animation": "video/mp4",
    "sticker": "image/webp",
    "video_note": "video/mp4",
    "document": "application/octet-stream",
}
MEDIA_KINDS = tuple(DEFAULT_MIME)


def _base(stored: StoredFile) -> dict[str, Any]:
    """file_id, file_unique_id and file_size of a stored file."""
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": len(stored.content),
    }


def media_object(kind: str, stored: StoredFile, params: dict[str, Any] | None = None) -> Any:
    """The JSON object a message carries for a file of the given kind."""
    params = params or {}
    base = _base(stored)
    duration = int(params.get("duration") or 1)
    if kind == "photo":
        small = {**base, "width": 90, "height": 67}
        return [small, {**base, "width": 800, "height": 600}]
    if kind == "sticker":
        return {**base, "type": "regular", "width": 512, "height": 512,
                "is_animated": False, "is_video": False}  # fmt: skip
    if kind == "video_note":
        return {**base, "length": int(params.get("length") or 240), "duration": duration}
    out: dict[str, Any] = {**base, "mime_type": stored.mime_type or DEFAULT_MIME[kind]}
    if kind in ("document", "video", "audio", "animation") and stored.file_name:
        out["file_name"] = stored.file_name
    if kind in ("video", "animation"):
        out.update(width=int(params.get("width") or 640), height=int(params.get("height") or 360))
    if kind in ("video", "animation", "voice", "audio"):
        out["duration"] = duration
    if kind == "audio":
        out.update({k: params[k] for k in ("performer", "title") if params.get(k)})
    return out
