"""`GET /api/search?q=`: one search box over the organization's clients, orders, proposals, invoices and tickets
(issue 18). Bearer auth; the organization comes from the token, so other organizations' rows are never seen."""
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from serviceengine.api.search import SEARCH_MAX_LENGTH

from .serializers import HIT_TYPES, SearchHitSerializer, SearchQuerySerializer, SearchResponseSerializer
from .services import HITS_PER_KIND, search_everything


class SearchView(APIView):
    """Hits grouped by type in a fixed order (client, order, proposal, invoice, ticket), newest first in each."""

    # queries: token 1 + clients 1 + orders 1 + proposals 1 + invoices 1 + tickets 1 + ticket messages ≤1 = ≤7

    @extend_schema(
        tags=["search"],
        summary="Search everything",
        description=(
            f"Up to {HITS_PER_KIND} hits of each type: clients (name, e-mail, company), orders (number, service, "
            "note), proposals (client e-mail, name, company), invoices (number, note, or the client's name, e-mail, "
            "company) and tickets (subject, note, messages). Every word of `q` must match (on PostgreSQL: as the "
            "start of a word, full-text; elsewhere: anywhere in a field). Only the token's organization is searched."
        ),
        parameters=[
            OpenApiParameter(
                "q",
                # At least one character that is not whitespace (trimmed first; as in api/schema.py's strings).
                {"type": "string", "minLength": 1, "maxLength": SEARCH_MAX_LENGTH, "pattern": r"[^\s\u001c-\u001f\u0085]"},
                required=True,
                description=f"1 to {SEARCH_MAX_LENGTH} characters (after trimming).",
            )
        ],
        responses={200: SearchResponseSerializer},
    )
    def get(self, request):
        params = SearchQuerySerializer(data={"q": request.query_params["q"]} if "q" in request.query_params else {})
        if not params.is_valid():
            raise ValidationError(params.errors)
        query = params.validated_data["q"]
        hits = search_everything(organization=request.organization, query=query)
        counts = {kind: 0 for kind in HIT_TYPES}
        for hit in hits:
            counts[hit["type"]] += 1
        return Response({"data": SearchHitSerializer(hits, many=True).data, "meta": {"q": query, "counts": counts}})
