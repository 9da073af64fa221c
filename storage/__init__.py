"""Persistence: engine and unit of work, typed models, repositories and Alembic migrations."""
