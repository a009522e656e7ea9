"""CRM push operations: settings, the connection test, the push plan (the preview), creating
a push (contacts mapped, refused ones listed, batches built), its retry, and what the submit
step records per batch.

A push is mapped twice by the same code (`contacts_of`): for the preview (`crm_push_plan`,
which keeps only counts and the first contacts) and, by the worker, for real
(`crm_push_prepare`), so what is sent is what the user was shown unless the source's DNC
statuses changed in between.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from itertools import islice

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from leadops.accounts.models import Membership
from leadops.accounts.permissions import control_refusal, may_control
from leadops.bulk import bulk_insert, bulk_upsert
from leadops.jobs import services as job_services
from leadops.jobs import tokens
from leadops.phones import dnc_statuses
from leadops.providers import crm_client
from leadops.providers.crm import split_groups
from leadops.providers.errors import ProviderError

from .contacts import Contact, Options, contact_for
from .models import (
    PROVIDER,
    RETRYABLE,
    BatchState,
    CrmBatch,
    CrmContact,
    CrmPush,
    CrmRefusal,
    CrmSettings,
    RefusalReason,
    Selection,
)
from .sources import CRM_OFF, Source

log = logging.getLogger(__name__)

CHUNK = 2000
MAX_TAGS, MAX_TAG_LENGTH = 20, 60


class PushRefused(Exception):
    """A push cannot be made (nothing to send, a source not finished, a spent form…)."""


class AlreadySubmitted(Exception):
    def __init__(self, job: CrmPush):
        self.job = job
        super().__init__(f"This form already started CRM push #{job.pk}.")


class NotAllowed(Exception):
    pass


# --- settings -------------------------------------------------------------------------------


def crm_settings_for(*, team) -> CrmSettings:
    found, _ = CrmSettings.objects.get_or_create(team=team)
    return found


def may_manage_crm(*, user, team) -> bool:
    membership = Membership.objects.filter(user=user, team=team).first()
    return bool(membership and membership.can_manage)


def clean_tags(tags: Iterable[str]) -> list[str]:
    """Tags as stored: trimmed, at most MAX_TAG_LENGTH characters, no duplicates, MAX_TAGS."""
    cleaned = [" ".join(str(tag).split())[:MAX_TAG_LENGTH] for tag in tags]
    return list(dict.fromkeys(tag for tag in cleaned if tag))[:MAX_TAGS]


def crm_settings_update(
    *, team, user: AbstractBaseUser, default_tags: Iterable[str], send_blocked_phones: bool
) -> CrmSettings:
    """Change the team's CRM settings; team admins and managers only (NotAllowed)."""
    if not may_manage_crm(user=user, team=team):
        raise NotAllowed("Only a team admin or manager can change the CRM settings.")
    found = crm_settings_for(team=team)
    found.default_tags = clean_tags(default_tags)
    found.send_blocked_phones = send_blocked_phones
    found.save(update_fields=["default_tags", "send_blocked_phones", "updated_at"])
    return found


@dataclass(frozen=True)
class ConnectionResult:
    ok: bool
    message: str
    at: datetime


def crm_connection_test(*, team) -> ConnectionResult:
    """Ask the CRM for an empty batch (nothing is created) and remember the answer."""
    now = timezone.now()
    if not settings.CRM_ENABLED:
        result = ConnectionResult(False, CRM_OFF, now)
    else:
        try:
            answer = crm_client().connection_test()
        except ProviderError as exc:
            result = ConnectionResult(False, f"The CRM refused the test: {exc}", now)
        else:
            result = ConnectionResult(
                True, f"Connected: the CRM answered “{answer.status}” with your credentials.", now
            )
    CrmSettings.objects.update_or_create(
        team=team,
        defaults={
            "last_test_at": now,
            "last_test_ok": result.ok,
            "last_test_message": result.message[:300],
        },
    )
    return result


# --- planning -------------------------------------------------------------------------------


def push_options(*, source: Source, clean_only: bool, team_settings: CrmSettings) -> Options:
    return Options(
        clean_only=clean_only,
        send_blocked=team_settings.send_blocked_phones,
        tags=tuple(clean_tags([*team_settings.default_tags, *source.tags])),
        event=source.event,
    )


