"""Variable interpolation of the compose specification, and `.env` files.

    ${VAR} $VAR         the value; an unset variable is the empty string (and a warning)
    ${VAR:-default}     default when VAR is unset or empty;  ${VAR-default}: when unset
    ${VAR:?message}     an error when VAR is unset or empty; ${VAR?message}: when unset
    ${VAR:+other}       other when VAR is set and not empty; ${VAR+other}: when set
    $$                  a literal $
Defaults and replacements may hold ${...} themselves (docker compose v2 allows nesting).

>>> env = {"PORT": "8080", "EMPTY": ""}
>>> interpolate("${PORT}:80 ${EMPTY:-x} ${EMPTY-y} $$HOME ${NOPE:-${PORT}}", env)
'8080:80 x  $HOME 8080'
>>> try:
...     interpolate("${DB_PASSWORD:?set it in .env}", env)
... except InterpolationError as exc:
...     print(exc)
required variable DB_PASSWORD is missing a value: set it in .env
>>> parse_env_file('# shop\\nexport TAG=1.2  # pinned\\nNAME="shop ${TAG}"\\nRAW=\\'${TAG}\\'\\n', {})
{'TAG': '1.2', 'NAME': 'shop 1.2', 'RAW': '${TAG}'}
"""

import re

_NAME = re.compile(r"[_a-zA-Z][_a-zA-Z0-9]*")
_OPERATORS = (":-", ":?", ":+", "-", "?", "+")
MAX_VALUE = 64 * 1024          # one interpolated string
MAX_TOTAL = 4 * 1024 * 1024    # everything a file's interpolation may produce
MAX_NESTING = 16


class InterpolationError(ValueError):
    """A ${VAR:?} without a value, or a malformed reference: one line."""


