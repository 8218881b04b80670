from crm.models import IndustryCode, Municipality, Operator, Region
from crm.reference import load_reference_data


def test_reference_data_loads_twice_without_duplicates():
    load_reference_data()
    summary = load_reference_data()

    assert (summary.regions, summary.municipalities) == (5, 98)
    assert Region.objects.count() == 5
    assert Municipality.objects.count() == 98
    assert Operator.objects.filter(kind=Operator.Kind.HUB).count() == 6
    assert IndustryCode.objects.count() == summary.industry_codes


def test_every_municipality_has_its_region_and_hub():
    viborg = Municipality.objects.select_related("region", "hub").get(code="791")

    assert viborg.region.name == "Region Midtjylland"
    assert viborg.hub.name == "Erhvervshus Midtjylland"
    assert not Municipality.objects.filter(hub__isnull=True).exists()
    assert Municipality.objects.filter(region__code="1082").count() == 19


def test_hub_serves_exactly_its_municipalities():
    hub = Operator.objects.get(name="Erhvervshus Sydjylland")

    assert hub.municipalities.count() == 13
    assert hub.municipalities.filter(name="Middelfart").exists()


def test_reload_keeps_the_rural_urban_class_an_administrator_set():
    Municipality.objects.filter(code="791").update(rural_urban=Municipality.RuralUrban.RURAL)

    load_reference_data()

    assert Municipality.objects.get(code="791").rural_urban == "rural"
    assert Municipality.objects.exclude(code="791").filter(rural_urban="").count() == 97


def test_industry_codes_carry_their_system():
    db07 = IndustryCode.objects.filter(system="DB07")
    db25 = IndustryCode.objects.filter(system="DB25")

    assert db07.filter(level="section").count() == 21
    assert db07.filter(level="division").count() == 88
    assert db25.filter(level="detailed").count() == 738
    assert db25.get(code="478100").parent_code == "47"
