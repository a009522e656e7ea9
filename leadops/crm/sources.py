"""Where a push's records come from: a finished trace, DNC scrub or lead list.

Each source reads its own app's rows in chunks and yields `SourceRecord`s, whatever the
selection: every record with a contact, the page's current filters (the same filter set
the source's page uses, from its query string), or the records of a failed push's batches
(`record_ids`). The ids are the source's own row ids: a trace result, a lead-list row, and
for a DNC scrub the uploaded row its phones came from (a pasted phone is its own record).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import groupby

from django.conf import settings
from django.db.models import QuerySet, TextField
from django.db.models.functions import Cast
from django.http import QueryDict
from django.urls import reverse

from leadops.fields import document_keys
from leadops.imports.models import ImportRecord
from leadops.imports.normalize import split_full_name
from leadops.imports.values import mailing_parts, owner_parts, property_parts
from leadops.jobs.models import FINISHED

from .contacts import Address, SourceRecord
from .models import Selection, SourceKind

CHUNK = 2000
CRM_OFF = "The CRM is turned off here (CRM_ENABLED=false): nothing can be sent to it."


def _property(values: dict) -> Address:
    return Address(*property_parts(values))


def _mailing(values: dict) -> Address:
    return Address(*mailing_parts(values))


def _upload_emails(values: dict) -> tuple[str, ...]:
    return tuple(values[key] for key in sorted(values) if key.startswith("email_") and values[key])


@dataclass
class Source(ABC):
    """One pushable thing of a team; subclasses read their app's rows."""

    kind = SourceKind.TRACE
    job: object

    @property
    @abstractmethod
    def name(self) -> str:
        """The source as people call it ("Trace #12 (owners.csv)")."""

    @property
    @abstractmethod
    def url(self) -> str:
        """The source's page."""

    @property
    def tags(self) -> tuple[str, ...]:
        return (f"leadops-{self.kind}-{self.job.pk}",)

    @property
    def event(self) -> str:
        return f"LeadOps: {self.name}"

    def refusal(self) -> str:
        """Why this source cannot be pushed now ("" when it can)."""
        if not settings.CRM_ENABLED:
            return CRM_OFF
        if self.job.status not in FINISHED:
            return f"{self.name} has not finished; send it to the CRM once it completes."
        return ""

    @staticmethod
    @abstractmethod
    def filter_set(data: QueryDict, *, team, queryset: QuerySet | None = None):
        """The source page's own filter set (the same filters, the same reading of them)."""

    def _filtered(self, rows: QuerySet, selection: str, filter_query: str) -> QuerySet:
        if selection == Selection.FILTERED and filter_query:
            return self.filter_set(QueryDict(filter_query), team=self.job.team, queryset=rows).qs
        return rows

    @abstractmethod
    def records(
        self, *, selection: str, filter_query: str = "", record_ids: Iterable[int] | None = None
    ) -> Iterator[SourceRecord]:
        """The selected records, in the source's order, read in chunks."""


class TraceSource(Source):
    kind = SourceKind.TRACE

    @property
    def name(self) -> str:
        return f"Trace #{self.job.pk} ({self.job.batch.filename})"

    @property
    def url(self) -> str:
        return reverse("traces:detail", args=[self.job.pk])

    @property
    def tags(self) -> tuple[str, ...]:
        return (*super().tags, f"skip-trace-{self.job.provider}")

    @staticmethod
    def filter_set(data, *, team, queryset=None):
        from traces.filters import TraceResultFilter
        from traces.models import TraceResult

        results = TraceResult.objects.none() if queryset is None else queryset
        return TraceResultFilter(data, queryset=results)

    def _results(self, selection: str, filter_query: str, record_ids) -> QuerySet:
        from traces.models import MatchStatus, TraceResult

        results = TraceResult.objects.filter(job=self.job).select_related("record")
        results = self._filtered(results, selection, filter_query)
        if record_ids is not None:
            results = results.filter(pk__in=list(record_ids))
        # What a contact is made of: not the provider's raw row (a parcel trace's property
        # address excepted) nor the upload's cells.
        fields = ["record_id", "record__values", "first_name", "last_name", "mail_address"]
        fields += ["mail_city", "mail_state", "mail_zip", "phones", "emails"]
        if self.job.is_parcel:
            fields.append("raw")
        return results.filter(status=MatchStatus.HIT).order_by("id").only(*fields)

    def records(self, *, selection, filter_query="", record_ids=None):
        parcel = self.job.is_parcel
        for result in self._results(selection, filter_query, record_ids).iterator(CHUNK):
            values = result.record.values if result.record_id else {}
            raw = result.raw or {}
            place = _property(values)
            if parcel and not place:
                place = Address(
                    str(raw.get("property_address", "")),
                    str(raw.get("property_city", "")),
                    str(raw.get("property_state", "")),
                    str(raw.get("property_zip", "")),
                )
            first, last, company = result.first_name, result.last_name, ""
            if not (first or last):
                first, last, company = owner_parts(values)
            yield SourceRecord(
                record_id=result.pk,
                first_name=first,
                last_name=last,
                company=company,
                address=place,
                mailing=Address(
                    result.mail_address, result.mail_city, result.mail_state, result.mail_zip
                )
                or _mailing(values),
                phones=tuple(
                    (str(p.get("number", "")), str(p.get("type", "")))
                    for p in result.phones or ()
                    if p.get("number")
                ),
                emails=tuple(str(e) for e in result.emails or () if e),
            )


