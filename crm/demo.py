"""Demo data for Region Midtjylland: operators, one user per role (make run)."""

import secrets
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction

from crm.models import Membership, Municipality, Operator
from crm.services import do_add_membership, do_set_operator_municipalities

REGION_CODE = "1082"
# Known names of local business services; the rest get a generic name.
LOCAL_SERVICE_NAMES = {"Viborg": "Viborgegnens Erhvervsråd"}


@dataclass
class DemoLogin:
    username: str
    password: str
    role: str
    operator: str


def local_service_name(municipality: Municipality) -> str:
    return LOCAL_SERVICE_NAMES.get(municipality.name, f"Erhvervsservice {municipality.name}")


def seed_operators() -> dict[str, Operator]:
    municipalities = Municipality.objects.filter(region__code=REGION_CODE)
    for municipality in municipalities:
        operator, _ = Operator.objects.get_or_create(
            name=local_service_name(municipality), defaults={"kind": Operator.Kind.LOCAL}
        )
        do_set_operator_municipalities(operator, [municipality])
    kkr, _ = Operator.objects.get_or_create(
        name="KKR Midtjylland", defaults={"kind": Operator.Kind.OVERSIGHT}
    )
    do_set_operator_municipalities(kkr, municipalities)
    return {
        "local": Operator.objects.get(name=LOCAL_SERVICE_NAMES["Viborg"]),
        "hub": Operator.objects.get(name="Erhvervshus Midtjylland"),
        "oversight": kkr,
    }


DEMO_USERS = [
    # username, first name, operator key, role
    ("konsulent", "Karen Konsulent", "local", Membership.Role.CONSULTANT),
    ("leder", "Lars Leder", "local", Membership.Role.MANAGER),
    ("visitator", "Vibeke Visitator", "hub", Membership.Role.TRIAGE),
    ("hubkonsulent", "Henrik Hubkonsulent", "hub", Membership.Role.CONSULTANT),
    ("kkr", "Kirsten KKR", "oversight", Membership.Role.VIEWER),
]


@transaction.atomic
def seed_demo() -> list[DemoLogin]:
    """Create (or reset) the demo operators and users; every run issues new passwords."""
    operators = seed_operators()
    logins = []
    for username, full_name, key, role in DEMO_USERS:
        first, last = full_name.split(" ", 1)
        user, _ = get_user_model().objects.update_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "email": f"{username}@demo.knudepunkt.dk",
            },
        )
        password = secrets.token_urlsafe(12)
        user.set_password(password)
        user.save()
        do_add_membership(user, operators[key], role)
        logins.append(DemoLogin(username, password, role, operators[key].name))
    return logins
