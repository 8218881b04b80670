from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from crm import api, offline_bundle, tokens
from crm.views import (
    account,
    audit,
    events,
    impact,
    imports,
    merging,
    offline,
    pwa,
    records,
    register,
    retention,
    shell,
)

SUBJECT_KINDS = [("virksomheder", "company"), ("ivaerksaettere", "founder")]

handler403 = "crm.bad_input.forbidden"
handler404 = "crm.bad_input.not_found"
handler500 = "crm.bad_input.server_error"

urlpatterns = [
    path("kommuner/", shell.municipality_list, name="municipality-list"),
    path("kommuner/<str:code>/", shell.municipality_detail, name="municipality-detail"),
    path("soeg/", records.search, name="search"),
    path("virksomheder/", records.company_list, name="company-list"),
    path("virksomheder/ny/", records.company_create, name="company-create"),
    path(
        "virksomheder/cvr-opslag/",
        register.company_register_lookup,
        name="company-register-lookup",
    ),
    path("virksomheder/<int:pk>/", records.company_detail, name="company-detail"),
    path("virksomheder/<int:pk>/rediger/", records.company_edit, name="company-edit"),
    path("virksomheder/<int:pk>/noegletal/", impact.company_years, name="company-years"),
    path("virksomheder/<int:pk>/kontaktperson/", records.contact_create, name="contact-create"),
    path("virksomheder/<int:pk>/projekt/", records.project_create, name="project-create"),
    path("virksomheder/<int:pk>/netvaerk/", records.network_join, name="network-join"),
    path("ivaerksaettere/", records.founder_list, name="founder-list"),
    path("ivaerksaettere/ny/", records.founder_create, name="founder-create"),
    path("ivaerksaettere/<int:pk>/", records.founder_detail, name="founder-detail"),
    path("ivaerksaettere/<int:pk>/rediger/", records.founder_edit, name="founder-edit"),
    path("ivaerksaettere/<int:pk>/cpr/", records.founder_reveal_cpr, name="founder-reveal-cpr"),
    path(
        "ivaerksaettere/<int:pk>/virksomhed/",
        records.founder_link_company,
        name="founder-link-company",
    ),
    path("samtykker/<int:pk>/tilbagekald/", records.consent_withdraw, name="consent-withdraw"),
    path("samtykker/<int:pk>/ret/", records.consent_correct, name="consent-correct"),
    path("samtykker/<int:pk>/accepter/", records.consent_accept, name="consent-accept"),
    path("samtykker/<int:pk>/blanket/", records.consent_document, name="consent-document"),
    path("samtykke/<str:token>/", records.consent_confirm, name="consent-confirm"),
    path("kommuner/<str:code>/anonymisering/", retention.retention_plan, name="retention-plan"),
    path("ivaerksaettere/<int:pk>/slet/", retention.founder_erase, name="founder-erase"),
    path("kontaktpersoner/<int:pk>/slet/", retention.contact_erase, name="contact-erase"),
    path("vejledninger/", records.session_list, name="session-list"),
    path("vejledninger/<int:pk>/rediger/", records.session_edit, name="session-edit"),
    path("kontaktpersoner/<int:pk>/rediger/", records.contact_edit, name="contact-edit"),
    path("projekter/<int:pk>/rediger/", records.project_edit, name="project-edit"),
    path("opfoelgning/", records.follow_ups, name="follow-ups"),
    path("mobil/", offline.offline_app, name="offline-app"),
    path("netvaerk/", records.network_list, name="network-list"),
    path("arrangementer/", events.event_list, name="event-list"),
    path("arrangementer/nyt/", events.event_create, name="event-create"),
    path("arrangementer/<int:pk>/", events.event_detail, name="event-detail"),
    path("arrangementer/<int:pk>/rediger/", events.event_edit, name="event-edit"),
    path("arrangementer/<int:pk>/tilmeld/", events.event_register, name="event-register"),
    path("arrangementer/<int:pk>/fremmoede/", events.event_attendance, name="event-attendance"),
    path(
        "deltagere/<int:pk>/ivaerksaetter/",
        events.participant_make_founder,
        name="participant-make-founder",
    ),
    path(
        "deltagere/<int:pk>/virksomhed/",
        events.participant_make_company,
        name="participant-make-company",
    ),
    path("beskeder/", shell.inbox, name="inbox"),
    path("indlaesninger/", imports.import_list, name="import-list"),
    path("indlaesninger/ny/", imports.import_start, name="import-start"),
    path("indlaesninger/<int:pk>/", imports.import_detail, name="import-detail"),
    path("indlaesninger/<int:pk>/fejl.csv", imports.import_errors, name="import-errors"),
    path("indlaesninger/<int:pk>/indlaes/", imports.import_confirm, name="import-confirm"),
    path("indlaesninger/<int:pk>/fortryd/", imports.import_undo, name="import-undo"),
    path("beskeder/<int:pk>/", shell.notification_open, name="notification-open"),
    path("", include("referrals.urls")),
    path("", include("contracts.urls")),
    path("", include("reporting.urls")),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", account.LogoutView.as_view(), name="logout"),
    path("adgangskode/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "adgangskode/skiftet/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("konto/", account.account, name="account"),
    path("konto/totrin/", account.two_factor_verify, name="two-factor-verify"),
    path("konto/totrin/opsaet/", account.two_factor_setup, name="two-factor-setup"),
    path(
        "konto/totrin/gendannelseskoder/",
        account.recovery_codes,
        name="two-factor-recovery-codes",
    ),
    path("konto/totrin/fjern/", account.two_factor_remove, name="two-factor-remove"),
    path("konto/api-noegler/", account.token_create, name="token-create"),
    path("konto/api-noegler/<str:key>/tilbagekald/", account.token_revoke, name="token-revoke"),
    path("api/v1/tokens/", tokens.token_list, name="api-token-list"),
    path("api/v1/tokens/<str:key>/", tokens.token_detail, name="api-token-detail"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api.router.urls)),
    path("", include("referrals.api_urls")),
    path("", include("contracts.api_urls")),
    path("", include("reporting.api_urls")),
    path("api/v1/me/", api.me, name="api-me"),
    path("api/v1/offline/", offline_bundle.offline_bundle, name="api-offline"),
    path("manifest.webmanifest", pwa.manifest, name="manifest"),
    path("sw.js", pwa.service_worker, name="service-worker"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
]

# The same small pages for a company and for a founder.
for prefix, kind in SUBJECT_KINDS:
    urlpatterns += [
        path(
            f"{prefix}/<int:pk>/vejledning/",
            records.session_create,
            {"kind": kind},
            name=f"{kind}-session-create",
        ),
        path(
            f"{prefix}/<int:pk>/samtykke/",
            records.consent_create,
            {"kind": kind},
            name=f"{kind}-consent-create",
        ),
        path(
            f"{prefix}/<int:pk>/sammenlaeg/",
            merging.merge,
            {"kind": kind},
            name=f"{kind}-merge",
        ),
        path(
            f"{prefix}/<int:pk>/vaekstforloeb/",
            records.programme_create,
            {"kind": kind},
            name=f"{kind}-programme-create",
        ),
        path(
            f"{prefix}/<int:pk>/historik/",
            audit.subject_history,
            {"kind": kind},
            name=f"{kind}-history",
        ),
    ]
