"""Name search on a database of a realistic shape: tens of thousands of companies whose names
share a few common surnames and "ApS", and a SearchWord table of as many words. The plans must
come from indexes (no sequential scan of companies or words), and the behaviour must hold on
the fast paths: every word matches, a misspelt word is corrected, æ/ø/å fold, the closest
names come first, another municipality's companies never show."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.models import Company, Municipality
from crm.queries import SEARCH_LIMIT, in_index_order, search_companies, spellings_of
from crm.reference import load_reference_data

SURNAMES = ["Jensen", "Hansen", "Nielsen", "Pedersen", "Andersen", "Østergård", "Larsen"]
TRADES = ["Tømrer", "Auto", "Data", "Byg", "Revision"]
LETTERS = "abcdefghijklmnopqrstuvwxyz"


def token(number: int) -> str:
    """A made-up word per company ("baaa", "caaa", ...): as many known words as companies."""
    letters = []
    for _ in range(4):
        number, rest = divmod(number, len(LETTERS))
        letters.append(LETTERS[rest])
    return "".join(letters)


def name_of(number: int) -> str:
    surname = SURNAMES[number % len(SURNAMES)]
    trade = TRADES[number // len(SURNAMES) % len(TRADES)]
    return f"{surname} {trade} {token(number).capitalize()} ApS"


@pytest.fixture(scope="module")
def many_companies(django_db_setup, django_db_blocker):
    """24,000 companies in Viborg and 6,000 in Aarhus and 60,000 more known words, committed
    once for this module (writing them costs most of its time), then ANALYZE, as a loaded
    database; emptied again at the end."""
    with django_db_blocker.unblock():
        if not Municipality.objects.exists():
            load_reference_data()
        home, other = (Municipality.objects.get(code=code) for code in ("791", "751"))
        rows = [
            Company(
                cvr=f"{20000000 + number}",
                name=name_of(number),
                municipality=home if number % 5 else other,
            )
            for number in range(30_000)
        ]
        Company.objects.bulk_create(rows, batch_size=5000)
        Company.objects.create(cvr="19999999", name="Jensens Planteskole", municipality=home)
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO crm_searchword (word) SELECT translate(left(md5(i::text), 9), "
                "'0123456789', 'ghijklmnop') FROM generate_series(1, 60000) AS i "
                "ON CONFLICT DO NOTHING"
            )
            cursor.execute("ANALYZE crm_company")
            cursor.execute("ANALYZE crm_searchword")
    yield
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute("TRUNCATE crm_company, crm_searchword CASCADE")


def explained(user, text: str) -> dict[str, list[dict]]:
    """The JSON plans of the company and word queries one search runs, keyed by table; the
    KNN query explained under the planner settings the search runs it with."""
    with CaptureQueriesContext(connection) as captured:
        search_companies(user, text)
    plans = {"crm_company": [], "crm_searchword": []}
    for query in captured.captured_queries:
        sql = query["sql"]
        table = next((name for name in plans if f'FROM "{name}"' in sql), None)
        if table is None or not sql.startswith("SELECT"):
            continue
        plans[table].append(explain(sql, in_order='LOWER("crm_company"."search_name") LIKE' in sql))
    return plans


def explain(sql: str, in_order: bool) -> dict:
    with connection.cursor() as cursor:
        if in_order:
            with in_index_order():
                cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}")
                found = cursor.fetchone()[0]
        else:
            cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}")
            found = cursor.fetchone()[0]
    found = json.loads(found) if isinstance(found, str) else found
    return found[0]["Plan"]


def nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", []):
        yield from nodes(child)


def scans(plan: dict, table: str) -> list[tuple[str, str]]:
    return [
        (node["Node Type"], node.get("Index Name", ""))
        for node in nodes(plan)
        if node.get("Relation Name") == table
    ]


def test_common_word_is_read_in_rank_order_from_the_gist_index(world, many_companies):
    plans = explained(world.consultant, "jensen")

    company_scans = [scan for plan in plans["crm_company"] for scan in scans(plan, "crm_company")]
    assert ("Index Scan", "company_name_rank") in company_scans
    assert not any(kind == "Seq Scan" for kind, _ in company_scans)
    assert not any("Bitmap" in kind for kind, _ in company_scans)  # no collecting of all matches


def test_misspelt_word_is_corrected_through_the_word_indexes(world, many_companies):
    plans = explained(world.consultant, "pedrsen")

    word_scans = [
        scan for plan in plans["crm_searchword"] for scan in scans(plan, "crm_searchword")
    ]
    assert word_scans
    assert not any(kind == "Seq Scan" for kind, _ in word_scans)
    company_scans = [scan for plan in plans["crm_company"] for scan in scans(plan, "crm_company")]
    assert not any(kind == "Seq Scan" for kind, _ in company_scans)


def test_every_word_must_match_on_the_fast_path(world, many_companies):
    found = search_companies(world.consultant, "hansen tømrer")

    assert len(found) == SEARCH_LIMIT
    assert all("Hansen" in c.name and "Tømrer" in c.name for c in found)
    assert search_companies(world.consultant, "jensen tømrer") == []  # all in Aarhus


def test_misspelt_word_is_corrected_at_scale(world, many_companies):
    assert spellings_of("pedrsen") == ["pedersen"]
    found = search_companies(world.consultant, "pedrsen data")

    assert found
    assert all(c.name.startswith("Pedersen Data") for c in found)


def test_danish_letters_fold_at_scale(world, many_companies):
    found = search_companies(world.consultant, "oestergaard")

    assert len(found) == SEARCH_LIMIT
    assert all(c.name.startswith("Østergård") for c in found)


def test_closest_names_come_first_then_by_name(world, many_companies):
    found = search_companies(world.consultant, "jensen")

    assert [c.distance for c in found] == sorted(c.distance for c in found)
    assert found[0].distance == 0  # the surname as a whole word, before "Jensens Planteskole"
    assert all(c.name != "Jensens Planteskole" for c in found)
    ties = [c.name for c in found if c.distance == found[0].distance]
    assert ties == sorted(ties)


def test_a_rare_word_finds_its_one_company(world, many_companies):
    found = search_companies(world.consultant, token(1234))

    assert [c.name for c in found] == [name_of(1234)]


def test_another_municipalitys_companies_never_show_at_scale(world, many_companies):
    mine = search_companies(world.consultant, "hansen")
    theirs = search_companies(world.outsider, "hansen")

    assert len(mine) == len(theirs) == SEARCH_LIMIT
    assert {c.municipality for c in mine} == {world.home}
    assert {c.municipality for c in theirs} == {world.other}
    assert search_companies(world.outsider, token(1234)) == []  # 1234 % 5: a Viborg company
