"""Single-address property lookups (10 credits when the property is found, nothing on a
miss) and the free address autocomplete that feeds them and the build form's radius centre.

LOOKUP_CREDITS are held before the call; what Tracerfy says it deducted (10 on a hit, 0 on
a miss) is captured and the rest released, in the ledger like any other paid work. A
provider error releases the hold: nothing is charged, and the failed lookup is kept with
the provider's words. The whole answer (property, owners, mailing address, contacts and the
five propensity scores with their factors) is kept in `PropertyLookup.result`, so a stored
lookup shows the same card for good.
"""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from leadbuilder.models import LOOKUP_CREDITS, PropertyLookup
from leadbuilder.spec import VERTICALS
from leadops import providers
from leadops.accounts.models import Team
from leadops.credits import services as credits
from leadops.imports.normalize import normalize_state, normalize_zip
from leadops.phones import format_phone
from leadops.providers.errors import ProviderError
from leadops.providers.tracerfy.leads import AutocompleteResult, LeadLookupResult

# Fewer characters than this never reach Tracerfy (it needs 2; 3 keeps the 30/min budget
# for searches that can match something).
AUTOCOMPLETE_MIN_CHARS = 3


class LookupRefused(Exception):
    """The lookup was not made (nothing was charged); the message is the user's to see.
    `field` names the form field at fault, if one is."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class LookupFailed(Exception):
    """The provider refused or failed; nothing was charged. The message is the provider's."""


def _where(address: str, city: str, state: str, zip_code: str) -> str:
    return f"{address}, {city}, {state}{f' {zip_code}' if zip_code else ''}"


def _cleaned(address: str, city: str, state: str, zip_code: str) -> tuple[str, str, str, str]:
    address, city = " ".join(address.split()), " ".join(city.split())
    if not address:
        raise LookupRefused("Type the street address to look up.", field="address")
    if not city:
        raise LookupRefused("Type the city of the address.", field="city")
    st = normalize_state(state)
    if st.error or not st.value:
        raise LookupRefused(st.error or "Choose the state of the address.", field="state")
    zipped = normalize_zip(zip_code, state=st.value)
    if zipped.error:
        raise LookupRefused(zipped.error, field="zip_code")
    return address[:255], city[:100], st.value, zipped.value[:5]


def lookup_result_json(result: LeadLookupResult) -> dict[str, Any]:
    """The whole answer as stored: the property block as Tracerfy sent it, the owners,
    mailing address and contacts, and the propensity scores with their factors."""
    mailing = result.mailing_address
    return {
        "hit": result.hit,
        "skip_trace_hit": result.skip_trace_hit,
        "credits_deducted": result.credits_deducted,
        "property": dict(result.property),
        "owners": [{"first_name": first, "last_name": last} for first, last in result.owners],
        "mailing_address": dataclasses.asdict(mailing) if mailing else None,
        "contacts": {
            "phones": [dataclasses.asdict(phone) for phone in result.phones],
            "emails": [dataclasses.asdict(email) for email in result.emails],
            "litigator": result.litigator,
            "has_contact": result.has_contact,
            "contact_clean": result.contact_clean,
        },
        "propensity": [dataclasses.asdict(score) for score in result.propensity],
    }


def property_lookup_run(
    *,
    team: Team | None,
    user: AbstractBaseUser,
    address: str,
    city: str,
    state: str,
    zip_code: str = "",
) -> PropertyLookup:
    """Look up one address and store the answer. Raises LookupRefused for a user without a
    team or an unusable address, `InsufficientCredits` when the wallet cannot hold
    LOOKUP_CREDITS, and LookupFailed when the provider fails; none of them charges."""
    if team is None:
        raise LookupRefused("Your account is not in a team yet, so it has no credits to spend.")
    address, city, state, zip_code = _cleaned(address, city, state, zip_code)
    asked = {"address": address, "city": city, "state": state, "zip_code": zip_code}
    where = _where(address, city, state, zip_code)
    try:
        with credits.paid_call(
            wallet=credits.wallet_for(user=user, team=team),
            amount=LOOKUP_CREDITS,
            reference=f"property-lookup:{uuid.uuid4().hex}",
            actor=user,
            reason=f"Property lookup of {where}",
        ) as paid:
            with providers.tracerfy_client() as client:
                result = client.lead_lookup(
                    address=address, city=city, state=state, zip_code=zip_code or None
                )
            charged = min(result.credits_deducted, LOOKUP_CREDITS)
            with transaction.atomic():
                paid.settle(
                    charged=charged,
                    reason=f"Property lookup of {where}: {'found' if result.hit else 'not found'}",
                )
                return PropertyLookup.objects.create(
                    team=team,
                    created_by=user,
                    **asked,
                    hit=result.hit,
                    credits_charged=charged,
                    result=lookup_result_json(result),
                )
    except ProviderError as exc:
        # The hold is released; the failed lookup is kept with the provider's words.
        PropertyLookup.objects.create(team=team, created_by=user, **asked, error=str(exc))
        raise LookupFailed(str(exc)) from exc


