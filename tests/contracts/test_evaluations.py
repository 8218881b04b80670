"""The user evaluation: import from CSV and XLSX (dry run, all or nothing, subjects by CVR and
CPR), the "referral used" answers as referral uptake, and the export of the companies to be
evaluated in the same columns."""

import csv
import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from contracts.evaluations import COLUMNS
from contracts.models import Evaluation
from crm import services
from referrals.models import Adviser, Referral
from referrals.services import record_uptake, send_referral
from tests.conftest import CPR, CVRS, assert_four_users, record_consent

pytestmark = pytest.mark.django_db
D = datetime.date
TODAY = timezone.localdate()
YEAR = TODAY.year
OPERATOR = "Viborgegnens Erhvervsråd"
HEADER = (
    "operator;municipality_code;answered_on;cvr;cpr;session_id;satisfaction;nps;effect;"
    "referral_used"
)


def upload(text: str, name: str = "evaluering.csv"):
    data = text.encode() if isinstance(text, str) else text
    return SimpleUploadedFile(name, data)


def post_page(world, contract, text, *, dry_run=False, user=None):
    data = {"file": upload(text)}
    if dry_run:
        data["dry_run"] = "1"
    client = world.client_for(user or world.manager)
    return client.post(reverse("evaluation-import", args=[contract.pk]), data)


def post_api(world, text, **extra):
    client = world.client_for(world.manager)
    return client.post(reverse("api-evaluation-import"), {"file": upload(text), **extra})


def log(world, subject, *, day=None, operator=None, user=None, **fields):
    return services.do_log_session(
        user or world.consultant,
        subject,
        operator=operator or world.local,
        date=day or D(YEAR, 1, 10),
        tier="local",
        channel="visit",
        **fields,
    )


# --- Import ----------------------------------------------------------------------------------


def test_answers_link_company_by_cvr_founder_by_cpr_and_the_session(
    world, contract, company, founder
):
    session = log(world, company)
    text = (
        f"{HEADER}\n"
        f"{OPERATOR};791;01.03.{YEAR};{company.cvr};;{session.pk};Meget tilfreds;9;I høj grad;\n"
        f"{OPERATOR};791;02.03.{YEAR};;010190-2345;;tilfreds;7;;Ved ikke\n"
    )

    response = post_page(world, contract, text)

    assert response.status_code == 302
    by_company = Evaluation.objects.get(company=company)
    by_founder = Evaluation.objects.get(founder=founder)
    assert (by_company.session, by_company.satisfaction, by_company.nps) == (session, "very", 9)
    assert (by_founder.company, by_founder.satisfaction, by_founder.referral_used) == (
        None,
        "satisfied",
        "unknown",
    )
    stored = str(list(Evaluation.objects.values()))
    assert CPR not in stored and "010190-2345" not in stored


def test_a_session_without_cvr_names_its_subject(world, contract, company):
    session = log(world, company)
    header = "operator;municipality_code;answered_on;session_id"
    text = f"{header}\n{OPERATOR};791;01.03.{YEAR};{session.pk}\n"

    post_page(world, contract, text)

    assert Evaluation.objects.get().company == company


BAD_ROWS = (
    f"{HEADER}\n"
    f"{OPERATOR};791;01.03.{YEAR};;;;Meget tilfreds;10;I høj grad;\n"  # line 2: good
    f"{OPERATOR};791;31.02.{YEAR};;;;Tilfreds;;;\n"  # 3: no such date
    f"{OPERATOR};791;01.03.{YEAR};{CVRS[4]};;;;;;\n"  # 4: unknown CVR
    f"Ukendt;791;01.03.{YEAR};;;;Glad;11;;\n"  # 5: operator, answer, NPS
    f"{OPERATOR};791;01.03.{YEAR};;999999-9999;;;;;\n"  # 6: invalid CPR
    f"{OPERATOR};791;01.03.{YEAR};;;123456789012345678901;;;;\n"  # 7: no such session
)


def test_dry_run_lists_every_bad_row_and_writes_nothing(world, contract):
    response = post_page(world, contract, BAD_ROWS, dry_run=True)

    assert response.status_code == 400
    errors = response.context["result"].errors
    assert [error.line for error in errors] == [3, 4, 5, 6, 7]
    assert "dd.mm.åååå" in errors[0].message
    assert CVRS[4] in errors[1].message
    assert all(part in errors[2].message for part in ("ukendt operatør", "Glad", "0 til 10")), (
        errors[2].message
    )
    assert "999999" not in response.text  # a CPR number is never repeated
    assert "findes ikke" in errors[4].message
    assert response.context["result"].count == 1
    assert not Evaluation.objects.exists()


