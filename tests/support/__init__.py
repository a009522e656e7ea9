"""Helpers shared by the test folders (plain functions, classes and constants; no fixtures).

sandbox   the session sandbox: its config, keys, the ``/_sandbox/`` control API, waiting
payloads  the documented provider payloads in tests/fixtures/ and a shape check against them
rows      CSV / XLSX bodies, uploads and the rows written into them
jobs      job runs and the credit ledger: run a trace to the end, check the wallet balances
browser   the e2e side: members who log in, logging in, a worker thread for RQ

Fixtures live in the conftest.py files; test modules import helpers from here only.
"""
