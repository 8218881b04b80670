"""HTML to PDF with WeasyPrint. Nothing is fetched from the network: only file: and data:
URLs are allowed, and the stylesheet comes from the project's own static files (fonts from
the machine's fontconfig)."""

from pathlib import Path

from django.template.loader import render_to_string
from weasyprint import CSS, HTML
from weasyprint.urls import URLFetcher

STYLESHEET = Path(__file__).resolve().parent / "static" / "reporting" / "report.css"
LOCAL_ONLY = URLFetcher(allowed_protocols={"file", "data"})


def render_pdf(template: str, context: dict) -> bytes:
    html = render_to_string(template, context)
    document = HTML(string=html, base_url=str(STYLESHEET.parent), url_fetcher=LOCAL_ONLY)
    return document.write_pdf(stylesheets=[CSS(filename=str(STYLESHEET), url_fetcher=LOCAL_ONLY)])
