from __future__ import annotations

import pytest

from tracepass.config import Settings
from tracepass.db.url import DatabaseURLError, to_async_url


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("sqlite:///var/x.db", "sqlite+aiosqlite:///var/x.db"),
        ("sqlite+aiosqlite:///var/x.db", "sqlite+aiosqlite:///var/x.db"),
        ("sqlite+pysqlite:///var/x.db", "sqlite+aiosqlite:///var/x.db"),
        (
            "postgresql://postgres@127.0.0.1:5432/db",
            "postgresql+asyncpg://postgres@127.0.0.1:5432/db",
        ),
        ("postgres://u:p@h/db", "postgresql+asyncpg://u:p@h/db"),
        ("postgresql+psycopg2://u@h/db", "postgresql+asyncpg://u@h/db"),
    ],
)
def test_user_urls_map_to_async_drivers(raw, expected):
    assert to_async_url(raw) == expected


@pytest.mark.parametrize("raw", ["mysql://x@y/z", "sqlite://", "::::"])
def test_unusable_urls_are_rejected(raw):
    with pytest.raises(DatabaseURLError):
        to_async_url(raw)


def test_default_database_is_sqlite_under_data_dir(tmp_path):
    settings = Settings(database_url=None, data_dir=tmp_path)
    assert settings.async_database_url == f"sqlite+aiosqlite:///{tmp_path}/tracepass.db"
