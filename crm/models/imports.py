"""Migration imports (``crm.imports``): a batch per uploaded file, its parsed rows in a staging
table (CPR numbers already encrypted and hashed, never in plaintext) and, per record the batch
created or changed, what it was before, so a manager can undo the batch as a whole."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from crm.models.tenancy import Operator


class ImportBatch(models.Model):
    class Kind(models.TextChoices):
        COMPANIES = "companies", _("Virksomheder")
        CONTACTS = "contacts", _("Kontaktpersoner")
        FOUNDERS = "founders", _("Iværksættere")
        SESSIONS = "sessions", _("Vejledninger")
        REFERRALS = "referrals", _("Henvisninger")
        CONSENTS = "consents", _("Samtykker")

    class State(models.TextChoices):
        UPLOADED = "uploaded", _("Uploadet: vælg kolonner")
        CHECKING = "checking", _("Filen tjekkes")
        CHECKED = "checked", _("Tjekket: klar til indlæsning")
        IMPORTING = "importing", _("Indlæses")
        DONE = "done", _("Indlæst")
        FAILED = "failed", _("Fejlet")
        UNDONE = "undone", _("Fortrudt")

    kind = models.CharField(_("indhold"), max_length=9, choices=Kind.choices)
    state = models.CharField(
        _("status"), max_length=9, choices=State.choices, default=State.UPLOADED
    )
    operator = models.ForeignKey(Operator, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    file_name = models.CharField(_("fil"), max_length=200)
    # The upload in default_storage until it is checked (then deleted: it holds plaintext CPR).
    file_path = models.CharField(max_length=300, blank=True)
    columns = models.JSONField(default=list)  # the file's header
    mapping = models.JSONField(default=dict)  # field -> column of the file
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)
    # Every bad row: line, column, reason and the row's cells (CPR masked).
    errors = models.JSONField(default=list)
    message = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The newest change-history event when the import committed: a later event of one of its
    # records means something else changed it (ids, unlike times, differ within a transaction).
    history_mark = models.BigIntegerField(null=True, blank=True)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("indlæsning")
        verbose_name_plural = _("indlæsninger")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.file_name}"

    @property
    def running(self) -> bool:
        return self.state in (self.State.CHECKING, self.State.IMPORTING)

    @property
    def percent(self) -> int:
        return int(100 * self.rows_done / self.rows_total) if self.rows_total else 0


class ImportRecord(models.Model):
    """A record the batch created, or changed (``before``: the changed fields' old values)."""

    class Action(models.TextChoices):
        CREATED = "created", _("oprettet")
        UPDATED = "updated", _("opdateret")

    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="records")
    model = models.CharField(max_length=40)  # app_label.model_name
    object_id = models.BigIntegerField()
    action = models.CharField(max_length=7, choices=Action.choices)
    before = models.JSONField(null=True)

    class Meta:
        indexes = [models.Index(fields=["batch", "model", "action"])]

    def __str__(self) -> str:
        return f"{self.model} {self.object_id} {self.action}"


class ImportStagingRow(models.Model):
    """A checked row waiting for the confirmation: its values as table columns (``data``,
    read with ``jsonb_populate_record``), the record it matches and what will happen to it.
    Written with COPY; emptied when the batch is imported."""

    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="+")
    line = models.PositiveIntegerField()
    action = models.CharField(max_length=6)  # create, update, skip
    target_id = models.BigIntegerField(null=True)
    data = models.JSONField()
    cpr_encrypted = models.BinaryField(null=True)
    cpr_hash = models.CharField(max_length=64, blank=True)

    class Meta:
        indexes = [models.Index(fields=["batch", "action"])]

    def __str__(self) -> str:
        return f"{self.batch_id}:{self.line} {self.action}"