def contacts_of(
    *,
    source: Source,
    options: Options,
    selection: str,
    filter_query: str = "",
    record_ids: Iterable[int] | None = None,
) -> Iterator[Contact]:
    """Every selected record as a contact: its phones' DNC statuses and whether the team has
    pushed it before looked up per chunk (never per record); a second record with the same
    CRM id in one push is refused as a duplicate."""
    team = source.job.team
    records = source.records(selection=selection, filter_query=filter_query, record_ids=record_ids)
    seen: dict[str, int] = {}
    while chunk := list(islice(records, CHUNK)):
        statuses = dnc_statuses(team=team, numbers={n for r in chunk for n, _ in r.phones})
        contacts = [contact_for(record, statuses=statuses, options=options) for record in chunk]
        known = set(
            CrmContact.objects.filter(
                team=team, crm_id__in={c.crm_id for c in contacts}
            ).values_list("crm_id", flat=True)
        )
        for contact in contacts:
            if contact.refusal is None and contact.crm_id in seen:
                contact = replace(
                    contact,
                    refusal=RefusalReason.DUPLICATE,
                    refusal_detail="Same owner and property as record "
                    f"{seen[contact.crm_id]}: sent once.",
                )
            elif contact.refusal is None:
                seen[contact.crm_id] = contact.record.record_id
                if contact.crm_id in known:
                    contact = replace(contact, update=True)
            yield contact


@dataclass
class PushPlan:
    """What a push would send: counts over every selected record, the first contacts."""

    records: int = 0
    contacts: int = 0
    creates: int = 0
    updates: int = 0
    refused: Counter = field(default_factory=Counter)
    sample: list[Contact] = field(default_factory=list)
    refused_sample: list[Contact] = field(default_factory=list)
    phones_left_out: int = 0

    @property
    def refused_total(self) -> int:
        return sum(self.refused.values())

    @property
    def refused_by_reason(self) -> list[tuple[str, int]]:
        return [(RefusalReason(reason).label, n) for reason, n in self.refused.most_common()]


def crm_push_plan(
    *,
    source: Source,
    clean_only: bool,
    selection: str = Selection.ALL,
    filter_query: str = "",
    sample: int | None = None,
) -> PushPlan:
    """The preview: map every selected record and count, keep the first `sample` contacts
    (and refused records) to show."""
    sample = settings.CRM_PREVIEW_CONTACTS if sample is None else sample
    options = push_options(
        source=source,
        clean_only=clean_only,
        team_settings=crm_settings_for(team=source.job.team),
    )
    plan = PushPlan()
    for contact in contacts_of(
        source=source, options=options, selection=selection, filter_query=filter_query
    ):
        plan.records += 1
        plan.phones_left_out += len(contact.left_out)
        if contact.refusal is not None:
            plan.refused[contact.refusal] += 1
            if len(plan.refused_sample) < sample:
                plan.refused_sample.append(contact)
            continue
        plan.contacts += 1
        if contact.update:
            plan.updates += 1
        else:
            plan.creates += 1
        if len(plan.sample) < sample:
            plan.sample.append(contact)
    return plan


# --- creating a push ------------------------------------------------------------------------


def submit_scope(*, source: Source) -> str:
    return f"crm:{source.kind}:{source.job.pk}"


def _queue_push(
    *,
    source: Source,
    user: AbstractBaseUser,
    clean_only: bool,
    selection: str,
    token: str | None,
    scope: str,
    filter_query: str = "",
    record_ids: list[int] | None = None,
    retry_of: CrmPush | None = None,
) -> CrmPush:
    """Create the push with its options (the team's tags and DNC choice as of now) and queue
    it, consuming the form's one-time token in the same transaction."""
    team = source.job.team
    options = push_options(
        source=source, clean_only=clean_only, team_settings=crm_settings_for(team=team)
    )
    with transaction.atomic():
        claimed = tokens.submit_token_take(
            key=token,
            user=user,
            scope=scope,
            model=CrmPush,
            refused=PushRefused,
            already=AlreadySubmitted,
        )
        push = CrmPush.objects.create(
            team=team,
            created_by=user,
            provider=PROVIDER,
            source_kind=source.kind,
            source_id=source.job.pk,
            source_name=source.name[:255],
            selection=selection,
            filter_query=filter_query,
            clean_only=clean_only,
            retry_of=retry_of,
            record_ids=record_ids or [],
            tags=list(options.tags),
            send_blocked_phones=options.send_blocked,
        )
        job_services.job_queue(job=push, actor=user)
        if claimed is not None:
            tokens.submit_token_spent(token=claimed, job_id=push.pk)
    return push


