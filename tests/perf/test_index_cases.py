"""The index test (tests/perf/test_indexes.py, PostgreSQL) checks a case for every filter and sort the resources
declare: a filter or sort added to a `Resource` without its index case fails here, on any database."""
from serviceengine.api.resource import declared
from tests.perf.test_indexes import LISTS

# Declared but not (yet) covered by an index case, and why.
NOT_INDEXED = {
    "updated_at",  # the incremental-sync filter and sort every resource gets (issue 14): no list index leads with it
}


def test_every_declared_filter_and_sort_of_an_indexed_list_has_a_case():
    checked = set()
    for resource in declared():
        endpoint = f"{resource.model._meta.model_name}s"  # LISTS is keyed by the list's path: /api/orders
        if endpoint not in LISTS or not resource.sorts:
            continue
        _table, filters, sorts, _few = LISTS[endpoint]
        checked.add(endpoint)
        missing_filters = set(resource.filters) - {name for name, _op, _spec in filters} - NOT_INDEXED
        missing_sorts = set(resource.sorts) - set(sorts) - NOT_INDEXED
        assert not missing_filters, f"{resource}: filters without an index case in test_indexes.LISTS: {missing_filters}"
        assert not missing_sorts, f"{resource}: sorts without an index case in test_indexes.LISTS: {missing_sorts}"
    assert checked == set(LISTS), "every list of the index test is a declared resource"
