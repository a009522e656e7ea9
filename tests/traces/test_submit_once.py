"""A trace is submitted once: one running trace per import, one job per submit form.

Before: the same batch submitted twice at once was traced and charged twice, and a double
click on the cost preview created two jobs holding credits.
"""

import threading

import pytest
from django.db import connection
from django.urls import reverse

from leadops.credits.models import CreditHold
from leadops.jobs.models import JobStatus as S
from leadops.jobs.tokens import submit_token_issue
from tests.support.forms import submit_token
from tests.support.rows import owner_rows
from traces import services
from traces.models import TraceJob


def submit(client, batch, token, credits=12):
    return client.post(
        reverse("traces:new", args=[batch.pk]),
        {
            "provider": "reapi",
            "trace_type": "normal",
            "expected_credits": credits,
            "submit_token": token,
        },
    )


def preview(client, batch) -> str:
    url = reverse("traces:new", args=[batch.pk])
    return client.get(url, {"provider": "reapi"}).content.decode()


@pytest.mark.django_db
def test_the_same_form_posted_twice_makes_one_job(client, stored_batch, funded, rq_redis):
    client.force_login(funded)
    batch = stored_batch(owner_rows(12))
    token = submit_token(preview(client, batch))
    first = submit(client, batch, token)
    second = submit(client, batch, token)  # a double click, or the POST replayed
    job = TraceJob.objects.get()
    assert first.status_code == second.status_code == 302
    assert first.url == second.url == reverse("traces:detail", args=[job.pk])
    assert CreditHold.objects.count() == 1
    funded.wallet.refresh_from_db()
    assert funded.wallet.held == 12
    page = client.get(second.url).content.decode()
    assert f"Trace #{job.pk} was already submitted from this page." in page


@pytest.mark.django_db
def test_a_second_submit_while_one_runs_is_refused_with_a_link(
    client, stored_batch, funded, rq_redis
):
    client.force_login(funded)
    batch = stored_batch(owner_rows(12))
    first_tab, second_tab = (
        submit_token(preview(client, batch)),
        submit_token(preview(client, batch)),
    )
    submit(client, batch, first_tab)
    job = TraceJob.objects.get()
    refused = submit(client, batch, second_tab)
    assert refused.status_code == 200
    html = refused.content.decode()
    link = reverse("traces:detail", args=[job.pk])
    assert f"Trace #{job.pk} of this file is still running (queued); open it" in html
    assert f'<a href="{link}" class="alert-link">Open trace #{job.pk}</a>' in html
    assert TraceJob.objects.count() == 1 and CreditHold.objects.count() == 1
    # The preview itself says so and offers no submit button while the trace runs.
    html = preview(client, batch)
    assert 'data-testid="trace-running"' in html and "Submit trace" not in html

    # Once it has finished, the file can be traced again (the second tab's token is unused).
    TraceJob.objects.filter(pk=job.pk).update(status=S.FAILED)
    assert submit(client, batch, second_tab).status_code == 302
    assert TraceJob.objects.count() == 2


@pytest.mark.django_db
def test_a_made_up_or_foreign_token_creates_nothing(
    client, stored_batch, funded, outsider, rq_redis
):
    client.force_login(funded)
    batch = stored_batch(owner_rows(12))
    other_batch = stored_batch(owner_rows(12, start=300), name="other.csv")
    for token in [
        "made-up",
        submit_token_issue(user=outsider, scope=services.new_trace_scope(batch=batch)),
        submit_token_issue(user=funded, scope=services.new_trace_scope(batch=other_batch)),
    ]:
        response = submit(client, batch, token)
        assert response.status_code == 200
        assert (
            "This form has expired; check the cost again and submit." in response.content.decode()
        )
    response = submit(client, batch, "")
    assert "This form has expired" in response.content.decode()
    assert not TraceJob.objects.exists() and not CreditHold.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("same_form", [True, False], ids=["double-click", "two-tabs"])
def test_eight_requests_at_once_make_one_job(stored_batch, funded, rq_redis, same_form):
    """Real concurrency on PostgreSQL: one job, the others told why, one credit hold."""
    batch = stored_batch(owner_rows(12))
    scope = services.new_trace_scope(batch=batch)
    shared = submit_token_issue(user=funded, scope=scope)
    tokens = [
        shared if same_form else submit_token_issue(user=funded, scope=scope) for _ in "x" * 8
    ]
    start = threading.Barrier(len(tokens))
    outcomes: list[str] = []
    lock = threading.Lock()

    def request(token: str) -> None:
        start.wait()
        try:
            services.trace_job_submit(
                batch=batch,
                trace_type="normal",
                provider="reapi",
                user=funded,
                seen_credits=12,
                token=token,
            )
            outcome = "created"
        except services.AlreadySubmitted:
            outcome = "already"
        except services.TraceRunning:
            outcome = "running"
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=request, args=(t,)) for t in tokens]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    refused = "already" if same_form else "running"
    assert sorted(outcomes) == sorted(["created"] + [refused] * 7)
    assert TraceJob.objects.count() == 1 and CreditHold.objects.count() == 1
