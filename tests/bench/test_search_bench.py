"""bench/search.py runs end to end on tiny sizes, so it cannot rot: every typed query finds
the record it was drawn from, in each spelling the bench types."""

import json

import pytest

from bench import search

# transaction=True: on PostgreSQL the bench drops and builds the trigram index, which a
# transaction holding the rows just inserted (deferred constraint checks pending) refuses.
pytestmark = pytest.mark.django_db(transaction=True)


def test_measure_on_tiny_sizes_finds_every_record_it_asks_for():
    result = search.measure(rows=1500, queries=12, baseline=2)
    assert json.loads(json.dumps(result)) == result
    assert result["entries"] == 1500 + 75
    assert set(result["kinds"]) == {"address", "owner", "phone", "APN"}
    for kind, figures in result["kinds"].items():
        assert figures["found_their_record"] == "12/12", kind
        assert figures["page"]["p50_ms"] <= figures["page"]["p95_ms"] <= figures["page"]["max_ms"]
    assert set(result["baseline_without_trigram_index_search_only"]) == set(result["kinds"])
