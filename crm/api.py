from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import api_view
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from crm.models import Membership, Municipality
from crm.permissions import MEMBER


class MunicipalitySerializer(serializers.ModelSerializer):
    region = serializers.CharField(source="region.name")
    hub = serializers.CharField(source="hub.name", default=None)

    class Meta:
        model = Municipality
        fields = ["code", "name", "official_name", "region", "hub", "rural_urban"]


class MunicipalityViewSet(viewsets.ReadOnlyModelViewSet):
    """The municipalities the caller's operators serve."""

    serializer_class = MunicipalitySerializer
    lookup_field = "code"
    ordering = "code"
    filterset_fields = ["region__code", "rural_urban"]

    def get_queryset(self):
        return Municipality.objects.for_user(self.request.user, MEMBER).select_related(
            "region", "hub"
        )


class MembershipSerializer(serializers.ModelSerializer):
    operator = serializers.CharField(source="operator.name")
    operator_kind = serializers.CharField(source="operator.kind")

    class Meta:
        model = Membership
        fields = ["operator", "operator_kind", "role"]


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    email = serializers.EmailField()
    memberships = MembershipSerializer(many=True)


@extend_schema(responses=MeSerializer)
@api_view(["GET"])
def me(request):
    """Who the caller is and in which operators it holds which role."""
    memberships = request.user.memberships.filter(operator__active=True).select_related("operator")
    data = {
        "username": request.user.username,
        "email": request.user.email,
        "memberships": memberships,
    }
    return Response(MeSerializer(data).data)


router = DefaultRouter()
router.register("municipalities", MunicipalityViewSet, basename="api-municipality")
