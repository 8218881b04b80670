"""The demo's tenancy: a local business service for each of the region's municipalities, the
hub and the KKR that oversees them."""

from crm.models import Municipality, Operator
from crm.services import do_set_operator_municipalities

REGION_CODE = "1082"
HUB_NAME = "Erhvervshus Midtjylland"
# Known names of local business services; the rest get a generic name.
LOCAL_SERVICE_NAMES = {"Viborg": "Viborgegnens Erhvervsråd"}


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
        "hub": Operator.objects.get(name=HUB_NAME),
        "oversight": kkr,
    }
