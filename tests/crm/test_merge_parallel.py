"""Two people merging at once (crm.merging), each merge on its own connection at the same
moment (tests.at_once)."""

from copy import copy

import pytest
from django.urls import reverse

from crm import merging
from crm.models import Company, ContactPerson, GuidanceSession
from crm.services import DomainError, do_create_company, do_update_company
from tests.at_once import at_once
from tests.conftest import CVRS, record_consent

pytestmark = pytest.mark.django_db(transaction=True)


def merge(user, survivor, duplicate):
    return lambda: merging.do_merge(user, survivor, duplicate)


def new_company(world, number: int, name: str, **fields) -> Company:
    return do_create_company(
        world.consultant, cvr=CVRS[number], name=name, municipality=world.home, **fields
    )


def one_of_each(answers) -> tuple[merging.MergeResult, DomainError]:
    """The merge that went through and the one refused, whichever came first."""
    won = [answer for answer in answers if isinstance(answer, merging.MergeResult)]
    refused = [answer for answer in answers if isinstance(answer, DomainError)]
    assert (len(won), len(refused)) == (1, 1), answers
    return won[0], refused[0]


def merge_labels(company) -> set[str]:
    events = company.events.filter(pgh_context__metadata__merge__isnull=False)
    return set(events.values_list("pgh_context__metadata__merge", flat=True))


def test_two_duplicates_merged_into_one_survivor_at_once_both_move_everything(world, company):
    first, second = new_company(world, 1, "Smedien"), new_company(world, 2, "Smedie ApS")
    for duplicate in (first, second):
        record_consent(world.consultant, duplicate)  # a session, a contact person, a consent

    answers = at_once(
        merge(world.manager, company, first),
        merge(world.manager, company, second),
        held=[company, first, second],
    )

    assert all(isinstance(answer, merging.MergeResult) for answer in answers), answers
    assert list(Company.objects.values_list("pk", flat=True)) == [company.pk]
    assert GuidanceSession.objects.filter(company=company).count() == 2
    assert ContactPerson.objects.filter(company=company).count() == 2
    for duplicate in (first, second):
        for related, field, _many in merging.relations(Company):
            assert not related._base_manager.filter(**{f"{field}_id": duplicate.pk}).exists()
    assert merge_labels(company) == {
        f"crm.company:{first.pk}->{company.pk}",
        f"crm.company:{second.pk}->{company.pk}",
    }


def test_one_duplicate_merged_into_two_survivors_at_once_goes_to_one_the_other_is_refused(
    world, company
):
    other, duplicate = new_company(world, 1, "Smedien"), new_company(world, 2, "Smedie ApS")
    record_consent(world.consultant, duplicate)

    answers = at_once(
        merge(world.manager, company, duplicate),
        merge(world.manager, other, duplicate),
        held=[company, other, duplicate],
    )

    won, refused = one_of_each(answers)
    assert "findes ikke længere" in str(refused) and f"id {duplicate.pk}" in str(refused)
    loser = other if won.survivor == company else company
    assert GuidanceSession.objects.get().company == won.survivor
    assert not merge_labels(loser)  # the refused merge wrote nothing
    assert not loser.events.filter(pgh_context__isnull=False).exists()
    assert set(Company.objects.values_list("pk", flat=True)) == {company.pk, other.pk}


@pytest.mark.parametrize("held_first", ["lower", "higher"])
def test_a_into_b_and_b_into_a_at_once_merges_once_without_a_deadlock(world, held_first):
    a, b = new_company(world, 1, "Smedien"), new_company(world, 2, "Smedie ApS")
    record_consent(world.consultant, a)
    record_consent(world.consultant, b)
    calls = [merge(world.manager, b, a), merge(world.manager, a, b)]
    if held_first == "higher":
        calls.reverse()

    answers = at_once(*calls, held=[a, b])

    won, refused = one_of_each(answers)  # not a deadlock (an OperationalError): a refusal
    assert "findes ikke længere" in str(refused)
    assert list(Company.objects.all()) == [won.survivor]
    assert GuidanceSession.objects.filter(company=won.survivor).count() == 2


