"""A weak secret stops the process at start, naming the setting (never the value); every
configured secret is scrubbed from logs, however short."""

from __future__ import annotations

import logging
import subprocess
import sys

import pytest
from pydantic import ValidationError

from lineage.log_hygiene import install_log_hygiene
from lineage.settings import MIN_SECRET_LENGTH, ApiSettings, NoticeSettings, Settings
from lineage.source_names import SECRET_SETTINGS

SHORT = "sh0rt-s3cret"  # 12 characters
API_SECRETS = sorted({*SECRET_SETTINGS.values(), "query_token", "metrics_token"})


@pytest.mark.parametrize("field", API_SECRETS)
def test_a_short_api_secret_is_refused_naming_the_setting(field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        ApiSettings(**{field: SHORT})
    assert f"LINEAGE_API_{field.upper()}" in str(refused.value)
    assert SHORT not in str(refused.value)
    assert ApiSettings(**{field: "x" * MIN_SECRET_LENGTH}) is not None
    assert ApiSettings(**{field: ""}) is not None  # empty means unset


def test_a_short_subject_key_or_webhook_secret_is_refused_at_load() -> None:
    with pytest.raises(ValidationError, match="LINEAGE_SUBJECT_KEY") as refused:
        Settings(subject_key="k" * (MIN_SECRET_LENGTH - 1))
    assert "kkkk" not in str(refused.value)
    with pytest.raises(ValidationError, match="LINEAGE_NOTICE_WEBHOOK_SECRET"):
        NoticeSettings(webhook_secret=SHORT)
    assert Settings(subject_key="k" * MIN_SECRET_LENGTH).require_subject_key() == b"k" * MIN_SECRET_LENGTH


def test_a_command_with_a_short_secret_refuses_in_one_line_naming_it(tmp_path: object) -> None:
    env = {"LINEAGE_API_QUERY_TOKEN": SHORT, "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "lineage", "overview"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=str(tmp_path),
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert "LINEAGE_API_QUERY_TOKEN" in done.stdout + done.stderr
    assert SHORT not in done.stdout + done.stderr and "Traceback" not in done.stderr


def test_every_configured_secret_is_scrubbed_short_ones_as_words(caplog: pytest.LogCaptureFixture) -> None:
    install_log_hygiene(["pw42", "a-long-enough-secret-value"])
    with caplog.at_level(logging.INFO):
        logging.getLogger("lineage.test").info(
            "login pw42 failed; key=a-long-enough-secret-value; pw42x and xpw42 are other words"
        )
    assert "login <secret> failed" in caplog.text
    assert "a-long-enough-secret-value" not in caplog.text
    assert "pw42x and xpw42" in caplog.text
    install_log_hygiene()
