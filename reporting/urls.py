from django.urls import path

from reporting import logs, survey_views, views

urlpatterns = [
    path("", views.home, name="home"),  # each role's start page (reporting reads every app)
    path("rapporter/", views.report_list, name="report-list"),
    path("rapporter/kontrakt/<int:pk>/", views.contract_dashboard, name="contract-dashboard"),
    path(
        "rapporter/kontrakt/<int:pk>/pdf/<str:kind>/", views.contract_report, name="contract-report"
    ),
    path("rapporter/kontrakt/<int:pk>/maal.<str:fmt>", views.export_goals, name="export-goals"),
    path(
        "rapporter/kontrakt/<int:pk>/profil.<str:fmt>", views.export_profile, name="export-profile"
    ),
    path(
        "rapporter/kontrakt/<int:pk>/deltagerliste.<str:fmt>",
        views.payment_participants,
        name="payment-participants",
    ),
    path(
        "rapporter/kontrakt/<int:pk>/maalinger.<str:fmt>",
        views.export_snapshots,
        name="export-snapshots",
    ),
    path("rapporter/raekker/<str:kind>/", views.goal_rows, name="goal-rows"),
    path("rapporter/aktivitet/", views.activity_dashboard, name="activity-dashboard"),
    path("rapporter/min-maaned/", views.my_month, name="my-month"),
    # The operator's own user survey, for its managers (reporting/survey_views.py).
    path(
        "rapporter/brugerundersoegelse/<int:pk>/",
        survey_views.survey_overview,
        name="survey-overview",
    ),
    path("rapporter/virksomhed/<int:pk>/pdf/", views.company_report, name="company-report"),
    path(
        "rapporter/ivaerksaetter/<int:pk>/indsigt/",
        views.founder_access_request,
        name="founder-access-request",
    ),
    path(
        "rapporter/kontaktperson/<int:pk>/indsigt/",
        views.contact_access_request,
        name="contact-access-request",
    ),
    path("rapporter/<int:pk>/", views.report_detail, name="report-detail"),
    path("rapporter/<int:pk>/fil/", views.report_file, name="report-file"),
    path("rapporter/<int:pk>/kommentarer/", views.report_comments, name="report-comments"),
    path("rapporter/<int:pk>/offentliggoer/", views.report_publish, name="report-publish"),
    path("rapporter/henvisninger.<str:fmt>", views.export_referrals, name="export-referrals"),
    path("rapporter/deltagere.<str:fmt>", views.export_participants, name="export-participants"),
    # The access logs (reporting.logs): a municipality's for its managers, every operator's
    # for an administrator.
    path("kommuner/<str:code>/logge/<str:log>/", logs.access_log, name="access-log"),
    path(
        "kommuner/<str:code>/samtykkelog/",
        logs.access_log,
        {"log": "samtykke"},
        name="consent-access-log",
    ),
    path(
        "kommuner/<str:code>/logge/<str:log>.<str:fmt>",
        logs.access_log_export,
        name="access-log-export",
    ),
    path("logge/<str:log>/", logs.access_log, name="access-log-all"),
    path("logge/<str:log>.<str:fmt>", logs.access_log_export, name="access-log-all-export"),
]
