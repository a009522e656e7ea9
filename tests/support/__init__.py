"""Helpers shared by the test folders (plain functions, classes and constants; no fixtures).

sandbox   the session sandbox: its config, keys, the ``/_sandbox/`` control API, waiting
payloads  the documented provider payloads in tests/fixtures/ and a shape check against them
rows      CSV / XLSX bodies, uploads and the rows written into them
jobs      RQ queues and a worker thread, a trace run to its end, the credit ledger's balance
browser   the e2e side: members who log in, and logging in

Fixtures live in the conftest.py files; test modules import helpers from here only.
"""
