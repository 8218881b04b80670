import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.urls import reverse

ROOT = Path(settings.BASE_DIR)


def test_check_deploy_is_clean_with_production_values():
    env = dict(
        os.environ,
        DEBUG="false",
        HTTPS="true",
        SECRET_KEY="p" + "r0duct10n-k3y-" * 5,
        ALLOWED_HOSTS="crm.example.dk",
        CPR_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        CPR_LOOKUP_KEY="k" * 8 + "-production-lookup-key-" * 3,
    )
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set by the browser tests for their own process
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_refuses_the_development_cpr_keys():
    env = dict(os.environ, DEBUG="false", HTTPS="true", SECRET_KEY="x" * 60)
    env.pop("CPR_ENCRYPTION_KEYS", None)
    env.pop("CPR_LOOKUP_KEY", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )

    assert "crm.E001" in result.stderr and "crm.E002" in result.stderr


@pytest.mark.django_db
def test_pages_carry_a_strict_content_security_policy(world):
    response = world.client_for(world.consultant).get(reverse("home"))
    policy = response["Content-Security-Policy"]

    assert "script-src 'self'" in policy
    assert "style-src 'self'" in policy
    assert "unsafe-inline" not in policy


def test_templates_hold_no_inline_script_or_style():
    offenders = []
    for template in (ROOT / "templates").rglob("*.html"):
        text = template.read_text()
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text) or re.search(
            r"<style|\sstyle=|\son[a-z]+=", text
        ):
            offenders.append(template.name)
    assert offenders == []


@pytest.mark.django_db
def test_danish_by_default_english_on_request(world):
    client = world.client_for(world.consultant)
    assert "Mine opfølgninger" in client.get(reverse("home")).text

    client.post(reverse("set_language"), {"language": "en", "next": "/"})

    assert "My follow-ups" in client.get(reverse("home")).text


def test_htmx_is_served_from_our_own_static_files():
    base = (ROOT / "templates" / "base.html").read_text()

    assert "{% static 'js/htmx.min.js' %}" in base
    assert (ROOT / "crm" / "static" / "js" / "htmx.min.js").stat().st_size > 10_000
