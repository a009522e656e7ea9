"""The kinds of upload the importer knows, and where the preview's "Continue" button goes.

The import app never names the paid jobs an upload can feed. Each feature app describes
its kinds of upload (an ``ImportKind``: what the file must contain, how rows are deduped,
what to say when something is missing, the next step) and registers them in
``AppConfig.ready()``::

    from leadops.imports.registry import register_kind
    from myapp.import_kinds import KINDS

    for kind in KINDS:
        register_kind(kind)

``ImportBatch.job_type`` stores a kind's ``key``. A kind is handed to the worker processes
that clean big files, so everything in it must pickle: use module-level functions (the
dedupe rules and sniff checks below, or your own), never lambdas.

Continuations (the preview's next step) can also be added to an existing kind by another
app with ``register_continuation``; the URL is reversed with ``args=[batch.pk]``. A kind
with nothing registered shows no button.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from leadops.imports.columns import Requirement

__all__ = [
    "Continuation",
    "ImportKind",
    "NotSniffable",
    "by_address",
    "by_parcel",
    "by_phones",
    "continuation_for",
    "default_kind",
    "is_kind",
    "is_registered",
    "kind",
    "kind_choices",
    "kinds",
    "looks_like_parcel",
    "looks_like_phone",
    "looks_like_street_address",
    "mapped_fields",
    "missing_fields",
    "register_continuation",
    "register_kind",
    "zip_covers",
]


@dataclass(frozen=True, slots=True)
class Continuation:
    url_name: str
    label: str


# --------------------------------------------------------------------------------------
# Building blocks a kind is made of (about data shapes, not about any job)
# --------------------------------------------------------------------------------------


def by_address(values: Mapping[str, str], address_key: str) -> str:
    """Dedupe on the normalized property address (street, city, state, ZIP)."""
    return address_key


def by_phones(values: Mapping[str, str], address_key: str) -> str:
    """Dedupe on the set of valid phone numbers in the row."""
    phones = sorted(
        {v for fid, v in values.items() if fid.startswith("phone_") and not fid.endswith("_type")}
    )
    return "phones:" + ",".join(phones) if phones else ""


def by_parcel(values: Mapping[str, str], address_key: str) -> str:
    """Dedupe on the parcel: APN, county and state."""
    apn = values.get("apn", "")
    if not apn:
        return ""
    return "|".join(
        ["apn", apn, values.get("property_county", ""), values.get("property_state", "")]
    )


_STREET_RE = re.compile(r"^\d+[A-Za-z]?(?:-\d+)?\s+\S*[A-Za-z]")
_PHONE_DIGITS_RE = re.compile(r"\D")
_DIGIT_RE = re.compile(r"\d")


def looks_like_street_address(value: str) -> bool:
    return bool(_STREET_RE.match(value))


def looks_like_phone(value: str) -> bool:
    return 10 <= len(_PHONE_DIGITS_RE.sub("", value.removesuffix(".0"))) <= 11


def looks_like_parcel(value: str) -> bool:
    return bool(_DIGIT_RE.search(value))


@dataclass(frozen=True, slots=True)
class NotSniffable:
    """How the upload recognises a column the kind could use, and how it says there is none.

    ``fields``: a column mapped to any of them is enough; ``looks_like``: else a column
    whose sample values pass it (its header unknown) is enough. The refusal reads
    "No column in “file” {what}; its columns are …. {needs}: add them to the file and
    upload it again."
    """

    fields: tuple[str, ...]
    looks_like: Callable[[str], bool]
    what: str
    needs: str


@dataclass(frozen=True, slots=True)
class ImportKind:
    """One kind of upload: what it is for, what the file needs, how its rows are deduped.

    - ``key``: the value stored in ``ImportBatch.job_type``.
    - ``label`` and ``help_text``: the upload form's radio button and its one-line help;
      the label also starts the mapping page's messages ("{label} needs columns…").
    - ``requirements``: what every usable row (and the mapping) must have;
      ``recommended``: field ids that are optional but improve results (the UI nudges).
    - ``dedupe``: ``(valid values, address key) -> key``; rows with the same non-empty key
      are duplicates (``by_address``, ``by_phones``, ``by_parcel``).
    - ``row_phrase``: how row errors name the job ("is empty; {row_phrase} needs it");
      ``owner_name_hint``: added in brackets when a full name cannot be split into the
      first and last name the kind needs.
    - ``sniff``: the upload's check that the file has any usable column at all.
    - ``essential``, ``essential_text``, ``nothing_to_do``: the mapped field without which
      there is nothing to do, and the mapping error "No column is mapped to
      {essential_text}, so there is {nothing_to_do}."
    - ``alternative``, ``alternative_hint``: another kind's key to suggest (with
      ", {alternative_hint}") when its requirements are met but this kind's are not.
    - ``continuation``: the preview's next step, if any.
    - ``default``: selected first in the upload form (else the first kind).
    - ``order``: display position (lower first; equal orders keep registration order).
    """

    key: str
    label: str
    help_text: str
    requirements: tuple[Requirement, ...]
    row_phrase: str
    sniff: NotSniffable
    essential: str
    essential_text: str
    nothing_to_do: str
    recommended: tuple[str, ...] = ()
    dedupe: Callable[[Mapping[str, str], str], str] = by_address
    owner_name_hint: str = ""
    alternative: str = ""
    alternative_hint: str = ""
    continuation: Continuation | None = None
    default: bool = False
    order: int = 0


# --------------------------------------------------------------------------------------
# The registry
# --------------------------------------------------------------------------------------

_KINDS: dict[str, ImportKind] = {}
_CONTINUATIONS: dict[str, list[Continuation]] = {}


def register_kind(import_kind: ImportKind) -> ImportKind:
    """Make ``import_kind`` available to uploads (idempotent: the same key is replaced in
    place) and register its continuation, if it has one."""
    _KINDS[import_kind.key] = import_kind
    if import_kind.continuation is not None:
        register_continuation(
            [import_kind.key], import_kind.continuation.url_name, import_kind.continuation.label
        )
    return import_kind


def kind(key: str) -> ImportKind:
    """The registered kind stored as ``key``; ``ValueError`` when there is none."""
    try:
        return _KINDS[str(key)]
    except KeyError:
        raise ValueError(f"unknown job type {key!r}") from None


def is_kind(key: object) -> bool:
    return isinstance(key, str) and key in _KINDS


def kinds() -> list[ImportKind]:
    """Every registered kind in display order."""
    return sorted(_KINDS.values(), key=lambda k: k.order)


def kind_choices() -> list[tuple[str, str]]:
    """``(key, label)`` of every kind: the choices of ``ImportBatch.job_type`` and the forms."""
    return [(k.key, k.label) for k in kinds()]


def default_kind() -> ImportKind | None:
    """The kind the upload form selects first: the one marked default, else the first."""
    registered = kinds()
    return next((k for k in registered if k.default), registered[0] if registered else None)


# A mapped ZIP column stands in for its address's city and state columns: each row's
# city and state are filled from its ZIP (``rows._fill_from_zip``), and a row whose ZIP
# does not name them is refused row by row.
_ZIP_COVERS = {
    "property_zip": ("property_city", "property_state"),
    "mailing_zip": ("mailing_city", "mailing_state"),
}


def mapped_fields(mapping: Mapping[str, str]) -> set[str]:
    """The fields a header mapping provides, counting what a ZIP column fills in."""
    present = set(mapping.values())
    for zip_id, covered in _ZIP_COVERS.items():
        if zip_id in present:
            present.update(covered)
    return present


def zip_covers(field_id: str) -> tuple[str, ...]:
    """The city and state fields a ZIP field fills in (none for any other field)."""
    return _ZIP_COVERS.get(field_id, ())


def missing_fields(mapping: Mapping[str, str], job_type: str) -> list[Requirement]:
    """The requirements of ``job_type`` that the header mapping does not cover."""
    requirements = kind(job_type).requirements
    present = mapped_fields(mapping)
    return [req for req in requirements if not req.satisfied_by(present)]


def register_continuation(job_types: Iterable[str], url_name: str, label: str) -> None:
    """Offer ``url_name`` as the next step for imports of ``job_types`` (idempotent)."""
    continuation = Continuation(url_name=url_name, label=label)
    for job_type in job_types:
        registered = _CONTINUATIONS.setdefault(str(job_type), [])
        registered[:] = [c for c in registered if c.url_name != url_name]
        registered.append(continuation)


def continuation_for(job_type: str, *, prefer: str = "") -> Continuation | None:
    """The next step for ``job_type``: ``prefer`` (a URL name) if it is registered for that
    job type, else the first registered, else None."""
    registered = _CONTINUATIONS.get(str(job_type), [])
    for continuation in registered:
        if prefer and continuation.url_name == prefer:
            return continuation
    return registered[0] if registered else None


def is_registered(url_name: str) -> bool:
    """Whether any job type continues to ``url_name`` (``?next=`` accepts only these)."""
    return any(c.url_name == url_name for cs in _CONTINUATIONS.values() for c in cs)
