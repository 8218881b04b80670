"""The migration import (crm.imports): mapping, checking, duplicates, all or nothing, undo,
the pages and the API."""

import pghistory
import pgtrigger
import pytest
from django.db import connection
from django.urls import reverse

from crm import imports
from crm.models import (
    Company,
    Consent,
    ContactPerson,
    Founder,
    GuidanceSession,
    ImportBatch,
    ImportStagingRow,
    Membership,
    SearchWord,
)
from crm.queries import search_companies
from crm.services import DomainError, do_update_company
from tests.conftest import CPR, CVRS, assert_four_users, make_member

pytestmark = pytest.mark.django_db

COMPANY_HEADER = ["CVR-nr", "P-nr", "Virksomhedsnavn", "Adresse", "Postnr", "By", "Kommune"]
OTHER_CPR = "0202855678"


def company_row(cvr, name, municipality="791", p_number=""):
    return [cvr, p_number, name, "Søndergade 1", "8800", "Viborg", municipality]


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Runs the tasks a service starts after commit (eagerly), when the block ends."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def start(user, kind, rows, run, header=COMPANY_HEADER):
    data = imports.csv_text([header, *rows])
    batch = imports.do_start_import(user, kind=kind, name="eksport.csv", data=data)
    with run():
        imports.do_set_mapping(batch, batch.mapping)  # the suggested mapping, as confirmed
    batch.refresh_from_db()
    return batch


def confirm(user, batch, run):
    with run():
        imports.do_confirm_import(user, batch)
    batch.refresh_from_db()
    return batch


def counts(batch):
    return batch.created_count, batch.updated_count, batch.skipped_count


def test_the_shared_crm_export_columns_are_mapped_by_their_danish_names(world):
    data = imports.csv_text([COMPANY_HEADER, company_row(CVRS[1], "Ny ApS")])
    batch = imports.do_start_import(world.manager, kind="companies", name="x.csv", data=data)
    assert batch.mapping == {
        "cvr": "CVR-nr",
        "p_number": "P-nr",
        "name": "Virksomhedsnavn",
        "address": "Adresse",
        "postcode": "Postnr",
        "city": "By",
        "municipality": "Kommune",
    }


def test_companies_matched_by_cvr_are_created_updated_or_skipped_never_twice(world, company, run):
    address = {"address": "Søndergade 1", "postcode": "8800", "city": "Viborg"}
    do_update_company(world.consultant, company, **address)
    Company.objects.create(cvr=CVRS[2], name="Gammelt Navn ApS", municipality=world.home)
    rows = [
        company_row(CVRS[0], "Østergaard Smedie ApS"),  # as registered: skipped
        company_row(CVRS[1], "Ny Virksomhed ApS"),  # new: created
        company_row(CVRS[2], "Nyt Navn ApS"),  # renamed: updated
    ]
    batch = start(world.manager, "companies", rows, run)
    assert (batch.state, batch.errors, counts(batch)) == ("checked", [], (1, 1, 1))
    assert not Company.objects.filter(cvr=CVRS[1]).exists()  # nothing written before confirm
    batch = confirm(world.manager, batch, run)
    assert batch.state == "done"
    assert Company.objects.get(cvr=CVRS[1]).name == "Ny Virksomhed ApS"
    assert Company.objects.get(cvr=CVRS[2]).name == "Nyt Navn ApS"
    assert Company.objects.filter(cvr__in=CVRS[:3]).count() == 3
    assert not ImportStagingRow.objects.filter(batch=batch).exists()
    again = start(world.manager, "companies", rows, run)  # the same file once more
    assert counts(again) == (0, 0, 3)


def test_a_p_number_of_another_company_and_a_repeated_cvr_are_refused(world, company, run):
    do_update_company(world.consultant, company, p_number="1000000001")
    rows = [
        company_row(CVRS[1], "Ny ApS", p_number="1000000001"),
        company_row(CVRS[2], "To ApS"),
        company_row(CVRS[2], "To ApS igen"),
    ]
    batch = start(world.manager, "companies", rows, run)
    assert [(e["line"], e["column"]) for e in batch.errors] == [(2, "P-nr"), (4, "CVR-nr")]
    assert "anden virksomhed" in batch.errors[0]["reason"]