def crm_push_create(
    *,
    source: Source,
    user: AbstractBaseUser,
    clean_only: bool,
    selection: str = Selection.ALL,
    filter_query: str = "",
    token: str | None = None,
) -> CrmPush:
    """Queue a push of the source's selected records; the worker maps and batches them
    (`crm_push_prepare`) and sends them, so a list of any size returns at once.

    Raises PushRefused (the source is not finished, an unknown selection, the form is spent
    or expired) or AlreadySubmitted (this form made a push already); nothing is stored then.
    """
    refusal = source.refusal()
    if refusal:
        raise PushRefused(refusal)
    if selection not in (Selection.ALL, Selection.FILTERED):
        raise PushRefused("Choose every record or the current filtered selection.")
    return _queue_push(
        source=source,
        user=user,
        clean_only=clean_only,
        selection=selection,
        token=token,
        scope=submit_scope(source=source),
        filter_query=filter_query if selection == Selection.FILTERED else "",
    )


class NothingToSend(Exception):
    """Every selected record was refused (they are stored, with their reasons)."""


def crm_push_prepare(*, push: CrmPush) -> CrmPush:
    """Map the push's records, store the refused ones and the batches, in one transaction
    (a worker that dies half-way leaves nothing behind, and the next run starts again).

    Raises NothingToSend, after storing the refusals, when no record can go.
    """
    if push.prepared_at is not None:
        return push
    from .sources import source_for

    source = source_for(kind=push.source_kind, pk=push.source_id, team=push.team)
    options = Options(
        clean_only=push.clean_only,
        send_blocked=push.send_blocked_phones,
        tags=tuple(push.tags),
        event=source.event,
    )
    CrmPush.objects.filter(pk=push.pk).update(stage="Mapping the records to CRM contacts")
    with transaction.atomic():
        tally = _prepare(
            push=push,
            contacts=contacts_of(
                source=source,
                options=options,
                selection=push.selection,
                filter_query=push.filter_query,
                record_ids=push.record_ids if push.selection == Selection.RETRY else None,
            ),
            options=options,
        )
        sent = tally["creates"] + tally["updates"]
        CrmPush.objects.filter(pk=push.pk).update(
            records_selected=tally["records"],
            contacts=sent,
            creates=tally["creates"],
            updates=tally["updates"],
            refused=tally["records"] - sent,
            batches_total=tally["batches"],
            rows_total=sent,
            prepared_at=timezone.now(),
        )
    push.refresh_from_db()
    if not sent:
        raise NothingToSend(
            f"Nothing to send: none of the {tally['records']:,} selected records can go to the "
            "CRM; the refused records below say why."
            if tally["records"]
            else "Nothing to send: the selection holds no record."
        )
    return push


REFUSAL_FIELDS = ("push", "record_id", "name", "address", "reason", "detail")
BATCH_FIELDS = ("push", "number", "items", "record_ids", "contacts", "size_bytes")


def _prepare(*, push: CrmPush, contacts: Iterator[Contact], options: Options) -> Counter:
    """Store the refusals and the batches (COPY on PostgreSQL) as the contacts come."""
    tally: Counter = Counter()
    refusals: list[tuple] = []
    now = timezone.now()

    def groups() -> Iterator[tuple[Contact, list[dict]]]:
        for contact in contacts:
            tally["records"] += 1
            if contact.refusal is not None:
                record = contact.record
                refusals.append(
                    (
                        push.pk,
                        record.record_id,
                        contact.name[:255],
                        (record.address or record.mailing).line[:300],
                        contact.refusal,
                        contact.refusal_detail[:300],
                    )
                )
                continue
            tally["updates" if contact.update else "creates"] += 1
            yield contact, contact.items(options=options, now=now)

    batches: list[tuple] = []
    paired = _paired(groups())
    for items, count, size in split_groups(
        (items for _, items in paired), settings.CRM_BATCH_BYTES
    ):
        tally["batches"] += 1
        batches.append((push.pk, tally["batches"], items, paired.take(count), count, size))
        if len(batches) >= 50:
            bulk_insert(CrmBatch, BATCH_FIELDS, batches)
            batches.clear()
        if len(refusals) >= CHUNK:
            bulk_insert(CrmRefusal, REFUSAL_FIELDS, refusals)
            refusals.clear()
    bulk_insert(CrmBatch, BATCH_FIELDS, batches)
    bulk_insert(CrmRefusal, REFUSAL_FIELDS, refusals)
    return tally


