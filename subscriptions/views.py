"""`/api/subscriptions`: list, create, retrieve, update (PUT, partial), and the `pause`, `resume` and `cancel`
transitions (issue 16). No delete: a subscription ends by `cancel` and stays listed."""
from drf_spectacular.utils import extend_schema
from rest_framework import status as http_status
from rest_framework.decorators import action

from serviceengine.api.resource import Resource
from serviceengine.api.schema import error_response
from serviceengine.api.viewsets import ListMixin, OrgViewSet, RetrieveMixin

from . import services
from .filters import SUBSCRIPTION_FILTER_FIELDS, SUBSCRIPTION_SEARCH_FIELDS, SUBSCRIPTION_SORT_FIELDS
from .models import Subscription
from .serializers import SubscriptionCreateSerializer, SubscriptionSerializer, SubscriptionUpdateSerializer

SUBSCRIPTIONS = Resource(
    model=Subscription,
    read=SubscriptionSerializer,
    create=SubscriptionCreateSerializer,
    update=SubscriptionUpdateSerializer,
    filters=SUBSCRIPTION_FILTER_FIELDS,
    sorts=SUBSCRIPTION_SORT_FIELDS,
    search=SUBSCRIPTION_SEARCH_FIELDS,
    # Not `counted`: the live counts are of soft-deletable tables (perf/counts.py) and subscriptions have no
    # deleted_at. An unfiltered page brings the organization's COUNT along instead, one round trip fewer.
    total_in_page=True,
)


def _transition_schema(description: str):
    return extend_schema(
        request=None,
        responses={200: SubscriptionSerializer, 400: error_response(description)},
    )


class SubscriptionViewSet(ListMixin, RetrieveMixin, OrgViewSet):
    """Subscriptions of the token's organization, each issuing one invoice per period."""

    # queries: list = token 1 + page 1 (its COUNT inside) + items 1 = 3 (filtered: + count 1);
    #          retrieve = token 1 + subscription 1 + items 1 = 3 (PostgreSQL: the items inside the rows: 2 and 2)
    resource = SUBSCRIPTIONS

    @extend_schema(request=SubscriptionCreateSerializer, responses={201: SubscriptionSerializer})
    def create(self, request):
        data = self.validated(SubscriptionCreateSerializer)
        subscription = services.subscription_create(organization=self.organization, **data)
        return self.respond(subscription, http_status.HTTP_201_CREATED)

    @extend_schema(request=SubscriptionUpdateSerializer, responses={200: SubscriptionSerializer})
    def update(self, request, pk=None):
        data = self.validated(SubscriptionUpdateSerializer)  # contract §6: schema errors before the path id
        subscription = services.subscription_update(subscription=self.path_ref(), **data)
        return self.respond(subscription)

    @_transition_schema("The subscription is not active (`Cannot pause subscription with status paused`).")
    @action(detail=True, methods=["post"])
    def pause(self, request, pk=None):
        return self.respond(services.subscription_pause(subscription=self.path_ref()))

    @_transition_schema("The subscription is not paused (`Cannot resume subscription with status active`).")
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        return self.respond(services.subscription_resume(subscription=self.path_ref()))

    @_transition_schema("The subscription is canceled already (`Cannot cancel subscription with status canceled`).")
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return self.respond(services.subscription_cancel(subscription=self.path_ref()))
