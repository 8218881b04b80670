"""``make run`` gets a real Redis-protocol broker without an installed Redis."""

import os
import subprocess
import sys

# The command devservices execs into: it reads REDIS_URL as bin/serve's worker and beat do,
# pings, and shuts the server down (it outlives the command otherwise).
PING = (
    "import os, redis; r = redis.Redis.from_url(os.environ['REDIS_URL']); "
    "print(r.ping()); r.shutdown(nosave=True)"
)


def test_broker_flag_starts_an_embedded_server_that_answers_ping():
    # No redis-server on PATH and no REDIS_URL: the bundled Valkey server must be started.
    env = {"DATABASE_URL": os.environ["DATABASE_URL"], "PATH": "", "HOME": os.environ["HOME"]}
    done = subprocess.run(  # noqa: S603 - our own module with fixed arguments
        [sys.executable, "-m", "crm.devservices", "--broker", "--", sys.executable, "-c", PING],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "True"