class _paired:
    """Iterates (contact, items) pairs while remembering each contact's record id, so the
    batch built from the next `count` groups knows which records it carries."""

    def __init__(self, pairs: Iterator[tuple[Contact, list[dict]]]):
        self._pairs = pairs
        self._ids: list[int] = []

    def __iter__(self):
        return self

    def __next__(self) -> tuple[Contact, list[dict]]:
        contact, items = next(self._pairs)
        self._ids.append(contact.record.record_id)
        return contact, items

    def take(self, count: int) -> list[int]:
        taken, self._ids = self._ids[:count], self._ids[count:]
        return taken


def retry_refusal(*, push: CrmPush) -> str:
    """Why `push`'s failed batches cannot be sent again ("" when they can)."""
    if not push.is_finished:
        return f"CRM push #{push.pk} has not finished."
    if not push.batches.filter(state__in=RETRYABLE).exists():
        return f"Every batch of CRM push #{push.pk} arrived; there is nothing to retry."
    return ""


def retry_scope(*, push: CrmPush) -> str:
    return f"crm:retry:{push.pk}"


def crm_push_retry(
    *, push: CrmPush, source: Source, user: AbstractBaseUser, token: str | None = None
) -> CrmPush:
    """A new push of exactly the records of `push`'s failed and answer-lost batches, mapped
    afresh (their contacts were never recorded as created, so they go as creates again; the
    CRM knows a user by its id). Only the push's creator or a team admin or manager may
    (NotAllowed). Raises PushRefused or AlreadySubmitted."""
    if not may_control(user=user, work=push):
        raise NotAllowed(control_refusal(work=push, action="retry"))
    refusal = retry_refusal(push=push) or source.refusal()
    if refusal:
        raise PushRefused(refusal)
    record_ids = [
        rid
        for ids in push.batches.filter(state__in=RETRYABLE).values_list("record_ids", flat=True)
        for rid in ids
    ]
    return _queue_push(
        source=source,
        user=user,
        clean_only=push.clean_only,
        selection=Selection.RETRY,
        token=token,
        scope=retry_scope(push=push),
        record_ids=record_ids,
        retry_of=push,
    )


# --- what the submit step records -----------------------------------------------------------


CONTACT_FIELDS = (
    "team",
    "crm_id",
    "name",
    "address",
    "first_push",
    "last_push",
    "pushes",
    "first_pushed_at",
    "last_pushed_at",
)


def crm_batch_sent(*, batch: CrmBatch) -> None:
    """The CRM queued `batch`: mark it sent, remember its users (later pushes update them)
    and move the push's progress, in one transaction."""
    now = timezone.now()
    push = batch.push
    with transaction.atomic():
        CrmBatch.objects.filter(pk=batch.pk).update(state=BatchState.SENT, sent_at=now, error="")
        people = {
            item["id"]: item for item in batch.items if item.get("type") in ("create", "update")
        }
        bulk_upsert(
            CrmContact,
            CONTACT_FIELDS,
            (
                (
                    push.team_id,
                    crm_id,
                    " ".join(p for p in (item.get("first_name"), item.get("last_name")) if p)[:255],
                    str((item.get("meta") or {}).get("property_address") or "")[:300],
                    push.pk,
                    push.pk,
                    1,
                    now,
                    now,
                )
                for crm_id, item in people.items()
            ),
            unique=("team", "crm_id"),
            keep=("first_push", "first_pushed_at"),
            increment="pushes",
        )
        CrmPush.objects.filter(pk=push.pk).update(rows_done=F("rows_done") + batch.contacts)


def crm_batch_failed(*, batch: CrmBatch, state: str, error: str) -> None:
    CrmBatch.objects.filter(pk=batch.pk).update(state=state, error=error[:2000])
