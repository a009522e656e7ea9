"""Spreadsheet import on PostgreSQL: what a user waits for (upload + store), peak memory
with any cleaning processes, and the ratio to a naive save() loop.

A generated 100,000-row CSV (PropStream-like columns, a title row, ZIPs that lost their
leading zero, ~3 % repeated addresses, ~2 % rows without an address, some bad phones) goes
through the real services: ``import_upload`` (stream to disk, read every row, keep the file
in the uploads storage, auto-map), ``import_set_mapping`` and ``import_store`` (read → map →
normalize → dedupe → COPY text lines streamed while rows are cleaned, one transaction). Each side
runs in its own child process; the peak memory is sampled (by a separate process, so the
sampling takes no time from the import) over the child's whole process tree (it and any
cleaning processes) through upload and store, and is at least the child's own
``ru_maxrss``.

Figures: ``upload_plus_store_seconds`` (the upload page's wait plus the store's; the
mapping step between them is reported as a stage), ``ratio_vs_naive`` (the naive loop's
time for the whole file over ``upload_plus_store_seconds``) and
``peak_rss_mb_with_workers``.

The naive baseline is the loop people write first: the same reader, mapper, normalizer
(``normalize_row``) and dedupe set, then ``ImportRecord(...).save()`` per row in autocommit,
on the same file in the same run. It runs on the first ``BENCH_IMPORT_NAIVE_ROWS`` rows
(default 10,000, never under 10 % of the file; set it to the file's size to measure it all)
and the JSON says whether its time for the full file is measured or extrapolated linearly
from that slice. The same loop inside one ``transaction.atomic()`` is reported too.
``BENCH_SMOKE=1``: 2,000 rows, naive on 500.
"""

import csv
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import ROOT, bench_database, check, emit, size

