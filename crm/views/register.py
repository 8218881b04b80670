"""The company form's lookup in the company register (crm.register): by CVR number or
P-number it fills the form, by name it lists what the register found. The consultant
confirms by saving the form; nothing is written here."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from crm import forms, register, register_sync
from crm.register import RegisterError
from crm.services import NotAllowed
from crm.views import records

TEMPLATE = "crm/company_form.html"


def with_lookup(form: forms.CompanyForm) -> forms.CompanyForm:
    """Typing a CVR number or a P-number (and leaving the field) asks the register."""
    url = reverse("company-register-lookup")
    for name in ("cvr", "p_number"):
        form.fields[name].widget.attrs.update(
            {
                "hx-get": f"{url}?by={name}",
                "hx-trigger": "change",
                "hx-include": "#company-fields",
                "hx-target": "#company-fields",
                "hx-sync": "#company-fields:replace",
            }
        )
    return form


def form_context(request, form, **extra) -> dict:
    on = register.is_configured()
    return {
        "form": with_lookup(form) if on else form,
        "title": _("Opret virksomhed"),
        "register_on": on,
        "register_lookup": True,
        **extra,
    }


def look_up(typed) -> register.RegisterCompany:
    by = typed.get("by", "cvr")
    number = "".join(c for c in typed.get(by, "") if c.isdigit())
    if by == "p_number":
        if len(number) != 10:
            raise RegisterError(_("Et P-nummer består af 10 cifre."))
        return register.look_up_p_number(number)
    if len(number) != 8:
        raise RegisterError(_("Et CVR-nummer består af 8 cifre og starter ikke med 0."))
    return register.look_up_cvr(number)


@login_required
def company_register_lookup(request):
    """GET ?by=cvr|p_number with the form's fields, or ?register_name=... for a name search.
    A company registered in a municipality the user may not register in answers 404 with a
    message saying so; every failure of the register is a message on the form."""
    records.require_any(request.user, "change_records")
    typed = request.GET.dict()
    if "register_name" in typed:
        return name_search(request, typed["register_name"])
    status, extra = 200, {}
    try:
        found = look_up(typed)
        register_sync.check_can_fill(request.user, found)
    except NotAllowed as error:
        status, extra = 404, {"register_message": str(error)}
    except RegisterError as error:
        extra = {"register_message": str(error)}
    else:
        typed, extra = register_sync.form_data(found, typed), {"register_found": found}
    form = forms.CompanyForm(initial=typed, user=request.user)
    template = f"{TEMPLATE}#fields" if request.htmx else TEMPLATE
    return render(request, template, form_context(request, form, **extra), status=status)


def name_search(request, name: str):
    extra = {"register_query": name}
    if len(name.strip()) < 2:
        extra["register_message"] = _("Skriv mindst to bogstaver af navnet.")
    else:
        try:
            extra["register_results"] = register.search_names(name.strip())
        except RegisterError as error:
            extra["register_message"] = str(error)
    form = forms.CompanyForm(user=request.user)
    template = f"{TEMPLATE}#results" if request.htmx else TEMPLATE
    return render(request, template, form_context(request, form, **extra))
