"""A CRM push of a 25,000-row lead list on PostgreSQL, against the sandbox's CRM.

What a user waits for, timed one after the other on the same list:

- **preview**: ``crm_push_plan`` (every row mapped to a contact, the DNC statuses of its
  phones looked up, refusals counted, the first contacts kept), which the push screen shows;
- **send**: from the click (``crm_push_create``) to the push complete: the worker's steps
  run in this process one after the other, as one RQ worker runs them (prepare: map, refuse
  and split into bodies under 100 KB, stored in one transaction; send each body through the
  provider client; tally).

The baseline, measured in the same run: the naive client of a batch API, one request per
contact (its ``create`` and ``event``) in a loop, on NAIVE contacts, extrapolated linearly to
the list; the ratio is reported as measured. With the CRM on localhost a request costs the
naive loop only a few milliseconds, so the ratio here is a floor: over a real network each of
its 25,000 requests waits a round trip, the batched push 164 of them. The sandbox's received
data checks every body is under 100 KB and every contact arrived once. Half the list's
phones are in the team's DNC store (one in nine flagged), so the DNC lookups and the phones
left out do real work. Target (what the user waits for): the list in the CRM within
TARGET_SECONDS of the click, and the preview within TARGET_PREVIEW_SECONDS.

Sizes: BENCH_CRM_ROWS (25000), BENCH_CRM_NAIVE (1000).
"""

import os
import time

import httpx

from bench.common import (
    bench_database,
    bench_redis_url,
    check,
    emit,
    setup_django,
    size,
    staff_team,
)

ROWS = size("BENCH_CRM_ROWS", 25_000, 500)
NAIVE = size("BENCH_CRM_NAIVE", 1_000, 50)
TARGET_SECONDS = 15.0
TARGET_PREVIEW_SECONDS = 5.0
LIMIT = 100 * 1024


def main() -> None:
    from leadops.sandbox.testing import run_sandbox_process

    redis_url = bench_redis_url()
    with bench_database() as db_url, run_sandbox_process({}) as sandbox:
        os.environ["CRM_BASE_URL"] = f"{sandbox}/crm/v1/"
        os.environ["CRM_ENABLED"] = "true"
        setup_django(db_url, redis_url)
        from django.db import connection
        from django.utils import timezone

        from dnc.services import phone_status_store
        from leadbuilder.models import LeadRow
        from leadops import providers
        from leadops.crm import services
        from leadops.crm.contacts import Options
        from leadops.crm.models import CrmPush
        from leadops.crm.sources import source_for
        from leadops.jobs import services as job_services
        from leadops.jobs.models import JobStatus
        from tests.leadbuilder.factories import lead_build

        team, user = staff_team()
        build = lead_build(team=team, user=user, rows=ROWS, seed="crm-bench")
        phones = sorted(
            set(LeadRow.objects.filter(build=build).exclude(primary_phone="").values_list(
                "primary_phone", flat=True))
        )  # fmt: skip
        flags = {"national_dnc": False, "state_dnc": False, "dma": False, "litigator": False}
        now = timezone.now()
        phone_status_store(
            team_id=team.pk,
            rows=[
                (p, {**flags, "national_dnc": n % 9 == 0, "is_clean": n % 9 != 0}, "Mobile",
                 now, "bench")
                for n, p in enumerate(phones[::2])
            ],
        )  # fmt: skip
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        source = source_for(kind="leads", pk=build.pk, team=team)

        started = time.perf_counter()
        plan = services.crm_push_plan(source=source, clean_only=False)
        preview = time.perf_counter() - started

        prepared = 0.0
        started = time.perf_counter()
        push = services.crm_push_create(source=source, user=user, clean_only=False)
        created = time.perf_counter() - started
        label = CrmPush.JOB_LABEL
        if os.environ.get("BENCH_PROFILE"):
            import cProfile

            services.crm_push_prepare(push=push)
            prepared = time.perf_counter() - started
            cProfile.runctx(
                "job_services.job_submit_step(label=label, job_id=push.pk)",
                globals(),
                locals(),
                "/tmp/crm_submit.prof",
            )
        else:
            services.crm_push_prepare(push=push)
            prepared = time.perf_counter() - started
            job_services.job_submit_step(label=label, job_id=push.pk)
        prepared_and_sent = time.perf_counter() - started
        job_services.job_poll_step(label=label, job_id=push.pk)
        job_services.job_ingest_step(label=label, job_id=push.pk)
        send = time.perf_counter() - started
        push.refresh_from_db()
        assert push.status == JobStatus.COMPLETE, push.error_message
        assert push.contacts == plan.contacts, (push.contacts, plan.contacts)

        received = httpx.get(f"{sandbox}/_sandbox/crm/received", timeout=60).json()
        sizes = [batch["bytes"] for batch in received["batches"]]
        ids = [i["id"] for b in received["batches"] for i in b["data"] if i["type"] != "event"]
        assert max(sizes) < LIMIT and len(ids) == len(set(ids)) == push.contacts

        # Naive: one request per contact, in a loop, on the first NAIVE contacts.
        options = Options(tags=tuple(push.tags), event=source.event)
        contacts = services.contacts_of(source=source, options=options, selection="all")
        sent = 0
        started = time.perf_counter()
        with providers.crm_client() as client:
            for contact in contacts:
                if contact.refusal is not None:
                    continue
                client.batch(contact.items(options=options, now=timezone.now()))
                sent += 1
                if sent >= NAIVE:
                    break
        naive = time.perf_counter() - started
        contacts.close()
        naive_full = naive * push.contacts / sent
        ratio = naive_full / send
        emit(
            {
                "benchmark": "crm_push",
                "figures": {
                    "preview_seconds": check(
                        round(preview, 2), unit="s", under=TARGET_PREVIEW_SECONDS
                    ),
                    "click_to_pushed_seconds": check(
                        round(send, 2), unit="s", under=TARGET_SECONDS
                    ),
                },
                "database": f"PostgreSQL {connection.pg_version // 10000}",
                "rows": ROWS,
                "contacts": push.contacts,
                "refused": push.refused,
                "batches": push.batches_total,
                "largest_body_bytes": max(sizes),
                "preview_seconds": round(preview, 2),
                "create_seconds": round(created, 3),
                "prepare_seconds": round(prepared - created, 2),
                "send_batches_seconds": round(prepared_and_sent - prepared, 2),
                "send_seconds": round(send, 2),
                "contacts_per_second": round(push.contacts / send),
                "naive_contacts_measured": sent,
                "naive_seconds_extrapolated": round(naive_full, 1),
                "ratio_to_naive": round(ratio, 1),
            }
        )


if __name__ == "__main__":
    main()
