"""Every page and endpoint, walked as the four kinds of user."""

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from crm.models import Membership
from crm.services import do_revoke_municipality, sync_operator_permissions
from tests.conftest import assert_four_users

pytestmark = pytest.mark.django_db

# Names of the URL patterns that carry no municipality: open to every member, and to
# nobody anonymous. The rest are covered by a four-user test below, by name.
UNSCOPED_PAGES = [
    "home",
    "municipality-list",
    "password_change",
    "password_change_done",
    "account",
]
# Record pages: their four-user tests are in tests/crm/test_records.py.
RECORD_PAGES = [
    "search",
    "company-list",
    "company-create",
    "founder-list",
    "founder-create",
    "session-list",
    "follow-ups",
    "network-list",
    "company-detail",
    "company-edit",
    "contact-create",
    "project-create",
    "network-join",
    "founder-detail",
    "founder-edit",
    "founder-reveal-cpr",
    "founder-link-company",
    "consent-withdraw",
    # Consent as evidence: four-user tests in tests/crm/test_consent_evidence.py.
    "consent-correct",
    "consent-accept",
    "consent-document",
    "consent-access-log",
    "company-session-create",
    "founder-session-create",
    "company-consent-create",
    "founder-consent-create",
    "company-programme-create",
    "founder-programme-create",
    "session-edit",
    "contact-edit",
    "project-edit",
    # The company form's lookup in the company register: tests/crm/test_register_views.py.
    "company-register-lookup",
    # The phone app's page (issue 18): tests/crm/test_offline_page.py.
    "offline-app",
]
# Referral pages and the inbox: tests/referrals/test_views.py.
REFERRAL_PAGES = [
    "triage-queue",
    "referral-sent",
    "referral-detail",
    "company-referral-create",
    "founder-referral-create",
    "inbox",
    "notification-open",
    *[
        f"referral-{action}"
        for action in ["accept", "decline", "contacted", "complete", "withdraw", "assign", "uptake"]
    ],
]
# Contract pages: tests/contracts/test_views.py.
CONTRACT_PAGES = [
    "contract-list",
    "contract-detail",
    "contract-edit",
    "goal-create",
    "goal-edit",
    "milestone-judge",
    "contract-compute",
    "contract-run",
    "evaluation-import",
    "evaluation-export",
    "contract-settlement",
    "contract-budget",
    # Editing contracts: tests/contracts/test_editing.py.
    "contract-create",
    "payment-rule-create",
    "payment-rule-edit",
    "budget-line-create",
    "budget-line-edit",
    # Published definitions: tests/contracts/test_definitions.py; per-municipality targets:
    # tests/contracts/test_goal_form.py.
    "contract-definitions",
    "indicator-catalogue",
    "goal-targets",
]
# Dashboards, reports and exports: tests/reporting/test_four_users.py and
# tests/reporting/test_reporting.py. The viewer walks every name of all of them, and meets
# no person data: tests/crm/test_person_data.py.
REPORTING_PAGES = [
    "report-list",
    "contract-dashboard",
    "contract-report",
    "export-goals",
    # The annual profile of the guided companies: tests/reporting/test_profile.py.
    "export-profile",
    "activity-dashboard",
    "my-month",
    "company-report",
    "report-detail",
    "report-file",
    "export-referrals",
    "export-participants",
    # The EU programme's participant list: tests/reporting/test_eu_programme.py.
    "payment-participants",
    "export-snapshots",
    "report-comments",
    "report-publish",
    # The rows behind a number: tests/reporting/test_dashboard.py.
    "goal-rows",
    # The operator's own user survey for its managers: tests/reporting/test_surveys.py.
    "survey-overview",
]
UNSCOPED_API = [
    "api-root",
    "api-me",
    "api-municipality-list",
    "schema",
    "api-docs",
    # The caller's own inbox (tests/referrals/test_api.py: only the caller's rows).
    "api-notification-list",
    "api-notification-unread-count",
    # The caller's own API tokens (tests/crm/test_tokens.py).
    "api-token-list",
]
# The migration import and merging (managers): four-user tests in tests/crm/test_imports.py
# and tests/crm/test_merge.py; the pages without a batch answer 403 to every non-manager.
IMPORT_PAGES = [
    "import-list",
    "import-start",
    "import-detail",
    "import-errors",
    "import-confirm",
    "import-undo",
    "company-merge",
    "founder-merge",
    "api-import-list",
    "api-import-detail",
    "api-import-confirm",
    "api-import-undo",
    "api-merge-list",
]
# A company's figures year by year and the follow-up form: tests/crm/test_impact.py.
IMPACT_PAGES = ["company-years"]
# Events and their participants: four-user tests in tests/crm/test_events.py.
EVENT_PAGES = [
    "event-list",
    "event-create",
    "event-detail",
    "event-edit",
    "event-register",
    "event-attendance",
    "participant-make-founder",
    "participant-make-company",
]
# Change histories, access logs and access requests (managers of the municipality; every
# operator's logs for an administrator): four-user tests in tests/crm/test_audit_history.py,
# tests/reporting/test_access_logs.py and tests/reporting/test_access_requests.py.
AUDIT_PAGES = [
    "founder-access-request",
    "contact-access-request",
    "company-history",
    "founder-history",
    "access-log",
    "access-log-export",
    "access-log-all",
    "access-log-all-export",
]
# Erasure on request and the retention dry run (managers): four-user tests, and the viewer's,
# consultant's and outsider's POSTs erasing nothing, in tests/crm/test_retention.py.
RETENTION_PAGES = [
    "founder-erase",
    "contact-erase",
    "retention-plan",
]
# The subject's one-time consent link: no login, a valid link (tests/crm/test_consent_evidence.py).
PUBLIC = [
    "login",
    "logout",
    "set_language",
    "consent-confirm",
    # The own survey's answer and unsubscribe pages (tests/contracts/test_surveys.py).
    "survey-answer",
    "survey-unsubscribe",
    # The app on the phone's home screen (tests/crm/test_pwa.py).
    "manifest",
    "service-worker",
]
# The caller's own second factor and tokens, no municipality: tests/crm/test_login_hardening.py
# and tests/crm/test_tokens.py (anonymous to the login page, another user's token 404).
OWN_ACCOUNT = [
    "two-factor-verify",
    "two-factor-setup",
    "two-factor-recovery-codes",
    "two-factor-remove",
    "token-create",
    "token-revoke",
    "api-token-detail",
]
SCOPED = [
    "municipality-detail",
    "api-municipality-detail",
    # The record endpoints: four-user tests in tests/crm/test_api.py, for reading and, on
    # the detail URL, for updating (PATCH) companies, founders, contacts, sessions, projects.
    *[
        f"api-{name}-{kind}"
        for name in [
            "company",
            "contact",
            "founder",
            "session",
            "consent",
            "network",
            "project",
            "enrolment",
        ]
        for kind in ["list", "detail"]
    ],
    "api-consent-withdraw",
    "api-consent-accept",
    # The phone app's bundle and new company by CVR: tests/crm/test_offline_api.py.
    "api-offline",
    "api-company-from-register",
    # One referral and its changes of state: four-user tests in tests/referrals/test_api.py.
    "api-referral-detail",
    *[
        f"api-referral-{action}"
        for action in ["accept", "decline", "contacted", "complete", "withdraw", "assign", "uptake"]
    ],
]
# Referral endpoints without a municipality in the URL: their tests (403 without the right
# anywhere, the outsider's empty list, 404 for another user's notification) are in
# tests/referrals/test_api.py.
REFERRAL_API = [
    "api-referral-list",
    "api-referral-queue",
    "api-adviser-list",
    "api-adviser-detail",
    "api-notification-detail",
    "api-notification-read",
]

