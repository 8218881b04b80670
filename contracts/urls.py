from django.urls import include, path

from contracts import views

urlpatterns = [
    path("", include("contracts.surveys.urls")),  # the own survey's public answer page
    path("kontrakter/", views.contract_list, name="contract-list"),
    path("kontrakter/ny/", views.contract_create, name="contract-create"),
    path("kontrakter/definitioner/", views.indicator_catalogue, name="indicator-catalogue"),
    path("kontrakter/<int:pk>/", views.contract_detail, name="contract-detail"),
    path("kontrakter/<int:pk>/rediger/", views.contract_edit, name="contract-edit"),
    path(
        "kontrakter/<int:pk>/definitioner/",
        views.contract_definitions,
        name="contract-definitions",
    ),
    path("kontrakter/<int:pk>/maal/", views.goal_edit, name="goal-create"),
    path("kontrakter/<int:pk>/maal/<int:goal_pk>/", views.goal_edit, name="goal-edit"),
    path(
        "kontrakter/<int:pk>/maal/<int:goal_pk>/kommuner/",
        views.goal_targets,
        name="goal-targets",
    ),
    path(
        "kontrakter/<int:pk>/maal/<int:goal_pk>/milepael/",
        views.milestone_judge,
        name="milestone-judge",
    ),
    path("kontrakter/<int:pk>/beregn/", views.contract_compute, name="contract-compute"),
    path("kontrakter/<int:pk>/beregning/", views.contract_run, name="contract-run"),
    path("kontrakter/<int:pk>/evalueringer/", views.evaluation_import, name="evaluation-import"),
    path(
        "kontrakter/<int:pk>/evalueringer/eksport/",
        views.evaluation_export,
        name="evaluation-export",
    ),
    path("kontrakter/<int:pk>/honorar/", views.settlement, name="contract-settlement"),
    path("kontrakter/<int:pk>/budget/", views.budget, name="contract-budget"),
    path("kontrakter/<int:pk>/budget/ny/", views.budget_line_edit, name="budget-line-create"),
    path(
        "kontrakter/<int:pk>/budget/<int:line_pk>/",
        views.budget_line_edit,
        name="budget-line-edit",
    ),
    path("kontrakter/<int:pk>/honorar/ny/", views.payment_rule_edit, name="payment-rule-create"),
    path(
        "kontrakter/<int:pk>/honorar/<int:rule_pk>/",
        views.payment_rule_edit,
        name="payment-rule-edit",
    ),
]
