"""A DNC scrub of 100,000 phones: the cost preview the user waits for, and the ingest of the
provider's 100,000 results through the shared bulk path against a naive loop.

Cost preview (target: under 2 s from click to preview, draft + estimate):

- upload: a phone list of PHONES / 2 rows x 2 phone columns ("Mobile", "Home Phone"; many
  spellings, ~3 % repeats across rows and columns, ~2 % invalid and ~2 % blank cells, plus
  1 % rows without a phone) goes through the real import services (upload, auto-map, store;
  not timed), then ``dnc_draft_from_import`` and ``dnc_estimate`` are timed;
- pasted list: PHONES entries (one or two a line, the same mix), ``dnc_draft_from_list`` and
  ``dnc_estimate`` timed.

Of each source's unique phones the team's PhoneStatus store already holds 20 % fresh and 10 %
stale, and 4 % are on its internal do-not-call list (half of those also fresh), so the
blocked and reused queries do real work; the store also holds OTHER_STATUSES results of other
phones of the team and of another team (which must never be reused). The estimate's counts
are checked against what was arranged.

Ingest: a pasted list of PHONES new phones (20 % stale in the store, so the upsert updates
as well as inserts) is submitted with ``dnc_scrub_submit`` (credits held, job queued; the
queued RQ step is removed at once: no worker runs, none is needed), then
``dnc_results_store`` stores PHONES provider rows (the result CSV's shape: 10-digit phone,
label, "true"/"false" flags, phone type) with the clean list. The naive baseline, measured in
the same run on a second submitted scrub of the same size, does per row the same parsing,
then ``DncPhone.objects.filter(job, phone).update(...)`` and
``PhoneStatus.objects.update_or_create(team, phone, defaults)`` in autocommit, on NAIVE_ROWS
rows spread over the list, extrapolated linearly. Two variants are reported too, each on its
own NAIVE_ROWS rows: the same loop in one transaction, and the loop with the lookup the
(job, phone) index can serve (that index is partial, invalid entries excepted, so a plain
``filter(job, phone)`` reads every phone of the job: the main reason the plain loop is slow).
Runs with DEBUG off (as in production) unless DEBUG is set.

Database: BENCH_DB=postgres (default, a fresh database on BENCH_PG_URL's server, dropped
afterwards, as every bench), BENCH_DB=sqlite (a fresh SQLite file with the app's settings:
WAL, synchronous=NORMAL), or BENCH_DB=<a database URL> (used as it is, migrated, kept).
Redis: REDIS_URL, else a private embedded server. Sizes: BENCH_DNC_PHONES (100000),
BENCH_DNC_NAIVE_ROWS (2000), BENCH_DNC_OTHER_STATUSES (200000).
"""

from __future__ import annotations

import os
import random
import tempfile
import time
from contextlib import contextmanager, nullcontext
from datetime import timedelta

from bench.common import bench_database, bench_redis_url, check, emit, setup_django, size

PHONES = size("BENCH_DNC_PHONES", 100_000, 1_000)
NAIVE_ROWS = size("BENCH_DNC_NAIVE_ROWS", 2_000, 50)
OTHER_STATUSES = size("BENCH_DNC_OTHER_STATUSES", 200_000, 1_000)
TARGET_PREVIEW_SECONDS = 2.0
TARGET_RATIO = 10
CSV_HEADERS = ["Owner Name", "Mobile", "Home Phone", "Notes"]
AREAS = ["512", "617", "973", "214", "305", "415", "702", "312", "206", "404"]
INVALID = ["555-1234", "12", "(123) 456-7890", "n/a", "512-555-01", "+44 20 7946 0958"]


# --- phones -----------------------------------------------------------------------------------


