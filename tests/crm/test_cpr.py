"""CPR numbers: validation, encryption at rest, keyed look-up, masking, reveal log."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse

from crm import cpr, services
from crm.models import Founder
from tests.conftest import CPR

pytestmark = pytest.mark.django_db


def test_a_number_without_the_modulus_11_property_is_accepted():
    assert (
        sum(int(d) * w for d, w in zip(CPR, [4, 3, 2, 7, 6, 5, 4, 3, 2, 1], strict=True)) % 11 != 0
    )
    assert cpr.clean_cpr("010190-2345") == CPR


@pytest.mark.parametrize(
    ("number", "born"),
    [
        ("1503301234", datetime.date(1930, 3, 15)),  # 7th digit 0-3: 1900s
        ("0101054000", datetime.date(2005, 1, 1)),  # 7th digit 4, year < 37: 2000s
        ("0101374000", datetime.date(1937, 1, 1)),
    ],  # 7th digit 4, year >= 37: 1900s
)
def test_century_comes_from_the_seventh_digit(number, born):
    assert cpr.birth_date(cpr.clean_cpr(number)) == born


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("3213901234", "gyldig fødselsdato"),
        ("12345", "præcis 10 cifre"),
        ("01019O2345", "10 cifre"),
    ],
)
def test_invalid_numbers_get_a_message_that_says_what_to_fix(number, message):
    with pytest.raises(ValidationError, match=message):
        cpr.clean_cpr(number)


def test_founder_stores_only_ciphertext_hash_and_derived_facts(founder):
    founder.refresh_from_db()

    assert CPR.encode() not in bytes(founder.cpr_encrypted)
    assert cpr.decrypt(founder.cpr_encrypted) == CPR
    assert founder.cpr_hash == cpr.lookup_hash(CPR) != cpr.lookup_hash("0101902346")
    assert (founder.birth_date, founder.sex) == (datetime.date(1990, 1, 1), "M")
    assert founder.masked_cpr == "010190-xxxx"


def test_the_same_cpr_cannot_be_registered_twice(world, founder):
    with pytest.raises(services.DuplicateRecord) as error:
        services.do_create_founder(
            world.manager, cpr_number="010190-2345", name="Kopi", municipality=world.home
        )
    assert error.value.existing == founder
    assert Founder.objects.count() == 1


def test_the_encryption_key_can_be_rotated(settings, founder):
    from cryptography.fernet import Fernet

    settings.CPR_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), *settings.CPR_ENCRYPTION_KEYS]

    assert cpr.decrypt(founder.cpr_encrypted) == CPR
    assert cpr.decrypt(cpr.encrypt(CPR)) == CPR


def test_invalid_cpr_in_the_form_is_refused_without_echo_and_nothing_saved(world):
    response = world.client_for(world.consultant).post(
        reverse("founder-create"),
        {"cpr_number": "3213902345", "name": "Ny", "municipality": world.home.pk},
    )

    assert "gyldig fødselsdato" in response.text
    assert "3213902345" not in response.text
    assert not Founder.objects.exists()


def test_duplicate_cpr_in_the_form_links_to_the_founder(world, founder):
    response = world.client_for(world.consultant).post(
        reverse("founder-create"),
        {"cpr_number": "010190-2345", "name": "Ny", "municipality": world.home.pk},
    )

    assert reverse("founder-detail", args=[founder.pk]) in response.text
    assert "2345" not in response.text.replace("csrfmiddlewaretoken", "")


def test_pages_show_the_masked_number_only(world, founder):
    response = world.client_for(world.manager).get(reverse("founder-detail", args=[founder.pk]))

    assert "010190-xxxx" in response.text
    assert CPR not in response.text and "010190-2345" not in response.text


def test_cpr_never_reaches_the_logs(world, caplog):
    caplog.set_level("DEBUG")
    client = world.client_for(world.consultant)
    client.post(
        reverse("founder-create"),
        {"cpr_number": "010190-2345", "name": "Logget", "municipality": world.home.pk},
    )
    client.post(reverse("search"), {"q": "010190-2345"})

    assert "2345" not in caplog.text


def test_a_dump_of_the_whole_database_holds_no_plaintext_cpr(world, founder):
    services.do_update_founder(world.consultant, founder, name="Ane Åberg Nielsen")
    services.do_reveal_cpr(world.manager, founder)
    dump = []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
        )
        tables = [row[0] for row in cursor.fetchall()]
        for table in tables:
            with cursor.cursor.copy(f'COPY "{table}" TO STDOUT') as copy:  # noqa: S608
                dump.extend(bytes(block) for block in copy)
    text = b"".join(dump)

    assert len(tables) > 30 and b"Ane \xc3\x85berg" in text  # the dump is real
    assert CPR.encode() not in text
    assert b"010190-2345" not in text
