"""The operator's own user survey for its managers (issue 17): its settings, the response
rate per consultant and month, and the comments. reporting/views.py is long enough."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from contracts.surveys.models import settings_for
from crm.pagination import paginate
from crm.permissions import SURVEYS, access_operator
from reporting import surveys
from reporting.forms import SurveySettingsForm

COMMENTS_PER_PAGE = 20


@login_required
def survey_overview(request, pk: int):
    operator = access_operator(request.user, SURVEYS, pk=pk)
    form = SurveySettingsForm(request.POST or None, instance=settings_for(operator))
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Indstillingerne for brugerundersøgelsen er gemt."))
        return redirect("survey-overview", pk=operator.pk)
    page = paginate(request, surveys.comments(operator), size=COMMENTS_PER_PAGE)
    context = {
        "operator": operator,
        "form": form,
        "months": surveys.response_rates(operator, timezone.localdate()),
        "page": page,
        "comments": [surveys.comment_line(evaluation) for evaluation in page],
    }
    return render(request, "reporting/surveys.html", context)
