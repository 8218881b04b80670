"""The bench's own database: ``<name>_bench`` on the server of ``DATABASE_URL``.

``DATABASE_URL`` is pointed at the bench database before Django reads its settings, so no
connection to the dev database is ever opened; ``check_connected`` verifies it.
"""

import os
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/knudepunkt"


def bench_url(url: str) -> tuple[str, str]:
    """The bench database's URL and name for the server and database of ``url``."""
    parts = urlsplit(url)
    name = f"{parts.path.lstrip('/') or 'knudepunkt'}_bench"
    return urlunsplit(parts._replace(path=f"/{name}")), name


def create_database(url: str, name: str) -> bool:
    """Create database ``name`` on the server of ``url`` unless it exists; True if created."""
    maintenance = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if not exists:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return not exists


def use_bench_database() -> str:
    """Create the bench database, point Django at it and set Django up; returns its name."""
    url, name = bench_url(os.environ.get("DATABASE_URL", DEFAULT_URL))
    create_database(url, name)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")
    import django
    from django.conf import settings

    settings.DATABASES["default"]["NAME"] = name  # the override, whatever the settings parsed
    django.setup()
    check_connected(name)
    return name


def check_connected(name: str) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT current_database()")
        current = cursor.fetchone()[0]
    if current != name:
        raise SystemExit(f"Refusing to run: connected to {current!r}, not {name!r}.")
