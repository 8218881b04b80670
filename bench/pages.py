"""The pages users open all day, over real HTTP (``python -m bench pages``).

One gunicorn (2 workers, DEBUG off) serves the bench database on a free loopback port; each
bench user logs in through the login form (and the second factor, where the role needs one)
with ``requests``, as a browser would. Every row is the 95th percentile of ``RUNS`` timed
requests after warm-ups, and its reference is measured in the same run, round-robin with it,
so background load hits both alike:

- the sessions list (HTML and API) and the company list: what scoping adds to the SQL that
  builds the rows (the rights look-up plus every statement the view runs on the list's table,
  captured from the same request made in-process and replayed with psycopg, against those
  statements alone, with the municipality ids as constants in them, as ``crm.scoping`` puts
  them there: a statement that still reads guardian's tables fails the row); and, for the
  record, the page over HTTP against the logged-in empty view;
- the company list's deepest page against its first;
- the name search (the htmx POST the search box sends) and the contract dashboard against the
  logged-in empty view (the notifications inbox of the same user);
- the spelling correction in-process (``crm.queries.spellings_of``) against the prefix look-up
  a correctly typed word takes.

Users: a consultant of Viborg's local business service (1 municipality), a triage user of
Erhvervshus Midtjylland (the 19-municipality hub of the issue's figures) and a reader of KKR
Syddanmark, the oversight of the 13-municipality Syddanmark contract (``bench.national``).
"""

import logging
import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from bench import national
from bench.results import Row, timed_row
from crm import security
from crm.models import Membership, Municipality, Operator, SearchWord
from crm.queries import spellings_of
from crm.services import do_add_membership, do_set_operator_municipalities

RUNS = 30
WARM_UPS = 3
BUDGET_SECONDS = 25.0  # per row: a slow page gets fewer runs (at least MIN_RUNS), not minutes
MIN_RUNS = 3
HUB = "Erhvervshus Midtjylland"
SEARCHES = ["jensen", "hansen", "nielsen", "aps"]
MISSPELT = [("jensne", "jensen"), ("smedje", "smedie")]  # (typed, the known word)
DEEP_PAGE = 10**9  # numbered pages: Paginator.get_page answers the last page for any beyond it
BASE_DIR = Path(settings.BASE_DIR)


@dataclass
class Login:
    label: str
    user: object
    password: str


# --- Users ---------------------------------------------------------------------------------


def bench_login(label: str, username: str, operator: Operator, role: str) -> Login:
    """A member of ``operator`` made through the services, with a new password and, where the
    role needs one, a confirmed authenticator app."""
    user, _ = get_user_model().objects.get_or_create(username=username)
    do_add_membership(user, operator, role)
    password = secrets.token_urlsafe(16)
    user.set_password(password)
    user.save(update_fields=["password"])
    if security.must_use_two_factor(user) and not security.has_two_factor(user):
        device = security.pending_totp(user)
        security.do_confirm_totp(user, device, totp_code(device))
    return Login(label, user, password)


def logins() -> dict[str, Login]:
    viborg = Municipality.objects.get(code="791")
    local, _ = Operator.objects.get_or_create(
        name="Viborgegnens Erhvervsråd", defaults={"kind": Operator.Kind.LOCAL}
    )
    do_set_operator_municipalities(local, [viborg])
    hub = Operator.objects.get(name=HUB)
    kkr = syddanmark().oversight
    return {
        "viborg": bench_login(
            "Viborg consultant", "bench-viborg", local, Membership.Role.CONSULTANT
        ),
        "hub": bench_login(
            f"hub ({hub.municipalities.count()} municipalities)",
            "bench-hub",
            hub,
            Membership.Role.TRIAGE,
        ),
        "kkr": bench_login("KKR Syddanmark reader", "bench-kkr-syd", kkr, Membership.Role.VIEWER),
    }


def syddanmark():
    return next(c for c in national.contracts() if c.title.startswith(national.SYD_TITLE))


def totp_code(device: TOTPDevice) -> str:
    """The code the user's authenticator app shows now."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def second_factor(user) -> str:
    """The app's code, or a recovery code when this 30-second step's code is used up."""
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    if device.last_t is None or totp.t() > device.last_t:
        return totp_code(device)
    return security.do_new_recovery_codes(user)[0]


# --- The server and its clients ------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def server():
    """gunicorn on the bench database: its base URL while the block runs."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": os.environ["DATABASE_URL"],  # bench.database pointed it at the bench
        "DEBUG": "false",
        "HTTPS": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-m", "gunicorn", "crm.wsgi", "--bind", f"127.0.0.1:{port}",
               "--workers", "2", "--timeout", "120", "--log-level", "warning"]  # fmt: skip
    with tempfile.TemporaryFile("w+") as log:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and code
            command, cwd=BASE_DIR, env=env, stdout=log, stderr=log
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_for(base, process, log)
            yield base
        finally:
            process.terminate()
            process.wait(timeout=30)