def test_dry_run_of_a_good_file_says_how_many_rows_and_writes_nothing(world, contract):
    text = f"{HEADER}\n{OPERATOR};791;01.03.{YEAR};;;;Tilfreds;8;;\n"

    page = post_page(world, contract, text, dry_run=True)
    api = post_api(world, text, dry_run="true")

    assert page.status_code == 200 and page.context["result"].count == 1
    assert api.status_code == 200
    assert (api.json()["count"], api.json()["dry_run"], api.json()["errors"]) == (1, True, [])
    assert not Evaluation.objects.exists()


def test_a_real_import_with_bad_rows_writes_none_and_lists_them_all(world, contract):
    response = post_api(world, BAD_ROWS)

    assert response.status_code == 400
    assert [error["line"] for error in response.json()["errors"]] == [3, 4, 5, 6, 7]
    assert "Linje 3" in response.json()["detail"] and "Linje 6" in response.json()["detail"]
    assert not Evaluation.objects.exists()


def test_a_company_outside_the_importers_municipalities_is_not_found(world, contract):
    services.do_create_company(
        world.outsider, cvr=CVRS[1], name="Aarhus ApS", municipality=world.other
    )
    text = f"{HEADER}\n{OPERATOR};791;01.03.{YEAR};{CVRS[1]};;;;;;\n"

    response = post_api(world, text)

    assert response.status_code == 400
    assert "findes ikke" in response.json()["errors"][0]["message"]


def test_a_session_of_another_company_is_a_bad_row(world, contract, company):
    other = services.do_create_company(
        world.consultant, cvr=CVRS[1], name="Anden ApS", municipality=world.home
    )
    session = log(world, other)
    text = f"{HEADER}\n{OPERATOR};791;01.03.{YEAR};{company.cvr};;{session.pk};;;;\n"

    response = post_api(world, text)

    assert "anden virksomhed" in response.json()["errors"][0]["message"]


def test_the_import_needs_no_query_per_row(world, contract):
    companies = [
        services.do_create_company(
            world.consultant, cvr=cvr, name=f"Firma {cvr}", municipality=world.home
        )
        for cvr in CVRS[:3]
    ]

    def lines(count):
        rows = [f"{OPERATOR};791;01.03.{YEAR};{c.cvr};;;Tilfreds;8;;\n" for c in companies[:count]]
        return HEADER + "\n" + "".join(rows)

    with CaptureQueriesContext(connection) as one:
        assert post_api(world, lines(1)).status_code == 201
    with CaptureQueriesContext(connection) as three:
        assert post_api(world, lines(3)).status_code == 201

    assert len(three) <= len(one)  # the first request also warms caches
    assert Evaluation.objects.count() == 4


def test_an_nps_of_a_superscript_digit_is_a_bad_row(world, contract):
    text = f"{HEADER}\n{OPERATOR};791;01.03.{YEAR};;;²;Tilfreds;²;;\n"

    response = post_page(world, contract, text, dry_run=True)

    assert response.status_code == 400
    errors = response.context["result"].errors
    assert [error.line for error in errors] == [2]
    assert "0 til 10" in errors[0].message and "findes ikke" in errors[0].message
    assert not Evaluation.objects.exists()


def test_the_import_of_sessions_needs_no_query_per_row(world, contract, company):
    sessions = [log(world, company, day=D(YEAR, 1, day)) for day in range(1, 10)]

    def lines(count):
        rows = [
            f"{OPERATOR};791;01.03.{YEAR};{company.cvr if i % 2 else ''};;{s.pk};Tilfreds;8;;\n"
            for i, s in enumerate(sessions[:count])
        ]
        return HEADER + "\n" + "".join(rows)

    with CaptureQueriesContext(connection) as few:
        assert post_api(world, lines(3)).status_code == 201
    with CaptureQueriesContext(connection) as many:
        assert post_api(world, lines(9)).status_code == 201

    assert len(many) <= len(few)  # the first request also warms caches
    assert Evaluation.objects.filter(company=company).count() == 12


def xlsx(rows) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_xlsx_with_date_and_number_cells(world, contract, company):
    data = xlsx(
        [
            ["operator", "municipality_code", "answered_on", "cvr", "nps", "themes", "segment"],
            [
                OPERATOR,
                "791",
                datetime.datetime(YEAR, 3, 1),
                int(company.cvr),
                10,
                "Eksport",
                "Vækstsegment",
            ],
            [],
            [OPERATOR, 791, "02.03." + str(YEAR), None, 6.0, "digital", "drift"],
        ]
    )

    response = world.client_for(world.manager).post(
        reverse("api-evaluation-import"), {"file": upload(data, "svar.xlsx")}
    )

    assert response.status_code == 201, response.json()
    first, second = Evaluation.objects.order_by("answered_on")
    assert (first.answered_on, first.company, first.nps, first.themes, first.segment) == (
        D(YEAR, 3, 1),
        company,
        10,
        ["export"],
        "growth",
    )
    assert (second.nps, second.themes, second.segment) == (6, ["digital"], "operations")


