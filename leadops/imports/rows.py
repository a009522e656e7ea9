"""Clean one mapped row and decide whether the chosen job can use it.

The layers, lowest first: ``normalize`` cleans single values, ``columns`` is the field
table built on those cleaners, ``registry`` the kinds of upload (each with its
requirements), and this module applies them to a whole row; none of the others imports it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from operator import and_, itemgetter, not_, or_

from leadops.imports.columns import FIELDS_BY_ID, Requirement
from leadops.imports.normalize import (
    Cleaned,
    dedupe_key_of_cleaned,
    is_company_name,
    normalize_address,
    normalize_city,
    normalize_company,
    normalize_zip,
    quoted,
)
from leadops.imports.registry import ImportKind, kind
from leadops.imports.zipdata import place_for_zip

__all__ = ["CleanRow", "RowError", "RowPlan", "normalize_row"]


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem in one cell: where it is, what it held, and why it cannot be used."""

    line: int | None
    column: str
    value: str
    reason: str

    def __str__(self) -> str:
        where = f"Line {self.line:,}, column “{self.column}”" if self.line else self.column
        return f"{where}: {self.reason}"


@dataclass(slots=True)
class CleanRow:
    """A row after cleaning: values by field id, the problems found, and the verdict."""

    line: int | None
    values: dict[str, str]
    errors: list[RowError] = field(default_factory=list)
    usable: bool = True
    dedupe_key: str = ""
    # Field ids filled from another value rather than read from the row (a city and state
    # from the ZIP): shown as such on the preview and kept on the record.
    inferred: list[str] = field(default_factory=list)


_LOCATIONS = (
    ("property_address", "property_unit", "property_city"),
    ("mailing_address", "mailing_unit", "mailing_city"),
)
_STATE_FIELDS = ("property_state", "mailing_state")
_ZIP_STATE = {"property_zip": "property_state", "mailing_zip": "mailing_state"}
# (zip, city, state) of each location a ZIP can complete.
_ZIP_PLACES = (
    ("property_zip", "property_city", "property_state"),
    ("mailing_zip", "mailing_city", "mailing_state"),
)


def normalize_row(
    mapped_values: Mapping[str, str],
    job_type: str | ImportKind,
    *,
    line: int | None = None,
    columns: Mapping[str, str] | None = None,
) -> CleanRow:
    """Clean one row (raw text by field id) and decide whether ``job_type`` can use it.

    ``job_type`` is a registered kind's key or the ``ImportKind`` itself (worker processes
    get the kind, as nothing is registered there).

    ``columns`` names the source header of each field so errors point at the user's own
    column; without it the field label is used. A row is usable when every requirement
    of the job is met by valid values — an advanced trace needs only address, city and
    state, so a bad phone or a missing owner does not discard it; the error is still
    reported.
    """
    import_kind = job_type if isinstance(job_type, ImportKind) else kind(job_type)
    requirements = import_kind.requirements
    columns = columns or {}
    values: dict[str, str] = {}
    errors: list[RowError] = []
    invalid: set[str] = set()
    derived: dict[str, str] = {}
    # States first: restoring a ZIP's leading zero depends on the state.
    ordered = [fid for fid in _STATE_FIELDS if fid in mapped_values]
    ordered.extend(fid for fid in mapped_values if fid not in _STATE_FIELDS)
    for field_id in ordered:
        spec = FIELDS_BY_ID.get(field_id)
        if spec is None:
            raise ValueError(f"unknown field {field_id!r}")
        raw = mapped_values[field_id] or ""
        state_field = _ZIP_STATE.get(field_id)
        if state_field is not None:
            state = "" if state_field in invalid else values.get(state_field, "")
            cleaned = normalize_zip(raw, state=state)
        else:
            cleaned = spec.clean(raw)
        values[field_id] = cleaned.value
        if cleaned.error is not None:
            invalid.add(field_id)
            column = columns.get(field_id) or spec.label
            errors.append(RowError(line, column, raw, cleaned.error))
        if cleaned.derived:
            derived.update(cleaned.derived)

    for target, value in derived.items():
        if not values.get(target):
            values[target] = value

    inferred = _fill_from_zip(values, invalid)
    _company_owner(values, invalid)

    for address_id, unit_id, city_id in _LOCATIONS:
        if values.get(address_id):
            source = mapped_values.get(address_id, "")
            _tidy_address(values, source, address_id, unit_id, city_id, invalid)

    usable = True
    present = {fid for fid, value in values.items() if value} - invalid
    # A full name stands in for first + last only through the names split from it.
    present.discard("owner_full_name")
    for requirement in requirements:
        if requirement.satisfied_by(present):
            continue
        usable = False
        if any(fid in invalid for option in requirement.any_of for fid in option):
            continue  # the invalid value already has its own error
        errors.append(
            _missing_error(requirement, values, mapped_values, columns, line, import_kind)
        )

    key = dedupe_key_of_cleaned(*(_valid(values, invalid, fid) for fid in _KEY_FIELDS))
    return CleanRow(
        line=line, values=values, errors=errors, usable=usable, dedupe_key=key, inferred=inferred
    )


