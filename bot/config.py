"""Settings, read once from the environment.

Nothing here does I/O at import time. `Settings.from_env()` validates every value and raises
`ConfigError` with one message that names each problem, so startup fails with a sentence, not a
traceback.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")

Mode = Literal["http", "socket"]


class ConfigError(Exception):
    """One or more settings are missing or invalid; the message says which and how to fix it."""


def default_data_dir() -> Path:
    return Path(os.environ.get("ENABLER_DATA_DIR", Path.cwd() / "data"))


def default_database_url() -> str:
    return f"sqlite:///{default_data_dir() / 'enabler.db'}"


@dataclass(frozen=True)
class Settings:
    database_url: str
    slack_bot_token: str | None = None
    slack_signing_secret: str | None = None
    slack_app_token: str | None = None
    slack_api_url: str = DEFAULT_SLACK_API_URL
    log_level: str = "INFO"
    port: int = 3000
    store_message_text: bool = False
    # Where the scheduler and outbox look for work; seconds. Small in tests and the demo.
    tick_seconds: float = 5.0
    # Workspace-wide pace for chat.postMessage from the outbox, messages per second.
    post_rate: float = 4.0
    extra: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        problems: list[str] = []

        def get(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        log_level = (get("LOG_LEVEL") or "INFO").upper()
        if log_level not in LOG_LEVELS:
            problems.append(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)} (got {log_level!r})")

        port_text = get("PORT") or "3000"
        port = 3000
        try:
            port = int(port_text)
            if not 0 <= port <= 65535:
                raise ValueError
        except ValueError:
            problems.append(f"PORT must be a number from 0 to 65535 (got {port_text!r})")

        api_url = get("SLACK_API_URL") or DEFAULT_SLACK_API_URL
        if not api_url.startswith(("http://", "https://")):
            problems.append(f"SLACK_API_URL must start with http:// or https:// (got {api_url!r})")
        if not api_url.endswith("/"):
            api_url += "/"

        database_url = get("DATABASE_URL") or default_database_url()
        if database_url.startswith("postgres://"):
            # Heroku-style URLs: SQLAlchemy wants the dialect spelled out.
            database_url = "postgresql+psycopg://" + database_url.removeprefix("postgres://")
        elif database_url.startswith("postgresql://"):
            database_url = "postgresql+psycopg://" + database_url.removeprefix("postgresql://")
        if not database_url.startswith(("sqlite:", "postgresql+psycopg:")):
            problems.append(
                "DATABASE_URL must be a sqlite:/// or postgresql:// URL "
                f"(got one starting {database_url.split(':', 1)[0]!r})"
            )

        bot_token = get("SLACK_BOT_TOKEN")
        if bot_token and not bot_token.startswith("xoxb-"):
            problems.append("SLACK_BOT_TOKEN must be a bot token starting with xoxb-")
        app_token = get("SLACK_APP_TOKEN")
        if app_token and not app_token.startswith("xapp-"):
            problems.append("SLACK_APP_TOKEN must be an app-level token starting with xapp-")

        store_text = (get("ENABLER_STORE_MESSAGE_TEXT") or "false").lower()
        if store_text not in ("true", "false", "1", "0", "yes", "no"):
            problems.append("ENABLER_STORE_MESSAGE_TEXT must be true or false")

        tick_text = get("ENABLER_TICK_SECONDS") or "5"
        tick = 5.0
        try:
            tick = float(tick_text)
            if tick <= 0:
                raise ValueError
        except ValueError:
            problems.append(f"ENABLER_TICK_SECONDS must be a positive number (got {tick_text!r})")

        rate_text = get("ENABLER_POST_RATE") or "4"
        post_rate = 4.0
        try:
            post_rate = float(rate_text)
            if post_rate <= 0:
                raise ValueError
        except ValueError:
            problems.append(f"ENABLER_POST_RATE must be a positive number (got {rate_text!r})")

        if problems:
            raise ConfigError("Enabler cannot start:\n  - " + "\n  - ".join(problems))
        return cls(
            database_url=database_url,
            slack_bot_token=bot_token,
            slack_signing_secret=get("SLACK_SIGNING_SECRET"),
            slack_app_token=app_token,
            slack_api_url=api_url,
            log_level=log_level,
            port=port,
            store_message_text=store_text in ("true", "1", "yes"),
            tick_seconds=tick,
            post_rate=post_rate,
        )

    def require_slack(self, mode: Mode) -> None:
        """Stop with one message naming every missing variable for the chosen mode."""
        needed = ["SLACK_BOT_TOKEN"]
        needed.append("SLACK_APP_TOKEN" if mode == "socket" else "SLACK_SIGNING_SECRET")
        values = {
            "SLACK_BOT_TOKEN": self.slack_bot_token,
            "SLACK_APP_TOKEN": self.slack_app_token,
            "SLACK_SIGNING_SECRET": self.slack_signing_secret,
        }
        missing = [name for name in needed if not values[name]]
        if missing:
            raise ConfigError(
                f"Enabler cannot connect to Slack ({mode} mode): missing {', '.join(missing)}.\n"
                "  Create the Slack app from manifest.yaml (see README, 'Set up in Slack'), then\n"
                "  export the tokens it shows you. To try Enabler without a Slack workspace, run\n"
                "  `make demo`."
            )

    def redacted(self) -> dict[str, str]:
        """What may be logged: secrets reduced to whether they are set."""

        def mask(value: str | None) -> str:
            return "set" if value else "unset"

        db = self.database_url
        if "@" in db:  # hide credentials in postgres URLs
            scheme, rest = db.split("://", 1)
            db = f"{scheme}://***@{rest.split('@', 1)[1]}"
        return {
            "database_url": db,
            "slack_bot_token": mask(self.slack_bot_token),
            "slack_signing_secret": mask(self.slack_signing_secret),
            "slack_app_token": mask(self.slack_app_token),
            "slack_api_url": self.slack_api_url,
            "log_level": self.log_level,
            "port": str(self.port),
        }
