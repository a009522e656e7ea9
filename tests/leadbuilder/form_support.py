"""Data shared by the build-screen tests (their fixtures are in conftest.py)."""

from __future__ import annotations

# A valid build form: city geography, no strategy (custom), nothing else.
CITY = {"geo_mode": "city", "geo_cities": "Phoenix", "geo_states": "AZ", "requested_count": "500"}
