"""Expression GIN indexes for full-text search on PostgreSQL (serviceengine/api/search.py), one per searched list;
each indexes exactly the columns its resource searches (`*_SEARCH_FIELDS`, `search_fields`). Nothing on SQLite."""
from django.db import migrations

from serviceengine.api.search import create_search_index


class Migration(migrations.Migration):
    dependencies = [
        ("serviceengine", "0005_live_counts"),
        ("catalog", "0003_list_indexes"),
        ("orders", "0003_list_indexes"),
        ("billing", "0003_list_indexes"),
        ("support", "0003_list_indexes"),
    ]

    operations = [
        create_search_index("serviceengine_user", ("name_f", "name_l", "email", "company"), "user_search"),
        create_search_index("catalog_service", ("name", "description"), "service_search"),
        create_search_index("orders_order", ("number", "service_name", "note"), "order_search"),
        create_search_index(
            "billing_proposal", ("client_email", "client_name_f", "client_name_l", "client_company"), "proposal_search"
        ),
        create_search_index("billing_invoice", ("number", "note"), "invoice_search"),
        create_search_index("support_ticket", ("subject", "note"), "ticket_search"),
        create_search_index("support_ticketmessage", ("message",), "ticket_message_search"),
    ]