class Numbers:
    """Distinct valid US phones (10 digits), handed out in order: every call to `take`
    returns phones nobody got before."""

    def __init__(self) -> None:
        from leadops.imports.normalize import normalize_phone

        self.prefixes = [
            f"{area}{exchange}"
            for area in AREAS
            for exchange in range(201, 1000)
            if normalize_phone(f"{area}{exchange}2345").value.startswith("+1")
        ]
        self.next = 0

    def take(self, count: int) -> list[str]:
        start, self.next = self.next, self.next + count
        # Line numbers 0001-9999: the importer takes "512.207.0000" for a spreadsheet float
        # ("512.207" + ".0000") and refuses it, which would blur the counts checked here.
        return [
            f"{self.prefixes[n // 9999]}{1 + n % 9999:04d}" for n in range(start, start + count)
        ]


def spelled(digits: str, n: int) -> str:
    """One of the spellings people paste or export."""
    a, b, c = digits[:3], digits[3:6], digits[6:]
    return [
        f"({a}) {b}-{c}",
        f"{a}-{b}-{c}",
        digits,
        f"+1 {a} {b} {c}",
        f"1-{a}-{b}-{c}",
        f"{a}.{b}.{c}",
    ][n % 6]


def e164(digits: str) -> str:
    return "+1" + digits


def cells(count: int, numbers: Numbers, rng: random.Random) -> tuple[list[str], list[str]]:
    """`count` cells: ~2 % invalid, ~2 % blank, ~3 % repeats of an earlier phone (spelled
    otherwise), the rest new phones. Returns (the cells, their distinct phones in order)."""
    out: list[str] = []
    unique: list[str] = []
    for n in range(count):
        roll = rng.random()
        if roll < 0.02:
            out.append(INVALID[n % len(INVALID)])
        elif roll < 0.04:
            out.append("")
        elif roll < 0.07 and unique:
            out.append(spelled(rng.choice(unique), n + 1))
        else:
            (digits,) = numbers.take(1)
            unique.append(digits)
            out.append(spelled(digits, n))
    return out, unique


def arranged(unique: list[str]) -> tuple[set[str], set[str], set[str]]:
    """Of a source's unique phones: (fresh in the store, stale in the store, internal)."""
    fresh = {p for i, p in enumerate(unique) if i % 10 in (1, 2)}
    stale = {p for i, p in enumerate(unique) if i % 10 == 3}
    internal = {p for i, p in enumerate(unique) if i % 50 in (0, 1)}
    return fresh, stale, internal


# --- set-up -----------------------------------------------------------------------------------


def actors(tag: str):
    from django.contrib.auth import get_user_model

    from leadops.accounts.models import Membership, Role, Team
    from leadops.credits import services as credits

    team = Team.objects.create(name=f"Bench DNC {tag}")
    user = get_user_model().objects.create_user(f"bench-dnc-{tag}")
    Membership.objects.create(user=user, team=team, role=Role.STAFF)
    wallet = credits.wallet_for(user=user, team=team)
    credits.grant(
        wallet=wallet,
        amount=10 * PHONES + 10_000_000,
        actor=None,
        reason="bench",
        idempotency_key=f"bench-dnc-{tag}",
    )
    return team, user


def store_statuses(*, team_id: int, phones: list[str], checked_at, seed: int) -> None:
    """Put results for `phones` (10 digits) in the team's store, through the service."""
    from dnc.services import phone_status_store

    rng = random.Random(seed)
    rows = []
    for digits in phones:
        flags = {
            "national_dnc": rng.random() < 0.12,
            "state_dnc": rng.random() < 0.06,
            "dma": rng.random() < 0.04,
            "litigator": rng.random() < 0.01,
        }
        flags["is_clean"] = not any(flags.values())
        rows.append((e164(digits), flags, "Mobile", checked_at, "dnc:0"))
    phone_status_store(team_id=team_id, rows=rows)


def store_internal(*, team_id: int, phones: set[str]) -> None:
    from dnc.models import InternalDnc
    from leadops.bulk import bulk_insert

    bulk_insert(
        InternalDnc,
        ["team", "phone", "reason"],
        ((team_id, e164(digits), "Asked not to be called") for digits in sorted(phones)),
    )


