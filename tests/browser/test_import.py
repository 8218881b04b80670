"""A manager moves 1,000 companies in from the shared CRM's export: the check lists 10 bad
rows, the error file is downloaded, the file fixed and imported, and the batch undone."""

import pytest

from crm import imports
from crm.models import Company, ImportBatch
from tests.browser.conftest import log_in, screenshot
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HEADER = ["CVR-nr", "Virksomhedsnavn", "Adresse", "Postnr", "By", "Kommune"]


def export(rows: int, bad: set[int]) -> bytes:
    lines = [HEADER]
    for n in range(rows):
        cvr = "1234" if n in bad else str(50_000_000 + n)  # a bad row: a 4-digit CVR number
        lines.append([cvr, f"Virksomhed {n} ApS", "Torvet 1", "8800", "Viborg", "791"])
    return imports.csv_text(lines)


def upload(page, live_server, path) -> None:
    page.goto(f"{live_server.url}/indlaesninger/ny/")
    page.select_option("#id_kind", "companies")
    page.set_input_files("#id_file", str(path))
    page.click("#import-start-form button[type=submit]")
    page.click("#mapping-form button[type=submit]")  # the columns as suggested
    page.wait_for_selector("#import-state[data-state=checked]")  # polled while it runs


def test_a_manager_imports_fixes_the_bad_rows_and_undoes_the_batch(
    world, live_server, page, tmp_path
):
    bad = set(range(5, 1000, 100))  # ten bad rows
    path = tmp_path / "eksport.csv"
    path.write_bytes(export(1000, bad))
    log_in(page, live_server, world.manager.username, PASSWORD)
    upload(page, live_server, path)
    assert page.inner_text("#count-errors") == "10"
    assert page.locator("#import-errors tbody tr").count() == 10
    assert page.locator("#confirm-import").count() == 0  # all or nothing
    screenshot(page, "import-bad-rows")
    with page.expect_download() as download:
        page.click("#error-file")
    text = download.value.path().read_text(encoding="utf-8-sig")
    assert len(text.splitlines()) == 11 and "et CVR-nummer har 8 cifre" in text
    assert not Company.objects.filter(name__startswith="Virksomhed ").exists()

    path.write_bytes(export(1000, set()))  # the file fixed
    upload(page, live_server, path)
    assert page.inner_text("#count-created") == "1000"
    page.click("#confirm-import")
    page.wait_for_selector("#import-state[data-state=done]")
    assert Company.objects.filter(name__startswith="Virksomhed ").count() == 1000

    page.click("#undo-import")
    page.wait_for_selector("#import-state[data-state=undone]")
    assert not Company.objects.filter(name__startswith="Virksomhed ").exists()
    assert ImportBatch.objects.filter(state="undone").count() == 1
