"""``python -m bench`` (``make bench``): the company search at national volume.

Creates and migrates ``<database>_bench`` beside the database of ``DATABASE_URL``, loads the
reference data and a million companies (kept for the next run unless ``--reload``), then times
``crm.queries.search_companies`` and the alternatives in ``bench.search``.
"""

import argparse

from bench.database import use_bench_database


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--companies", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=50, help="timed runs per query")
    parser.add_argument("--reload", action="store_true", help="load the companies again")
    parser.add_argument("--plans", action="store_true", help="print every plan in full")
    options = parser.parse_args()

    name = use_bench_database()
    from django.core.management import call_command

    from bench import load, search
    from crm.reference import load_reference_data

    print(f"Bench database: {name}")
    call_command("migrate", verbosity=0)
    load_reference_data()
    if options.reload or load.company_count() != options.companies:
        print(f"Loading {options.companies:,} companies ...", flush=True)
        steps = load.load_companies(options.companies)
        print("  " + ", ".join(f"{step} {seconds:.1f} s" for step, seconds in steps.items()))
    else:
        print(f"{options.companies:,} companies already loaded (--reload to load again)")
    search.run(runs=options.runs, full_plans=options.plans)


if __name__ == "__main__":
    main()