class Interpolator(object):
    """Interpolates strings against `env`, within a budget; records unset variables."""

    def __init__(self, env):
        self.env = env
        self.unset = []
        self.produced = 0

    def string(self, text, where=""):
        value = self._expand(text, 0, where)
        if len(value) > MAX_VALUE:
            raise InterpolationError("%sinterpolation makes a value longer than %d KiB" % (_at(where), MAX_VALUE // 1024))
        self.produced += len(value)
        if self.produced > MAX_TOTAL:
            raise InterpolationError("interpolation produces more than %d MiB of text" % (MAX_TOTAL // 1024 // 1024))
        return value

    def tree(self, value, where=""):
        """A copy of `value` with every string value interpolated (mapping keys are not)."""
        if isinstance(value, str):
            return self.string(value, where)
        if isinstance(value, dict):
            return dict((key, self.tree(item, "%s.%s" % (where, key) if where else str(key)))
                        for key, item in value.items())
        if isinstance(value, list):
            return [self.tree(item, "%s[%d]" % (where, index)) for index, item in enumerate(value)]
        return value

    def _lookup(self, name, plain=True):
        """The variable's value, None when unset (noted when used without a default)."""
        value = self.env.get(name)
        if plain and value is None and name not in self.unset:
            self.unset.append(name)
        return value

    def _expand(self, text, depth, where):
        if depth > MAX_NESTING:
            raise InterpolationError("%s${...} nested deeper than %d levels" % (_at(where), MAX_NESTING))
        if "$" not in text:
            return text
        out, index, size = [], 0, len(text)
        while index < size:
            char = text[index]
            if char != "$":
                out.append(char)
                index += 1
                continue
            following = text[index + 1:index + 2]
            if following == "$":
                out.append("$")
                index += 2
            elif following == "{":
                value, index = self._braced(text, index + 2, depth, where)
                out.append(value)
            else:
                match = _NAME.match(text, index + 1)
                if not match:
                    raise InterpolationError("%sinvalid interpolation format in %r: a lone $ (write $$ for a dollar)"
                                             % (_at(where), _short(text)))
                out.append(self._lookup(match.group(0)) or "")
                index = match.end()
        return "".join(out)

    def _braced(self, text, start, depth, where):
        """(value, index after the closing brace) of the ${...} whose name starts at `start`."""
        match = _NAME.match(text, start)
        if not match:
            raise InterpolationError("%sinvalid interpolation format in %r" % (_at(where), _short(text)))
        name, index = match.group(0), match.end()
        if text[index:index + 1] == "}":
            return self._lookup(name) or "", index + 1
        operator = next((op for op in _OPERATORS if text.startswith(op, index)), None)
        if operator is None:
            raise InterpolationError("%sinvalid interpolation format in %r" % (_at(where), _short(text)))
        end = _closing(text, index + len(operator))
        if end is None:
            raise InterpolationError("%sunclosed ${ in %r" % (_at(where), _short(text)))
        argument = text[index + len(operator):end]
        value = self._lookup(name, plain=False)
        is_set, non_empty = value is not None, bool(value)
        holds = non_empty if operator.startswith(":") else is_set
        if operator.endswith("-"):
            result = value if holds else self._expand(argument, depth + 1, where)
        elif operator.endswith("+"):
            result = self._expand(argument, depth + 1, where) if holds else ""
        else:
            if not holds:
                message = argument or ("empty" if is_set else "unset")
                raise InterpolationError("required variable %s is missing a value: %s" % (name, message))
            result = value
        return result or "", end + 1


def _closing(text, index):
    """Index of the `}` closing a ${ whose argument starts at `index` (nested ${} counted)."""
    depth = 0
    while index < len(text):
        if text.startswith("$$", index):
            index += 2
            continue
        if text.startswith("${", index):
            depth += 1
            index += 2
            continue
        if text[index] == "}":
            if depth == 0:
                return index
            depth -= 1
        index += 1
    return None


def _at(where):
    return "%s: " % where if where else ""


def _short(text):
    return text if len(text) <= 80 else text[:77] + "..."


def interpolate(text, env):
    return Interpolator(env).string(text)


# ---------------------------------------------------------------- .env files

_ENV_LINE = re.compile(r"^\s*(?:export\s+)?([_a-zA-Z][_a-zA-Z0-9.-]*)\s*=\s*(.*)$")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "$": "$$"}


def parse_env_file(text, environ, name=".env"):
    """{KEY: value} of an .env file, in order. Values may refer to earlier keys and to the
    environment (which wins); single quotes are literal, double quotes take \\n \\" \\\\.
    InterpolationError names the line that cannot be read."""
    values = {}
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        match = _ENV_LINE.match(line)
        if not match:
            raise InterpolationError("%s line %d: expected KEY=VALUE" % (name, number))
        key, raw = match.group(1), match.group(2).strip()
        lookup = dict(values, **environ)
        if raw.startswith("'"):
            if not raw.endswith("'") or len(raw) < 2:
                raise InterpolationError("%s line %d: unclosed single quote" % (name, number))
            values[key] = raw[1:-1]
            continue
        if raw.startswith('"'):
            raw = _double_quoted(raw)
            if raw is None:
                raise InterpolationError("%s line %d: unclosed double quote" % (name, number))
        else:
            raw = re.split(r"\s+#", raw, 1)[0].rstrip()
        try:
            values[key] = interpolate(raw, lookup)
        except InterpolationError as exc:
            raise InterpolationError("%s line %d: %s" % (name, number, exc))
    return values


def _double_quoted(raw):
    """The text between the double quotes that open `raw`, escapes read; None when unclosed.
    An escaped dollar stays escaped ($$) for the interpolation that follows."""
    out, index = [], 1
    while index < len(raw):
        char = raw[index]
        if char == "\\" and index + 1 < len(raw):
            out.append(_ESCAPES.get(raw[index + 1], "\\" + raw[index + 1]))
            index += 2
            continue
        if char == '"':
            return "".join(out)
        out.append(char)
        index += 1
    return None
