"""Persistence: SQLAlchemy tables, repositories, sessions and Alembic migrations."""
