"""Finding and updating customers from what storefronts send."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from service.customers.models import Customer

#: What a storefront may set on a customer; anything else in the payload is refused by
#: the schema before it gets here.
UPDATABLE_FIELDS = ("name", "email", "phone", "locale", "time_zone", "consent_email", "consent_sms")


def upsert_customer(session: Session, storefront_id: uuid.UUID, data: dict[str, Any]) -> Customer:
    """The storefront's customer matching `data`, created or brought up to date."""
    _lock_identity(session, storefront_id, data)
    customer = _match(session, storefront_id, data)
    if customer is None:
        customer = Customer(storefront_id=storefront_id, external_id=data.get("external_id"))
        session.add(customer)
    elif data.get("external_id") and customer.external_id is None:
        customer.external_id = data["external_id"]
    for field in UPDATABLE_FIELDS:
        if field in data:
            setattr(customer, field, data[field])
    session.flush()
    return customer


def _lock_identity(session: Session, storefront_id: uuid.UUID, data: dict[str, Any]) -> None:
    """On PostgreSQL, queue the transactions that may create the same customer: two
    cases opened at once for one new customer must find one customer, not make two.
    The lock (until commit) is the external id's, which alone decides the match; without
    one, the match goes by e-mail and phone, and every such upsert of the storefront
    queues on one lock. (SQLite runs one writer at a time anyway.)"""
    if session.get_bind().dialect.name != "postgresql":
        return
    identity = f"external:{data['external_id']}" if data.get("external_id") else "by-contact"
    digest = hashlib.blake2b(f"customer:{storefront_id}:{identity}".encode(), digest_size=8)
    key = int.from_bytes(digest.digest(), "big", signed=True)
    session.execute(select(func.pg_advisory_xact_lock(key)))


def _match(session: Session, storefront_id: uuid.UUID, data: dict[str, Any]) -> Customer | None:
    own = select(Customer).where(Customer.storefront_id == storefront_id)
    if data.get("external_id"):
        # An external id is authoritative: a different one is a different person.
        return session.scalars(own.where(Customer.external_id == data["external_id"])).first()
    for field in ("email", "phone"):
        if data.get(field):
            found = session.scalars(
                own.where(getattr(Customer, field) == data[field]).order_by(Customer.created_at)
            ).first()
            if found is not None:
                return found
    return None


def customers_query(scope: uuid.UUID | None, filters: dict[str, Any]) -> Select[Any]:
    stmt = select(Customer)
    if scope is not None:
        stmt = stmt.where(Customer.storefront_id == scope)
    if "external_id" in filters:
        stmt = stmt.where(Customer.external_id == filters["external_id"])
    if "email" in filters:
        stmt = stmt.where(Customer.email == filters["email"])
    return stmt


def get_customer(
    session: Session, scope: uuid.UUID | None, customer_id: uuid.UUID
) -> Customer | None:
    """A customer within `scope` (a storefront id, or None for all)."""
    stmt = select(Customer).where(Customer.id == customer_id)
    if scope is not None:
        stmt = stmt.where(Customer.storefront_id == scope)
    return session.scalars(stmt).one_or_none()


def update_customer(customer: Customer, data: dict[str, Any]) -> Customer:
    if data.get("email") and data["email"] != customer.email:
        # A new address has not bounced (service/conversations/ marks bounces).
        customer.email_bounced_at = customer.email_bounce_reason = None
    for field in UPDATABLE_FIELDS:
        if field in data:
            setattr(customer, field, data[field])
    if data.get("consent_sms"):
        # Opting back in through the storefront lifts an earlier STOP.
        customer.sms_stopped_at = None
    return customer
