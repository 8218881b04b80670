"""Contract pages: goal attainment for officials (aggregates only) and managers; editing,
milestones, evaluation import, honoraria and budget for managers of the parties."""

from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import prefetch_related_objects
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from contracts import evaluations, forms, services
from contracts.definitions import goal_definitions
from contracts.indicators import CATALOGUE, EXCLUDED_ALWAYS, PARAMETERS
from contracts.models import AttainmentRun, BudgetLine, Contract, Goal, PaymentRule
from contracts.tasks import compute_contract_attainment
from crm.models import Municipality
from crm.permissions import MEMBER
from crm.services import DomainError, NotAllowed
from crm.spreadsheets import file_response


def access_contract(user, pk: int, *, manage: bool = False) -> Contract:
    """404 unless the contract covers one of the user's municipalities; 403 when managing
    is asked and the user is not a manager there."""
    contract = Contract.objects.visible_to(user, MEMBER).filter(pk=pk).first()
    if contract is None:
        raise Http404
    if manage:
        try:
            services.check_can_manage(user, contract)
        except NotAllowed as error:
            raise PermissionDenied(str(error)) from error
    return contract


def can_manage(user, contract) -> bool:
    try:
        services.check_can_manage(user, contract)
    except NotAllowed:
        return False
    return True


@login_required
def contract_list(request):
    contracts = Contract.objects.visible_to(request.user, MEMBER).prefetch_related("parties")
    context = {"contracts": contracts, "can_create": can_create_contracts(request.user)}
    return render(request, "contracts/list.html", context)


def goal_table(contract: Contract):
    """Per goal: its total snapshot and its municipalities' snapshots (latest date)."""
    snapshots = services.latest_snapshots(contract)
    by_goal = {}
    for snap in snapshots:
        entry = by_goal.setdefault(snap.goal_id, {"total": None, "municipalities": []})
        if snap.municipality_id is None:
            entry["total"] = snap
        else:
            entry["municipalities"].append(snap)
    return [
        (goal, by_goal.get(goal.pk, {"total": None, "municipalities": []}))
        for goal in contract.goals.all()
    ]


@login_required
def contract_detail(request, pk: int):
    contract = access_contract(request.user, pk)
    prefetch_related_objects([contract], "goals__local_targets__municipality")
    context = {
        "contract": contract,
        "goals": goal_table(contract),
        "run": contract.runs.first(),
        "can_manage": can_manage(request.user, contract),
    }
    return render(request, "contracts/detail.html", context)


@login_required
def contract_definitions(request, pk: int):
    """The published definition of each goal (clause, what counts and what does not, whose
    records, unit, numerator and denominator): for everybody who reads the contract."""
    contract = access_contract(request.user, pk)
    prefetch_related_objects([contract], "goals__local_targets__municipality")
    context = {"contract": contract, "definitions": goal_definitions(contract)}
    return render(request, "contracts/definitions.html", context)


@login_required
def indicator_catalogue(request):
    """Every indicator of the catalogue with its definition and the parameters a goal may
    set: the same for every contract and every user."""
    indicators = [
        (definition, [PARAMETERS[name] for name in definition.parameters])
        for definition in sorted(CATALOGUE.values(), key=lambda d: str(d.label))
    ]
    context = {"indicators": indicators, "excluded_always": EXCLUDED_ALWAYS}
    return render(request, "contracts/catalogue.html", context)


def saved(request, form, save, message: str):
    """Validate ``form`` and call the service ``save(**cleaned_data)``; its refusal is shown
    on the form. The saved object, or None (then render the form: 400 after a POST)."""
    if not form.is_valid():
        return None
    try:
        obj = save(**form.cleaned_data)
    except NotAllowed as error:
        raise PermissionDenied(str(error)) from error
    except DomainError as error:
        form.add_error(None, str(error))
        return None
    messages.success(request, message)
    return obj


def form_page(request, form, title: str, *, multipart: bool = False):
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "title": title, "multipart": multipart}
    return render(request, "crm/record_form.html", context, status=status)


def can_create_contracts(user) -> bool:
    return services.managed_operators(user).exists()