def autocomplete(*, search: str) -> AutocompleteResult:
    """Tracerfy's free address resolution (at most 10 matches, best first), for a page
    waiting on it: no retry, the page timeout. Raises `RateLimited` when the shared limiter
    (27 a minute) or Tracerfy (30 a minute) refuses, and `ProviderError` otherwise."""
    with providers.tracerfy_client(page=True) as client:
        return client.lead_autocomplete(" ".join(search.split()))


# --- the card a stored lookup shows -------------------------------------------------------

CATEGORY_STYLES = {"High": "text-bg-success", "Medium": "text-bg-warning", "Low": "text-bg-light"}


@dataclasses.dataclass(frozen=True)
class PropertyCard:
    """What one card shows of a stored lookup (`result` JSON), in display order."""

    lookup: PropertyLookup
    where: str
    facts: list[tuple[str, Any]]
    owners: list[str]
    mailing: str
    phones: list[dict[str, Any]]
    emails: list[str]
    litigator: bool
    scores: list[dict[str, Any]]


def _money(value: Any) -> str:
    return f"${value:,.0f}" if isinstance(value, int | float) else ""


def _joined(*parts: Any, sep: str = " · ") -> str:
    return sep.join(str(p) for p in parts if p not in (None, ""))


def _facts(prop: dict[str, Any]) -> list[tuple[str, Any]]:
    beds, baths = prop.get("beds"), prop.get("baths")
    size, lot = prop.get("building_size_sqft"), prop.get("lot_size_sqft")
    equity_pct = prop.get("equity_percent")
    facts = [
        ("Type", _joined(prop.get("property_type"), prop.get("property_use"))),
        (
            "Beds / baths",
            f"{beds if beds is not None else '—'} / {baths if baths is not None else '—'}",
        ),
        (
            "Size",
            _joined(
                f"{size:,} sqft" if isinstance(size, int) else "",
                f"lot {lot:,} sqft" if isinstance(lot, int) else "",
            ),
        ),
        ("Year built", prop.get("year_built") or ""),
        ("Estimated value", _money(prop.get("estimated_value"))),
        (
            "Equity",
            _joined(
                _money(prop.get("estimated_equity")),
                f"{equity_pct:g}%" if isinstance(equity_pct, int | float) else "",
            ),
        ),
        ("Last sale", _joined(prop.get("last_sale_date"), _money(prop.get("last_sale_price")))),
        ("Mortgage balance", _money(prop.get("open_mortgage_balance"))),
        ("County · APN", _joined(prop.get("county"), prop.get("apn"))),
    ]
    flags = [
        label
        for key, label in (
            ("owner_occupied", "owner-occupied"),
            ("absentee_owner", "absentee owner"),
            ("vacant", "vacant"),
            ("free_clear", "free & clear"),
            ("high_equity", "high equity"),
            ("pre_foreclosure", "pre-foreclosure"),
            ("tax_delinquent", "tax delinquent"),
            ("corporate_owned", "company-owned"),
        )
        if prop.get(key)
    ]
    facts.append(("Signals", ", ".join(flags)))
    return [(label, value) for label, value in facts if value not in ("", None)]


def property_card(*, lookup: PropertyLookup) -> PropertyCard:
    result = lookup.result or {}
    prop = result.get("property") or {}
    contacts = result.get("contacts") or {}
    mailing = result.get("mailing_address") or {}
    labels = dict(VERTICALS)
    scores = [
        {
            **score,
            "label": labels.get(score["vertical"], score["vertical"]),
            "style": CATEGORY_STYLES.get(score.get("category", ""), "text-bg-secondary"),
        }
        for score in result.get("propensity") or []
    ]
    return PropertyCard(
        lookup=lookup,
        where=_where(lookup.address, lookup.city, lookup.state, lookup.zip_code),
        facts=_facts(prop),
        owners=[
            _joined(o.get("first_name"), o.get("last_name"), sep=" ")
            for o in result.get("owners") or []
        ],
        mailing=_joined(
            mailing.get("street"),
            _joined(mailing.get("city"), mailing.get("state"), mailing.get("zip"), sep=" "),
            sep=", ",
        ),
        phones=[
            {**phone, "display": format_phone(phone.get("number") or "")}
            for phone in contacts.get("phones") or []
        ],
        emails=[e["email"] for e in contacts.get("emails") or [] if e.get("email")],
        litigator=bool(contacts.get("litigator")),
        scores=scores,
    )
