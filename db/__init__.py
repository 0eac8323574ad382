"""Database: typed SQLAlchemy 2 models, session factory (no engine at import time), alembic."""