class RowPlan:
    """:func:`normalize_row` compiled for one file's columns: the same result, cheaper per row.

    A big import cleans 100,000 rows with the same mapping. ``normalize_row`` works out
    per row what is fixed for the file — the order of the fields (states first), each
    field's cleaner, the column its errors name, which requirements can be checked how —
    and reads the cells through a dict built for it. The plan does that once and reads
    the cells by position. Both share every rule after the cleaners (``_fill_from_zip``,
    ``_company_owner``, ``_tidy_address``, ``_missing_error``), and a test cleans messy
    files both ways and compares the rows.

    ``fields`` is ``(cell index, field id)`` in column order, as ``RowMapper.field_columns``.
    """

    __slots__ = (
        "_address_cells",
        "_alternatives",
        "_columns",
        "_field_ids",
        "_fields",
        "_import_kind",
        "_requirements",
        "_single_fields",
        "_steps",
        "_zip_mapped",
    )

    def __init__(
        self,
        fields: Sequence[tuple[int, str]],
        job_type: str | ImportKind,
        *,
        columns: Mapping[str, str] | None = None,
    ) -> None:
        self._import_kind = job_type if isinstance(job_type, ImportKind) else kind(job_type)
        self._columns = dict(columns or {})
        self._fields = tuple(fields)
        index_of = {field_id: index for index, field_id in self._fields}
        # States first: restoring a ZIP's leading zero depends on the state.
        ordered = [fid for fid in _STATE_FIELDS if fid in index_of]
        ordered.extend(fid for _, fid in self._fields if fid not in _STATE_FIELDS)
        steps = []
        for field_id in ordered:
            spec = FIELDS_BY_ID.get(field_id)
            if spec is None:
                raise ValueError(f"unknown field {field_id!r}")
            column = self._columns.get(field_id) or spec.label
            steps.append(
                (index_of[field_id], field_id, spec.cleaner, column, _ZIP_STATE.get(field_id))
            )
        self._steps = tuple(steps)
        self._field_ids = tuple(field_id for _, field_id, _, _, _ in steps)
        self._address_cells = tuple(
            (address_id, unit_id, city_id, index_of.get(address_id))
            for address_id, unit_id, city_id in _LOCATIONS
        )
        # A city or state is filled from a ZIP only when a ZIP column is mapped.
        self._zip_mapped = any(zip_id in index_of for zip_id, _, _ in _ZIP_PLACES)
        # Fields every usable row has, and the alternatives of the other requirements:
        # a row meeting them all is usable in two set operations (the usual case).
        self._single_fields = frozenset(
            r.any_of[0][0]
            for r in self._import_kind.requirements
            if len(r.any_of) == 1 and len(r.any_of[0]) == 1
        )
        self._alternatives = tuple(
            r.any_of
            for r in self._import_kind.requirements
            if not (len(r.any_of) == 1 and len(r.any_of[0]) == 1)
        )
        # (requirement, its one field or None, its alternatives).
        self._requirements = tuple(
            (
                requirement,
                requirement.any_of[0][0]
                if len(requirement.any_of) == 1 and len(requirement.any_of[0]) == 1
                else None,
                requirement.any_of,
            )
            for requirement in self._import_kind.requirements
        )

    def mapped_values(self, cells: Sequence[str]) -> dict[str, str]:
        """The raw text by field id, as ``normalize_row`` takes it."""
        return {field_id: cells[index] for index, field_id in self._fields}

    def normalize(self, cells: Sequence[str], *, line: int | None = None) -> CleanRow:
        """``normalize_row(mapped_values(cells), kind, line=line, columns=columns)``."""
        cleaned_row = []
        states: dict[str, str] = {}
        for index, field_id, cleaner, _column, state_field in self._steps:
            raw = cells[index] or ""
            if state_field is None:
                cleaned = cleaner(raw)
            else:
                cleaned = _zip_in_state(raw, states.get(state_field, ""))
            if field_id in _STATE_FIELDS:
                states[field_id] = cleaned.value if cleaned.error is None else ""
            cleaned_row.append(cleaned)
        values = tuple(cleaned.value for cleaned in cleaned_row)
        issues = any(cleaned.error is not None or cleaned.derived for cleaned in cleaned_row)
        return self._finish(cells, line, values, cleaned_row if issues else None)

    def normalize_rows(self, rows: Sequence[tuple[int, Sequence[str]]]) -> list[CleanRow]:
        """``normalize`` for many ``(line, cells)`` rows at once, each column's cells
        cleaned by one ``map`` (a C loop over the cleaners and their caches) instead of a
        Python loop per cell; then each row is finished as ``normalize`` finishes it."""
        if not rows:
            return []
        columns = list(zip(*(cells for _, cells in rows), strict=True))
        # A column of empty values: the states of ZIPs when no state is mapped, the parts
        # of a dedupe key whose field is not mapped.
        none = [""] * len(rows)
        by_step = []
        value_columns = []
        # Rows with an invalid or a derived value (few): finished cell by cell.
        issues: set[int] = set()
        states: dict[str, list[str]] = {}
        for index, field_id, cleaner, _column, state_field in self._steps:
            raw = columns[index]
            if state_field is None:
                cleaned = list(map(cleaner, raw))
            else:
                cleaned = list(map(_zip_in_state, raw, states.get(state_field) or none))
            values = list(map(_VALUE, cleaned))
            errors = list(map(_ERROR, cleaned))
            if any(errors):
                issues.update(n for n, error in enumerate(errors) if error is not None)
            if any(map(_DERIVED, cleaned)):
                issues.update(n for n, c in enumerate(cleaned) if c.derived)
            if field_id in _STATE_FIELDS:
                states[field_id] = [
                    value if error is None else ""
                    for value, error in zip(values, errors, strict=True)
                ]
            by_step.append(cleaned)
            value_columns.append(values)
        finish, field_ids = self._finish, self._field_ids
        by_field = dict(zip(field_ids, value_columns, strict=True))
        plain = self._plain(by_field, columns, len(rows))
        keys = list(
            map(
                dedupe_key_of_cleaned,
                *(by_field.get(fid) or none for fid in _KEY_FIELDS),
            )
        )
        return [
            # A plain row (see _plain) is finished as _finish would, without its steps.
            CleanRow(line, dict(zip(field_ids, values, strict=True)), [], True, keys[n], [])
            if plain[n] and n not in issues
            else finish(
                cells,
                line,
                values,
                [column[n] for column in by_step] if n in issues else None,
            )
            for n, ((line, cells), values) in enumerate(
                zip(rows, zip(*value_columns, strict=True), strict=True)
            )
        ]

    def _plain(
        self, by_field: dict[str, list[str]], columns: list[tuple[str, ...]], size: int
    ) -> list[bool]:
        """For each row of a chunk (valid values by field, raw cells by column), whether
        ``_finish`` would leave its valid values as they are and only key it: every
        requirement met, nothing to fill from a ZIP, no owner that may be a company, no
        address to tidy. Worked out a column at a time; rows with an invalid or derived
        value are not considered here (``normalize_rows`` finishes those in full)."""
        none = [""] * size

        def truthy(field_id: str) -> list[bool]:
            # owner_full_name never meets a requirement itself (see _finish).
            if field_id == "owner_full_name" or field_id not in by_field:
                return [False] * size
            return list(map(bool, by_field[field_id]))

        def both(left: list[bool], right: list[bool]) -> list[bool]:
            return list(map(and_, left, right))

        def either(left: list[bool], right: list[bool]) -> list[bool]:
            return list(map(or_, left, right))

        def empty(field_id: str) -> list[bool]:
            return list(map(not_, by_field.get(field_id, none)))

        plain = [True] * size
        for field_id in self._single_fields:
            plain = both(plain, truthy(field_id))
        for any_of in self._alternatives:
            met = [False] * size
            for option in any_of:
                option_met = [True] * size
                for field_id in option:
                    option_met = both(option_met, truthy(field_id))
                met = either(met, option_met)
            plain = both(plain, met)
        if self._zip_mapped:
            for zip_id, city_id, state_id in _ZIP_PLACES:
                complete = both(truthy(city_id), truthy(state_id))
                plain = both(plain, either(empty(zip_id), complete))
        names = both(truthy("owner_first_name"), truthy("owner_last_name"))
        no_name = both(empty("owner_last_name"), empty("owner_full_name"))
        plain = both(plain, either(truthy("owner_company"), either(names, no_name)))
        for address_id, unit_id, city_id, index in self._address_cells:
            if address_id not in by_field:
                continue
            source = columns[index] if index is not None else none
            untouched = both(
                empty(unit_id), either(empty(city_id), [("," not in cell) for cell in source])
            )
            plain = both(plain, either(empty(address_id), untouched))
        return plain

    def _finish(
        self,
        cells: Sequence[str],
        line: int | None,
        cleaned_values: Sequence[str],
        cleaned_row: Sequence[Cleaned] | None,
    ) -> CleanRow:
        """The row from its cleaned values (in ``_steps`` order) and, when one of them is
        invalid or gives others (``cleaned_row``, else None), its cleaned cells: values,
        errors, what a ZIP fills in, the company owner, tidied addresses, the verdict and
        the dedupe key."""
        values = dict(zip(self._field_ids, cleaned_values, strict=True))
        errors: list[RowError] = []
        invalid: set[str] = set()
        if cleaned_row is not None:
            derived: dict[str, str] = {}
            for (index, field_id, _, column, _), cleaned in zip(
                self._steps, cleaned_row, strict=True
            ):
                if cleaned.error is not None:
                    invalid.add(field_id)
                    errors.append(RowError(line, column, cells[index] or "", cleaned.error))
                if cleaned.derived:
                    derived.update(cleaned.derived)
            for target, value in derived.items():
                if not values.get(target):
                    values[target] = value

        inferred = _fill_from_zip(values, invalid) if self._zip_mapped else []
        _company_owner(values, invalid)

        for address_id, unit_id, city_id, index in self._address_cells:
            if values.get(address_id):
                source = cells[index] if index is not None else ""
                _tidy_address(values, source, address_id, unit_id, city_id, invalid)

        usable = True
        present = {fid for fid, value in values.items() if value}
        if invalid:
            present -= invalid
        # A full name stands in for first + last only through the names split from it.
        present.discard("owner_full_name")
        met = self._single_fields <= present and all(
            any(present.issuperset(option) for option in any_of) for any_of in self._alternatives
        )
        for requirement, single, any_of in () if met else self._requirements:
            if single is not None:
                if single in present:
                    continue
            elif any(present.issuperset(option) for option in any_of):
                continue
            usable = False
            if any(fid in invalid for option in any_of for fid in option):
                continue  # the invalid value already has its own error
            errors.append(
                _missing_error(
                    requirement,
                    values,
                    self.mapped_values(cells),
                    self._columns,
                    line,
                    self._import_kind,
                )
            )

        if invalid:
            key = dedupe_key_of_cleaned(*(_valid(values, invalid, fid) for fid in _KEY_FIELDS))
        else:
            key = dedupe_key_of_cleaned(
                values.get("property_address", ""),
                values.get("property_city", ""),
                values.get("property_state", ""),
                values.get("property_zip", ""),
            )
        return CleanRow(line, values, errors, usable, key, inferred)


