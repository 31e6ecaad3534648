"""`GET /api/team` and `GET /api/team/{id}`: the organization's team members, never clients (a client's id is 404
here, as a team member's id is 404 on `/api/clients`)."""
from serviceengine.api.resource import Resource
from serviceengine.api.viewsets import ListMixin, OrgViewSet, RetrieveMixin
from serviceengine.models import User

from .filters import TEAM_FILTER_FIELDS, TEAM_SORT_FIELDS
from .serializers import TeamMemberSerializer

TEAM = Resource(
    model=User,
    read=TeamMemberSerializer,
    filters=TEAM_FILTER_FIELDS,
    sorts=TEAM_SORT_FIELDS,
    scope=lambda qs: qs.team_members(),
)


# queries: list = token 1 + count 1 + page 1 (role joined) = 3; retrieve = token 1 + member 1 = 2
class TeamViewSet(ListMixin, RetrieveMixin, OrgViewSet):
    """Team members of the token's organization; filters on `email`, `role_id`."""

    resource = TEAM
