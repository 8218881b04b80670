"""Load test on several processes (``python -m bench load``): two gunicorn app servers and two
Celery workers on the bench database, started here on loopback, and simulated users split
over both servers doing the day's mix (locust as a library, no web UI):

- consultants of local business services log in (password and authenticator code), search
  companies by name, open a company and log a visit on it (the form, with its CSRF token);
- hub triage staff log in and work through the referral queue (the queue, a filtered page,
  a referral);
- KKR Syddanmark viewers open the contract dashboard and the contract list.

Bounded in users (``--load-users``, 50) and time (``--load-seconds``, 120). The visits the
users log are deleted at the end, so the bench's row counts stay as loaded. Every process
started here is stopped at the end, whatever happens.

The users run in a child process (``bench.loadtest.run_swarm``): locust patches the
standard library with gevent on import, which the Django process here must not see.
"""

import datetime
import hashlib
import hmac
import json
import os
import random
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "Belastning-Knudepunkt-2026!"  # noqa: S105 - bench users, bench database only
CONTENT_MARK = "Belastningstest (bench)"
COPENHAGEN = ZoneInfo("Europe/Copenhagen")  # the users' today, as the server's
SEARCH_WORDS = ["jensen", "hansen", "nielsen", "aps", "pedersen", "andersen", "byg", "consult"]
# The local services of the largest municipalities (most companies to search and open).
CONSULTANT_MUNICIPALITIES = ["101", "751", "461", "851", "561", "621", "791", "615"]
SYD_OVERSIGHT = "KKR Syddanmark"
P95_TARGET_MS = 1000  # per page, loaded: what a user still calls quick


# --- The bench process: users, servers, workers --------------------------------------------


def run(*, users: int = 50, seconds: int = 120) -> list[tuple]:
    """Start the servers and workers, run the swarm, stop everything; results rows."""
    from django.conf import settings

    people = prepare_users(users)
    ports = [free_port(), free_port()]
    logs = Path(tempfile.mkdtemp(prefix="knudepunkt-load-"))
    env = process_environment(settings.DATABASES["default"], logs)
    processes = []
    try:
        processes += [start_server(port, env, logs / f"web{n}.log") for n, port in enumerate(ports)]
        processes += [start_worker(n, env, logs / f"worker{n}.log") for n in (1, 2)]
        for port in ports:
            wait_for_port(port, processes)
            warm_up(port)
        print(f"  2 app servers ({', '.join(map(str, ports))}), 2 workers; logs in {logs}")
        plan = {
            "hosts": [f"http://127.0.0.1:{port}" for port in ports],
            "users": users,
            "seconds": seconds,
            "people": people,
            "contract": dashboard_contract(),
        }
        stats = swarm(plan, logs)
    finally:
        for process in processes:
            stop(process)
        removed = remove_logged_visits()
        print(f"  stopped {len(processes)} processes; removed {removed} logged visits")
    return result_rows(stats, users, seconds)