def upload_csv(*, team, user, rows: list[list[str]]):
    """A stored DNC import of `rows` through the import services (as the upload page does)."""
    import csv
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile

    from leadops.imports import services as imports
    from leadops.imports.columns import phone_columns

    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(CSV_HEADERS)
    writer.writerows(rows)
    upload = SimpleUploadedFile("phones.csv", text.getvalue().encode(), content_type="text/csv")
    batch = imports.import_upload(team=team, user=user, uploaded_file=upload, job_type="dnc")
    assert len(phone_columns(batch.mapping)) == 2, batch.mapping
    batch = imports.import_set_mapping(batch=batch, mapping=batch.mapping, job_type="dnc")
    return imports.import_store(batch=batch)


def remove_queued_steps(job) -> int:
    """Delete the RQ steps queued for `job` (no worker runs in the bench; none may run them
    later against another database)."""
    import django_rq
    from django.conf import settings

    removed = 0
    for name in settings.RQ_QUEUES:
        for rq_job in django_rq.get_queue(name).get_jobs():
            if tuple(rq_job.args[:2]) == (job.JOB_LABEL, job.pk):
                rq_job.delete()
                removed += 1
    return removed


def submitted(*, team, user, phones: list[str], name: str):
    """A scrub of `phones` (10 digits, none fresh or internal) submitted and queued."""
    from dnc import services
    from leadops.jobs.models import JobStatus

    draft = services.dnc_draft_from_list(team=team, user=user, text="\n".join(phones), name=name)
    estimate = services.dnc_estimate(job=draft, user=user)
    assert estimate.to_send == len(phones), (estimate, len(phones))
    job = services.dnc_scrub_submit(job=draft, user=user, seen_credits=estimate.total_credits)
    assert job.status == JobStatus.QUEUED and job.phones_sent == len(phones), job.status
    return job


def provider_rows(phones: list[str], rng: random.Random) -> tuple[list[dict], set[str]]:
    """Rows as the provider's result CSV gives them, and the clean list (E.164)."""
    rows, clean = [], set()
    for digits in phones:
        flags = {
            "national_dnc": rng.random() < 0.15,
            "state_dnc": rng.random() < 0.08,
            "dma": rng.random() < 0.05,
            "litigator": rng.random() < 0.01,
        }
        is_clean = not any(flags.values())
        if is_clean:
            clean.add(e164(digits))
        rows.append(
            {
                "phone": digits,
                "label": "Owner",
                **{k: "true" if v else "false" for k, v in flags.items()},
                "phone_type": rng.choice(["Mobile", "Landline", "VoIP"]),
                "is_clean": "true" if is_clean else "false",
            }
        )
    return rows, clean


def naive_store(
    *, job, team, rows: list[dict], clean_phones: set[str], indexed: bool = False
) -> int:
    """What a straightforward implementation does: per row, parse it, update the scrub's
    phone, update or create the team's status. Returns the rows stored.

    The only index on (job, phone) is the partial unique one (invalid entries excepted), which
    `filter(job, phone)` cannot use: each update reads the job's phones through the job
    index. `indexed` adds the index's condition (not invalid) so the lookup can use it."""
    from django.utils import timezone

    from dnc.models import DncPhone, PhoneOutcome, PhoneStatus, outcome_for
    from leadops.phones import us_e164

    def flag(value: object) -> bool:
        return str(value).strip().lower() in {"true", "1", "yes", "y", "t"}

    stored = 0
    for row in rows:
        now = timezone.now()
        phone = us_e164(row.get("phone", ""))
        flags = {
            k: flag(row.get(k))
            for k in ("national_dnc", "state_dnc", "dma", "litigator", "is_clean")
        }
        if phone not in clean_phones:
            flags["is_clean"] = False
        phone_type = str(row.get("phone_type", ""))[:20]
        outcome = outcome_for(**flags)
        flag_fields = {k: v for k, v in flags.items() if k != "is_clean"}
        lookup = DncPhone.objects.filter(job=job, phone=phone)
        if indexed:
            lookup = lookup.exclude(outcome=PhoneOutcome.INVALID)
        updated = lookup.update(
            outcome=outcome, phone_type=phone_type, checked_at=now, **flag_fields
        )
        if not updated:
            continue
        PhoneStatus.objects.update_or_create(
            team=team,
            phone=phone,
            defaults={
                **flags,
                "phone_type": phone_type,
                "checked_at": now,
                "source": job.credit_reference,
            },
        )
        stored += 1
    return stored