def wait_for(base: str, process, log) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            raise SystemExit(f"gunicorn ended ({process.returncode}):\n{log.read()}")
        try:
            requests.get(base + reverse("login"), timeout=30)  # a worker's first page is slow
            return
        except (requests.ConnectionError, requests.Timeout):
            time.sleep(0.2)
    raise SystemExit("gunicorn did not answer within 60 s")


def http_session(base: str, login: Login) -> requests.Session:
    """Logged in through the forms: password, then the second factor where it is asked."""
    http = requests.Session()
    http.get(base + reverse("login"))
    answer = http.post(
        base + reverse("login"),
        data={"username": login.user.username, "password": login.password, **csrf(http)},
    )
    if answer.url.split("?")[0] == base + reverse("two-factor-verify"):
        answer = http.post(answer.url, data={"code": second_factor(login.user), **csrf(http)})
    check = http.get(base + reverse("inbox"), allow_redirects=False)
    if check.status_code != 200:
        raise SystemExit(f"{login.user.username} could not log in ({check.status_code})")
    return http


def csrf(http: requests.Session) -> dict[str, str]:
    return {"csrfmiddlewaretoken": http.cookies["csrftoken"]}


def local_client(login: Login) -> Client:
    """The same user in-process (Django's test client), to capture a page's SQL."""
    logging.getLogger("axes").setLevel(logging.WARNING)  # a line per login otherwise
    client = Client(SERVER_NAME="127.0.0.1")
    client.post(reverse("login"), {"username": login.user.username, "password": login.password})
    if security.requires_two_factor(login.user):
        client.post(reverse("two-factor-verify"), {"code": second_factor(login.user)})
    return client


def get(http: requests.Session, url: str, **headers) -> Callable[[], None]:
    def request() -> None:
        answer = http.get(url, headers=headers, allow_redirects=False)
        if answer.status_code != 200:
            raise SystemExit(f"GET {url}: {answer.status_code}")

    return request


def search(http: requests.Session, url: str, text: str) -> Callable[[], None]:
    """The search box's request: an htmx POST of the text typed so far."""
    headers = {"HX-Request": "true", "X-CSRFToken": http.cookies["csrftoken"], "Referer": url}

    def request() -> None:
        answer = http.post(url, data={"q": text}, headers=headers, allow_redirects=False)
        if answer.status_code != 200:
            raise SystemExit(f"POST {url} q={text!r}: {answer.status_code}")

    return request


# --- A page's own SQL ----------------------------------------------------------------------


def list_sql(client: Client, path: str, table: str) -> tuple[list[str], list[str]]:
    """The statements ``path`` runs to scope its rows (the user's rights, ``crm.scoping``) and
    those it runs on ``table`` (its rows and any count), as sent."""
    with CaptureQueriesContext(connection) as captured:
        answer = client.get(path)
    if answer.status_code != 200:
        raise SystemExit(f"in-process GET {path}: {answer.status_code}")
    statements = [q["sql"] for q in captured.captured_queries]
    found = [sql for sql in statements if f'FROM "{table}"' in sql]
    scoping = [sql for sql in statements if "guardian_" in sql and sql not in found]
    if not found:
        raise SystemExit(f"{path} ran no statement on {table}")
    return scoping, found


def replay(database: psycopg.Connection, statements: list[str]) -> Callable[[], None]:
    def run() -> None:
        for sql in statements:
            database.execute(sql.encode()).fetchall()

    return run


# --- Timing --------------------------------------------------------------------------------


def sample(*timers: Callable[[], None]) -> list[list[float]]:
    """Milliseconds of each timer, round-robin: ``WARM_UPS`` untimed rounds (one if a round
    takes a tenth of the budget), then ``RUNS`` rounds or as many as ``BUDGET_SECONDS``
    allows (at least ``MIN_RUNS``)."""
    times = [[] for _ in timers]
    started = time.monotonic()
    warm_ups = WARM_UPS
    for round_ in range(WARM_UPS + RUNS):
        if round_ == warm_ups:
            started = time.monotonic()
        for timer, values in zip(timers, times, strict=True):
            before = time.perf_counter()
            timer()
            values.append((time.perf_counter() - before) * 1000)
        if round_ == 0 and time.monotonic() - started > BUDGET_SECONDS / 10:
            warm_ups = 1
        if round_ - warm_ups + 1 >= MIN_RUNS and time.monotonic() - started > BUDGET_SECONDS:
            break
    return [values[warm_ups:] for values in times]


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def compare(name: str, measured, reference, goal: str, **judge) -> Row:
    """The p95 of ``measured`` and of ``reference``, judged as ``bench.results.timed_row``."""
    times = sample(measured, reference)
    runs = len(times[0])
    row = timed_row(name, p95(times[0]), p95(times[1]), goal, **judge)
    note = f" ({runs} runs)" if runs < RUNS else ""
    print(f"  {name}: {row.measured} vs {row.reference} = {row.ratio}{note}", flush=True)
    return row


# --- The rows ------------------------------------------------------------------------------