def prepare_users(count: int) -> dict[str, list[dict]]:
    """Load-test users with a password and (where the role needs one) an authenticator app,
    made once and reused: 60% consultants, 20% triage, 20% viewers."""
    from crm.models import Membership, Operator

    hubs = list(Operator.objects.filter(kind=Operator.Kind.HUB).order_by("pk"))
    locals_ = [
        Operator.objects.get(name__endswith="(bench)", municipalities__code=code)
        for code in CONSULTANT_MUNICIPALITIES
    ]
    kkr = Operator.objects.get(name=SYD_OVERSIGHT)
    triage = max(1, count // 5)
    viewers = max(1, count // 5)
    consultants = count - triage - viewers
    return {
        "consultant": [consultant(n, locals_[n % len(locals_)]) for n in range(consultants)],
        "triage": [
            member(f"load-triage-{n}", hubs[n % len(hubs)], Membership.Role.TRIAGE)
            for n in range(triage)
        ],
        "viewer": [member(f"load-viewer-{n}", kkr, Membership.Role.VIEWER) for n in range(viewers)],
    }


def dashboard_contract() -> int:
    """The KKR Syddanmark contract (13 municipalities) its viewers open."""
    from contracts.models import Contract

    return Contract.objects.get(oversight__name=SYD_OVERSIGHT).pk


def member(username: str, operator, role: str) -> dict:
    from django.contrib.auth import get_user_model
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from crm.models import Membership
    from crm.security import requires_two_factor
    from crm.services import do_add_membership

    user, created = get_user_model().objects.get_or_create(username=username)
    if created:
        user.set_password(PASSWORD)
        user.save()
    if not Membership.objects.filter(user=user, operator=operator, role=role).exists():
        do_add_membership(user, operator, role)
    person = {"username": username, "password": PASSWORD, "user": user.pk, "key": None}
    if requires_two_factor(user):
        device, _ = TOTPDevice.objects.get_or_create(
            user=user, confirmed=True, defaults={"name": "load test"}
        )
        person["key"] = device.key
    return person


def consultant(n: int, operator) -> dict:
    """A consultant of ``operator`` with companies of its municipality to open."""
    from crm.models import Company, Membership

    person = member(f"load-consultant-{n}", operator, Membership.Role.CONSULTANT)
    municipality = operator.municipalities.get()
    person["operator"] = operator.pk
    person["companies"] = list(
        Company.objects.filter(municipality=municipality)
        .order_by("pk")
        .values_list("pk", flat=True)[n * 50 : n * 50 + 50]
    )
    return person


def process_environment(database: dict, logs: Path) -> dict:
    url = f"postgres://{database['USER']}:{database['PASSWORD'] or ''}@{database['HOST']}:"
    url += f"{database['PORT'] or 5432}/{database['NAME']}"
    redis = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    return dict(
        os.environ,
        DATABASE_URL=url,
        REDIS_URL=redis,
        CELERY_QUEUE="bench-load",
        HTTPS="false",
        DEBUG="false",
        ALLOWED_HOSTS="127.0.0.1",
        EMAIL_URL=f"filemail:///{logs}/mail",  # django-environ drops one leading slash
        DB_POOL_MAX_SIZE="4",
        AXES_FAILURE_LIMIT="1000",  # a mistyped code in the swarm locks nobody out
        LOG_LEVEL="WARNING",
    )


def start_server(port: int, env: dict, log: Path) -> subprocess.Popen:
    command = ["gunicorn", "crm.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "3"]
    return spawn([sys.executable, "-m", *command], env, log)


def start_worker(n: int, env: dict, log: Path) -> subprocess.Popen:
    command = ["celery", "-A", "crm", "worker", "--queues", "bench-load", "--concurrency", "1"]
    command += ["-n", f"load{n}@%h", "--without-gossip", "--without-mingle"]
    return spawn([sys.executable, "-m", *command], env, log)


def spawn(command: list[str], env: dict, log: Path) -> subprocess.Popen:
    with log.open("w") as output:
        return subprocess.Popen(  # noqa: S603 - our own interpreter and fixed arguments
            command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT
        )


def stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, processes: list, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(process.poll() is not None for process in processes):
            raise SystemExit("a server or worker of the load test stopped; see its log")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"no app server on port {port} after {timeout:.0f} s")


def warm_up(port: int) -> None:
    """A few pages per server first: each gunicorn worker loads the views on its first
    request, which is start-up, not load."""
    from urllib.request import urlopen

    for _ in range(6):
        with urlopen(f"http://127.0.0.1:{port}/login/", timeout=120) as response:  # noqa: S310
            response.read()


def swarm(plan: dict, logs: Path) -> dict:
    """The users, in a child process of their own (gevent); its statistics as a dict."""
    plan_file = logs / "plan.json"
    plan_file.write_text(json.dumps(plan))
    # locust first: it patches the standard library with gevent as it is imported.
    code = "import locust, sys; from bench.loadtest import run_swarm; run_swarm(sys.argv[1])"
    command = [sys.executable, "-c", code, str(plan_file)]
    child = subprocess.run(  # noqa: S603 - our own interpreter and module
        command, cwd=ROOT, capture_output=True, text=True, timeout=plan["seconds"] + 300
    )
    (logs / "swarm.log").write_text(child.stderr)
    if child.returncode:
        raise SystemExit(f"the load test's users failed:\n{child.stderr[-3000:]}")
    return json.loads(child.stdout.strip().splitlines()[-1])


def remove_logged_visits() -> int:
    from crm.models import GuidanceSession

    deleted, _ = GuidanceSession.objects.filter(content=CONTENT_MARK).delete()
    return deleted


def result_rows(stats: dict, users: int, seconds: int) -> list[tuple]:
    rows = [
        (
            f"load: {users} users {seconds} s, 2 servers + 2 workers: errors",
            f"{stats['errors']}" if stats["requests"] else "no requests",
            "0 errors",
        ),
        (f"load: requests ({stats['requests'] / seconds:.1f}/s)", f"{stats['requests']}", ""),
    ]
    for name, page in sorted(stats["pages"].items()):
        rows.append(
            (
                f"load p95: {name} ({page['count']} req)",
                f"{page['p95']:.0f} ms",
                f"< {P95_TARGET_MS} ms",
            )  # fmt: skip
        )
    for error in stats["error_list"][:10]:
        print(f"  error: {error}")
    return rows


# --- The child process: the simulated users -------------------------------------------------


def totp(key_hex: str, at: float | None = None) -> str:
    """The six digits an authenticator app shows (RFC 6238, 30 s steps, SHA-1)."""
    counter = int((at or time.time()) // 30)
    digest = hmac.new(bytes.fromhex(key_hex), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    code = (struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 1_000_000
    return f"{code:06d}"


def run_swarm(plan_file: str) -> None:
    import gevent
    from locust import HttpUser, between, task
    from locust.env import Environment

    plan = json.loads(Path(plan_file).read_text())
    hosts = plan["hosts"]
    handed_out = {"consultant": 0, "triage": 0, "viewer": 0, "host": 0}

    class Staff(HttpUser):
        abstract = True
        role = ""
        wait_time = between(1, 3)

        def __init__(self, environment):
            self.host = hosts[handed_out["host"] % len(hosts)]  # half on each server
            handed_out["host"] += 1
            super().__init__(environment)
            people = plan["people"][self.role]
            self.person = people[handed_out[self.role] % len(people)]
            handed_out[self.role] += 1

        def on_start(self):
            self.client.get("/login/", name="login page")
            response = self.post("/login/", {"username": self.person["username"],
                                             "password": self.person["password"]},
                                 name="login")  # fmt: skip
            if self.person["key"] and "/konto/totrin/" in (response.url or ""):
                self.post("/konto/totrin/", {"code": totp(self.person["key"])}, name="2fa code")

        def post(self, path: str, data: dict, *, name: str):
            token = self.client.cookies.get("csrftoken", "")
            headers = {"Referer": self.host + path}
            return self.client.post(path, {**data, "csrfmiddlewaretoken": token},
                                    headers=headers, name=name)  # fmt: skip

    class Consultant(Staff):
        role = "consultant"
        weight = 6

        @task(3)
        def search(self):
            self.client.get("/soeg/", name="search page")
            self.post("/soeg/", {"q": random.choice(SEARCH_WORDS)}, name="search")  # noqa: S311

        @task(3)
        def open_company(self):
            pk = random.choice(self.person["companies"])  # noqa: S311
            self.client.get(f"/virksomheder/{pk}/", name="company")

        @task(2)
        def log_visit(self):
            pk = random.choice(self.person["companies"])  # noqa: S311
            self.client.get(f"/virksomheder/{pk}/", name="company")
            form = {
                "date": datetime.datetime.now(COPENHAGEN).date().isoformat(),
                "operator": self.person["operator"],
                "consultants": self.person["user"],
                "tier": "local",
                "channel": "visit",
                "kind": "brief",
                "hours_before": "0",
                "hours_during": "1",
                "hours_after": "0",
                "content": CONTENT_MARK,
            }
            with self.client.post(
                f"/virksomheder/{pk}/vejledning/",
                {**form, "csrfmiddlewaretoken": self.client.cookies.get("csrftoken", "")},
                name="log visit",
                allow_redirects=False,
                catch_response=True,
            ) as response:
                if response.status_code != 302:
                    response.failure(f"visit not logged: {response.status_code}")

        @task(1)
        def company_list(self):
            self.client.get("/virksomheder/", name="company list")

    class Triage(Staff):
        role = "triage"
        weight = 2

        @task(3)
        def queue(self):
            self.client.get("/henvisninger/visitation/", name="triage queue")

        @task(1)
        def queue_page(self):
            self.client.get("/henvisninger/visitation/?page=2", name="triage queue page 2")

    class Viewer(Staff):
        role = "viewer"
        weight = 2

        @task(3)
        def dashboard(self):
            self.client.get(f"/kontrakter/{plan['contract']}/", name="contract dashboard")

        @task(1)
        def contracts(self):
            self.client.get("/kontrakter/", name="contract list")

    environment = Environment(user_classes=[Consultant, Triage, Viewer], events=None)
    runner = environment.create_local_runner()
    # The users arrive over the first sixth of the time (at least 5 s), as staff come in.
    ramp = max(5, plan["seconds"] / 6)
    runner.start(plan["users"], spawn_rate=plan["users"] / ramp)
    gevent.sleep(plan["seconds"])
    runner.quit()
    print(json.dumps(summary(environment.stats)))


def summary(stats) -> dict:
    pages = {
        entry.name: {
            "count": entry.num_requests,
            "failures": entry.num_failures,
            "p95": entry.get_response_time_percentile(0.95) or 0,
        }
        for entry in stats.entries.values()
    }
    errors = [f"{e.method} {e.name}: {e.error} ({e.occurrences}x)" for e in stats.errors.values()]
    return {
        "requests": stats.total.num_requests,
        "errors": stats.total.num_failures,
        "pages": pages,
        "error_list": errors,
    }
