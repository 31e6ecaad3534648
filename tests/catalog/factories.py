"""Catalog rows for the catalog tests."""
from catalog.models import ServiceFolder


def make_folder(org, **over) -> ServiceFolder:
    fields = {"name": "Folder"}
    fields.update(over)
    return ServiceFolder.unscoped.create(organization=org, **fields)