@dataclass
class Site:
    """The server, the bench users' sessions on it (and in-process), and psycopg."""

    base: str
    http: dict[str, requests.Session]
    local: dict[str, Client]
    database: psycopg.Connection

    def url(self, name: str, *args) -> str:
        return self.base + reverse(name, args=args)

    def empty(self, who: str) -> Callable[[], None]:
        """The logged-in empty view: the user's notifications inbox (no notifications)."""
        return get(self.http[who], self.url("inbox"))


def run() -> list[Row]:
    users = logins()
    print(f"\nPages over HTTP, p95 of {RUNS} runs after {WARM_UPS} warm-ups (ms)")
    print(f"(load average before: {', '.join(f'{n:.1f}' for n in os.getloadavg())})")
    with server() as base, psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as db:
        http = {key: http_session(base, login) for key, login in users.items()}
        local = {key: local_client(login) for key, login in users.items()}
        site = Site(base, http, local, db)
        rows = list_rows(site, users) + search_rows(site, users["hub"].label)
        rows += [spelling(word, right) for word, right in MISSPELT]
        rows.append(dashboard_row(site, users["kkr"].label))
    print(f"(load average after: {', '.join(f'{n:.1f}' for n in os.getloadavg())})")
    return rows


def list_rows(site: Site, users: dict[str, Login]) -> list[Row]:
    hub, viborg = users["hub"].label, users["viborg"].label
    sql_goal = "<= 1.5x the SQL with constant ids"
    return [
        *page_vs_sql(site, "hub", f"sessions list, {hub}, page 1", "session-list",
                     "crm_guidancesession", sql_goal, 1.5),
        *page_vs_sql(site, "hub", f"sessions API, {hub}, first page", "api-session-list",
                     "crm_guidancesession", sql_goal, 1.5),
        *page_vs_sql(site, "viborg", f"company list, {viborg}, page 1", "company-list",
                     "crm_company", "scoping adds <= 10 %", 1.1),
        deepest_vs_first(site, f"company list, {hub}, last page vs page 1"),
    ]  # fmt: skip


def search_rows(site: Site, hub: str) -> list[Row]:
    box = site.url("search")
    return [
        compare(f"name search {text!r}, {hub}", search(site.http["hub"], box, text),
                site.empty("hub"), "p95 < 30 ms", below_ms=30)
        for text in SEARCHES
    ]  # fmt: skip


def dashboard_row(site: Site, reader: str) -> Row:
    contract = syddanmark()
    name = f"contract dashboard, {contract.municipalities.count()} municipalities, {reader}"
    page = get(site.http["kkr"], site.url("contract-dashboard", contract.pk))
    return compare(name, page, site.empty("kkr"), "<= 4x the logged-in empty view", at_most=4)


def page_vs_sql(site: Site, who: str, name, url_name, table, goal, at_most) -> list[Row]:
    """Two rows: what scoping costs the list's SQL (the rights look-up plus the statements on
    ``table`` as the view sends them, against those statements alone, in which the ids are
    constants; a statement that still reads guardian's tables fails the row), and the page
    over HTTP against the logged-in empty view (no goal: for the record)."""
    path = reverse(url_name)
    scoping, statements = list_sql(site.local[who], path, table)
    print(f"  {path}: {len(scoping)} scoping + {len(statements)} statement(s) on {table}")
    scoped = replay(site.database, scoping + statements)
    row = compare(f"{name}: SQL with scoping", scoped, replay(site.database, statements),
                  goal, at_most=at_most)  # fmt: skip
    if any("guardian_" in sql for sql in statements):
        print(f"  {path} still reads guardian's tables inside a {table} statement")
        row.met = False
    page = compare(f"{name}: the page over HTTP", get(site.http[who], site.base + path),
                   site.empty(who), "(for the record)")  # fmt: skip
    return [row, page]


def deepest_vs_first(site: Site, name: str) -> Row:
    first = site.url("company-list")
    deepest = get(site.http["hub"], deepest_url(site.http["hub"], first))
    return compare(name, deepest, get(site.http["hub"], first), "<= 1.2x", at_most=1.2)


def deepest_url(http: requests.Session, first: str) -> str:
    """The last page as the list links to it (``rel="last"``); a numbered list without such a
    link answers its last page to any page number beyond it."""
    html = http.get(first).text
    link = re.search(
        r'<a[^>]*rel="last"[^>]*href="([^"]+)"|<a[^>]*href="([^"]+)"[^>]*rel="last"', html
    )
    if link:
        href = (link.group(1) or link.group(2)).replace("&amp;", "&")
        return requests.compat.urljoin(first, href)
    return f"{first}?page={DEEP_PAGE}"


def spelling(word: str, right: str) -> Row:
    """``spellings_of`` a misspelt word against the word typed right (a prefix look-up)."""
    words = SearchWord.objects
    if not words.filter(word=right).exists() or words.filter(word__startswith=word).exists():
        raise SystemExit(f"{word!r} is no misspelling of the known word {right!r} here")
    return compare(f"misspelt word {word!r} corrected", lambda: spellings_of(word),
                   lambda: spellings_of(right), "< 5 ms", below_ms=5)  # fmt: skip
