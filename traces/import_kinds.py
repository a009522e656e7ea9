"""The kinds of upload the traces app runs on, registered with the importer in
``TracesConfig.ready()`` (``leadops.imports.registry``).

What each needs follows the Tracerfy contract (docs/providers/tracerfy-api.md):

- batch trace, trace_type=normal: address, city, state, first and last name and the
  mailing address, city and state columns are required; ZIP and mailing ZIP optional.
  An owner that is a company or trust (an LLC or "SMITH FAMILY TRUST" in the last-name or
  owner-name column, or a company column) counts as named: the contract requires the
  first and last name *columns*, not a value in each cell, so such a row is sent with the
  company in last_name and first_name empty. Rows still without any owner name (or
  without a mailing address) are refused by a normal trace; the cost preview offers them
  as an advanced trace in the same submit (``traces.services.alternative_offer``).
- trace_type=advanced: only address, city and state are required (Tracerfy finds the
  owner and mailing address itself).
- APN batch (/trace/parcel/): parcel id, county and state columns, all required.
"""

from leadops.imports.columns import OWNER_NAME, required
from leadops.imports.registry import (
    Continuation,
    ImportKind,
    NotSniffable,
    by_address,
    by_parcel,
    looks_like_parcel,
    looks_like_street_address,
)

# The values stored in ImportBatch.job_type.
TRACE_NORMAL = "trace_normal"
TRACE_ADVANCED = "trace_advanced"
APN = "apn"

CONTINUATION = Continuation("traces:new", "Continue to cost preview")

_ADDRESS_SNIFF = NotSniffable(
    fields=("property_address",),
    looks_like=looks_like_street_address,
    what="looks like a property address",
    needs="A skip trace needs the property's street address, city and state",
)
_PROPERTY = (required("property_address"), required("property_city"), required("property_state"))

KINDS: tuple[ImportKind, ...] = (
    ImportKind(
        key=TRACE_NORMAL,
        label="Skip trace — normal",
        help_text=(
            "Needs property address, city and state, the owner's first and last name (or "
            "full name) and the mailing address, city and state."
        ),
        requirements=(
            *_PROPERTY,
            OWNER_NAME,
            required("mailing_address"),
            required("mailing_city"),
            required("mailing_state"),
        ),
        recommended=("property_zip", "mailing_zip"),
        dedupe=by_address,
        row_phrase="a normal trace",
        owner_name_hint="an advanced trace finds the owner itself",
        sniff=_ADDRESS_SNIFF,
        essential="property_address",
        essential_text="the property address",
        nothing_to_do="nothing to trace",
        alternative=TRACE_ADVANCED,
        alternative_hint="or choose an advanced trace, which needs only address, city and state",
        continuation=CONTINUATION,
        order=10,
    ),
    ImportKind(
        key=TRACE_ADVANCED,
        label="Skip trace — advanced",
        help_text=(
            "Needs only property address, city and state: the provider finds the owner and "
            "mailing address itself."
        ),
        requirements=_PROPERTY,
        recommended=("property_zip",),
        dedupe=by_address,
        row_phrase="an advanced trace",
        sniff=_ADDRESS_SNIFF,
        essential="property_address",
        essential_text="the property address",
        nothing_to_do="nothing to trace",
        continuation=CONTINUATION,
        default=True,
        order=20,
    ),
    ImportKind(
        key=APN,
        label="APN / parcel trace",
        help_text="Needs the parcel number (APN), county and state.",
        requirements=(required("apn"), required("property_county"), required("property_state")),
        dedupe=by_parcel,
        row_phrase="an APN trace",
        sniff=NotSniffable(
            fields=("apn",),
            looks_like=looks_like_parcel,
            what="looks like a parcel number (APN)",
            needs="An APN trace needs the parcel number, county and state",
        ),
        essential="apn",
        essential_text="the APN / parcel number",
        nothing_to_do="nothing to trace",
        continuation=CONTINUATION,
        order=40,
    ),
)