def test_bad_rows_are_listed_and_nothing_is_written_all_or_nothing(world, run):
    rows = [
        company_row(CVRS[1], "God ApS"),
        company_row("1234", "Kort CVR ApS"),
        company_row(CVRS[2], "", municipality="Atlantis"),
        company_row(CVRS[3], "Aarhus ApS", municipality="751"),  # not the manager's
    ]
    batch = start(world.manager, "companies", rows, run)
    assert {(e["line"], e["column"]) for e in batch.errors} == {
        (3, "CVR-nr"),
        (4, "Virksomhedsnavn"),
        (4, "Kommune"),
        (5, "Kommune"),
    }
    with pytest.raises(DomainError, match="3 fejl"):
        imports.do_confirm_import(world.manager, batch)
    assert not Company.objects.filter(cvr=CVRS[1]).exists()
    text = imports.error_file(batch).decode("utf-8-sig")
    assert text.splitlines()[0] == "Linje;" + ";".join(COMPANY_HEADER) + ";Fejl"
    assert len(text.splitlines()) == 4


def test_founders_are_found_by_the_cpr_hash_and_the_error_file_masks_cpr(
    world, founder, run, caplog
):
    header = ["CPR-nr", "Navn", "Kommune", "E-mail"]
    rows = [
        [CPR[:6] + "-" + CPR[6:], "Ane Åberg", "791", "ane@example.dk"],  # known: updated
        [OTHER_CPR, "Bo Berg", "791", "ikke-en-adresse"],  # bad e-mail
        ["3102901234", "Ugyldig Dato", "791", ""],  # no 31 February
    ]
    batch = start(world.manager, "founders", rows, run, header=header)
    assert counts(batch) == (0, 1, 0)
    assert [(e["line"], e["column"]) for e in batch.errors] == [(3, "E-mail"), (4, "CPR-nr")]
    text = imports.error_file(batch).decode("utf-8-sig")
    assert "020285-xxxx" in text and OTHER_CPR not in text and "3102901234" not in text
    staged = ImportStagingRow.objects.get(batch=batch)
    assert CPR not in str(staged.data) and staged.target_id == founder.pk
    assert OTHER_CPR not in caplog.text and CPR not in caplog.text
    fixed = start(
        world.manager, "founders", [rows[0], [OTHER_CPR, "Bo Berg", "791", ""]], run, header=header
    )
    confirm(world.manager, fixed, run)
    bo = Founder.objects.get(name="Bo Berg")
    assert bo.masked_cpr == "020285-xxxx" and bo.sex == "F"
    assert Founder.objects.get(pk=founder.pk).email == "ane@example.dk"


def test_sessions_contacts_and_consents_attach_to_existing_records(world, company, founder, run):
    header = ["CVR-nr", "CPR-nr", "Dato", "Vejledningstype", "Kanal", "Temaer", "Timer"]
    rows = [
        [CVRS[0], "", "03.02.2025", "Lokal", "Telefon", "Eksport, Finansiering", "1,5"],
        ["", CPR, "2025-02-04", "lokal", "besøg", "", ""],
    ]
    batch = confirm(world.manager, start(world.manager, "sessions", rows, run, header=header), run)
    assert counts(batch) == (2, 0, 0)
    session = GuidanceSession.objects.get(company=company)
    assert (session.themes, float(session.hours_during)) == (["export", "financing"], 1.5)
    assert session.operator == world.local and session.municipality == world.home
    assert counts(start(world.manager, "sessions", rows, run, header=header)) == (0, 0, 2)

    contacts = [["CVR-nr", "Kontaktperson", "Rolle"], [CVRS[0], "Mette Holm", "Direktør"]]
    confirm(
        world.manager, start(world.manager, "contacts", contacts[1:], run, header=contacts[0]), run
    )
    assert ContactPerson.objects.get(company=company).role == "Direktør"

    consents = [["CVR-nr", "CPR-nr", "Dato", "Omfang"], [CVRS[0], "", "01.02.2025", "alle"]]
    confirm(
        world.manager, start(world.manager, "consents", consents[1:], run, header=consents[0]), run
    )
    consent = Consent.objects.get(company=company)
    assert consent.state == Consent.State.IN_FORCE and consent.operator == world.local


def test_undo_removes_created_records_and_reverts_updates(world, company, run):
    rows = [company_row(CVRS[0], "Omdøbt Smedie ApS"), company_row(CVRS[1], "Ny ApS")]
    batch = confirm(world.manager, start(world.manager, "companies", rows, run), run)
    assert imports.undo_blockers(batch) == []
    imports.do_undo_import(world.manager, batch)
    assert not Company.objects.filter(cvr=CVRS[1]).exists()
    assert Company.objects.get(pk=company.pk).name == "Østergaard Smedie ApS"
    assert ImportBatch.objects.get(pk=batch.pk).state == "undone"


