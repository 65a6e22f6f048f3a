"""Normalise Slack mrkdwn into plain, case-folded text that rule patterns can match.

Why a separate step: rules are written by sales ops as plain words ("leave it with me"), so
everything Slack adds around words (mention markup, link syntax, code, emoji codes, smart
quotes, bold/italic markers, accents typed or not) must be folded away once, before any rule
runs. Typos are *not* corrected here; rule patterns tolerate the common ones, which keeps this
step cheap and predictable.

The output is what `SignalMatch.span` indexes into. Nothing here keeps the original text.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

__all__ = [
    "CHANNEL_PLACEHOLDER",
    "MENTION_PLACEHOLDER",
    "URL_PLACEHOLDER",
    "normalize",
    "normalize_reaction",
]

#: What a user mention (<@U123>, <@U123|ana>) becomes. Patterns may refer to it as `@user`.
MENTION_PLACEHOLDER: Final = "@user"
#: What a channel link without a label becomes; labelled links keep `#label`.
CHANNEL_PLACEHOLDER: Final = "#channel"
#: What a bare link (<https://…>) becomes; labelled links keep their label.
URL_PLACEHOLDER: Final = "[url]"

_CODE_BLOCK = re.compile(r"```.*?(?:```|$)", re.DOTALL)
_INLINE_CODE = re.compile(r"`[^`\n]*`")
_ANGLE = re.compile(r"<([^<>]*)>")
_EMOJI = re.compile(r":([a-z0-9_+\-']+)(?:::skin-tone-\d)?:")
_BARE_URL = re.compile(r"\bhttps?://\S+")
_FORMAT_MARKS = re.compile(r"(?<![\w])[*_~]+|[*_~]+(?![\w])")
_SPACE = re.compile(r"[^\S\n]+")
_NEWLINES = re.compile(r"\s*\n\s*")
_BLOCKQUOTE = re.compile(r"^(?:&gt;|>).*$", re.MULTILINE)
_DOUBLE_QUOTED = re.compile(r'"[^"\n]{1,200}"')
#: a dictated "?" (phone dictation spells it out when the user says it): questions are read by
#: their "?", so a spoken one must count as one
_SPOKEN_QUESTION = re.compile(r" *\bquestion mark\b")
# English contractions lose their apostrophe ("i'll" -> "ill", "don't" -> "dont") because people
# type them both ways; any other apostrophe (French elision, quoting) becomes a space.
_CONTRACTION = re.compile(r"'(?=(?:ll|m|s|re|ve|d|t)\b)")

_QUOTE_FOLD: Final = str.maketrans(
    {
        "\u2018": "'",  # ‘
        "\u2019": "'",  # ’
        "\u201a": "'",  # ‚
        "\u201b": "'",  # ‛
        "\u2032": "'",  # ′
        "\u00b4": "'",  # ´
        "`": "'",
        "\u201c": '"',  # “
        "\u201d": '"',  # ”
        "\u201e": '"',  # „
        "\u00ab": '"',  # «
        "\u00bb": '"',  # »
        "\u2013": "-",  # –
        "\u2014": "-",  # —
        "\u2026": "...",  # …
        "\u00a0": " ",  # no-break space
        "\u00bf": " ",  # ¿ (Spanish opening question mark carries no meaning for matching)
        "\u00a1": " ",  # ¡
        # Arabic-script punctuation ends clauses and questions like its Latin counterpart
        "\u060c": ",",  # ، Arabic comma
        "\u061b": ";",  # ؛ Arabic semicolon
        "\u061f": "?",  # ؟ Arabic question mark
        # Vietnamese đ is a letter of its own (no accent to strip), typed "d" without a
        # Vietnamese keyboard: fold it the way accents are folded
        "\u0111": "d",  # đ
        "\u0110": "D",  # Đ
    }
)

_HTML_ENTITIES: Final = (("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&"))


def _replace_angle(match: re.Match[str]) -> str:
    """Slack wraps mentions, channels, special mentions and links in <…>."""
    inner = match.group(1)
    if not inner:
        return " "
    head, _, label = inner.partition("|")
    sigil = head[0]
    if sigil == "@":
        return f" {MENTION_PLACEHOLDER} "
    if sigil == "#":
        return f" #{label} " if label else f" {CHANNEL_PLACEHOLDER} "
    if sigil == "!":
        # <!here>, <!channel>, <!subteam^S123|@sales>, <!date^…|fallback>
        name = head[1:].split("^", 1)[0]
        if name == "subteam":
            return f" {MENTION_PLACEHOLDER} "
        if name == "date":
            return f" {label} " if label else " "
        return f" @{name} "
    if label:
        return f" {label} "
    if head.startswith(("http://", "https://", "mailto:", "tel:")):
        return f" {URL_PLACEHOLDER} "
    # Not Slack markup (someone typed a literal "<…>" that Slack did not escape): keep words.
    return f" {inner} "


def _replace_emoji(match: re.Match[str]) -> str:
    """Keep emoji as `:name:` tokens (skin tone dropped) so rules can match ✅-style closers."""
    return f" :{match.group(1)}: "


def normalize(text: str) -> str:
    """Return `text` folded for matching: markup resolved, code and quotes removed, case-folded.

    Newlines survive (as single ``\\n``) because rules treat them as sentence ends; other
    whitespace collapses to one space. Quoted material (``> blockquotes`` and "double-quoted"
    runs) is dropped: it is somebody else's words, not the author's commitment.
    Deterministic and idempotent on its own output.
    """
    if "`" in text:
        text = _CODE_BLOCK.sub(" ", text)
        text = _INLINE_CODE.sub(" ", text)
    if "&gt;" in text or text.startswith(">"):
        text = _BLOCKQUOTE.sub(" ", text)
    if "<" in text:
        text = _ANGLE.sub(_replace_angle, text)
    if "&" in text:
        for entity, char in _HTML_ENTITIES:
            text = text.replace(entity, char)
    if "http" in text:
        text = _BARE_URL.sub(URL_PLACEHOLDER, text)
    if not text.isascii() or "`" in text:
        # every other character `_QUOTE_FOLD` maps is non-ASCII: plain ASCII text is skipped
        text = text.translate(_QUOTE_FOLD)
    text = text.casefold()
    if not text.isascii():
        # Fold accents so "llamaré" and "llamare" (accent skipped on a phone) match alike.
        decomposed = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    if '"' in text:
        text = _DOUBLE_QUOTED.sub(" ", text)
    if "question mark" in text:
        text = _SPOKEN_QUESTION.sub("?", text)
    if "'" in text:
        text = _CONTRACTION.sub("", text).replace("'", " ")
    if ":" in text:
        text = _EMOJI.sub(_replace_emoji, text)
    if "*" in text or "_" in text or "~" in text:
        text = _FORMAT_MARKS.sub(" ", text)
    if not text.isprintable() or "  " in text:
        # whitespace other than a single " " is never printable, so text that is printable
        # and has no double space has nothing to collapse
        text = _SPACE.sub(" ", text)
    if "\n" in text:
        text = _NEWLINES.sub("\n", text)
    return text.strip()


def normalize_reaction(name: str) -> str:
    """Reaction names arrive as `white_check_mark` or `white_check_mark::skin-tone-3`."""
    return name.strip().strip(":").split("::", 1)[0].casefold()