# The lead-list row columns (kept in `LeadRow.data`) a contact is made of.
DATA_KEYS = (
    "owner_1_first_name",
    "owner_1_last_name",
    "mobile_1",
    "mail_address",
    "mail_city",
    "mail_state",
    "mail_zip",
    "email_1",
    "email_2",
    "email_3",
)
# Only those keys of a row's `data` text are decoded (decoding every document whole was half
# the time of a push's plan).
_data_values = document_keys(DATA_KEYS)


class LeadSource(Source):
    kind = SourceKind.LEADS

    @property
    def name(self) -> str:
        return f"Lead list #{self.job.pk} ({self.job.name})"

    @property
    def url(self) -> str:
        return reverse("leadbuilder:rows", args=[self.job.pk])

    @property
    def tags(self) -> tuple[str, ...]:
        label = self.job.strategy_label
        return (*super().tags, *([f"strategy: {label}"] if label else ()))

    @staticmethod
    def filter_set(data, *, team, queryset=None):
        from leadbuilder.filters import LeadRowFilter
        from leadbuilder.models import LeadRow

        rows = LeadRow.objects.none() if queryset is None else queryset
        return LeadRowFilter(data, queryset=rows, team=team)

    def records(self, *, selection, filter_query="", record_ids=None):
        from leadbuilder.models import LeadRow, OwnerType

        rows = self._filtered(LeadRow.objects.filter(build=self.job), selection, filter_query)
        if record_ids is not None:
            rows = rows.filter(pk__in=list(record_ids))
        # Only the provider columns a contact needs: `data` read as text, those keys decoded.
        picked = (
            rows.order_by("position")
            .annotate(data_text=Cast("data", output_field=TextField()))
            .values_list(
                "pk",
                "owner_name",
                "owner_type",
                "address",
                "city",
                "state",
                "zip_code",
                "primary_phone",
                "phone_type",
                "data_text",
            )
        )
        for (
            pk,
            owner,
            owner_type,
            street,
            city,
            state,
            zip_code,
            number,
            kind,
            data_text,
        ) in picked.iterator(CHUNK):
            data = _data_values(data_text)
            company = owner if owner_type == OwnerType.COMPANY else ""
            phones = [(number, kind)] if number else []
            if data["mobile_1"]:
                phones.append((str(data["mobile_1"]), "Mobile"))
            yield SourceRecord(
                record_id=pk,
                first_name="" if company else str(data["owner_1_first_name"] or ""),
                last_name="" if company else str(data["owner_1_last_name"] or ""),
                company=company,
                address=Address(street, city, state, zip_code),
                mailing=Address(
                    *(
                        str(data[key] or "")
                        for key in ("mail_address", "mail_city", "mail_state", "mail_zip")
                    )
                ),
                phones=tuple(phones),
                emails=tuple(
                    str(data[key]) for key in ("email_1", "email_2", "email_3") if data[key]
                ),
            )


