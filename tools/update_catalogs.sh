#!/usr/bin/env bash
# Extract every message from the code and merge it into the catalogs (Hungarian first, English).
# Then fill in the Hungarian msgstr of new entries; tests/test_i18n.py fails until you do.
set -euo pipefail
cd "$(dirname "$0")/.."
pybabel -q extract -F babel.cfg -k N_ -k pgettext:1c,2 --no-wrap --sort-by-file \
    --project=klaszterbot --copyright-holder=Klaszterbot -o bot/locales/messages.pot .
for lang in hu en; do
    pybabel -q update -i bot/locales/messages.pot -d bot/locales -D messages -l "$lang" \
        --no-wrap --ignore-obsolete --no-fuzzy-matching
done