# --- the measurements -------------------------------------------------------------------------


def _timed(func, *args, **kwargs):
    started = time.perf_counter()
    value = func(*args, **kwargs)
    return value, time.perf_counter() - started


def _check_estimate(estimate, *, unique: list[str], name: str) -> None:
    fresh, _stale, internal = arranged(unique)
    expected = (len(unique), len(internal), len(fresh - internal))
    got = (estimate.unique, estimate.blocked, estimate.reused)
    assert got == expected, f"{name}: (unique, blocked, reused) {got} != {expected}"
    assert estimate.to_send == len(unique) - len(internal) - len(fresh - internal)


def measure(
    *, phones: int = PHONES, naive_rows: int = NAIVE_ROWS, other_statuses: int = OTHER_STATUSES
) -> dict:
    """Run every measurement (Django set up, database migrated); the figures as a dict."""
    from django.conf import settings
    from django.db import connection, transaction
    from django.utils import timezone

    from dnc import services
    from dnc.models import DncPhone, PhoneOrigin, PhoneOutcome, PhoneStatus

    rng = random.Random(14)
    numbers = Numbers()
    tag = f"{os.getpid()}-{time.monotonic_ns()}"
    team, user = actors(tag)
    other_team, _ = actors(f"{tag}-other")
    now = timezone.now()
    fresh_at, stale_at = now - timedelta(days=5), now - timedelta(days=60)

    # Sources: the upload's cells (two a row) and the pasted list's entries.
    upload_cells, upload_unique = cells(phones, numbers, rng)
    if len(upload_cells) % 2:
        upload_cells.append("")
    upload_rows = [
        [f"Owner {n}", upload_cells[2 * n], upload_cells[2 * n + 1], "x" if n % 9 else ""]
        for n in range(len(upload_cells) // 2)
    ]
    for n in range(0, len(upload_rows), 100):  # 1 % more rows without any phone
        upload_rows.insert(n, [f"No phone {n}", "", "", "x"])
    list_cells, list_unique = cells(phones, numbers, rng)
    lines, n = [], 0
    while n < len(list_cells):
        if n % 7 == 0 and n + 1 < len(list_cells):  # some lines hold two, comma-separated
            lines.append(f"{list_cells[n]}, {list_cells[n + 1]}")
            n += 2
        else:
            lines.append(list_cells[n])
            n += 1
    list_text = "\n".join(lines)

    # The team's store: part of each source fresh or stale, part internal; other phones of
    # the team; another team's results for the same phones (never reused for this team).
    started = time.perf_counter()
    for unique in (upload_unique, list_unique):
        fresh, stale, internal = arranged(unique)
        store_statuses(team_id=team.pk, phones=sorted(fresh), checked_at=fresh_at, seed=1)
        store_statuses(team_id=team.pk, phones=sorted(stale), checked_at=stale_at, seed=2)
        store_internal(team_id=team.pk, phones=internal)
        store_statuses(team_id=other_team.pk, phones=unique, checked_at=fresh_at, seed=3)
    store_statuses(
        team_id=team.pk, phones=numbers.take(other_statuses), checked_at=fresh_at, seed=4
    )
    batch = upload_csv(team=team, user=user, rows=upload_rows)
    setup_seconds = time.perf_counter() - started
    statuses_at_preview = PhoneStatus.objects.filter(team=team).count()

    # 1. The cost preview, from a stored import and from a pasted list.
    upload_draft, upload_draft_s = _timed(services.dnc_draft_from_import, batch=batch, user=user)
    upload_estimate, upload_estimate_s = _timed(services.dnc_estimate, job=upload_draft, user=user)
    _check_estimate(upload_estimate, unique=upload_unique, name="upload")
    list_draft, list_draft_s = _timed(
        services.dnc_draft_from_list, team=team, user=user, text=list_text
    )
    list_estimate, list_estimate_s = _timed(services.dnc_estimate, job=list_draft, user=user)
    _check_estimate(list_estimate, unique=list_unique, name="list")

    def preview(estimate, draft_s, estimate_s) -> dict:
        total = draft_s + estimate_s
        return {
            "unique": estimate.unique,
            "invalid": estimate.invalid,
            "duplicate": estimate.duplicate,
            "blank": estimate.blank,
            "blocked_internal": estimate.blocked,
            "reused_fresh": estimate.reused,
            "to_send": estimate.to_send,
            "draft_seconds": round(draft_s, 3),
            "estimate_seconds": round(estimate_s, 3),
            "total_seconds": round(total, 3),
            "target_met": total < TARGET_PREVIEW_SECONDS,
        }

    # 2. Ingest: two submitted scrubs of `phones` new phones each (a fifth stale in the
    # store), one stored by the service, the other by the naive loop.
    ingest_phones, naive_phones = numbers.take(phones), numbers.take(phones)
    for batch_of in (ingest_phones, naive_phones):
        store_statuses(team_id=team.pk, phones=batch_of[::5], checked_at=stale_at, seed=5)
    job = submitted(team=team, user=user, phones=ingest_phones, name="bench ingest")
    naive_job = submitted(team=team, user=user, phones=naive_phones, name="bench naive")
    steps_removed = remove_queued_steps(job) + remove_queued_steps(naive_job)
    rows, clean = provider_rows(ingest_phones, rng)
    statuses_before = PhoneStatus.objects.filter(team=team).count()
    stored, fast = _timed(services.dnc_results_store, job=job, rows=rows, clean_phones=clean)
    assert (stored.rows, stored.no_result, stored.unknown) == (phones, 0, 0), stored
    assert stored.clean == len(clean), (stored.clean, len(clean))
    results = DncPhone.objects.filter(job=job, origin=PhoneOrigin.SENT)
    assert results.exclude(checked_at=None).count() == phones
    assert results.filter(outcome=PhoneOutcome.CLEAN).count() == len(clean)
    stale_refreshed = len(ingest_phones[::5])
    assert PhoneStatus.objects.filter(team=team).count() == (
        statuses_before + phones - stale_refreshed
    )

    # The naive loops, each on `naive_rows` rows spread over the second scrub's results.
    naive_rows_all, naive_clean = provider_rows(naive_phones, rng)
    spread = naive_rows_all[:: max(1, phones // max(1, 3 * naive_rows))]
    samples = [spread[n::3][:naive_rows] for n in range(3)]

    def naive(sample: list[dict], *, atomic: bool = False, indexed: bool = False) -> float:
        with transaction.atomic() if atomic else nullcontext():
            done, seconds = _timed(
                naive_store,
                job=naive_job,
                team=team,
                rows=sample,
                clean_phones=naive_clean,
                indexed=indexed,
            )
        assert done == len(sample), (done, len(sample))
        return len(sample) / seconds

    fast_rate = phones / fast
    naive_rate = naive(samples[0])
    atomic_rate = naive(samples[1], atomic=True)
    indexed_rate = naive(samples[2], indexed=True)

    def loop(what: str, sample: list[dict], rate: float) -> dict:
        return {
            "what": what,
            "rows_measured": len(sample),
            "rows_per_second": round(rate),
            "seconds_for_all_rows": round(phones / rate, 1),
            "all_rows": "measured"
            if len(sample) == phones
            else f"extrapolated linearly from {len(sample):,} rows",
            "speed_ratio_of_bulk_path": round(fast_rate / rate, 1),
        }

    database = (
        f"PostgreSQL {connection.pg_version // 10000}"
        if connection.vendor == "postgresql"
        else f"SQLite {connection.Database.sqlite_version}"
    )
    upload_s = upload_draft_s + upload_estimate_s
    list_s = list_draft_s + list_estimate_s
    return {
        "benchmark": "dnc_scrub",
        "figures": {
            "cost_preview_upload_seconds": check(
                round(upload_s, 3), unit="s", under=TARGET_PREVIEW_SECONDS
            ),
            "cost_preview_pasted_list_seconds": check(
                round(list_s, 3), unit="s", under=TARGET_PREVIEW_SECONDS
            ),
            "ingest_ratio_vs_naive_loop": check(
                round(fast_rate / naive_rate, 1), unit="x", at_least=TARGET_RATIO
            ),
        },
        "database": database,
        "cpus": os.cpu_count(),
        "debug": settings.DEBUG,
        "phones": phones,
        "store": {
            "team_phone_statuses_at_preview": statuses_at_preview,
            "other_team_statuses": PhoneStatus.objects.filter(team=other_team).count(),
            "setup_seconds_not_measured": round(setup_seconds, 1),
        },
        "cost_preview": {
            "target_seconds_under": TARGET_PREVIEW_SECONDS,
            "upload": {
                "rows": len(upload_rows),
                "phone_columns": 2,
                "cells": len(upload_cells),
                **preview(upload_estimate, upload_draft_s, upload_estimate_s),
            },
            "pasted_list": {
                "lines": len(lines),
                "entries": sum(1 for cell in list_cells if cell),
                **preview(list_estimate, list_draft_s, list_estimate_s),
            },
        },
        "ingest": {
            "rows": phones,
            "clean": stored.clean,
            "stale_statuses_refreshed": stale_refreshed,
            "rq_steps_queued_and_removed": steps_removed,
            "fast_seconds": round(fast, 2),
            "fast_rows_per_second": round(fast_rate),
            "naive_loop": loop(
                "per row: DncPhone.objects.filter(job, phone).update() and "
                "PhoneStatus.objects.update_or_create(team, phone), autocommit",
                samples[0],
                naive_rate,
            ),
            "naive_loop_in_one_transaction": loop(
                "the same in one transaction", samples[1], atomic_rate
            ),
            "naive_loop_with_indexed_lookup": loop(
                "the same, autocommit, with .exclude(outcome='invalid') added so the "
                "update can use the partial unique (job, phone) index",
                samples[2],
                indexed_rate,
            ),
            "speed_ratio_vs_naive": round(fast_rate / naive_rate, 1),
            "target_ratio_at_least": TARGET_RATIO,
            "target_met": fast_rate / naive_rate >= TARGET_RATIO,
        },
    }


@contextmanager
def database(choice: str):
    """The database URL for BENCH_DB (see the module's docstring)."""
    if choice == "sqlite":
        with tempfile.TemporaryDirectory(prefix="bench-dnc-") as tmp:
            yield f"sqlite:///{tmp}/bench.sqlite3"
    elif "://" in choice:
        yield choice
    elif choice in ("", "postgres"):
        with bench_database() as url:
            yield url
    else:
        raise SystemExit(f"BENCH_DB is sqlite, postgres or a database URL, not {choice!r}")


def main() -> None:
    # As in production: no SQL kept in memory per query (DEBUG), which would tax the naive
    # loop most.
    os.environ.setdefault("DEBUG", "false")
    os.environ.setdefault("SECRET_KEY", "bench")
    os.environ.setdefault("WEBHOOK_TOKEN", "bench")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    redis_url = bench_redis_url()
    with database(os.environ.get("BENCH_DB", "postgres")) as db_url:
        setup_django(db_url, redis_url)
        result = measure()
        emit(result)
        from django.db import connection

        connection.close()


if __name__ == "__main__":
    main()