# Contract endpoints: four-user tests in tests/contracts/test_api.py. The evaluation import
# names no municipality: 403 without "manage_contracts" anywhere, the outsider included.
CONTRACT_API = [
    *[f"api-contract-{kind}" for kind in ["list", "detail", "compute", "run", "settlement"]],
    "api-contract-evaluation-export",  # four-user test: tests/contracts/test_evaluations.py
    *[f"api-goal-{kind}" for kind in ["list", "detail", "judge"]],
    "api-goal-targets",  # four-user test: tests/contracts/test_goal_form.py
    "api-contract-definitions",  # four-user test: tests/contracts/test_definitions.py
    "api-snapshot-list",
    "api-snapshot-detail",
    "api-evaluation-list",
    "api-evaluation-import",
]
# Report endpoints: four-user tests in tests/reporting/test_api.py.
REPORT_API = [
    "api-report-list",
    "api-report-detail",
    "api-report-file",
    "api-report-comments",
    "api-report-publish",
]


def project_url_names(resolver=None, prefix=""):
    """All named URL patterns of the project's own apps (admin excluded)."""
    names = []
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            if entry.app_name == "admin":
                continue
            names += project_url_names(entry)
        elif isinstance(entry, URLPattern) and entry.name:
            names.append(entry.name)
    return names


