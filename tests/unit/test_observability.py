"""Logs never carry secrets or message text; settings never print tokens."""

from __future__ import annotations

import json
import logging

import pytest

from bot.config import ConfigError, Settings
from bot.observability import configure_logging, get_logger


def test_structured_logs_redact_tokens_secrets_and_text(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO", json=True)
    get_logger("test").info(
        "something_happened",
        token="xoxb-123-456-abcdef",
        signing_secret="shh",
        text="Leave it with me, I'll call their CFO",
        detail="sent with xoxb-999-888-zzz in the URL",
        channel="C0ACME",
    )
    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert line["token"] == "[redacted]"
    assert line["signing_secret"] == "[redacted]"
    assert line["text"] == "[37 chars]"
    assert "xoxb" not in line["detail"]
    assert line["channel"] == "C0ACME"


def test_stdlib_logs_from_libraries_are_scrubbed(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO", json=True)
    logging.getLogger("slack_sdk.web").warning("calling with token %s", "xoxb-1-2-secret")
    err = capsys.readouterr().err
    assert "xoxb-1-2-secret" not in err
    assert "[redacted-token]" in err


def test_settings_redacted_and_validation_names_every_problem() -> None:
    settings = Settings.from_env(
        {
            "SLACK_BOT_TOKEN": "xoxb-1-2",
            "SLACK_SIGNING_SECRET": "abc",
            "DATABASE_URL": "postgresql://enabler:hunter2@db:5432/enabler",
        }
    )
    shown = json.dumps(settings.redacted())
    assert "xoxb" not in shown
    assert "hunter2" not in shown
    assert settings.database_url.startswith("postgresql+psycopg://")
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({"PORT": "eighty", "LOG_LEVEL": "LOUD", "SLACK_BOT_TOKEN": "xoxp-1"})
    message = str(caught.value)
    assert "PORT must be a number" in message
    assert "LOG_LEVEL must be one of" in message
    assert "SLACK_BOT_TOKEN must be a bot token" in message
