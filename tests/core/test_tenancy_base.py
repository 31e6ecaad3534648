"""Scoping by construction: managers, soft delete and the viewset guard (STYLE §2–3)."""
import pytest
from django.core.exceptions import ValidationError

from serviceengine.api.viewsets import OrgViewSet
from serviceengine.models import Address, User
from tests import factories


def test_viewsets_cannot_define_their_own_queryset():
    with pytest.raises(TypeError, match="Resource"):

        class Bad(OrgViewSet):  # noqa: F841
            model = Address

            def get_queryset(self):
                return Address.unscoped.all()

    with pytest.raises(TypeError):

        class AlsoBad(OrgViewSet):  # noqa: F841
            model = Address
            queryset = Address.unscoped.all()


def test_for_org_needs_an_organization(db):
    with pytest.raises(ValueError):
        Address.objects.for_org(None)


def test_for_org_only_sees_its_organization(org, other_org):
    mine = factories.make_address(org)
    factories.make_address(other_org)
    assert list(Address.objects.for_org(org)) == [mine]


def test_soft_deleted_rows_are_hidden_by_objects_but_kept(org):
    service = factories.make_service(org)
    service.soft_delete()
    from catalog.models import Service

    assert not Service.objects.for_org(org).exists()
    assert Service.with_deleted.for_org(org).get() == service
    assert Service.unscoped.get().deleted_at is not None


def test_related_rows_must_share_the_organization(org, other_org):
    foreign_address = factories.make_address(other_org)
    person = User(organization=org, email="x@example.com", role=factories.client_role(), address=foreign_address)
    with pytest.raises(ValidationError) as exc:
        person.full_clean()
    assert "address" in exc.value.message_dict


def test_email_is_unique_per_organization_only(org, other_org):
    factories.make_client(org, email="ada@example.com")
    factories.make_client(other_org, email="ada@example.com")
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        factories.make_client(org, email="ada@example.com")


def test_client_role_prefers_the_role_named_client(db):
    from serviceengine.models import Role

    Role.objects.create(name="Another client role", dashboard_access=0)
    assert Role.objects.client_role().name == "Client"


def test_missing_client_role_is_a_configuration_error(db):
    from serviceengine.core.errors import DomainError
    from serviceengine.models import Role

    Role.objects.filter(dashboard_access=0).delete()
    with pytest.raises(DomainError) as exc:
        Role.objects.client_role()
    assert exc.value.status == 500 and exc.value.detail == "Client role not configured"


def test_employee_ids_resolve_in_one_query_and_collapse_case_variants(org, other_org):
    from serviceengine.core.services import team_members_by_ids
    from tests.helpers import count_queries

    member = factories.make_team_member(org)
    (members, bad), queries = count_queries(
        lambda: team_members_by_ids(org, [str(member.pk), str(member.pk).upper(), str(member.pk)])
    )
    assert members == [member] and bad is None and len(queries) == 1


@pytest.mark.parametrize("kind", ["client", "foreign", "malformed", "unknown"])
def test_employee_ids_report_the_first_bad_value_as_sent(org, other_org, kind):
    from serviceengine.core.services import team_members_by_ids

    member = factories.make_team_member(org)
    bad = {
        "client": lambda: str(factories.make_client(org).pk),
        "foreign": lambda: str(factories.make_team_member(other_org).pk),
        "malformed": lambda: "not-a-uuid",
        "unknown": lambda: "00000000-0000-0000-0000-000000000001",
    }[kind]()
    assert team_members_by_ids(org, [str(member.pk), bad, "also-bad"]) == ([], bad)


def test_a_new_row_has_one_instant_for_created_and_updated(org):
    address = factories.make_address(org)
    assert address.updated_at == address.created_at
    address.city = "Paris"
    address.save()
    assert address.updated_at > address.created_at


def test_a_backdated_row_is_updated_now(org):
    from datetime import timedelta

    from django.utils import timezone

    past = timezone.now() - timedelta(days=3)
    address = Address.unscoped.create(organization=org, created_at=past)
    assert address.created_at == past and address.updated_at > past + timedelta(days=2)