@login_required
def contract_create(request):
    """A manager of an operator creates a contract that operator (or another it works with)
    is a party to; 404 without municipalities, 403 without a manager role."""
    if not Municipality.objects.for_user(request.user, MEMBER).exists():
        raise Http404
    if not can_create_contracts(request.user):
        raise PermissionDenied(_("Kun ledere kan oprette kontrakter."))
    form = forms.ContractForm(request.POST or None, request.FILES or None, user=request.user)
    create = partial(services.do_create_contract, request.user)
    contract = saved(request, form, create, _("Kontrakten er oprettet."))
    if contract:
        return redirect("contract-detail", contract.pk)
    return form_page(request, form, _("Ny kontrakt"), multipart=True)


@login_required
def contract_edit(request, pk: int):
    contract = access_contract(request.user, pk, manage=True)
    form = forms.ContractForm(
        request.POST or None, request.FILES or None, instance=contract, user=request.user
    )
    update = partial(services.do_update_contract, request.user, contract)
    if saved(request, form, update, _("Kontrakten er gemt.")):
        return redirect("contract-detail", pk)
    title = _("Ret %(title)s") % {"title": contract.title}
    return form_page(request, form, title, multipart=True)


def goal_saver(user, contract: Contract, goal: Goal | None):
    if goal:
        return partial(services.do_update_goal, user, goal)
    return partial(services.do_add_goal, user, contract)


@login_required
def goal_edit(request, pk: int, goal_pk: int | None = None):
    """Add or change a goal. Choosing another indicator shows its parameter fields: htmx
    swaps them in; without JavaScript, "Vis parametre" posts the form back unsaved."""
    contract = access_contract(request.user, pk, manage=True)
    goal = get_object_or_404(Goal, pk=goal_pk, contract=contract) if goal_pk else None
    instance = goal or Goal(contract=contract)
    if request.htmx and request.method == "GET":
        form = forms.GoalForm(instance=instance, indicator=request.GET.get("indicator", ""))
        return render(request, "contracts/goal_form.html#params", {"form": form})
    form = forms.GoalForm(request.POST or None, instance=instance, refresh_url=request.path)
    showing = "show_params" in request.POST
    save = goal_saver(request.user, contract, goal)
    if not showing and saved(request, form, save, _("Målet er gemt.")):
        return redirect("contract-detail", pk)
    context = {"form": form, "contract": contract, "goal": goal, "show_errors": not showing}
    status = 400 if request.method == "POST" and not showing else 200
    return render(request, "contracts/goal_form.html", context, status=status)


@login_required
def goal_targets(request, pk: int, goal_pk: int):
    """A manager sets the goal's target in each municipality (``GoalTarget``)."""
    contract = access_contract(request.user, pk, manage=True)
    goal = get_object_or_404(Goal, pk=goal_pk, contract=contract)
    form = forms.GoalTargetsForm(request.POST or None, goal=goal)
    save = partial(services.do_set_goal_targets, request.user, goal)
    if saved(request, form, save, _("Målene pr. kommune er gemt.")):
        return redirect("contract-detail", pk)
    title = _("Mål pr. kommune: %(goal)s") % {"goal": goal}
    return form_page(request, form, title)


@login_required
def payment_rule_edit(request, pk: int, rule_pk: int | None = None):
    """Add or change an honorarium rule (seed 001 §8)."""
    contract = access_contract(request.user, pk, manage=True)
    rule = get_object_or_404(PaymentRule, pk=rule_pk, contract=contract) if rule_pk else None
    form = forms.PaymentRuleForm(
        request.POST or None, instance=rule or PaymentRule(contract=contract)
    )
    if rule:
        save = partial(services.do_update_payment_rule, request.user, rule)
    else:
        save = partial(services.do_add_payment_rule, request.user, contract)
    if saved(request, form, save, _("Honorarreglen er gemt.")):
        return redirect("contract-settlement", pk)
    return form_page(request, form, _("Honorarregel"))


@login_required
def budget_line_edit(request, pk: int, line_pk: int | None = None):
    """Add or change a budget line; money moves between lines on the budget page."""
    contract = access_contract(request.user, pk, manage=True)
    line = get_object_or_404(BudgetLine, pk=line_pk, contract=contract) if line_pk else None
    form = forms.BudgetLineForm(
        request.POST or None, instance=line or BudgetLine(contract=contract), contract=contract
    )
    if line:
        save = partial(services.do_update_budget_line, request.user, line)
    else:
        save = partial(services.do_add_budget_line, request.user, contract)
    if saved(request, form, save, _("Budgetlinjen er gemt.")):
        return redirect("contract-budget", pk)
    return form_page(request, form, _("Budgetlinje"))