# Cleaned is a NamedTuple: (value, error, derived).
_VALUE, _ERROR, _DERIVED = itemgetter(0), itemgetter(1), itemgetter(2)


@lru_cache(maxsize=8192)
def _zip_in_state(raw: str, state: str) -> Cleaned:
    """``normalize_zip`` cached by position: a column of ZIPs maps over it."""
    return normalize_zip(raw, state=state)


def _fill_from_zip(values: dict[str, str], invalid: set[str]) -> list[str]:
    """Fill an empty city and/or state from a valid ZIP of the same address.

    Only empty cells are filled, never a value the user typed; a state that contradicts
    the ZIP leaves the city alone (one of them is wrong, and guessing would hide it).
    """
    inferred: list[str] = []
    for zip_id, city_id, state_id in _ZIP_PLACES:
        zip_code = values.get(zip_id, "")
        if not zip_code or zip_id in invalid or city_id in invalid or state_id in invalid:
            continue
        if values.get(city_id) and values.get(state_id):
            continue
        place = place_for_zip(zip_code)
        if place is None:
            continue
        state = values.get(state_id, "")
        if state and state != place.state:
            continue
        if not state:
            values[state_id] = place.state
            inferred.append(state_id)
        if not values.get(city_id):
            values[city_id] = normalize_city(place.city).value
            inferred.append(city_id)
    return inferred


