"""The migration import and the merge through the API (/api/v1/imports/, /api/v1/merges/),
for operators moving from another system by script: upload (the columns mapped by their
names, or as ``mapping`` says) -> the check as JSON -> confirm -> status -> undo. The same
services as the pages (crm.imports, crm.merging)."""

import json

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response

from crm import imports, merging
from crm.models import ImportBatch
from crm.services import DomainError
from crm.views.imports import MAX_UPLOAD, access_batch


class MayImport(BasePermission):
    """A manager with ``change_records`` somewhere (403 otherwise, the outsider included)."""

    def has_permission(self, request, view) -> bool:
        return bool(imports.import_municipality_ids(request.user))


class ImportRowErrorSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    column = serializers.CharField()
    reason = serializers.CharField()


class BatchSerializer(serializers.ModelSerializer):
    created = serializers.IntegerField(source="created_count")
    updated = serializers.IntegerField(source="updated_count")
    skipped = serializers.IntegerField(source="skipped_count")
    errors = ImportRowErrorSerializer(many=True)
    undo_blockers = serializers.SerializerMethodField()

    class Meta:
        model = ImportBatch
        fields = [
            "id",
            "kind",
            "state",
            "file_name",
            "columns",
            "mapping",
            "rows_total",
            "rows_done",
            "created",
            "updated",
            "skipped",
            "errors",
            "message",
            "created_at",
            "finished_at",
            "undone_at",
            "undo_blockers",
        ]

    def get_undo_blockers(self, batch) -> list[str]:
        return imports.undo_blockers(batch) if batch.state == ImportBatch.State.DONE else []


class UploadSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ImportBatch.Kind.choices)
    file = serializers.FileField()
    mapping = serializers.CharField(
        required=False, help_text='JSON {"field": "column"}; else mapped by column names'
    )

    def validate_file(self, upload):
        if upload.size > MAX_UPLOAD:
            raise ValidationError("max 50 MB")
        return upload

    def validate_mapping(self, text):
        try:
            mapping = json.loads(text)
        except ValueError as error:
            raise ValidationError("JSON") from error
        if not isinstance(mapping, dict):
            raise ValidationError("JSON object")
        return mapping


class ImportViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Import batches of the operators the caller manages."""

    queryset = ImportBatch.objects.none()  # the model, for the schema; rows: get_queryset
    serializer_class = BatchSerializer
    permission_classes = [IsAuthenticated, MayImport]
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    def get_queryset(self):
        return imports.visible_batches(self.request.user).order_by("-created_at", "-pk")

    def get_object(self):
        try:
            return access_batch(self.request.user, int(self.kwargs["pk"]))
        except DjangoPermissionDenied as error:
            raise PermissionDenied from error

    @extend_schema(request={"multipart/form-data": UploadSerializer}, responses=BatchSerializer)
    def create(self, request):
        """Upload a file; its check starts at once (poll the batch until ``checked``)."""
        form = UploadSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        upload = form.validated_data["file"]
        try:
            batch = imports.do_start_import(
                request.user,
                kind=form.validated_data["kind"],
                name=upload.name,
                data=upload.read(),
            )
            imports.do_set_mapping(
                batch, {**batch.mapping, **form.validated_data.get("mapping", {})}
            )
        except DomainError as error:
            raise ValidationError({"detail": str(error)}) from error
        return Response(BatchSerializer(batch).data, status=status.HTTP_201_CREATED)

    def retrieve(self, request, pk=None):
        """The batch's state, progress, counts and every bad row (line, column, reason)."""
        return Response(BatchSerializer(self.get_object()).data)

    @extend_schema(request=None, responses={202: BatchSerializer})
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        """Import a checked batch without bad rows, all rows or none (poll until ``done``)."""
        batch = self.get_object()
        try:
            imports.do_confirm_import(request.user, batch)
        except DomainError as error:
            raise ValidationError({"detail": str(error)}) from error
        batch.refresh_from_db()
        return Response(BatchSerializer(batch).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses=BatchSerializer)
    @action(detail=True, methods=["post"])
    def undo(self, request, pk=None):
        """Remove what the batch created and revert its updates; 400 with the reasons if
        something changed them since."""
        batch = self.get_object()
        try:
            imports.do_undo_import(request.user, batch)
        except DomainError as error:
            raise ValidationError({"detail": str(error)}) from error
        batch.refresh_from_db()
        return Response(BatchSerializer(batch).data)


class MergeSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=sorted(merging.MERGEABLE))
    survivor = serializers.IntegerField()
    duplicate = serializers.IntegerField()


class MergeViewSet(viewsets.GenericViewSet):
    """Merge a duplicate company or founder into the one to keep (managers)."""

    serializer_class = MergeSerializer
    permission_classes = [IsAuthenticated, MayImport]

    @extend_schema(request=MergeSerializer, responses={200: None})
    def create(self, request):
        form = MergeSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        model = merging.MERGEABLE[form.validated_data["kind"]]
        visible = model.objects.visible_to(request.user, "change_records")
        survivor = visible.filter(pk=form.validated_data["survivor"]).first()
        duplicate = visible.filter(pk=form.validated_data["duplicate"]).first()
        if survivor is None or duplicate is None:
            raise ValidationError({"detail": _("Posten findes ikke i dine kommuner.")})
        try:
            result = merging.do_merge(request.user, survivor, duplicate)
        except DjangoPermissionDenied as error:
            raise PermissionDenied from error
        except DomainError as error:
            raise ValidationError({"detail": str(error)}) from error
        return Response({"survivor": result.survivor.pk, "moved": result.moved})