def test_xlsx_bad_rows_name_their_sheet_row(world, contract):
    data = xlsx([["operator", "municipality_code", "answered_on"], [OPERATOR, "791", "x"]])

    response = world.client_for(world.manager).post(
        reverse("api-evaluation-import"), {"file": upload(data, "svar.xlsx"), "dry_run": "true"}
    )

    assert [error["line"] for error in response.json()["errors"]] == [2]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "tom"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe", "kan ikke læses"),
        (b"PK\x03\x04 not really a workbook", "kan ikke læses"),
        ("navn;svar\nA;B\n", "Forkerte kolonner"),
        (f"{HEADER};farve\n{OPERATOR};791;01.03.{YEAR};;;;;;;;rød\n", "ukendte: farve"),
        (f"{HEADER}\n", "ingen svar"),
    ],
)
def test_a_broken_file_is_refused_with_a_clear_message(world, contract, data, message):
    page = post_page(world, contract, data)
    api = post_api(world, data)

    assert page.status_code == 400 and message in page.text
    assert api.status_code == 400 and message in str(api.json())
    assert not Evaluation.objects.exists()


# --- Referral uptake from the answers --------------------------------------------------------


@pytest.fixture
def adviser(db):
    return Adviser.objects.create(name="Revisor Hansen", kind="private")


def refer(world, subject, adviser, *, sent_on=None, user=None, operator=None):
    referral = send_referral(
        user or world.consultant,
        subject,
        sender_operator=operator or world.local,
        target_adviser=adviser,
        reason="Regnskab",
    )
    if sent_on:
        when = datetime.datetime.combine(sent_on, datetime.time(12), tzinfo=datetime.UTC)
        Referral.objects.filter(pk=referral.pk).update(sent_at=when)
    return referral


def answer(subject_column: str, day: datetime.date, used: str) -> str:
    cvr, cpr = (subject_column, "") if len(subject_column) == 8 else ("", subject_column)
    return f"{OPERATOR};791;{day:%d.%m.%Y};{cvr};{cpr};;;;;{used}\n"


def test_referral_used_answers_become_uptake_of_the_newest_open_referral(
    world, contract, company, founder, adviser
):
    day = D(YEAR, 3, 1)
    older = refer(world, company, adviser, sent_on=day - datetime.timedelta(days=60))
    newest = refer(world, company, adviser, sent_on=day - datetime.timedelta(days=10))
    too_old = refer(world, founder, adviser, sent_on=day - datetime.timedelta(days=400))
    text = HEADER + "\n" + answer(company.cvr, day, "Har brugt rådgivningen")
    text += answer("0101902345", day, "Har ikke brugt den")

    response = post_api(world, text)

    assert response.json()["uptakes"] == 1
    newest.refresh_from_db()
    older.refresh_from_db()
    too_old.refresh_from_db()
    assert (newest.uptake, newest.uptake_source) == ("used", "evaluation")
    assert (older.uptake, too_old.uptake) == ("", "")


def test_an_uptake_already_recorded_is_kept(world, contract, company, adviser):
    day = D(YEAR, 3, 1)
    recorded = refer(world, company, adviser, sent_on=day - datetime.timedelta(days=5))
    record_uptake(world.consultant, recorded, uptake="not_used")
    open_one = refer(world, company, adviser, sent_on=day - datetime.timedelta(days=30))
    text = HEADER + "\n" + answer(company.cvr, day, "Forventer at bruge den inden for seks måneder")

    post_api(world, text)

    recorded.refresh_from_db()
    open_one.refresh_from_db()
    assert (recorded.uptake, recorded.uptake_source) == ("not_used", "consultant")
    assert (open_one.uptake, open_one.uptake_source) == ("expects", "evaluation")


def test_a_referral_by_another_operator_is_not_matched(world, contract, company, adviser):
    hub_member = world.triage  # works for the hub, which also covers Viborg
    referral = refer(
        world,
        company,
        adviser,
        user=hub_member,
        operator=world.hub,
        sent_on=D(YEAR, 2, 1),
    )

    post_api(world, HEADER + "\n" + answer(company.cvr, D(YEAR, 3, 1), "Har brugt rådgivningen"))

    referral.refresh_from_db()
    assert referral.uptake == ""


