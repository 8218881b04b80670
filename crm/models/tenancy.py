"""Tenancy and reference data: regions, municipalities, industry codes, operators, memberships.

Every record in Knudepunkt belongs to a municipality; what a user may do there is a
django-guardian object permission on that ``Municipality`` row, granted to the group of an
(operator, role) pair. See ``crm.permissions``.
"""

from collections import defaultdict

from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermission, UserObjectPermission

from crm.scoping import remembered


class Region(models.Model):
    code = models.CharField(_("regionskode"), max_length=4, unique=True)
    name = models.CharField(_("navn"), max_length=100)
    short_name = models.CharField(_("kort navn"), max_length=50)

    class Meta:
        ordering = ["code"]
        verbose_name = _("region")
        verbose_name_plural = _("regioner")

    def __str__(self) -> str:
        return self.name


class MunicipalityQuerySet(models.QuerySet):
    def for_user(self, user, perm: str) -> "MunicipalityQuerySet":
        """The municipalities where ``user`` holds ``perm`` (a codename from crm.permissions)."""
        return self.filter(pk__in=self.ids_for(user, perm))

    def ids_for(self, user, perm: str) -> list[int]:
        """The ids of those municipalities, as constants for other queries: read once per
        request (``crm.scoping``), so a granted or revoked municipality counts from the user's
        next request."""
        if not user.is_authenticated:
            return []
        return remembered(("rights", user.pk), lambda: municipality_rights(user)).get(perm, [])


def municipality_rights(user) -> dict[str, list[int]]:
    """Every right ``user`` holds, each with its municipality ids, in one query: the
    django-guardian object permissions on ``Municipality`` rows granted to the user's groups
    (an operator's role, ``OperatorRoleGroup``) or to the user. Global permissions and
    superuser status give no municipality (as guardian's ``get_objects_for_user`` with
    ``accept_global_perms=False, with_superuser=False``)."""
    kind = ContentType.objects.get_for_model(Municipality)
    groups = user.groups.through.objects.filter(user=user).values("group_id")
    rows = (
        GroupObjectPermission.objects.filter(group_id__in=groups, content_type=kind)
        .values_list("permission__codename", "object_pk")
        .union(
            UserObjectPermission.objects.filter(user=user, content_type=kind).values_list(
                "permission__codename", "object_pk"
            )
        )
    )
    rights = defaultdict(set)
    for codename, pk in rows:
        rights[codename].add(int(pk))
    return {codename: sorted(ids) for codename, ids in rights.items()}


class Municipality(models.Model):
    class RuralUrban(models.TextChoices):
        RURAL = "rural", _("Landdistriktskommune")
        URBAN = "urban", _("Bykommune")

    class Typology(models.TextChoices):
        """Fødevareministeriet's typology, as seed 000 names it (known for its 13 only)."""

        OUTER = "yderkommune", _("Yderkommune")
        RURAL = "landkommune", _("Landkommune")
        INTERMEDIATE = "mellemkommune", _("Mellemkommune")
        URBAN = "bykommune", _("Bykommune")

    code = models.CharField(_("kommunekode"), max_length=3, unique=True)
    name = models.CharField(_("navn"), max_length=100)
    official_name = models.CharField(_("officielt navn"), max_length=100)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="municipalities")
    hub = models.ForeignKey(
        "Operator",
        on_delete=models.PROTECT,
        null=True,
        related_name="hub_municipalities",
        verbose_name=_("erhvervshus"),
    )
    # The official split (bilag 1 of the framework agreement) is not public: an administrator
    # sets it; reference loading never overwrites it.
    rural_urban = models.CharField(
        _("land/by"), max_length=5, choices=RuralUrban.choices, blank=True
    )
    # Seed 000: "alle mikrovirksomheder i yderkommunerne" count, in the rural municipalities
    # only those in rural areas (the company's own flag).
    typology = models.CharField(
        _("kommunetype"), max_length=13, choices=Typology.choices, blank=True
    )

    objects = MunicipalityQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("kommune")
        verbose_name_plural = _("kommuner")
        # The rights a role can hold in a municipality (granted per row with django-guardian).
        permissions = [
            ("view_municipality_data", _("Tilhører kommunen (ser aggregerede tal)")),
            ("view_records", _("Ser virksomheder, iværksættere og vejledninger")),
            ("change_records", _("Registrerer og retter virksomheder og vejledninger")),
            ("reveal_cpr", _("Kan vise et fuldt CPR-nummer")),
            ("triage_referrals", _("Visiterer henvisninger")),
            ("manage_contracts", _("Redigerer kontrakter og mål")),
            ("view_consent_access", _("Ser hvem der har læst operatørens oplysninger")),
            ("view_audit_trail", _("Ser ændringshistorik og adgangslogge, besvarer indsigt")),
            ("erase_personal_data", _("Sletter personoplysninger på anmodning")),
            ("manage_surveys", _("Styrer egen brugerundersøgelse, ser svarprocent og kommentarer")),
        ]

    def __str__(self) -> str:
        return self.name