def test_every_url_is_in_the_access_matrix():
    covered = set(
        UNSCOPED_PAGES
        + RECORD_PAGES
        + REFERRAL_PAGES
        + CONTRACT_PAGES
        + REPORTING_PAGES
        + UNSCOPED_API
        + PUBLIC
        + OWN_ACCOUNT
        + SCOPED
        + REFERRAL_API
        + CONTRACT_API
        + REPORT_API
        + IMPORT_PAGES
        + AUDIT_PAGES
        + EVENT_PAGES
        + IMPACT_PAGES
        + RETENTION_PAGES
    )
    missing = {name for name in project_url_names() if not name.endswith("-format")} - covered
    assert not missing, f"Add these URLs to the access tests: {sorted(missing)}"


@pytest.mark.parametrize("name", UNSCOPED_PAGES)
def test_unscoped_pages_answer_members_and_send_anonymous_to_login(world, name):
    url = reverse(name)
    for user in (world.consultant, world.viewer, world.outsider, world.triage):
        assert world.client_for(user).get(url).status_code == 200, (name, user)
    response = Client().get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


@pytest.mark.parametrize("name", UNSCOPED_API)
def test_unscoped_api_answers_members_and_refuses_anonymous(world, name):
    url = reverse(name)
    for user in (world.consultant, world.viewer, world.outsider):
        assert world.client_for(user).get(url).status_code == 200, (name, user)
    assert Client().get(url).status_code == 401


def test_municipality_page_for_the_four_users(world):
    url = reverse("municipality-detail", args=[world.home.code])
    assert_four_users(world, url, allowed=world.consultant)


def test_unknown_municipality_is_404_like_a_foreign_one(world):
    response = world.client_for(world.consultant).get(reverse("municipality-detail", args=["999"]))
    assert response.status_code == 404


def test_municipality_list_shows_only_the_users_municipalities(world):
    response = world.client_for(world.consultant).get(reverse("municipality-list"))

    assert [m.code for m in response.context["municipalities"]] == ["791"]


def test_revoking_a_municipality_takes_effect_on_the_next_request(world):
    client = world.client_for(world.consultant)
    url = reverse("municipality-detail", args=[world.home.code])
    assert client.get(url).status_code == 200

    do_revoke_municipality(world.local, world.home)

    assert client.get(url).status_code == 404


def test_deactivating_an_operator_removes_its_rights(world):
    client = world.client_for(world.consultant)
    world.local.active = False
    world.local.save()
    sync_operator_permissions(world.local)

    assert client.get(reverse("municipality-detail", args=[world.home.code])).status_code == 404


@pytest.mark.parametrize(
    ("role", "landing"),
    [
        ("consultant", "consultant"),
        ("manager", "manager"),
        ("triage", "triage"),
        ("viewer", "viewer"),
    ],
)
def test_each_role_reaches_its_landing_page(world, role, landing):
    response = world.client_for(getattr(world, role)).get(reverse("home"))

    assert response.status_code == 200
    assert f'data-landing="{landing}"' in response.text


def test_navigation_shows_each_role_only_what_it_may_use(world):
    from crm.context_processors import NAVIGATION

    response = world.client_for(world.viewer).get(reverse("home"))
    labels = [str(item["label"]) for item in response.context["nav_items"]]
    expected = [str(label) for _, label, roles in NAVIGATION if Membership.Role.VIEWER in roles]
    assert labels == expected


def test_api_municipality_for_the_four_users(world):
    url = reverse("api-municipality-detail", args=[world.home.code])
    # The municipality itself is visible to every member, so the viewer is allowed here;
    # the 403 case for the API is the triage user of the hub on a foreign operator's data
    # in later apps. Here: member 200, outsider 404, anonymous 401.
    assert world.client_for(world.viewer).get(url).status_code == 200
    assert world.client_for(world.outsider).get(url).status_code == 404
    assert Client().get(url).status_code == 401


def test_api_lists_only_the_callers_municipalities(world):
    response = world.client_for(world.outsider).get(reverse("api-municipality-list"))

    assert [row["code"] for row in response.json()["results"]] == ["751"]


def test_api_token_authentication(world):
    from crm.tokens import do_create_token

    _, token = do_create_token(world.consultant)
    response = Client().get(reverse("api-me"), HTTP_AUTHORIZATION=f"Token {token}")

    assert response.status_code == 200
    assert response.json()["memberships"][0]["role"] == "consultant"
