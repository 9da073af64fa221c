#!/usr/bin/env bash
# Run the bot: installs it into .venv on first use, upgrades the database, serves Telegram.
# Settings come from the environment or .env (see .env.example); TELEGRAM_BOT_TOKEN is required.
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -x .venv/bin/klaszterbot ] || [ pyproject.toml -nt .venv/.installed ]; then
    python3 -m venv .venv
    .venv/bin/pip install -q --upgrade pip
    .venv/bin/pip install -q -e .
    touch .venv/.installed
fi
exec .venv/bin/klaszterbot run "$@"
