"""The annual report of a 13-municipality contract as a PDF (``python -m bench pdf``).

The KKR Syddanmark 2022 contract on the national data: its goal attainment is computed at the
end of every month of 2022 first (the report's sparklines show that history), then
``reporting.services.render`` - what the Celery task runs - renders an annual Report ``runs``
times into a temporary MEDIA_ROOT.
"""

import datetime
import io
import statistics
import tempfile
import time

from django.contrib.auth import get_user_model
from django.test import override_settings

from bench import national
from contracts.models import Snapshot
from contracts.services import compute_attainment
from reporting import pdf, services
from reporting.models import Report

TARGET_SECONDS = 5.0
MONTH_ENDS = [
    datetime.date(2022, month + 1, 1) - datetime.timedelta(days=1) for month in range(1, 12)
] + [datetime.date(2022, 12, 31)]


def syddanmark():
    return next(c for c in national.contracts() if c.title.startswith(national.SYD_TITLE))


def ensure_history(contract) -> None:
    done = set(
        Snapshot.objects.filter(goal__contract=contract, municipality=None)
        .values_list("as_of", flat=True)
        .distinct()
    )
    for as_of in MONTH_ENDS:
        if as_of not in done:
            compute_attainment(contract, as_of)


def run(runs: int = 5) -> list[tuple]:
    from pypdf import PdfReader

    contract = syddanmark()
    ensure_history(contract)
    user = get_user_model().objects.filter(username__startswith="bench-").first()
    total, context, render = [], [], []
    with tempfile.TemporaryDirectory() as media, override_settings(MEDIA_ROOT=media):
        for _ in range(runs):
            report = Report.objects.create(  # as request_report stores a finished one
                kind=Report.Kind.ANNUAL,
                contract=contract,
                created_by=user,
                period_start=contract.starts_on,
                period_end=contract.ends_on,
            )
            started = time.perf_counter()
            services.render(report)
            total.append(time.perf_counter() - started)
            started = time.perf_counter()
            made = services.annual_context(report)
            context.append(time.perf_counter() - started)
            started = time.perf_counter()
            data = pdf.render_pdf("reporting/pdf/annual.html", made)
            render.append(time.perf_counter() - started)
        pages = len(PdfReader(io.BytesIO(data)).pages)
        Report.objects.filter(contract=contract).delete()
    median = statistics.median(total)
    municipalities = contract.municipalities.count()
    print(
        f"\nAnnual report PDF: {contract.title} ({municipalities} municipalities, "
        f"{len(MONTH_ENDS)} snapshot dates), {pages} pages, {len(data) / 1024:.0f} KiB"
    )
    print(
        f"  reporting.services.render   median {median:.2f} s of {runs} "
        f"(min {min(total):.2f}, max {max(total):.2f}); target < {TARGET_SECONDS:.0f} s"
    )
    print(
        f"  of which: context (queries) {statistics.median(context):.2f} s, "
        f"HTML + WeasyPrint {statistics.median(render):.2f} s"
    )
    verdict = "ok" if median < TARGET_SECONDS else "MISSED"
    return [
        (f"pdf: annual report, {municipalities} municipalities, {pages} pages",
         f"{median:.2f} s", f"< {TARGET_SECONDS:.0f} s {verdict}"),
    ]  # fmt: skip
