"""The kind of upload the DNC app scrubs, registered with the importer in
``DncConfig.ready()`` (``leadops.imports.registry``).

A DNC scrub needs one or more phone columns; every phone in a row is checked. The preview's
next step is the scrub's cost preview (``dnc:from_import`` makes the draft of its phones).
"""

from leadops.imports.columns import ANY_PHONE, PHONE_FIELDS
from leadops.imports.registry import (
    Continuation,
    ImportKind,
    NotSniffable,
    by_phones,
    looks_like_phone,
)

# The value stored in ImportBatch.job_type.
DNC = "dnc"

KINDS: tuple[ImportKind, ...] = (
    ImportKind(
        key=DNC,
        label="DNC scrub",
        help_text="Needs at least one phone column; every phone in a row is checked.",
        requirements=(ANY_PHONE,),
        dedupe=by_phones,
        row_phrase="a DNC scrub",
        sniff=NotSniffable(
            fields=PHONE_FIELDS,
            looks_like=looks_like_phone,
            what="holds phone numbers",
            needs="A DNC scrub needs at least one phone column",
        ),
        essential="phone_1",
        essential_text="a phone number",
        nothing_to_do="nothing to scrub",
        continuation=Continuation("dnc:from_import", "Continue to cost preview"),
        order=30,
    ),
)
