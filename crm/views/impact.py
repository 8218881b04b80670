"""A company's figures year by year, and the follow-up form where the company's own figures
are recorded (crm.impact holds the rules)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from crm import impact
from crm.impact_forms import CompanyYearForm
from crm.services import DomainError
from crm.views.records import access_subject


@login_required
def company_years(request, pk: int):
    company = access_subject(request.user, "company", pk, "change_records")
    form = CompanyYearForm(request.POST or None)
    if form.is_valid():
        data = form.cleaned_data
        try:
            impact.do_report_year(request.user, company, data.pop("year"), **data)
        except DomainError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Nøgletallene er gemt."))
            return redirect("company-years", pk)
    years = impact.years_of(company)
    return render(
        request, "crm/company_years.html", {"subject": company, "years": years, "form": form}
    )
