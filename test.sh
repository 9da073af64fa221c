#!/usr/bin/env bash
# Run the tests (pytest): installs the project with its dev tools into .venv on first use.
# Set TEST_DATABASE_URL=postgresql+asyncpg://user@host/db to run them against PostgreSQL too.
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -x .venv/bin/pytest ] || [ pyproject.toml -nt .venv/.installed-dev ]; then
    python3 -m venv .venv
    .venv/bin/pip install -q --upgrade pip
    .venv/bin/pip install -q -e ".[dev]"
    touch .venv/.installed .venv/.installed-dev
fi
exec .venv/bin/pytest "$@"
