"""Rendering: small functions that turn domain data into translated HTML text and keyboards."""
