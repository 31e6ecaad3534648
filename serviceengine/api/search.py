"""Full-text search: `search=` on every list endpoint and the matching used by `GET /api/search` (issue 18).

A viewset names the text columns it searches with `search_fields = ("email", "name_f", ...)`; a viewset that
names none searches the text columns of its model (`default_search_fields`), so a new resource gets `search=` for
free and opts in to a chosen list with one line.

On PostgreSQL a query matches when every word of it is a prefix of a word of the row's document
`to_tsvector('simple', coalesce(a, '') || ' ' || coalesce(b, '') ...)`. The document SQL is written with constants
only (no bind parameters), so the expression GIN index created by `create_search_index()` over the very same text is
usable by every plan, generic prepared ones included. Elsewhere (SQLite, the development default) every word must be
contained, case-insensitively, in one of the columns. The query is a bound parameter either way, at most
`SEARCH_MAX_LENGTH` characters (400 beyond), and applied on a queryset already narrowed to the organization.
"""
import re

from django.db import connection, models
from django.db.models import Q
from rest_framework.exceptions import ValidationError
from rest_framework.filters import BaseFilterBackend

from . import messages as msg

SEARCH_PARAM = "search"
SEARCH_MAX_LENGTH = 200
TS_CONFIG = "simple"  # no stemming, no stop words: names, e-mails and numbers are searched as written
# A word of a query: letters/digits with the joiners that the text-search parser keeps inside e-mails, numbers and
# hyphenated words. Everything else (quotes, tsquery operators, backslashes) separates words and is dropped.
_WORD = re.compile(r"[\w@.+\-]*\w[\w@.+\-]*")
# Columns never searched by default: secrets and machine identifiers (a search is an oracle on what it reads).
_NEVER_SEARCHED = {"token_hash", "password", "stripe_id", "stripe_payment_intent_id", "idempotency_key", "ga_cid"}
_SECRET_WORDS = ("secret", "token", "password", "hash", "key")


class SearchTooLong(ValueError):
    pass


def search_words(raw: str) -> list[str]:
    """The words of a query (at most 20), each a safe tsquery lexeme body. Raises SearchTooLong over the limit."""
    if len(raw) > SEARCH_MAX_LENGTH:
        raise SearchTooLong(raw)
    return _WORD.findall(raw.replace("\x00", " "))[:20]


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def document_sql(column_sqls) -> str:
    """The tsvector of the columns (SQL fragments: quoted names, qualified in a query, bare in the index) as SQL
    text with constants only. Query and index must build it here alike for PostgreSQL to match the index."""
    joined = " || ' ' || ".join(f"COALESCE({column}, '')" for column in column_sqls)
    return f"to_tsvector('{TS_CONFIG}'::regconfig, {joined})"


def tsquery_text(words: list[str]) -> str:
    """`'w1':* & 'w2':*`: every word, as a prefix. Words hold no quote or backslash (`_WORD`)."""
    return " & ".join(f"'{word}':*" for word in words)


class TextMatch(models.Expression):
    """A boolean expression: the row's document over `fields` matches every word (PostgreSQL full text)."""

    output_field = models.BooleanField()
    conditional = True

    def __init__(self, fields, words, columns=None):
        super().__init__()
        self.fields = tuple(fields)
        self.words = list(words)
        self.columns = list(columns) if columns is not None else [models.F(name) for name in self.fields]

    def get_source_expressions(self):
        return self.columns

    def set_source_expressions(self, exprs):
        self.columns = list(exprs)

    def resolve_expression(self, query=None, allow_joins=True, reuse=None, summarize=False, for_save=False):
        clone = self.copy()
        clone.columns = [col.resolve_expression(query, allow_joins, reuse, summarize, for_save) for col in self.columns]
        return clone

    def as_sql(self, compiler, connection):
        column_sqls = []
        for column in self.columns:
            sql, params = compiler.compile(column)
            if params:
                raise ValueError("search columns compile without parameters")
            column_sqls.append(sql)
        return f"{document_sql(column_sqls)} @@ to_tsquery('{TS_CONFIG}'::regconfig, %s)", [tsquery_text(self.words)]


