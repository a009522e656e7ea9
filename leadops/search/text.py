"""How a record and a query become comparable text.

A record's `document` has four sections, always in this order and separated by " | ":
the property key (street in USPS form, city, state, 5-digit ZIP: the importer's dedupe key),
the owner names' words, the phones as ten digits, and the APN's letters and digits. Every
section is upper case with no punctuation, so a query only has to be written the same way:
`parse_query` turns what was typed into words that must each appear somewhere in the
document (a word may have spellings: "STREET" or "ST").
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from django.db.models import Q

from leadops.imports.normalize import address_word, dedupe_key_for_address, is_unit_word
from leadops.phones import us_e164

from .registry import IndexRow

SECTIONS = ("address", "owner", "phone", "APN")
SEPARATOR = " | "
MIN_WORD = 3  # a trigram index can only narrow on words of three characters or more

_NOT_ALNUM = re.compile(r"[^0-9A-Z]+")
_PHONE_ONLY = re.compile(r"[\d\s().+\-]+")
_NON_DIGIT = re.compile(r"\D")


def words(text: str) -> str:
    """ "O'Brien, John" -> "O BRIEN JOHN"."""
    return " ".join(_NOT_ALNUM.sub(" ", text.upper()).split())


def apn_key(text: str) -> str:
    """ "03145-0042" -> "031450042"."""
    return _NOT_ALNUM.sub("", text.upper())


def _hashed(prefix: str, text: str) -> str:
    return prefix + hashlib.sha1(text.encode()).hexdigest()[:19]  # noqa: S324 - a key, not a secret


@dataclass(frozen=True)
class Indexed:
    """An `IndexRow` as the columns of its `SearchEntry`."""

    record_key: str
    address: str
    owner: str
    apn: str
    phones: str
    document: str


def indexed(row: IndexRow) -> Indexed | None:
    """The entry for `row`, or None when it names nothing to find (no address, phone or
    owner). Rows about one property share a record key (its dedupe key hashed); a row with
    phones but no address is keyed by its first phone, one with neither by its owner."""
    property_key = dedupe_key_for_address(row.street, row.city, row.state, row.zip_code)
    phones = list(dict.fromkeys(p for p in (us_e164(n) for n in row.phones) if p))
    owners = list(dict.fromkeys(o.strip() for o in row.owners if o and o.strip()))
    owner_words = words(" ".join(owners))
    if property_key:
        record_key = _hashed("p", property_key)
    elif phones:
        record_key = "t" + phones[0][2:]
    elif owner_words:
        record_key = _hashed("o", owner_words)
    else:
        return None
    tail = " ".join(p for p in (row.state, row.zip_code) if p)
    address = ", ".join(p for p in (row.street, row.city, tail) if p)
    document = SEPARATOR.join(
        (
            property_key.replace("|", " "),
            owner_words,
            " ".join(p[2:] for p in phones),
            apn_key(row.apn),
        )
    )
    return Indexed(
        record_key=record_key,
        address=address[:300],
        owner=" · ".join(owners)[:300],
        apn=row.apn.strip()[:60],
        phones=" ".join(phones)[:600],
        document=document,
    )


@dataclass(frozen=True)
class SearchQuery:
    """What was typed, as words each of which must appear (in one of its spellings)."""

    text: str
    words: tuple[tuple[str, ...], ...] = ()
    number: bool = False  # typed as a phone or parcel number (digits and punctuation only)
    problem: str = ""

    @property
    def ok(self) -> bool:
        return bool(self.words) and not self.problem

    def condition(self) -> Q:
        condition = Q()
        for spellings in self.words:
            either = Q()
            for spelling in spellings:
                either |= Q(document__contains=spelling)
            condition &= either
        return condition

    def matched_on(self, document: str) -> list[str]:
        """Which sections of a matching document hold the query's words."""
        parts = document.split(SEPARATOR)
        found = []
        for name, part in zip(SECTIONS, parts, strict=False):
            if any(any(s in part for s in spellings) for spellings in self.words):
                found.append(name)
        return found


def parse_query(text: str) -> SearchQuery:
    """The words a typed query must match.

    Digits and phone punctuation only ("(212) 555-0142", "+1 212 555 0142", "123-45-678") is
    one number: a phone (a leading country code 1 dropped) or an APN, matched anywhere, so
    the last seven digits of a phone find it too. Anything else is words: an address is put
    in USPS form word by word ("Street" also matches "ST"), unit designators ("Apt", "#") are
    left out because the property key writes every one as "#", and a word holding digits
    loses its punctuation ("03145-0042" is the APN 031450042).
    """
    text = " ".join(text.split())[:200]
    if not text:
        return SearchQuery(text)
    if _PHONE_ONLY.fullmatch(text):
        digits = _NON_DIGIT.sub("", text)
        if (len(digits) == 11 and digits.startswith("1")) or text.startswith("+1"):
            digits = digits[1:]
        if len(digits) < MIN_WORD:
            return SearchQuery(
                text, problem="Type at least three digits of a phone or parcel number."
            )
        return SearchQuery(text, ((digits,),), number=True)
    found: list[tuple[str, ...]] = []
    for token in text.upper().split():
        parts = [apn_key(token)] if any(ch.isdigit() for ch in token) else _NOT_ALNUM.split(token)
        for part in parts:
            if not part or is_unit_word(part):
                continue
            spellings = tuple(dict.fromkeys((part, address_word(part))))
            if spellings not in found:
                found.append(spellings)
    if not found:
        return SearchQuery(text, problem="Type an address, an owner's name, a phone or an APN.")
    if not any(all(len(s) >= MIN_WORD for s in spellings) for spellings in found):
        return SearchQuery(
            text, tuple(found), problem="Type at least one word of three letters or digits."
        )
    return SearchQuery(text, tuple(found))


def phone_digits(e164: str) -> str:
    return e164[2:] if e164.startswith("+1") else e164
