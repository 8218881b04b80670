"""``python -m bench [search] [attainment] [pdf] [pages]`` (``make bench``): national volume,
all parts unless some are named.

Creates and migrates ``<database>_bench`` beside the database of ``DATABASE_URL`` (the dev data
is never touched) and loads the reference data and a million companies; ``attainment`` and
``pdf`` (and ``pages``) also load founders, guidance sessions, referrals, evaluation answers
and the six hub contracts (``bench.national``). Loaded data is kept for the next run unless
``--reload``.

- ``search``: ``crm.queries.search_companies`` and the alternatives in ``bench.search``;
- ``attainment``: ``contracts.services.compute_attainment`` for the six contracts against a
  hand-written SQL pass (``bench.attainment``), with every number compared;
- ``pdf``: ``reporting.services.render`` of the annual report of the 13-municipality KKR
  Syddanmark contract (``bench.pdf``);
- ``pages``: the lists, search and dashboard over HTTP from a gunicorn, each against a
  reference measured in the same run (``bench.pages``);
- ``load``: two app servers and two Celery workers under 50 simulated users for two minutes
  (``bench.loadtest``, locust);
- ``imports``: the migration import's write of 100,000 companies against ``bulk_create`` of the
  same rows (``bench.imports``; about 7 minutes a round, most of it ``bulk_create``).

A results table closes the run.
"""

import argparse
import time

from bench.database import use_bench_database

PARTS = ["search", "attainment", "pdf", "pages", "load", "imports", "evaluations"]


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "parts", nargs="*", metavar="PART", help=f"{' | '.join(PARTS)} (default: all)"
    )
    parser.add_argument("--companies", type=int, default=1_000_000)
    parser.add_argument("--founders", type=int, default=150_000)
    parser.add_argument("--sessions", type=int, default=3_000_000)
    parser.add_argument("--referrals", type=int, default=300_000)
    parser.add_argument("--evaluations", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=50, help="timed runs per search query")
    parser.add_argument("--attainment-runs", type=int, default=3)
    parser.add_argument("--pdf-runs", type=int, default=5)
    parser.add_argument("--evaluation-rows", type=int, default=50_000, help="answers (evaluations)")
    parser.add_argument("--import-rows", type=int, default=100_000, help="companies (imports)")
    parser.add_argument("--import-runs", type=int, default=1, help="timed runs (imports)")
    parser.add_argument("--load-users", type=int, default=50, help="simulated users (load)")
    parser.add_argument("--load-seconds", type=int, default=120, help="how long (load)")
    parser.add_argument("--explain", nargs="*", default=[], metavar="GOAL",
                        help="EXPLAIN ANALYZE these goal numbers (e.g. 1 8d)")  # fmt: skip
    parser.add_argument("--reload", action="store_true", help="load all rows again")
    parser.add_argument("--plans", action="store_true", help="print every search plan in full")
    options = parser.parse_args()
    if unknown := set(options.parts) - set(PARTS):
        parser.error(f"unknown part {', '.join(sorted(unknown))}: choose from {', '.join(PARTS)}")
    parts = options.parts or PARTS

    name = use_bench_database()
    from django.core.management import call_command

    from bench import national
    from crm.reference import load_reference_data

    print(f"Bench database: {name}; parts: {', '.join(parts)}")
    call_command("migrate", verbosity=0)
    load_reference_data()
    results = []
    reloaded = ensure_companies(options, results)
    if set(parts) & {"attainment", "pdf", "pages", "load", "evaluations"}:
        sizes = national.NationalSizes(
            founders=options.founders,
            sessions=options.sessions,
            referrals=options.referrals,
            evaluations=options.evaluations,
        )
        ensure_national(sizes, options.reload or reloaded, results)
    if "search" in parts:
        from bench import search

        results += search.run(runs=options.runs, full_plans=options.plans)
    if "attainment" in parts:
        from bench import attainment

        results += attainment.run(runs=options.attainment_runs, explain_goals=options.explain)
    if "pdf" in parts:
        from bench import pdf

        results += pdf.run(runs=options.pdf_runs)
    if "pages" in parts:
        from bench import pages

        results += pages.run()
    if "load" in parts:
        from bench import loadtest

        results += loadtest.run(users=options.load_users, seconds=options.load_seconds)
    if "imports" in parts:
        from bench import imports

        results += imports.run(rows=options.import_rows, runs=options.import_runs)
    if "evaluations" in parts:
        from bench import evaluations

        results += evaluations.run(rows=options.evaluation_rows)
    print_table(results)


def ensure_companies(options, results: list) -> bool:
    """Load the companies unless they are there; True if loaded (everything else goes)."""
    from bench import load

    if not options.reload and load.company_count() == options.companies:
        print(f"{options.companies:,} companies already loaded (--reload to load again)")
        return False
    print(f"Loading {options.companies:,} companies ...", flush=True)
    steps = load.load_companies(options.companies)
    print("  " + ", ".join(f"{step} {seconds:.1f} s" for step, seconds in steps.items()))
    results.append((f"load: {options.companies:,} companies", f"{steps['total']:.1f} s", ""))
    return True


def ensure_national(sizes, reload: bool, results: list) -> None:
    from bench import national

    if not reload and national.loaded(sizes):
        print(f"National rows already loaded ({national.describe(sizes)}; --reload to load again)")
        from crm.models import Consent

        if not Consent.objects.exists():  # loaded before the bench made consents
            print(f"  {national.load_consents():,} consents loaded", flush=True)
        return
    print(f"Loading {national.describe(sizes)} and the six contracts ...", flush=True)
    started = time.perf_counter()
    steps = national.load(sizes)
    print("  " + ", ".join(f"{step} {seconds:.1f} s" for step, seconds in steps.items()))
    results.append(
        (f"load: {national.describe(sizes)}", f"{time.perf_counter() - started:.1f} s", "")
    )


def print_table(results: list) -> None:
    """One table of every part's rows: ``bench.results.Row`` or ``(name, value, goal)``."""
    from bench.results import table

    if results:
        print(f"\nResults\n{table(results)}")


if __name__ == "__main__":
    main()
