"""Client list filters are declared on `ClientViewSet.filter_fields`; the core backend
(`serviceengine.api.filtering`) builds the django-filter FilterSet from them, so no FilterSet lives here."""