def matches(fields, words) -> Q | TextMatch:
    """A filter for rows whose `fields` contain every word: full text on PostgreSQL, `icontains` elsewhere."""
    if connection.vendor == "postgresql":
        return TextMatch(fields, words)
    condition = Q()
    for word in words:
        any_field = Q()
        for field in fields:
            any_field |= Q(**{f"{field}__icontains": word})
        condition &= any_field
    return condition


# Rows a PostgreSQL search may match per organization and list before the rest are ignored (see `matching`).
FENCE_ROWS = 10_000_000


def matching(queryset, fields, words, column: str = "pk"):
    """A subquery of `column` over the rows of `queryset` whose `fields` contain every word.

    On PostgreSQL it carries a LIMIT (never reached in practice) so that the planner cannot merge it into the outer,
    ordered and limited list query: merged, a rare word's estimated frequency makes it walk the whole organization
    in list order recomputing every row's document (seconds on 100,000 rows), where on its own it reads the
    GIN index once."""
    inner = queryset.filter(matches(fields, words)).order_by().values(column)
    return inner[:FENCE_ROWS] if connection.vendor == "postgresql" else inner


def narrow(queryset, fields, words):
    """`queryset` narrowed to the rows whose `fields` contain every word (through `matching` on PostgreSQL)."""
    if not fields:
        return queryset.none()  # nothing searchable: nothing matches
    if connection.vendor != "postgresql":
        return queryset.filter(matches(fields, words))
    return queryset.filter(pk__in=matching(queryset, fields, words))


def apply_search(queryset, fields, raw: str):
    """`queryset` narrowed to rows matching the query `raw`; a query with no word matches nothing."""
    words = search_words(raw)
    if not words:
        return queryset.none()
    return narrow(queryset, fields, words)


def default_search_fields(model) -> tuple[str, ...]:
    """The model's own editable text columns (CharField/TextField without choices); secrets and ids left out."""
    return tuple(
        field.name
        for field in model._meta.concrete_fields
        if isinstance(field, (models.CharField, models.TextField))
        and not field.choices
        and field.editable  # not-editable columns are machine-made (hashes, secrets, sequence bookkeeping)
        and field.name not in _NEVER_SEARCHED
        and not any(word in field.name for word in _SECRET_WORDS)
    )


def view_search_fields(view) -> tuple[str, ...]:
    fields = getattr(view, "search_fields", None)
    return tuple(fields) if fields is not None else default_search_fields(view.model)


def has_search(request) -> bool:
    return bool(request.query_params.get(SEARCH_PARAM, "").strip())


class ContractSearchBackend(BaseFilterBackend):
    """`search=` on a list: rows whose own text fields (`view.search_fields`) contain every word of it; blank is no
    search, over `SEARCH_MAX_LENGTH` characters is a 400 keyed `search`."""

    def filter_queryset(self, request, queryset, view):
        raw = request.query_params.get(SEARCH_PARAM, "")
        try:
            if not raw.strip():
                search_words(raw)  # the length bound holds for blank queries too
                return queryset
            return apply_search(queryset, view_search_fields(view), raw)
        except SearchTooLong:
            raise ValidationError({SEARCH_PARAM: [msg.STRING_TOO_LONG.format(max_length=SEARCH_MAX_LENGTH)]}) from None

    def get_schema_operation_parameters(self, view):
        fields = view_search_fields(view) if getattr(view, "model", None) is not None else ()
        return [
            {
                "name": SEARCH_PARAM,
                "in": "query",
                "required": False,
                "description": "Rows whose text fields contain every word (prefix match on PostgreSQL); fields: "
                + ", ".join(f"`{field}`" for field in fields),
                "schema": {"type": "string", "maxLength": SEARCH_MAX_LENGTH},
            }
        ]


def create_search_index(table: str, columns, name: str):
    """A migration operation: the expression GIN index of `document_sql(columns)` on PostgreSQL, nothing elsewhere
    (SQLite searches without an index). The index is the database's only: no model state changes."""
    from django.db import migrations

    def forwards(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(
                f"CREATE INDEX IF NOT EXISTS {_quote(name)} ON {_quote(table)} "
                f"USING gin ({document_sql(_quote(column) for column in columns)})"
            )

    def backwards(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"DROP INDEX IF EXISTS {_quote(name)}")

    return migrations.RunPython(forwards, backwards, elidable=False)
