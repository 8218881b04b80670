"""Retention pages: erasure of a founder or contact person on request (managers), and what the
next nightly anonymisation will do in a municipality (crm.retention)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from crm import forms, retention, services
from crm.models import AnonymisationRun, ContactPerson, ErasureRequest, Founder, RetentionRule
from crm.permissions import ERASE, access_municipality, access_scoped
from crm.services import DomainError, NotAllowed


def access_person(user, model, pk: int):
    """The founder or contact person, through the user's right to erase (404 outside the
    user's municipalities, 403 inside them without it); a founder's data is erased only by an
    operator that may see it (``check_sees_details``)."""
    person = access_scoped(user, model.objects.all(), ERASE, pk=pk)
    if model is Founder:
        try:
            services.check_sees_details(user, person)
        except NotAllowed as error:
            raise PermissionDenied(str(error)) from error
    return person


@login_required
def founder_erase(request, pk: int):
    founder = access_person(request.user, Founder, pk)
    return erase_page(request, founder, reverse("founder-detail", args=[pk]))


@login_required
def contact_erase(request, pk: int):
    contact = access_person(request.user, ContactPerson, pk)
    return erase_page(request, contact, reverse("company-detail", args=[contact.company_id]))


def erase_page(request, person, back: str):
    """The request form, with the legal holds that would keep the data (and why, until when)."""
    form = forms.ErasureForm(request.POST or None)
    if form.is_valid():
        try:
            erasure = retention.do_request_erasure(
                request.user, person, reason=form.cleaned_data["reason"]
            )
        except NotAllowed as error:
            raise PermissionDenied(str(error)) from error
        except DomainError as error:
            form.add_error(None, str(error))
        else:
            if erasure.done_at:
                messages.success(request, _("Personoplysningerne er anonymiseret."))
                return redirect(back)
            messages.warning(
                request,
                _(
                    "Anmodningen er registreret. Oplysningerne tilbageholdes af juridiske "
                    "grunde og anonymiseres automatisk, når tilbageholdelsen ophører."
                ),
            )
            return redirect(request.path)
    context = {
        "person": person,
        "back": back,
        "form": form,
        "holds": [] if person.anonymised_at else retention.holds_on(person),
        "requests": person.erasure_requests.select_related("requested_by"),
        "waiting": person.erasure_requests.waiting().exists(),
    }
    return render(request, "crm/erase.html", context, status=400 if form.errors else 200)


@login_required
def retention_plan(request, code: str):
    """The dry run: what the next nightly run anonymises in the municipality, what a legal
    hold keeps, the rules, the waiting requests and the last runs."""
    municipality = access_municipality(request.user, ERASE, code=code)
    context = {
        "municipality": municipality,
        "steps": retention.plan(municipalities=[municipality.pk], user=request.user, examples=20),
        "audit_years": retention.years(RetentionRule.Kind.CONTRACT_AUDIT),
        "waiting": ErasureRequest.objects.waiting()
        .filter(municipality=municipality)
        .select_related("founder", "contact__company", "requested_by"),
        "runs": AnonymisationRun.objects.all()[:5],
    }
    return render(request, "crm/retention.html", context)