@login_required
@require_POST
def contract_compute(request, pk: int):
    """Start a recompute in Celery; the page polls the run until it is done."""
    contract = access_contract(request.user, pk, manage=True)
    today = timezone.localdate()
    compute_contract_attainment.delay(contract.pk, today.isoformat())
    run = contract.runs.first()
    return render(
        request, "contracts/detail.html#run", {"contract": contract, "run": run, "polling": True}
    )


@login_required
def contract_run(request, pk: int):
    contract = access_contract(request.user, pk)
    run = contract.runs.first()
    polling = run is None or run.state == AttainmentRun.State.RUNNING
    return render(
        request, "contracts/detail.html#run", {"contract": contract, "run": run, "polling": polling}
    )


@login_required
def milestone_judge(request, pk: int, goal_pk: int):
    contract = access_contract(request.user, pk, manage=True)
    goal = get_object_or_404(Goal, pk=goal_pk, contract=contract, is_milestone=True)
    form = forms.MilestoneForm(
        request.POST or None,
        request.FILES or None,
        initial={"status": goal.milestone_status, "evidence": goal.evidence},
    )
    if form.is_valid():
        services.judge_milestone(request.user, goal, **form.cleaned_data)
        messages.success(request, _("Milepælen er vurderet."))
        return redirect("contract-detail", pk)
    return render(
        request, "crm/record_form.html", {"form": form, "title": str(goal), "multipart": True}
    )


@login_required
def evaluation_import(request, pk: int):
    """Upload a CSV or XLSX of answers: "Tjek filen" lists every bad row and writes nothing;
    "Indlæs" writes all rows or none, and the goals are recomputed after commit."""
    contract = access_contract(request.user, pk, manage=True)
    form = forms.EvaluationImportForm(request.POST or None, request.FILES or None)
    result = None
    if form.is_valid():
        upload, dry_run = form.cleaned_data["file"], "dry_run" in request.POST
        try:
            result = evaluations.import_evaluations(
                request.user, upload.read(), source=upload.name, dry_run=dry_run
            )
        except evaluations.ImportRefused as error:
            result = evaluations.ImportResult(0, error.errors)
        except DomainError as error:
            form.add_error("file", str(error))
        if result is not None and not result.dry_run and not result.errors:
            messages.success(
                request,
                _("%(count)d svar er indlæst; målopfyldelsen beregnes.") % {"count": result.count},
            )
            return redirect("contract-detail", pk)
    failed = form.errors or (result is not None and result.errors)
    context = {"contract": contract, "form": form, "result": result, "columns": evaluations.COLUMNS}
    status = 400 if request.method == "POST" and failed else 200
    return render(request, "contracts/evaluation_import.html", context, status=status)


@login_required
def evaluation_export(request, pk: int):
    """The companies to be evaluated (contracts.evaluations.companies_to_evaluate) as CSV or
    XLSX in the import's columns; without a period, the form."""
    contract = access_contract(request.user, pk, manage=True)
    form = forms.EvaluationExportForm(
        request.GET or None, initial={"start": contract.starts_on, "end": contract.ends_on}
    )
    if not form.is_valid():
        context = {"contract": contract, "form": form, "columns": evaluations.COLUMNS}
        status = 400 if form.is_bound else 200
        return render(request, "contracts/evaluation_export.html", context, status=status)
    return file_response(*evaluations.export_file(request.user, contract, **form.cleaned_data))


@login_required
def settlement(request, pk: int):
    contract = access_contract(request.user, pk, manage=True)
    form = forms.SettlementForm(
        request.GET or None, initial={"start": contract.starts_on, "end": contract.ends_on}
    )
    lines, total = ([], None)
    if form.is_valid():
        lines, total = services.settlement(
            contract, form.cleaned_data["start"], form.cleaned_data["end"], user=request.user
        )
    return render(
        request,
        "contracts/settlement.html",
        {"contract": contract, "form": form, "lines": lines, "total": total},
    )


@login_required
def budget(request, pk: int):
    contract = access_contract(request.user, pk, manage=True)
    form = forms.TransferForm(request.POST or None, contract=contract)
    if form.is_valid():
        try:
            services.transfer_budget(request.user, **form.cleaned_data)
        except DomainError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Beløbet er flyttet."))
            return redirect("contract-budget", pk)
    return render(
        request,
        "contracts/budget.html",
        {"contract": contract, "budget": services.budget_status(contract), "form": form},
    )