def test_an_edit_waiting_for_a_merge_of_its_record_is_refused_with_a_message(world, company):
    duplicate = new_company(world, 1, "Smedien")
    url = reverse("company-edit", args=[duplicate.pk])
    editor = world.client_for(world.consultant)
    shown = editor.get(url).context["form"]
    data = {f.html_name: f.value() or "" for f in shown if not f.field.disabled}

    # The merge takes the duplicate's row first; the edit, sent a moment later, waits for it.
    merged, edited = at_once(
        merge(world.manager, company, duplicate),
        lambda: editor.post(url, data | {"city": "Viborg"}),
        held=[duplicate],
    )

    assert isinstance(merged, merging.MergeResult), merged
    assert edited.status_code == 200  # the form again, with the refusal: not a 500
    (message,) = edited.context["form"].non_field_errors()
    assert "findes ikke længere" in message
    assert editor.post(url, data).status_code == 404  # sent again: the record is gone
    with pytest.raises(DomainError, match="findes ikke længere"):
        do_update_company(world.consultant, copy(duplicate), city="Viborg")
    api = world.client_for(world.consultant)
    patched = api.patch(
        f"/api/v1/companies/{duplicate.pk}/", {"city": "Viborg"}, "application/json"
    )
    assert patched.status_code == 404


def test_an_edit_that_holds_the_record_first_is_merged_with_its_change(world, company):
    duplicate = new_company(world, 1, "Smedien")

    edited, merged = at_once(
        lambda: do_update_company(world.consultant, copy(duplicate), city="Viborg"),
        merge(world.manager, company, duplicate),
        held=[duplicate],
    )

    assert edited.city == "Viborg" and isinstance(merged, merging.MergeResult), merged
    assert Company.objects.get().city == "Viborg"  # read under the lock: never a stale copy


def on_page(client, survivor, duplicate):
    url = reverse("company-merge", args=[survivor.pk])
    return lambda: client.post(url, {"duplicate": duplicate.pk})


def by_api(client, survivor, duplicate):
    body = {"kind": "company", "survivor": survivor.pk, "duplicate": duplicate.pk}
    return lambda: client.post(reverse("api-merge-list"), body, "application/json")


def test_the_merge_page_and_api_refuse_a_duplicate_merged_away_meanwhile_with_a_message(
    world, company
):
    other = new_company(world, 1, "Smedien")
    first, second = new_company(world, 2, "Smedie ApS"), new_company(world, 3, "Smedjen")
    client = world.client_for(world.manager)

    # Only the duplicate is held: the merge sent first waits for it first, so it wins.
    page_won, api_refused = at_once(
        on_page(client, company, first), by_api(client, other, first), held=[first]
    )
    api_won, page_refused = at_once(
        by_api(client, company, second), on_page(client, other, second), held=[second]
    )

    assert (page_won.status_code, api_won.status_code) == (302, 200)
    assert api_refused.status_code == page_refused.status_code == 400
    assert "findes ikke længere" in api_refused.json()["detail"]
    assert "findes ikke længere" in page_refused.context["form"].errors["duplicate"][0]
    assert list(Company.objects.order_by("pk")) == [company, other]


def test_a_merge_sent_after_the_duplicate_is_gone_is_refused_with_a_message(world, company):
    duplicate = new_company(world, 1, "Smedien")
    client = world.client_for(world.manager)
    merging.do_merge(world.manager, company, duplicate)
    other = new_company(world, 2, "Smedie ApS")

    page = on_page(client, other, duplicate)()
    api = by_api(client, other, duplicate)()

    assert page.status_code == 400 and page.context["form"].errors["duplicate"]
    assert api.status_code == 400 and "findes ikke" in api.json()["detail"]
    assert on_page(client, duplicate, other)().status_code == 404  # the survivor gone: 404
