"""Generate bot/devtools/slack_methods.json from Slack's published Web API reference.

Why this exists: the Slack emulator refuses calls that Slack would refuse (unknown method,
missing required argument, a bot scope the manifest does not grant). Its knowledge must come
from Slack's documentation, not from our guesses. The full reference (slack-ruby/slack-api-ref,
MIT) lives next to the repository in ``../shared/slack-reference`` on developer machines only,
so we ship a compact, attributed extract of just the methods the app calls.

Usage::

    python scripts/gen_slack_reference.py            # (re)write the JSON file
    python scripts/gen_slack_reference.py --check    # exit 1 if the committed file is stale

To let the app call a new Web API method, add it to ``METHODS`` and re-run the script.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_REFERENCE = REPO_ROOT.parent / "shared" / "slack-reference" / "slack-api-ref"
OUTPUT = REPO_ROOT / "bot" / "devtools" / "slack_methods.json"
SCRIPT_NAME = "scripts/gen_slack_reference.py"

# The Web API methods Enabler is allowed to call. Keep sorted.
METHODS: tuple[str, ...] = (
    "auth.test",
    "chat.delete",
    "chat.getPermalink",
    "chat.postEphemeral",
    "chat.postMessage",
    "chat.update",
    "conversations.history",
    "conversations.info",
    "conversations.open",
    "team.info",
    "users.info",
    "views.open",
    "views.publish",
    "views.push",
    "views.update",
)


def _copyright_line(reference: Path) -> str:
    """The copyright holder line of the reference's MIT license, which attribution must keep."""
    license_file = reference / "LICENSE.md"
    for line in license_file.read_text(encoding="utf-8").splitlines():
        if line.strip().lower().startswith("copyright"):
            return line.strip()
    raise SystemExit(f"no copyright line in {license_file}")


def _extract(raw: dict[str, Any]) -> dict[str, Any]:
    args = raw.get("args") or {}
    properties = args.get("properties") or {}
    scope = raw.get("scope") or {}
    errors = raw.get("errors") or {}
    return {
        "args": sorted(properties),
        "bot_scopes": sorted(scope.get("bot") or []),
        "errors": sorted(errors),
        "http_method": raw.get("http_method", "POST"),
        "json_input_supported": bool(raw.get("json_input_supported", False)),
        "no_scope_required": bool(raw.get("no_scope_required", False)),
        "rate_tier": raw.get("rate_limits") or "",
        "required": sorted(args.get("required") or []),
    }


def generate(reference: Path) -> str:
    """Return the JSON text for METHODS, read from ``reference`` (the slack-api-ref folder)."""
    methods_dir = reference / "methods"
    methods: dict[str, Any] = {}
    for name in METHODS:
        path = methods_dir / f"{name}.json"
        if not path.is_file():
            raise SystemExit(f"{name}: not in the reference ({path})")
        methods[name] = _extract(json.loads(path.read_text(encoding="utf-8")))
    document = {
        "_attribution": {
            "copyright": _copyright_line(reference),
            "generated_by": SCRIPT_NAME,
            "license": "MIT",
            "note": "Extract of Slack Web API method reference data; regenerate, do not edit.",
            "source": "https://github.com/slack-ruby/slack-api-ref",
        },
        "methods": methods,
    }
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--reference",
        type=Path,
        default=DEFAULT_REFERENCE,
        help=f"slack-api-ref folder (default: {DEFAULT_REFERENCE})",
    )
    parser.add_argument("--output", type=Path, default=OUTPUT, help=f"default: {OUTPUT}")
    parser.add_argument(
        "--check",
        action="store_true",
        help="do not write; exit 1 if the output file differs from what would be generated",
    )
    options = parser.parse_args(argv)
    if not (options.reference / "methods").is_dir():
        print(f"reference not found: {options.reference / 'methods'}", file=sys.stderr)
        return 2
    text = generate(options.reference)
    if options.check:
        current = options.output.read_text(encoding="utf-8") if options.output.exists() else ""
        if current != text:
            print(f"{options.output} is stale: run {SCRIPT_NAME}", file=sys.stderr)
            return 1
        print(f"{options.output} is up to date")
        return 0
    options.output.write_text(text, encoding="utf-8")
    print(f"wrote {options.output} ({len(METHODS)} methods)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
