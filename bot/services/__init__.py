"""The cluster's rules, with no Telegram imports: plain functions over ids, strings, dataclasses."""