ROWS = size("BENCH_IMPORT_ROWS", 100_000, 2_000)
# The naive loop on at least 10 % of the file (extrapolated to the whole, and said so).
NAIVE_ROWS = min(ROWS, max(size("BENCH_IMPORT_NAIVE_ROWS", 10_000, 500), -(-ROWS // 10)))
JOB_TYPE = "trace_normal"

HEADERS = [
    "Address",
    "Unit #",
    "City",
    "State",
    "Zip",
    "County",
    "APN",
    "Owner 1 First Name",
    "Owner 1 Last Name",
    "Mailing Address",
    "Mailing City",
    "Mailing State",
    "Mailing Zip",
    "Phone 1",
    "Phone 1 Type",
    "Email 1",
    "Est. Value",
    "Notes",
]
STREETS = [
    "Main Street",
    "N. Oak Ave",
    "Elm Rd",
    "Harbor View Dr",
    "W 5th St",
    "Maple Ln",
    "Lake Shore Blvd",
    "Cedar Ct",
    "S Pine St",
    "Old Mill Road",
    "Sunset Terrace",
]
# (city, state as exported, ZIP as a spreadsheet left it): some lost their leading zero.
PLACES = [
    ("Boston", "MA", "2134"),
    ("Austin", "TX", "78701"),
    ("Newark", "NJ", "7102"),
    ("Phoenix", "Arizona", "85004"),
    ("Hartford", "CT", "06103"),
    ("Miami", "FL", "33101"),
    ("Saint Louis", "MO", "63101"),
    ("Fort Worth", "tx", "76102"),
    ("Providence", "RI", "2903"),
    ("Portland", "ME", "4101"),
    ("Denver", "CO", "80202"),
    ("Atlanta", "Georgia", "30303"),
]
_SYLLABLES = [
    "an",
    "bel",
    "cor",
    "da",
    "el",
    "fin",
    "gar",
    "hal",
    "is",
    "jo",
    "ka",
    "lin",
    "mar",
    "no",
    "or",
    "pe",
    "quin",
    "ro",
    "sa",
    "ter",
    "u",
    "vin",
    "wal",
    "ya",
]


def _names(rng: random.Random, count: int, parts: int) -> list[str]:
    names = set()
    while len(names) < count:
        names.add("".join(rng.choice(_SYLLABLES) for _ in range(parts)))
    return sorted(names)


def generate(path: Path, rows: int) -> int:
    """A PropStream-like export: ~250 first and ~2,000 last names (mixed case), a mailing
    address equal to the property for about half the owners, ~3 % repeated properties,
    ~2 % rows without an address and ~2 % phones too short to be valid."""
    rng = random.Random(6)
    first_names = _names(rng, 250, 2)
    last_names = _names(rng, 2000, 3)
    with path.open("w", newline="", encoding="utf-8") as handle:
        handle.write("PropStream export - generated for the benchmark\n")
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        for n in range(rows):
            house = n if rng.random() > 0.03 else max(0, n - rng.randint(1, 50))  # repeats
            city, state, zip_code = PLACES[house % len(PLACES)]
            street = f"{100 + house} {STREETS[house % len(STREETS)]}"
            unit = "" if house % 7 else f"Apt {house % 40}"
            if rng.random() < 0.5:
                mailing = (street, city, state, zip_code)
            else:
                m_city, m_state, m_zip = rng.choice(PLACES)
                mailing = (f"PO Box {rng.randint(1, 99_999)}", m_city, m_state, m_zip)
            phone = f"({rng.choice(['617', '512', '973'])}) 555-{n % 10_000:04d}"
            if rng.random() < 0.02:
                phone = "555-1234"  # too short: flagged, the row is kept
            first, last = rng.choice(first_names), rng.choice(last_names)
            if n % 3 == 0:
                first, last = first.upper(), last.upper()
            writer.writerow(
                [
                    street if rng.random() > 0.02 else "",
                    unit,
                    city,
                    state,
                    zip_code,
                    "Suffolk",
                    f"{n:04d}-{house % 997:03d}",
                    first.title() if n % 3 else first,
                    last.title() if n % 3 else last,
                    *mailing,
                    phone,
                    rng.choice(["Mobile", "Landline", "wireless"]),
                    f"{first.lower()}.{last.lower()}{n}@example.com",
                    str(100_000 + n * 7),
                    "=SUM(A1)" if n % 1000 == 0 else "",
                ]
            )
    return path.stat().st_size


def _setup(database_url: str, media_root: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ["MEDIA_ROOT"] = media_root
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadops.settings")
    os.environ["LOG_LEVEL"] = "WARNING"
    os.environ["IMPORT_MAX_ROWS"] = str(max(ROWS, 250_000))
    os.environ["IMPORT_MAX_BYTES"] = str(200 * 1024 * 1024)
    import django

    django.setup()


def _actors(name: str):
    from django.contrib.auth import get_user_model

    from leadops.accounts.models import Membership, Team

    team = Team.objects.create(name=f"bench-{name}")
    user = get_user_model().objects.create_user(f"bench-{name}")
    Membership.objects.create(user=user, team=team)
    return team, user


def _rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _tree_rss_kb(root: int, skip: int) -> int:
    """Current RSS of ``root`` and all its descendants but ``skip`` (the sampler), from /proc."""
    total, frontier = 0, [root]
    while frontier:
        pid = frontier.pop()
        if pid == skip:
            continue
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            for task in Path(f"/proc/{pid}/task").iterdir():
                frontier.extend(int(c) for c in (task / "children").read_text().split())
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total


def sampler_main(root: int) -> None:
    """Sample the tree's total RSS every 50 ms until stdin closes, then print the peak (kB).

    A process of its own: a sampling thread inside the measured process took the GIL from
    the import it was measuring (reading /proc is Python work)."""
    import select

    peak = 0
    while True:
        peak = max(peak, _tree_rss_kb(root, skip=os.getpid()))
        ready, _, _ = select.select([sys.stdin], [], [], 0.05)
        if ready and not sys.stdin.read(1):
            break
    print(peak, flush=True)


class _TreeSampler:
    """The peak RSS of this process and its children (the cleaning workers), sampled by
    a separate process (``sampler_main``)."""

    def __init__(self) -> None:
        self.peak_kb = 0

    def __enter__(self) -> "_TreeSampler":
        self._process = subprocess.Popen(
            [sys.executable, "-m", "bench.imports", "--sample", str(os.getpid())],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        return self

    def __exit__(self, *exc: object) -> None:
        out, _ = self._process.communicate("")
        self.peak_kb = int(out.strip() or 0)


def child_fast(csv_path: str) -> dict:
    from django.core.files.uploadedfile import UploadedFile

    from leadops.imports import services

    team, user = _actors("fast")
    rss_before = _rss_mb()
    with _TreeSampler() as sampler:
        with open(csv_path, "rb") as handle:
            upload = UploadedFile(handle, name="bench.csv", size=os.path.getsize(csv_path))
            t0 = time.perf_counter()
            batch = services.import_upload(
                team=team, user=user, uploaded_file=upload, job_type=JOB_TYPE
            )
        t1 = time.perf_counter()
        services.import_set_mapping(batch=batch, mapping=batch.mapping, job_type=JOB_TYPE)
        t2 = time.perf_counter()
        services.import_store(batch=batch)
        t3 = time.perf_counter()
    stored = batch.records.count()
    return {
        "upload_seconds": round(t1 - t0, 2),
        "mapping_seconds": round(t2 - t1, 2),
        "store_seconds": round(t3 - t2, 2),
        "rows_read": batch.rows_read,
        "rows_unusable": batch.rows_unusable,
        "duplicates": batch.duplicates,
        "unique_records": batch.unique_records,
        "records_stored": stored,
        "rss_mb_after_django_setup": rss_before,
        "peak_rss_mb": _rss_mb(),
        "peak_rss_mb_with_workers": max(_rss_mb(), round(sampler.peak_kb / 1024, 1)),
        "workers": services._workers(batch.rows_read),
    }


def child_naive(csv_path: str, limit: int, atomic: bool) -> dict:
    """The loop people write first: same cleaning, then one INSERT (and commit) per row."""
    from contextlib import nullcontext
    from itertools import islice

    from django.db import transaction

    from leadops.imports.columns import RowMapper, auto_map
    from leadops.imports.models import ImportBatch, ImportRecord
    from leadops.imports.readers import open_table
    from leadops.imports.rows import normalize_row

    team, user = _actors("naive-atomic" if atomic else "naive")
    with open(csv_path, "rb") as handle:
        table = open_table(handle, "bench.csv")
        mapping = auto_map(table.headers)
        batch = ImportBatch.objects.create(
            team=team,
            created_by=user,
            filename="bench.csv",
            headers=table.headers,
            mapping=mapping,
            job_type=JOB_TYPE,
            kind="csv",
        )
        mapper = RowMapper(table.headers, mapping)
        seen: dict[str, int] = {}
        t0 = time.perf_counter()
        with transaction.atomic() if atomic else nullcontext():
            for line, cells in islice(table.rows(), limit):
                row = normalize_row(
                    mapper.values(cells), JOB_TYPE, line=line, columns=mapper.source_columns
                )
                first = seen.setdefault(row.dedupe_key, line) if row.usable else line
                ImportRecord(
                    batch=batch,
                    line=line,
                    values=row.values,
                    extras=mapper.extras(cells),
                    dedupe_key=row.dedupe_key[:255],
                    usable=row.usable,
                    errors=[
                        {"column": e.column, "value": e.value, "reason": e.reason}
                        for e in row.errors
                    ],
                    is_duplicate=first != line,
                    duplicate_of_line=first if first != line else None,
                ).save()
        elapsed = time.perf_counter() - t0
    return {"rows": batch.records.count(), "seconds": round(elapsed, 2), "peak_rss_mb": _rss_mb()}


def _run_child(*args: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "bench.imports", "--child", *args],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
        env=os.environ.copy(),
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-imports-") as tmp, bench_database() as db_url:
        csv_path = Path(tmp) / "leads.csv"
        size_bytes = generate(csv_path, ROWS)
        load_before = [round(x, 2) for x in os.getloadavg()]
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--verbosity", "0"],
            cwd=ROOT,
            check=True,
            env={**os.environ, "DATABASE_URL": db_url},
        )
        media = str(Path(tmp) / "media")
        fast = _run_child("fast", db_url, media, str(csv_path))
        naive = _run_child("naive", db_url, media, str(csv_path), str(NAIVE_ROWS))
        naive_atomic = _run_child("naive-atomic", db_url, media, str(csv_path), str(NAIVE_ROWS))

    rows = fast["rows_read"]
    waited = round(fast["upload_seconds"] + fast["store_seconds"], 2)
    naive_per_row = naive["seconds"] / naive["rows"]
    naive_atomic_per_row = naive_atomic["seconds"] / naive_atomic["rows"]
    naive_full = naive_per_row * rows
    full = naive["rows"] >= rows
    result = {
        "benchmark": "spreadsheet_import",
        "figures": {
            "upload_plus_store_seconds": check(waited, unit="s", under=3),
            "ratio_vs_naive": check(round(naive_full / waited, 1), unit="x", at_least=10),
            "peak_rss_mb_with_workers": check(
                fast["peak_rss_mb_with_workers"], unit="MB", under=200
            ),
        },
        "database": "PostgreSQL (fresh database), 10,000-row COPY statements, one transaction",
        "file": {"rows": rows, "bytes": size_bytes, "columns": len(HEADERS), "job_type": JOB_TYPE},
        "counts": {k: fast[k] for k in ("rows_unusable", "duplicates", "unique_records")},
        "records_stored": fast["records_stored"],
        "stages": {
            "upload_seconds": fast["upload_seconds"],
            "mapping_seconds": fast["mapping_seconds"],
            "store_seconds": fast["store_seconds"],
        },
        "store_rows_per_second": round(rows / fast["store_seconds"]),
        "end_to_end_rows_per_second": round(rows / waited),
        "cleaning_worker_processes": fast["workers"],
        "peak_rss_mb": fast["peak_rss_mb"],
        "rss_mb_after_django_setup": fast["rss_mb_after_django_setup"],
        "naive_loop": {
            "what": "same read/map/normalize_row/dedupe, then Model.save() per row (autocommit)",
            "rows_measured": naive["rows"],
            "seconds_measured": naive["seconds"],
            "rows_per_second": round(1 / naive_per_row),
            "seconds_for_full_file": round(naive_full, 1),
            "full_file": "measured"
            if full
            else f"extrapolated linearly from {naive['rows']:,} rows "
            f"({naive['rows'] / rows:.0%} of the file)",
        },
        "naive_loop_in_one_transaction": {
            "rows_measured": naive_atomic["rows"],
            "seconds_measured": naive_atomic["seconds"],
            "rows_per_second": round(1 / naive_atomic_per_row),
            "ratio": round(naive_atomic_per_row * rows / waited, 1),
        },
        "cpus": os.cpu_count(),
        "load_average_before": load_before,
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
    }
    emit(result)
    if fast["records_stored"] != rows:
        raise SystemExit("import benchmark: stored record count does not match rows read")


def child_main(argv: list[str]) -> None:
    kind, db_url, media, csv_path, *rest = argv
    _setup(db_url, media)
    if kind == "fast":
        out = child_fast(csv_path)
    else:
        out = child_naive(csv_path, int(rest[0]), atomic=kind == "naive-atomic")
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child_main(sys.argv[2:])
    elif len(sys.argv) > 1 and sys.argv[1] == "--sample":
        sampler_main(int(sys.argv[2]))
    else:
        main()
