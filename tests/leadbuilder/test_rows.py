"""The rows page of a lead list: its table, filters, preset post-filters, score chart, the
row detail and the empty states."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from leadbuilder import selectors
from leadbuilder.models import LeadBuild, LeadRow
from leadops.pagination import Count
from tests.leadbuilder.conftest import OLD, dnc_store, internal_add, known_row, scores
from tests.leadbuilder.factories import lead_build
from tests.support.pager import pager_link

pytestmark = pytest.mark.django_db


def shown_positions(response) -> list[int]:
    return [row.record.position for row in response.context["table"].paginated_rows]


def rows_url(build, **query) -> str:
    url = reverse("leadbuilder:rows", args=[build.pk])
    return f"{url}?filtered=1&" + "&".join(f"{k}={v}" for k, v in query.items())


def test_rows_page_shows_the_rows_with_scores_and_dnc_badges(staff_client, make_build, team_a):
    build = make_build(
        [
            known_row(0, primary_phone="5125550101", **scores(sell=75, refi=45)),
            known_row(1, primary_phone="5125550102"),
            known_row(2, primary_phone="", primary_phone_type=""),
        ]
    )
    dnc_store(team_a, "+15125550101")
    dnc_store(team_a, "+15125550102", national_dnc=True)
    response = staff_client.get(reverse("leadbuilder:rows", args=[build.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert shown_positions(response) == [1, 2, 3]
    assert "(512) 555-0101" in html
    assert 'data-dnc="clean"' in html and 'data-dnc="federal"' in html
    assert 'data-category="High">75<' in html and 'data-category="Medium">45<' in html
    assert reverse("leadbuilder:row", args=[build.pk, build.rows.get(position=1).pk]) in html


def test_each_filter(staff_client, make_build):
    build = make_build(
        [
            known_row(0, corporate_owned=True, equity_percent=80.0, absentee_owner=True,
                      property_type="SFR", **scores(sell=80)),
            known_row(1, corporate_owned=False, equity_percent=20.0, absentee_owner=False,
                      property_type="CONDO", primary_phone="", **scores(refi=55, solar=90)),
            known_row(2, corporate_owned=False, equity_percent=50.0, absentee_owner=True,
                      property_type="MFR", primary_phone="5125550103",
                      **scores(sell=41, hvac=72)),
        ]
    )  # fmt: skip
    cases = {
        "owner_type=company": [1],
        "owner_type=individual": [2, 3],
        "equity_min=50": [1, 3],
        "equity_max=50": [2, 3],
        "equity_min=30&equity_max=60": [3],
        "absentee=true": [1, 3],
        "absentee=false": [2],
        "property_type=CONDO": [2],
        "has_phone=false": [2],
        "has_phone=true": [1, 3],
        "sell_category=High": [1],
        "sell_category=Medium": [3],
        "refi_category=Medium": [2],
        "roof_renovate_category=Low": [1, 2, 3],
        "hvac_renovate_category=High": [3],
        "solar_renovate_category=High": [2],
        "sell_min=41": [1, 3],
        "refi_min=50": [2],
        "roof_renovate_min=11": [],
        "hvac_renovate_min=70": [3],
        "solar_renovate_min=90": [2],
        "sell_min=41&owner_type=individual": [3],
    }
    for query, expected in cases.items():
        url = reverse("leadbuilder:rows", args=[build.pk]) + f"?filtered=1&{query}"
        response = staff_client.get(url)
        assert response.status_code == 200, query
        assert shown_positions(response) == expected, query


def test_dnc_filter(staff_client, make_build, team_a, staff):
    phones = ["5125550101", "5125550102", "5125550103", "5125550104", "5125550105"]
    build = make_build(
        [known_row(n, primary_phone=p) for n, p in enumerate(phones)]
        + [known_row(9, primary_phone="")]
    )
    dnc_store(team_a, "+15125550101")
    dnc_store(team_a, "+15125550102", litigator=True)
    dnc_store(team_a, "+15125550103", when=OLD)
    internal_add(team_a, staff, "+15125550105")
    expected = {"clean": [1], "blocked": [2, 5], "stale": [3], "not_scrubbed": [4]}
    for kind, positions in expected.items():
        response = staff_client.get(rows_url(build, dnc=kind))
        assert shown_positions(response) == positions, kind


def test_another_teams_dnc_results_do_not_count(staff_client, make_build, team_b):
    build = make_build([known_row(0, primary_phone="5125550101")])
    dnc_store(team_b, "+15125550101")
    assert shown_positions(staff_client.get(rows_url(build, dnc="clean"))) == []
    assert shown_positions(staff_client.get(rows_url(build, dnc="not_scrubbed"))) == [1]


def test_post_filters_preset_the_filters_without_a_query_string(staff_client, make_build):
    build = make_build(
        [known_row(0, **scores(sell=80)), known_row(1, **scores(sell=50, refi=75))],
        post_filters={"sell_min": 45, "refi_category": "High"},
    )
    url = reverse("leadbuilder:rows", args=[build.pk])
    response = staff_client.get(url)
    assert shown_positions(response) == [2]
    assert response.context["preset"]
    form = response.context["filter"].form
    assert form["sell_min"].value() == "45" and form["refi_category"].value() == "High"
    assert b'data-testid="preset-note"' in response.content
    # Paging or sorting keeps the preset; choosing filters (even none) replaces it.
    assert shown_positions(staff_client.get(url + "?page=1&sort=position")) == [2]
    cleared = staff_client.get(url + "?filtered=1")
    assert shown_positions(cleared) == [1, 2] and not cleared.context["preset"]
    assert shown_positions(staff_client.get(url + "?sell_min=70")) == [1]


def test_chart_buckets_match_known_rows(staff_client, make_build):
    build = make_build(
        [
            known_row(0, **scores(sell=0, refi=100)),
            known_row(1, **scores(sell=9, refi=95)),
            known_row(2, **scores(sell=39, refi=70)),
            known_row(3, **scores(sell=40, refi=69)),
            known_row(4, **scores(sell=70, refi=None)),
        ]
    )
    response = staff_client.get(rows_url(build))
    distribution = response.context["distribution"]
    by_key = {v["key"]: v for v in distribution.verticals}
    assert distribution.total == 5
    assert by_key["sell"]["counts"] == [2, 0, 0, 1, 1, 0, 0, 1, 0, 0]
    assert by_key["refi"]["counts"] == [0, 0, 0, 0, 0, 0, 1, 1, 0, 2]
    assert by_key["refi"]["unscored"] == 1
    assert by_key["sell"]["bands"] == {"High": 1, "Medium": 1, "Low": 3}
    assert by_key["roof_renovate"]["counts"][1] == 5
    chart = json.loads(response.context["chart"] and json.dumps(response.context["chart"]))
    assert chart["labels"][0] == "0-9" and chart["labels"][-1] == "90-100"
    assert chart["bands"][3:5] == ["Low", "Medium"] and chart["bands"][7] == "High"
    html = response.content.decode()
    assert 'id="score-chart-data"' in html and "js/score-chart.js" in html
    assert 'data-testid="score-buckets"' in html
    # The chart follows the filters.
    filtered = staff_client.get(rows_url(build, sell_min=40)).context["distribution"]
    assert filtered.total == 2 and filtered.verticals[0]["counts"][4] == 1


def test_chart_is_one_query(make_build):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    build = make_build(30)
    with CaptureQueriesContext(connection) as queries:
        distribution = selectors.score_distribution(rows=selectors.build_rows(build=build))
    assert len(queries) == 1 and distribution.total == 30
    assert sum(distribution.verticals[0]["counts"]) + distribution.verticals[0]["unscored"] == 30


def test_query_count_does_not_grow_with_the_page(
    staff_client, make_build, team_a, django_assert_max_num_queries
):
    build = make_build(120)
    for row in LeadRow.objects.filter(build=build).exclude(primary_phone="")[:20]:
        dnc_store(team_a, row.primary_phone)
    url = reverse("leadbuilder:rows", args=[build.pk])
    with django_assert_max_num_queries(12) as five:
        assert staff_client.get(url + "?per_page=5").status_code == 200
    with django_assert_max_num_queries(len(five)):
        assert staff_client.get(url + "?per_page=100").status_code == 200
    # Filtered: the DNC filter looks the build's phones up once (3 queries), and the chart
    # counts the filtered rows (1; unfiltered, the build's counts stored at ingest are shown).
    with django_assert_max_num_queries(len(five) + 4):
        assert staff_client.get(rows_url(build, dnc="clean", sell_min=20)).status_code == 200


def test_the_unfiltered_page_shows_the_counts_kept_at_ingest(staff_client, make_build):
    build = make_build(70)
    rows = selectors.build_rows(build=build)
    assert build.score_counts == selectors.score_counts(rows=rows)
    assert build.score_counts["total"] == 70
    with CaptureQueriesContext(connection) as queries:
        response = staff_client.get(rows_url(build))
    distribution = response.context["distribution"]
    assert distribution == selectors.score_distribution(rows=rows) and distribution.total == 70
    assert response.context["table"].page.count == Count(70, True)
    assert shown_positions(response) == list(range(1, 51))
    row_reads = [q["sql"] for q in queries.captured_queries if "leadbuilder_leadrow" in q["sql"]]
    # The page's rows, and nothing else: no COUNT(*), no chart query, no `data` column.
    assert len(row_reads) == 1 and "LIMIT 51" in row_reads[0]  # 50 and whether more follow
    assert '"leadbuilder_leadrow"."data"' not in row_reads[0]


def test_a_build_stored_without_its_counts_counts_them(staff_client, make_build):
    build = make_build(70)
    LeadBuild.objects.filter(pk=build.pk).update(score_counts=None)
    first = staff_client.get(rows_url(build))
    response = staff_client.get(
        reverse("leadbuilder:rows", args=[build.pk]) + pager_link(first, "next")
    )
    assert response.context["distribution"] == selectors.score_distribution(
        rows=selectors.build_rows(build=build)
    )
    assert response.context["table"].page.count == Count(70, True)
    assert shown_positions(response) == list(range(51, 71))


def test_a_filtered_page_counts_its_rows_once_for_chart_and_pages(staff_client, make_build):
    build = make_build(150)
    matching = LeadRow.objects.filter(build=build, owner_type="individual")
    first = staff_client.get(rows_url(build, owner_type="individual"))
    second = reverse("leadbuilder:rows", args=[build.pk]) + pager_link(first, "next")
    with CaptureQueriesContext(connection) as queries:
        response = staff_client.get(second)
    table = response.context["table"]
    assert table.page.count.value == response.context["distribution"].total == matching.count()
    assert shown_positions(response) == [r.position for r in matching.order_by("position")[50:100]]
    row_reads = [q["sql"] for q in queries.captured_queries if "leadbuilder_leadrow" in q["sql"]]
    assert len(row_reads) == 1  # the page's rows: the first page counted them for the chart
    with CaptureQueriesContext(connection) as queries:
        other = staff_client.get(rows_url(build, owner_type="company"))
    row_reads = [q["sql"] for q in queries.captured_queries if "leadbuilder_leadrow" in q["sql"]]
    assert len(row_reads) == 2  # another filter: its own counts, then its rows
    companies = LeadRow.objects.filter(build=build, owner_type="company").count()
    assert other.context["distribution"].total == companies


def test_dnc_filter_counts_follow_new_statuses_and_internal_list_changes(
    staff_client, make_build, team_a, owner
):
    """The DNC filter's counts are kept under the team's dnc_version: a scrub's new statuses,
    a phone put on or taken off the internal list count at once."""
    from dnc.internal import internal_dnc_add, internal_dnc_remove
    from dnc.models import InternalDnc

    build = make_build([known_row(n, primary_phone=f"512555010{n}") for n in range(4)])

    def clean_total() -> int:
        return staff_client.get(rows_url(build, dnc="clean")).context["distribution"].total

    dnc_store(team_a, "+15125550100")
    assert clean_total() == 1
    dnc_store(team_a, "+15125550101")
    dnc_store(team_a, "+15125550102")
    assert clean_total() == 3
    internal_dnc_add(team=team_a, user=owner, reason="asked", text="+15125550101")
    assert clean_total() == 2
    entry = InternalDnc.objects.get(team=team_a, phone="+15125550101")
    internal_dnc_remove(entry=entry, user=owner)
    assert clean_total() == 3
    team_a.refresh_from_db()
    assert team_a.dnc_version == 5  # three stores, one add, one removal


def test_the_table_cells_escape_what_the_provider_sent(staff_client, make_build):
    build = make_build(
        [known_row(0, address="1 <b>Main</b> St", owner_1_first_name="<i>Ann</i>",
                   email_1="a&b@example.com", property_type="<SFR>")]
    )  # fmt: skip
    html = staff_client.get(rows_url(build)).content.decode()
    assert "1 &lt;b&gt;Main&lt;/b&gt; St" in html and "<b>Main</b>" not in html
    assert "&lt;i&gt;Ann&lt;/i&gt;" in html and "a&amp;b@example.com" in html
    assert "&lt;SFR&gt;" in html


def test_row_detail_shows_every_field_and_the_factors(staff_client, make_build):
    factors = [
        {"name": "owner_occupied", "points": 8, "reason": "Owner-occupied — primary residence"},
        {"name": "absentee_penalty", "points": -10, "reason": "Absentee owner — defers projects"},
    ]
    build = make_build(
        [known_row(0, roof_renovate_propensity_factors=factors, lender_name="Acme <b>Bank</b>",
                   brand_new_column="kept")]
    )  # fmt: skip
    row = build.rows.get()
    response = staff_client.get(reverse("leadbuilder:row", args=[build.pk, row.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    for title in ["Property", "Owner", "Mailing address", "Contacts", "Sale history", "Other"]:
        assert f"<strong>{title}</strong>" in html, title
    assert "Acme &lt;b&gt;Bank&lt;/b&gt;" in html and "kept" in html
    roof = next(s for s in response.context["scores"] if s["key"] == "roof_renovate")
    assert [(f["name"], f["points"]) for f in roof["factors"]] == [
        ("owner_occupied", 8),
        ("absentee_penalty", -10),
    ]
    assert "+8" in html and "-10" in html and "Absentee owner — defers projects" in html
    assert 'data-testid="factors-sell"' in html  # the sandbox's own factors for the others


def test_a_row_of_another_build_is_404(staff_client, make_build):
    one, other = make_build(2, seed="a"), make_build(2, seed="b")
    row = other.rows.first()
    assert staff_client.get(reverse("leadbuilder:row", args=[one.pk, row.pk])).status_code == 404


def test_another_teams_build_is_404(client, outsider, make_build):
    build = make_build(3)
    client.force_login(outsider)
    row = build.rows.first()
    for url in [
        reverse("leadbuilder:rows", args=[build.pk]),
        reverse("leadbuilder:row", args=[build.pk, row.pk]),
        reverse("leadbuilder:export", args=[build.pk]) + "?format=csv",
    ]:
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("leadbuilder:to_dnc", args=[build.pk])).status_code == 404


@pytest.mark.parametrize("status", ["draft", "queued", "submitted", "ingesting", "failed"])
def test_a_build_not_finished_says_rows_arrive_later(staff_client, team_a, staff, status):
    build = lead_build(team=team_a, user=staff, rows=0, status=status)
    response = staff_client.get(reverse("leadbuilder:rows", args=[build.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Rows arrive when the build completes." in html
    assert 'data-testid="rows-not-ready"' in html and 'data-testid="to-dnc"' not in html


def test_a_filter_matching_nothing_says_so(staff_client, make_build):
    build = make_build([known_row(0, **scores(sell=10))])
    response = staff_client.get(rows_url(build, sell_min=99))
    html = response.content.decode()
    assert 'data-testid="rows-no-match"' in html and "Clear the filters" in html
    assert "No rows to chart." in html


def test_bad_filter_values_do_not_break_the_page(staff_client, make_build):
    build = make_build(3)
    response = staff_client.get(rows_url(build, sell_min="abc", owner_type="robot", dnc="x"))
    assert response.status_code == 200