def test_undo_is_blocked_after_a_later_change_and_says_why(world, company, run):
    rows = [company_row(CVRS[0], "Omdøbt Smedie ApS"), company_row(CVRS[1], "Ny ApS")]
    batch = confirm(world.manager, start(world.manager, "companies", rows, run), run)
    do_update_company(world.consultant, Company.objects.get(pk=company.pk), city="Skive")
    new = Company.objects.get(cvr=CVRS[1])
    header = ["CVR-nr", "Dato", "Vejledningstype", "Kanal"]
    confirm(
        world.manager,
        start(
            world.manager,
            "sessions",
            [[CVRS[1], "03.02.2025", "Lokal", "Telefon"]],
            run,
            header=header,
        ),
        run,
    )
    blockers = imports.undo_blockers(batch)
    assert len(blockers) == 2
    assert "1 virksomheder er ændret" in blockers[0]
    assert "vejledninger" in blockers[1]
    with pytest.raises(DomainError, match="kan ikke fortrydes"):
        imports.do_undo_import(world.manager, batch)
    assert Company.objects.filter(pk=new.pk).exists()


def test_only_managers_import(world):
    data = imports.csv_text([COMPANY_HEADER, company_row(CVRS[1], "Ny ApS")])
    for user in (world.consultant, world.viewer, world.outsider):
        with pytest.raises(Exception) as error:
            imports.do_start_import(user, kind="companies", name="x.csv", data=data)
        assert error.type.__name__ == "PermissionDenied"


# --- The row triggers, set-based (crm.imports.triggers) ----------------------------------


def history_of(ids) -> list[dict]:
    """The change-history events of the companies ``ids``: every column but the event's own
    id, and its context's metadata in place of the context's id."""
    events = imports.history_model(Company).objects.filter(pgh_obj_id__in=ids)
    columns = [f.attname for f in events.model._meta.concrete_fields]
    rows = events.order_by("pgh_obj_id", "pgh_id").values(*columns, "pgh_context__metadata")
    return [{**row, "pgh_id": None, "pgh_context_id": None} for row in rows]


def words_since(before: set[str]) -> set[str]:
    return set(SearchWord.objects.values_list("word", flat=True)) - before


def test_an_import_writes_the_history_and_search_words_its_row_triggers_would(world, run):
    before = words_since(set())
    rows = [
        company_row(CVRS[1], "Kvædeby Xylofonværksted ApS"),
        company_row(CVRS[2], "Zebrafinke Ølbryggeri I/S", p_number="1000000001"),
    ]
    batch = confirm(world.manager, start(world.manager, "companies", rows, run), run)
    ids = list(Company.objects.filter(cvr__in=CVRS[1:3]).values_list("pk", flat=True))
    imported = history_of(ids), words_since(before)
    assert len(imported[0]) == 2 and imported[0][0]["pgh_label"] == "insert"
    assert imported[0][0]["pgh_context__metadata"] == {"import_batch": batch.pk}
    assert {"kvaedeby", "xylofonvaerksted", "zebrafinke", "oelbryggeri"} <= imported[1]

    # The same rows inserted again as they are (created_at too), every row trigger firing, in
    # the same context.
    columns = [f.column for f in Company._meta.concrete_fields if not f.generated]
    companies = list(Company.objects.filter(pk__in=ids).values_list(*columns))
    with pgtrigger.ignore("crm.Company:delete_delete"):
        Company.objects.filter(pk__in=ids)._raw_delete("default")
    imports.history_model(Company).objects.filter(pgh_obj_id__in=ids).delete()
    SearchWord.objects.filter(word__in=imported[1]).delete()
    places = ", ".join(["%s"] * len(columns))
    insert = f"INSERT INTO crm_company ({', '.join(columns)}) VALUES ({places})"  # noqa: S608
    with pghistory.context(import_batch=batch.pk), connection.cursor() as cursor:
        for company in companies:
            cursor.execute(insert, company)

    assert (history_of(ids), words_since(before)) == imported


def test_an_imported_company_is_found_by_name_and_by_a_misspelt_word(world, run):
    rows = [company_row(CVRS[1], "Kvædeby Xylofonværksted ApS")]
    confirm(world.manager, start(world.manager, "companies", rows, run), run)
    for text in ["Xylofonværksted", "kvaedeby xylo", "xylofonverksted"]:
        assert [c.cvr for c in search_companies(world.consultant, text)] == [CVRS[1]], text


# --- Pages ---------------------------------------------------------------------------------


def upload(client, rows, kind="companies", header=COMPANY_HEADER):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = imports.csv_text([header, *rows])
    return client.post(
        reverse("import-start"),
        {"kind": kind, "file": SimpleUploadedFile("eksport.csv", data, "text/csv")},
    )


