"""A trace run against the sandbox becomes searchable once it finishes: the worker that
completes it queues its indexing, no one has to ask."""

import pytest

from leadops.jobs.models import JobStatus as S
from leadops.search import selectors
from leadops.search.models import IndexedJob
from tests.support.jobs import run_until_done
from tests.support.rows import owner_rows
from traces import services
from traces.models import MatchStatus

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_finished_trace_is_found_by_its_phones_and_addresses(
    live_sandbox, stored_batch, funded, run_worker, team_a
):
    job = services.trace_job_create(
        batch=stored_batch(owner_rows(8)), trace_type="normal", user=funded
    )
    done = run_until_done(job, run_worker)
    assert done.status == S.COMPLETE, done.error_message
    run_worker()  # the indexing queued on the low queue by the completion
    assert IndexedJob.objects.get(source="trace", job_id=done.pk).rows == 8

    hit = done.results.filter(status=MatchStatus.HIT).exclude(phones=[]).first()
    number = hit.phones[0]["number"]
    digits = "".join(ch for ch in number if ch.isdigit())[-10:]
    typed = f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"
    (found,) = selectors.search(team=team_a, text=typed).records
    assert found.address.startswith(hit.record.values["property_address"])
    assert found.seen[0].job_label == str(done)
    # A miss is found too, by the address that was uploaded.
    street = done.results.exclude(status=MatchStatus.HIT).first() or hit
    address = street.record.values["property_address"].title()
    assert any(
        f.address.startswith(street.record.values["property_address"])
        for f in selectors.search(team=team_a, text=address).records
    )