def _company_owner(values: dict[str, str], invalid: set[str]) -> None:
    """An owner that is a company or trust, written where a person's name would be.

    List exports put "SMITH FAMILY TRUST" in the last-name column (first name empty) or in
    the one owner-name column; either way the owner has a name, the company's, kept as
    ``owner_company`` (see ``traces/import_kinds.py`` for what a normal trace sends).
    """
    if values.get("owner_company") or "owner_company" in invalid:
        return
    if values.get("owner_first_name") and values.get("owner_last_name"):
        return
    last = values.get("owner_last_name", "")
    full = values.get("owner_full_name", "")
    for candidate in (last, full):
        if candidate and is_company_name(candidate):
            values["owner_company"] = normalize_company(candidate).value
            return


_KEY_FIELDS = ("property_address", "property_city", "property_state", "property_zip")


def _valid(values: Mapping[str, str], invalid: set[str], field_id: str) -> str:
    return "" if field_id in invalid else values.get(field_id, "")


def _tidy_address(
    values: dict[str, str],
    source: str,
    address_id: str,
    unit_id: str,
    city_id: str,
    invalid: set[str],
) -> None:
    """Drop a city repeated in a one-line address (``source``, the cell as typed) and
    append a separate unit column."""
    address = values.get(address_id, "")
    if not address or address_id in invalid:
        return
    city = values.get(city_id, "")
    if city and "," in source:
        parts = [part for part in source.split(",") if part.strip()]
        if len(parts) >= 2 and normalize_city(parts[1]).value == city:
            address = normalize_address(parts[0]).value
    unit = values.get(unit_id, "")
    if unit and unit_id not in invalid and not address.endswith(unit):
        address = f"{address} {unit}"
    values[address_id] = address


def _missing_error(
    requirement: Requirement,
    values: Mapping[str, str],
    mapped_values: Mapping[str, str],
    columns: Mapping[str, str],
    line: int | None,
    import_kind: ImportKind,
) -> RowError:
    job = import_kind.row_phrase
    fields = [fid for option in requirement.any_of for fid in option]
    if "owner_full_name" in fields and values.get("owner_full_name"):
        full = mapped_values.get("owner_full_name", "")
        return RowError(
            line,
            columns.get("owner_full_name") or requirement.label,
            full,
            f"{quoted(full)} is not one person's first and last name; {job} needs them"
            + (f" ({import_kind.owner_name_hint})" if import_kind.owner_name_hint else ""),
        )
    mapped = [fid for fid in fields if fid in mapped_values]
    column = requirement.label
    if len(mapped) == 1:
        column = columns.get(mapped[0]) or FIELDS_BY_ID[mapped[0]].label
    return RowError(line, column, "", f"is empty; {job} needs it")
