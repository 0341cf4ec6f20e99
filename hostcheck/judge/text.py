"""Person-read text with facts filled in.

`string.Template` rather than `str.format`: a template from rule data cannot walk
attributes of its arguments. Names may hold dots (`${kernel.release}`,
`${item.name}`). A dotted name that is not known becomes "?" -- text never
crashes a report. An undotted name that is not a fact (`$USER`, `${HOME}` in a
remediation command) is left as written, for the shell that will run it.
"""

import re
import string

MISSING = "?"
_EMPTY = {"en": "none", "zh": "无"}
_BOOL = {"en": ("no", "yes"), "zh": ("否", "是")}


class FactTemplate(string.Template):
    idpattern = r"[_a-zA-Z][_a-zA-Z0-9]*(?:\.[_a-zA-Z0-9]+)*"

    def render(self, lookup, lang="en"):
        """Fill placeholders with `lookup(name)` -> (known, value)."""

        def fill(match):
            name = match.group("named") or match.group("braced")
            if name is not None:
                known, value = lookup(name)
                if known:
                    return format_value(value, lang)
                return MISSING if "." in name else match.group(0)
            if match.group("escaped") is not None:
                return self.delimiter
            return match.group(0)   # a lone '$' or '$(' stays as written

        return self.pattern.sub(fill, self.template)


def format_value(value, lang="en", limit=None):
    """A fact value as a person reads it: lists joined with ', ' (Chinese: the enumeration comma 、).

    With `limit`, a list or mapping stops growing once the text is longer than `limit`
    characters: the same text up to there, for a caller that shows no more (evidence
    shows 120 characters of kernel.config_enabled's ~1,200 options).
    """
    joiner = _JOIN.get(lang, ", ")
    if isinstance(value, bool):
        return _BOOL.get(lang, _BOOL["en"])[value]
    if isinstance(value, (list, tuple)):
        if not value:
            return _EMPTY.get(lang, _EMPTY["en"])
        parts = (format_value(part, lang) for part in value)
    elif isinstance(value, dict):
        if not value:
            return _EMPTY.get(lang, _EMPTY["en"])
        parts = (str(key) for key in value)
    elif value is None:
        return MISSING
    else:
        return str(value)
    if limit is None:
        return joiner.join(parts)
    kept, size = [], -len(joiner)
    for part in parts:
        kept.append(part)
        size += len(joiner) + len(part)
        if size > limit:
            break
    return joiner.join(kept)


_JOIN = {"zh": "、"}

# The parsers' reasons for an unknown fact ("SOURCE: CODE (detail)") are written once, in
# English; Chinese reports translate their fixed words and keep paths and commands as they are.
# Compiled on the first Chinese report (_zh_reasons).
_ZH_REASON_PATTERNS = (
    (r": not captured \(psutil not available\)", "：未采集（psutil 不可用）"),
    (r": not captured", "：未采集"),
    (r": not_found", "：不存在"),
    (r": permission_denied \(needs root\)", "：权限不足（需要 root）"),
    (r": permission_denied", "：权限不足"),
    (r": not_running", "：未运行"),
    (r": timeout", "：超时"),
    (r": skipped", "：已跳过"),
    (r": error", "：出错"),
    (r"^Docker engine not running$", "Docker 引擎未运行"),
    (r"^Docker is not installed$", "未安装 Docker"),
    (r" and (/\S+)", r" 和 \1"),
    (r"; ", "；"),
)
_ZH_REASONS = []


def _zh_reasons():
    if not _ZH_REASONS:
        _ZH_REASONS.extend((re.compile(pattern), replacement) for pattern, replacement in _ZH_REASON_PATTERNS)
    return _ZH_REASONS


def localise_reason(text, lang):
    """A reason for an unknown, in the report's language (only Chinese needs work)."""
    if lang != "zh" or not text:
        return text
    for pattern, replacement in _zh_reasons():
        text = pattern.sub(replacement, text)
    return text
_CACHE = {}


def render(text, lookup, lang="en"):
    """Render one template string (templates are cached: rules repeat them)."""
    if not text or "$" not in text:
        return text or ""
    template = _CACHE.get(text)
    if template is None:
        template = _CACHE[text] = FactTemplate(text)
    return template.render(lookup, lang)


def pick(texts, lang="en"):
    """The `lang` entry of an {en, zh} text (English when the language is missing)."""
    if texts is None:
        return ""
    if isinstance(texts, str):
        return texts
    return texts.get(lang) or texts.get("en") or ""


def placeholders(text):
    """Names a template string reads (for validation)."""
    names = []
    for match in FactTemplate.pattern.finditer(text or ""):
        name = match.group("named") or match.group("braced")
        if name:
            names.append(name)
    return names
