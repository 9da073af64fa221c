"""The container files (Docker cannot run here): what they name must exist in the code."""

from __future__ import annotations

import re
from pathlib import Path

from bot.cli import build_parser
from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def test_compose_sets_only_known_settings() -> None:
    compose = (ROOT / "compose.yaml").read_text(encoding="utf-8")
    block = compose.split("x-bot-environment: &bot-environment\n", 1)[1].split("\n\n", 1)[0]
    names = re.findall(r"^  ([A-Z_]+):", block, re.MULTILINE)
    assert {"TELEGRAM_BOT_TOKEN", "DATABASE_URL", "WEBHOOK_URL", "WEBHOOK_SECRET"} <= set(names)
    assert {n.lower() for n in names} <= set(Settings.model_fields), names
    assert "replicas: 2" in compose and "postgres:" in compose and "caddy:" in compose
    for command in re.findall(r"command: \[(.*)\]", compose):
        words = [w.strip().strip('"') for w in command.split(",")]
        build_parser().parse_args(words)  # a subcommand the CLI knows


def test_dockerfile_is_slim_non_root_and_compiles_the_catalogs() -> None:
    docker = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.\d+-slim", docker, re.MULTILINE)
    users = re.findall(r"^USER (\S+)", docker, re.MULTILINE)
    assert users and users[-1] not in ("root", "0")
    assert "from bot.i18n import compile_catalogs" in docker
    for env in re.findall(r"^\s+([A-Z_]+)=", docker, re.MULTILINE):
        if env.startswith(("PYTHON", "PIP", "MPL")) or env == "PATH":
            continue
        assert env.lower() in Settings.model_fields, env
    caddy = (ROOT / "deploy" / "Caddyfile").read_text(encoding="utf-8")
    assert "handle /telegram" in caddy and "compose.yaml" in docker
    compose = (ROOT / "compose.yaml").read_text(encoding="utf-8")
    assert re.search(r"WEBHOOK_URL: https://.*\}/telegram$", compose, re.MULTILINE)