def test_the_pages_map_check_confirm_and_undo(world, company, run):
    client = world.client_for(world.manager)
    response = upload(client, [company_row(CVRS[1], "Ny ApS"), company_row("12", "Kort ApS")])
    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "import-detail", args=[batch.pk]
    )
    page = client.get(response["Location"])
    assert 'value="CVR-nr" selected' in page.content.decode()
    with run():
        response = client.post(reverse("import-detail", args=[batch.pk]), batch.mapping)
    poll = client.get(reverse("import-detail", args=[batch.pk]), headers={"HX-Request": "true"})
    page = poll.content.decode()
    assert page.strip().startswith('<div id="import-state" data-state="checked"')
    assert "<td>3</td><td>CVR-nr</td>" in page
    errors = client.get(reverse("import-errors", args=[batch.pk]))
    assert errors["Content-Disposition"].startswith("attachment")
    assert client.post(reverse("import-confirm", args=[batch.pk])).status_code == 400


def test_import_pages_for_the_four_users(world, run):
    data = imports.csv_text([COMPANY_HEADER, company_row(CVRS[1], "Ny ApS")])
    batch = imports.do_start_import(world.manager, kind="companies", name="x.csv", data=data)
    url = reverse("import-detail", args=[batch.pk])
    assert_four_users(world, url, allowed=world.manager, no_right=world.consultant)
    # The pages without a batch: a manager only; the outsider, a manager nowhere, 403.
    for name in ["import-list", "import-start"]:
        assert world.client_for(world.manager).get(reverse(name)).status_code == 200
        for user in (world.consultant, world.viewer, world.outsider):
            assert world.client_for(user).get(reverse(name)).status_code == 403
        assert world.client_for(None).get(reverse(name)).status_code == 302
    with run():
        imports.do_set_mapping(batch, batch.mapping)
    batch.refresh_from_db()
    assert_four_users(
        world,
        reverse("import-errors", args=[batch.pk]),
        allowed=world.manager,
        no_right=world.consultant,
    )
    for name in ["import-confirm", "import-undo"]:
        url = reverse(name, args=[batch.pk])
        assert world.client_for(world.consultant).post(url).status_code == 403
        assert world.client_for(world.outsider).post(url).status_code == 404


# --- API -----------------------------------------------------------------------------------


def test_the_api_uploads_previews_confirms_and_undoes(world, company, run):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = world.client_for(world.manager)
    data = imports.csv_text([COMPANY_HEADER, company_row(CVRS[1], "Ny ApS")])
    with run():
        response = client.post(
            reverse("api-import-list"),
            {"kind": "companies", "file": SimpleUploadedFile("x.csv", data, "text/csv")},
        )
    assert response.status_code == 201, response.content
    body = client.get(reverse("api-import-detail", args=[response.json()["id"]])).json()
    assert (body["state"], body["created"], body["errors"]) == ("checked", 1, [])
    pk = body["id"]
    with run():
        assert client.post(reverse("api-import-confirm", args=[pk])).status_code == 202
    assert Company.objects.filter(cvr=CVRS[1]).exists()
    assert client.post(reverse("api-import-undo", args=[pk])).status_code == 200
    assert not Company.objects.filter(cvr=CVRS[1]).exists()
    # A manager of another operator: 404; a consultant (no manager anywhere): 403.
    other_manager = make_member(world.other_local, Membership.Role.MANAGER)
    detail = reverse("api-import-detail", args=[pk])
    assert world.client_for(other_manager).get(detail).status_code == 404
    assert world.client_for(world.consultant).get(reverse("api-import-list")).status_code == 403
    assert world.client_for(None).get(reverse("api-import-list")).status_code in (401, 403)


@pytest.mark.django_db(transaction=True)
def test_the_check_and_the_import_run_in_a_real_worker_with_the_batch_id_only(world, real_worker):
    from crm.tasks import check_import, run_import

    header = ["CPR-nr", "Navn", "Kommune"]
    data = imports.csv_text([header, [OTHER_CPR, "Bo Berg", "791"]])
    batch = imports.do_start_import(world.manager, kind="founders", name="x.csv", data=data)
    ImportBatch.objects.filter(pk=batch.pk).update(state="checking")
    result = check_import.apply_async((batch.pk,), queue=real_worker.queue)
    assert result.get(timeout=60) == batch.pk
    batch.refresh_from_db()
    assert (batch.state, batch.created_count, batch.file_path) == ("checked", 1, "")
    ImportBatch.objects.filter(pk=batch.pk).update(state="importing")
    run_import.apply_async((batch.pk,), queue=real_worker.queue).get(timeout=60)
    assert Founder.objects.get(name="Bo Berg").masked_cpr == "020285-xxxx"
