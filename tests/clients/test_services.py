"""Client workflows called directly (billing reuses `client_create` and `user_by_email`)."""
import threading
from unittest import mock

import pytest
from django.db import close_old_connections, connection

from clients import services
from serviceengine.core.errors import DomainError
from serviceengine.models import Address, Role, User
from tests import factories


def test_client_create_keeps_its_shared_signature(org):
    client = services.client_create(
        organization=org, email=" Ada@Example.COM ", name_f="Ada", name_l="Byron", company="E", phone=None
    )
    assert client.email == "ada@example.com" and client.role == Role.objects.client_role()
    assert client.status == 1 and client.custom_fields == {} and client.company == "E" and client.phone is None
    assert 100000 <= client.aff_id <= 999999 and client.aff_link.startswith("https://example.com/r/")
    assert client.address_id is None and client.ga_cid is None


def test_client_create_with_address_copies_the_client_fields(org):
    client = services.client_create(
        organization=org, email="a@example.com", name_f="Ada", name_l="B", tax_id="T", company="C",
        address={"city": "Paris"},
    )
    address = Address.unscoped.get(pk=client.address_id)
    assert (address.organization_id, address.city, address.line_1) == (org.id, "Paris", None)
    assert (address.name_f, address.name_l, address.tax_id, address.company_name, address.company_vat) == (
        "Ada", "B", "T", "C", None,
    )


def test_client_create_refuses_a_taken_email(org):
    factories.make_team_member(org, email="staff@example.com")
    with pytest.raises(DomainError) as exc:
        services.client_create(organization=org, email="STAFF@example.com")
    assert exc.value.status == 400 and exc.value.errors == {"email": ["The email has already been taken."]}


def test_client_create_without_client_role(org):
    Role.objects.filter(dashboard_access=0).delete()
    with pytest.raises(DomainError) as exc:
        services.client_create(organization=org, email="a@example.com")
    assert (exc.value.status, exc.value.detail) == (500, "Client role not configured")


def test_a_lost_race_on_the_email_is_the_same_400(org):
    factories.make_client(org, email="race@example.com")
    with mock.patch.object(services, "email_taken", side_effect=[False, True]):
        with pytest.raises(DomainError) as exc:
            services.client_create(organization=org, email="race@example.com")
    assert exc.value.errors == {"email": ["The email has already been taken."]}
    assert User.objects.for_org(org).filter(email="race@example.com").count() == 1


def test_user_by_email_any_role_lower_cased(org, other_org, owner):
    client = factories.make_client(org, email="c@example.com")
    factories.make_client(other_org, email="other@example.com")
    assert services.user_by_email(organization=org, email=" C@Example.com ") == client
    assert services.user_by_email(organization=org, email=owner.email.upper()) == owner
    assert services.user_by_email(organization=org, email="other@example.com") is None


def test_client_update_and_delete_directly(org):
    client = factories.make_client(org, name_f="A")
    updated = services.client_update(client=client, changes={"name_f": "B", "status_id": 3})
    assert (updated.name_f, updated.status) == ("B", 3)
    services.client_delete(client=updated)
    assert not User.unscoped.filter(pk=client.pk).exists()


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_creates_with_one_email_make_one_client():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")
    org = factories.make_org()
    barrier = threading.Barrier(2)
    outcomes = []

    def worker():
        try:
            barrier.wait()
            services.client_create(organization=org, email="same@example.com", name_f="X", name_l="Y")
            outcomes.append("created")
        except DomainError as exc:
            outcomes.append(exc.errors)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(map(str, outcomes)) == sorted(["created", str({"email": ["The email has already been taken."]})])
    assert User.objects.for_org(org).filter(email="same@example.com").count() == 1