# --- Export ----------------------------------------------------------------------------------


def export(world, contract, fmt="csv", user=None):
    client = world.client_for(user or world.manager)
    return client.get(
        reverse("evaluation-export", args=[contract.pk]),
        {"start": f"{YEAR}-01-01", "end": f"{YEAR}-12-31", "format": fmt},
    )


@pytest.fixture
def guided(world, company, founder):
    """Guided with consent (exported), guided without consent, a brief contact only, a
    founder, and a company guided by another operator (Aarhus): only the first is exported."""
    record_consent(world.consultant, company)
    company.segment = "growth"
    company.save()
    log(world, company, day=D(YEAR, 1, 5), themes=["export"])
    newest = log(world, company, day=D(YEAR, 2, 5), themes=["green", "digital"])
    no_consent = services.do_create_company(
        world.consultant, cvr=CVRS[1], name="Uden Samtykke ApS", municipality=world.home
    )
    log(world, no_consent)
    brief = services.do_create_company(
        world.consultant, cvr=CVRS[2], name="Kort Kontakt ApS", municipality=world.home
    )
    record_consent(world.consultant, brief)
    log(world, brief, kind="brief")
    record_consent(world.consultant, founder)
    log(world, founder)
    return newest


def test_export_lists_guided_companies_with_consent_in_the_import_columns(
    world, contract, company, guided
):
    response = export(world, contract)

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == COLUMNS
    assert len(rows) == 2
    row = dict(zip(COLUMNS, rows[1], strict=True))
    assert (row["operator"], row["municipality_code"], row["cvr"], row["name"]) == (
        OPERATOR,
        "791",
        company.cvr,
        company.name,
    )
    assert row["session_id"] == str(guided.pk)
    assert (row["segment"], row["themes"]) == (
        "Vækstsegment",
        "Grøn omstilling og cirkulær økonomi, Digitalisering og ny teknologi",
    )
    assert row["cpr"] == "" and "Ane" not in response.content.decode()


def test_the_filled_in_export_imports_again(world, contract, company, guided):
    rows = list(
        csv.reader(io.StringIO(export(world, contract).content.decode("utf-8-sig")), delimiter=";")
    )
    filled = dict(zip(COLUMNS, rows[1], strict=True))
    filled.update(answered_on=f"01.03.{YEAR}", satisfaction="Meget tilfreds", nps="10")
    text = ";".join(COLUMNS) + "\n" + ";".join(filled[c] for c in COLUMNS) + "\n"

    response = post_api(world, text)

    assert response.status_code == 201, response.json()
    saved = Evaluation.objects.get()
    assert (saved.company, saved.session, saved.segment) == (company, guided, "growth")
    assert saved.themes == ["green", "digital"]


def test_export_as_xlsx(world, contract, company, guided):
    response = export(world, contract, fmt="xlsx")

    sheet = load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.values)
    assert list(values[0]) == COLUMNS and values[1][3] == company.cvr


def test_export_with_a_backwards_period_is_refused(world, contract):
    response = world.client_for(world.manager).get(
        reverse("evaluation-export", args=[contract.pk]),
        {"start": f"{YEAR}-06-01", "end": f"{YEAR}-01-01", "format": "csv"},
    )

    assert response.status_code == 400 and "før starten" in response.text


def test_export_needs_no_query_per_company(world, contract, company, guided):
    with CaptureQueriesContext(connection) as one:
        export(world, contract)
    for index in (3, 4):
        extra = services.do_create_company(
            world.consultant, cvr=CVRS[index], name=f"Ekstra {index}", municipality=world.home
        )
        record_consent(world.consultant, extra)
        log(world, extra)

    with CaptureQueriesContext(connection) as three:
        response = export(world, contract)

    assert len(response.content.decode().splitlines()) == 4
    assert len(three) == len(one)


def test_export_through_the_api_for_the_four_users(world, contract, company, guided):
    url = reverse("api-contract-evaluation-export", args=[contract.pk])
    assert_four_users(world, url, allowed=world.manager, no_right=world.consultant, api=True)

    client = world.client_for(world.manager)
    csv_body = client.get(url, {"start": f"{YEAR}-01-01", "end": f"{YEAR}-12-31"})
    xlsx_body = client.get(url, {"file_format": "xlsx"})  # the contract's period
    backwards = client.get(url, {"start": f"{YEAR}-06-01", "end": f"{YEAR}-01-01"})

    assert csv_body.content == export(world, contract).content
    assert list(load_workbook(io.BytesIO(xlsx_body.content)).active.values)[1][3] == company.cvr
    assert backwards.status_code == 400 and "end" in backwards.json()