class IndustryCode(models.Model):
    class System(models.TextChoices):
        DB07 = "DB07", "DB07"
        DB25 = "DB25", "DB25"

    class Level(models.TextChoices):
        SECTION = "section", _("Hovedafsnit")
        DIVISION = "division", _("Hovedgruppe")
        DETAILED = "detailed", _("Branchekode")

    system = models.CharField(_("system"), max_length=4, choices=System.choices)
    code = models.CharField(_("kode"), max_length=6)
    level = models.CharField(_("niveau"), max_length=8, choices=Level.choices)
    name = models.CharField(_("navn"), max_length=255)
    parent_code = models.CharField(_("overordnet kode"), max_length=6, blank=True)

    class Meta:
        ordering = ["system", "code"]
        verbose_name = _("branchekode")
        verbose_name_plural = _("branchekoder")
        constraints = [
            models.UniqueConstraint(fields=["system", "code"], name="industry_code_unique")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name} ({self.system})"


class OperatorQuerySet(models.QuerySet):
    def of(self, user) -> "OperatorQuerySet":
        """The active operators the user works for."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(memberships__user=user, active=True).distinct()


class Operator(models.Model):
    """An organisation that works in the CRM: a local business service, a hub, an overseer..."""

    class Kind(models.TextChoices):
        LOCAL = "local", _("Lokal erhvervsservice")
        HUB = "hub", _("Erhvervshus")
        FOCUSED = "focused", _("Fokuseret erhvervsservice")
        OVERSIGHT = "oversight", _("Tilsyn (KKR/kommune)")
        PROGRAMME = "programme", _("Programoperatør")

    name = models.CharField(_("navn"), max_length=200, unique=True)
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices)
    municipalities = models.ManyToManyField(
        Municipality, blank=True, related_name="operators", verbose_name=_("kommuner")
    )
    active = models.BooleanField(_("aktiv"), default=True)

    objects = OperatorQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("operatør")
        verbose_name_plural = _("operatører")

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    class Role(models.TextChoices):
        CONSULTANT = "consultant", _("Konsulent")
        MANAGER = "manager", _("Leder")
        TRIAGE = "triage", _("Visitator")
        VIEWER = "viewer", _("Læser (kun aggregerede tal)")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    operator = models.ForeignKey(Operator, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("rolle"), max_length=10, choices=Role.choices)

    class Meta:
        ordering = ["operator__name", "role"]
        verbose_name = _("medlemskab")
        verbose_name_plural = _("medlemskaber")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "operator", "role"], name="membership_unique_role"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} - {self.operator} ({self.get_role_display()})"


class OperatorRoleGroup(models.Model):
    """The auth group that holds one role's municipality permissions for one operator."""

    group = models.OneToOneField(Group, on_delete=models.CASCADE, related_name="operator_role")
    operator = models.ForeignKey(Operator, on_delete=models.CASCADE, related_name="role_groups")
    role = models.CharField(max_length=10, choices=Membership.Role.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["operator", "role"], name="operator_role_group_unique")
        ]

    def __str__(self) -> str:
        return f"{self.operator} ({self.role})"


class ScopedQuerySet(models.QuerySet):
    """Base for every model that carries a ``municipality``: the one scoping mechanism."""

    municipality_field = "municipality"

    def visible_to(self, user, perm: str = "view_records") -> "ScopedQuerySet":
        allowed = Municipality.objects.ids_for(user, perm)
        return self.filter(**{f"{self.municipality_field}__in": allowed})
