"""What one CRM user holds: a source record mapped to a contact, checked, and written as items.

The CRM queues anything without validating it, so LeadOps checks every contact before it
is sent (`Contact.refusal`) and lists the refused ones with their reason. A contact's CRM id
is derived from its normalized owner name and property address (`crm_id`), so the same
owner at the same property gets the same id in every push, whichever list it came from.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from leadops.imports.normalize import dedupe_key_for_address
from leadops.phones import NOT_SCRUBBED, DncStatus, format_phone, us_e164

from .models import RefusalReason

ID_PREFIX = "lo_"
_NOT_ALNUM = re.compile(r"[^0-9A-Z]+")


@dataclass(frozen=True)
class Address:
    street: str = ""
    city: str = ""
    state: str = ""
    zip_code: str = ""

    def __bool__(self) -> bool:
        return bool(self.street)

    @property
    def line(self) -> str:
        """ "12 Oak St, Austin, TX 78701" (the parts there are)."""
        tail = " ".join(p for p in (self.state, self.zip_code) if p)
        return ", ".join(p for p in (self.street, self.city, tail) if p)


@dataclass(frozen=True)
class SourceRecord:
    """One record of a source, in the source's own words (`leadops.crm.sources`)."""

    record_id: int
    first_name: str = ""
    last_name: str = ""
    company: str = ""
    address: Address = Address()  # the property's
    mailing: Address = Address()
    phones: tuple[tuple[str, str], ...] = ()  # (number, type), best first
    emails: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        person = " ".join(p for p in (self.first_name, self.last_name) if p)
        return person or self.company


@dataclass(frozen=True)
class ContactPhone:
    number: str  # E.164 when it is a US number, else as given
    type: str
    status: DncStatus

    @property
    def display(self) -> str:
        return format_phone(self.number)

    @property
    def blocked(self) -> bool:
        """On a DNC list as of a fresh check, or on the team's internal list."""
        return (
            bool(self.status.outcome)
            and self.status.outcome != "clean"
            and (self.status.outcome == "internal" or not self.status.stale)
        )

    def as_meta(self) -> dict[str, Any]:
        checked = self.status.checked_at
        return {
            "number": self.number,
            "type": self.type,
            "dnc": ("stale" if self.status.stale else self.status.outcome) or "not_scrubbed",
            "dnc_checked": checked.date().isoformat() if checked else None,
        }


@dataclass(frozen=True)
class Options:
    """How records become contacts: the push's choices and the team's settings."""

    clean_only: bool = False
    send_blocked: bool = False
    tags: tuple[str, ...] = ()
    event: str = "Pushed from LeadOps"


@dataclass(frozen=True)
class Contact:
    """A record as the CRM will hold it, or the reason it will not be sent."""

    record: SourceRecord
    crm_id: str
    phones: tuple[ContactPhone, ...]  # the phones that will be sent
    left_out: tuple[ContactPhone, ...]  # blocked or (clean-only) not clean and fresh
    tags: tuple[str, ...]
    refusal: RefusalReason | None = None
    refusal_detail: str = ""
    update: bool = field(default=False, compare=False)

    @property
    def name(self) -> str:
        return self.record.name

    @property
    def emails(self) -> tuple[str, ...]:
        return self.record.emails

    def items(self, *, options: Options, now: datetime) -> list[dict[str, Any]]:
        """The contact's batch items: its ``create`` (first push) or ``update``, then its
        ``event``. They travel in the same batch."""
        record = self.record
        meta = {
            "company": record.company or None,
            "phones": [phone.as_meta() for phone in self.phones],
            "emails": list(record.emails),
            "property_address": record.address.street,
            "property_city": record.address.city,
            "property_state": record.address.state,
            "property_zip": record.address.zip_code,
            "mailing_address": record.mailing.street,
            "mailing_city": record.mailing.city,
            "mailing_state": record.mailing.state,
            "mailing_zip": record.mailing.zip_code,
            "tags": list(self.tags),
        }
        person = {
            "id": self.crm_id,
            "first_name": record.first_name or record.company,
            "last_name": record.last_name,
            "email": record.emails[0] if record.emails else None,
            "phone": self.phones[0].number if self.phones else None,
            "meta": meta,
        }
        first = (
            {"type": "update", **person}
            if self.update
            else {"type": "create", **person, "created_at": now.isoformat()}
        )
        return [first, {"type": "event", "id": self.crm_id, "event": options.event}]


def _words(text: str) -> str:
    return " ".join(_NOT_ALNUM.sub(" ", text.upper()).split())


def crm_id(record: SourceRecord) -> str:
    """The contact's stable CRM id: a hash of the normalized owner and property address.

    "JOHN  SMITH" and "John Smith", "12 Oak Street" and "12 OAK ST" give the same id; the
    ZIP counts by its first five digits. A record without a property address keys on its
    owner and mailing address instead.
    """
    where = record.address or record.mailing
    address_key = dedupe_key_for_address(where.street, where.city, where.state, where.zip_code)
    owner_key = _words(record.name)
    digest = hashlib.sha256(f"{owner_key}|{address_key}".encode()).hexdigest()
    return ID_PREFIX + digest[:24]


def contact_for(
    record: SourceRecord, *, statuses: Mapping[str, DncStatus], options: Options
) -> Contact:
    """Map one record, deciding which phones go and whether the contact goes at all."""
    phones: list[ContactPhone] = []
    left_out: list[ContactPhone] = []
    seen: set[str] = set()
    for number, kind in record.phones:
        key = us_e164(number) or number
        if not key or key in seen:
            continue
        seen.add(key)
        phone = ContactPhone(key, kind, statuses.get(number, statuses.get(key, NOT_SCRUBBED)))
        if (options.clean_only and not phone.status.dialable) or (
            phone.blocked and not options.send_blocked
        ):
            left_out.append(phone)
        else:
            phones.append(phone)
    tags = tuple(dict.fromkeys((*options.tags, *record.tags)))
    contact = Contact(record, crm_id(record), tuple(phones), tuple(left_out), tags)
    refusal = _refusal(contact, options)
    if refusal is None:
        return contact
    reason, detail = refusal
    return Contact(record, contact.crm_id, contact.phones, contact.left_out, tags, reason, detail)


def _refusal(contact: Contact, options: Options) -> tuple[RefusalReason, str] | None:
    record = contact.record
    if not record.name:
        return RefusalReason.NO_NAME, "The record has no owner name or company."
    if not (record.address or record.mailing):
        return RefusalReason.NO_ADDRESS, "The record has no property or mailing address."
    if options.clean_only and not contact.phones:
        if contact.left_out:
            return RefusalReason.DNC_BLOCKED, _left_out_words(contact.left_out)
        return RefusalReason.NO_CONTACT, "Clean-only push, and the record has no phone."
    if not contact.phones and not record.emails:
        if contact.left_out:
            return RefusalReason.DNC_BLOCKED, _left_out_words(contact.left_out)
        return RefusalReason.NO_CONTACT, "The record has no phone and no email."
    return None


def _left_out_words(phones: tuple[ContactPhone, ...]) -> str:
    shown = ", ".join(f"{p.display} ({p.status.text})" for p in phones[:3])
    more = f" and {len(phones) - 3} more" if len(phones) > 3 else ""
    return f"No phone may be sent: {shown}{more}."