class DncSource(Source):
    """A scrub's phones, grouped by the uploaded row (or traced record) they came from; with
    a trace as its source the owner and emails are the trace's. A pasted phone is a record of
    its own whose name is its label. A phone on several rows belongs to the first."""

    kind = SourceKind.DNC

    @property
    def name(self) -> str:
        return f"DNC scrub #{self.job.pk} ({self.job.name})"

    @property
    def url(self) -> str:
        return reverse("dnc:detail", args=[self.job.pk])

    @staticmethod
    def filter_set(data, *, team, queryset=None):
        from dnc.filters import DncPhoneFilter
        from dnc.models import DncPhone

        phones = DncPhone.objects.none() if queryset is None else queryset
        return DncPhoneFilter(data, queryset=phones)

    def records(self, *, selection, filter_query="", record_ids=None):
        from dnc.models import DncPhone, PhoneOutcome
        from dnc.models import DncSource as Kind

        phones = DncPhone.objects.filter(job=self.job).exclude(outcome=PhoneOutcome.INVALID)
        phones = self._filtered(phones, selection, filter_query)
        by_row = self.job.source != Kind.LIST
        key = "record_id" if by_row else "pk"
        if record_ids is not None:
            phones = phones.filter(**{f"{key}__in": list(record_ids)})
        rows = phones.order_by(key, "pk").values_list(key, "phone", "label", "phone_type")
        chunk: list[tuple] = []
        for row in rows.iterator(CHUNK):
            chunk.append(row)
            if len(chunk) >= CHUNK and chunk[-1][0] != chunk[-2][0]:
                yield from self._records(chunk[:-1], by_row)
                chunk = chunk[-1:]
        yield from self._records(chunk, by_row)

    def _records(self, rows: list[tuple], by_row: bool) -> Iterator[SourceRecord]:
        groups = [(rid, list(group)) for rid, group in groupby(rows, key=lambda r: r[0])]
        if not by_row:
            for rid, group in groups:
                first, last, company = "", "", ""
                label = group[0][2]
                split = split_full_name(label) if label else None
                if split:
                    first, last = split
                elif label:
                    company = label
                yield SourceRecord(
                    record_id=rid,
                    first_name=first,
                    last_name=last,
                    company=company,
                    phones=tuple((phone, kind) for _, phone, _, kind in group),
                )
            return
        ids = [rid for rid, _ in groups if rid is not None]
        values = dict(ImportRecord.objects.filter(pk__in=ids).values_list("pk", "values"))
        traced = self._traced(ids)
        for rid, group in groups:
            if rid is None:
                continue
            row = values.get(rid, {})
            result = traced.get(rid)
            first, last, company = owner_parts(row)
            mailing, emails = _mailing(row), _upload_emails(row)
            if result is not None:
                first, last = result.first_name or first, result.last_name or last
                mailing = (
                    Address(
                        result.mail_address, result.mail_city, result.mail_state, result.mail_zip
                    )
                    or mailing
                )
                emails = tuple(str(e) for e in result.emails or () if e) or emails
            yield SourceRecord(
                record_id=rid,
                first_name=first,
                last_name=last,
                company=company,
                address=_property(row),
                mailing=mailing,
                phones=tuple((phone, kind) for _, phone, _, kind in group),
                emails=emails,
            )

    def _traced(self, record_ids: list[int]) -> dict:
        if not self.job.trace_id:
            return {}
        from traces.models import MatchStatus, TraceResult

        results = TraceResult.objects.filter(
            job_id=self.job.trace_id, record_id__in=record_ids, status=MatchStatus.HIT
        ).only(
            "record_id",
            "first_name",
            "last_name",
            "mail_address",
            "mail_city",
            "mail_state",
            "mail_zip",
            "emails",
        )
        return {result.record_id: result for result in results}


SOURCES = {SourceKind.TRACE: TraceSource, SourceKind.DNC: DncSource, SourceKind.LEADS: LeadSource}


def _model(kind: str):
    if kind == SourceKind.TRACE:
        from traces.models import TraceJob

        return TraceJob
    if kind == SourceKind.DNC:
        from dnc.models import DncScrub

        return DncScrub
    if kind == SourceKind.LEADS:
        from leadbuilder.models import LeadBuild

        return LeadBuild
    raise LookupError(f"no CRM source kind {kind!r}")


def source_for(*, kind: str, pk: int, team) -> Source:
    """The team's source `kind` #`pk`; LookupError when the team has no such thing (a view
    answers 404)."""
    model = _model(kind)
    job = model.objects.filter(team=team, pk=pk).select_related("team").first()
    if job is None:
        raise LookupError(f"no {kind} #{pk} in this team")
    return SOURCES[SourceKind(kind)](job)
