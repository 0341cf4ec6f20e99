"""Keep secrets on the host, and pseudonymise names and addresses on request.

scrub_secrets(obj)  -- always applied by the capture, to every string of the document
                       (files, command output, engine answers, process table, logs):
                       container/image `Env` values, and any value that is a secret by its
                       key or by its shape, become "<redacted>" -- the key and the shape stay
                       (`REGISTRY_PASSWORD=<redacted>`, `--password <redacted>`,
                       `https://user:<redacted>@host`, `Bearer <redacted>`).
scrub_text(text)    -- the same for one free text (a file, a command line, a log line).
scrub_argv(words)   -- the same for one argument list (`--password VALUE` as two items).
pseudonymise(doc)   -- `--redact`: hostnames and MAC addresses become consistent tokens;
                       IPv4/IPv6 addresses are mapped prefix-preservingly (Crypto-PAn style,
                       keyed by a per-run random key), in dotted/colon text and in the hex
                       forms of /proc/net/{tcp,udp,...,route}. Loopback, unspecified,
                       link-local and multicast addresses stay as they are, and the
                       private/shared ranges stay inside their range, so rules about "only
                       loopback nameservers" or "subnet overlaps" judge the same way.

What is a secret (scrub_text), each form linear in the text's length:
  * PEM private-key blocks (`-----BEGIN … PRIVATE KEY-----`): the body;
  * JWTs (`eyJ….eyJ….…`), well-known token formats (`ghp_…`, `glpat-…`, `xoxb-…`);
  * `Bearer`/`Basic` values, and the value of `Authorization:`-like headers;
  * credentials in URLs: `scheme://user:PASS@host`, `scheme://TOKEN@host`, and without a
    scheme `user:PASS@host` (dracut's `netroot=iscsi:user:pass@…`), passwords holding `/`
    or `@` included;
  * the value of an assignment, JSON pair, YAML line or command-line option whose key
    names a password, token, secret or key (`is_secret_key`): `X_PASSWORD=…` wherever it
    stands (inside `Environment="…"` too), `"auth": "…"`, `password: …`, `--db-pass=…`,
    `--token VALUE`, `-Dkeystore.password=…`, `rd.luks.key=…`;
  * tool-specific flags: `mysql -pPASS`, `sshpass -p`, `redis-cli -a`, `mongo -p`,
    `ldapsearch -w`, `sqlcmd -P`, `docker|podman|… login -p`, `curl -u user:PASS`,
    `smbclient -U user%PASS`, `openssl -k`.
Values that are no secret whatever the key (`y`, `no`, `true`, `0`, `$VAR`, empty) stay, so
`CONFIG_SECRETMEM=y` or `MYSQL_ALLOW_EMPTY_PASSWORD=yes` still read as they were.

All walk any JSON value (a capture or a report) iteratively, whatever its nesting, and
return a new one. Standard library only, Python 3.6+.
"""

import os
import re

REDACTED = "<redacted>"

# ------------------------------------------------------------------ which keys are secret

# On the key lower-cased with everything but letters and digits removed ("DB-Pass" ->
# "dbpass"), so that snake, kebab, dotted and camel case read the same.
_SECRET_WORDS = re.compile(
    r"passw(?:or)?d|passphrase|passcode|secret|token|credential|apikey|privatekey|accesskey|"
    r"authkey|authtoken|authconfig|encryptionkey|signingkey|masterkey|licensekey|sessionkey|"
    r"bearer|lukskey|cryptkey|(?:pass|pwd|creds)$|^(?:passin|passout)$|authorization$")
# ... and still no secret: the word is a metadata noun about the secret (docker's
# `MYSQL_ROOT_PASSWORD_FILE=/run/secrets/db` names a path), or an ordinary word.
_NOT_SECRET = re.compile(
    r"(?:file|path|dir|url|uri|endpoint|host|port|name|type|helper|plugin)$|"
    r"(?:bypass|compass|surpass|trespass|overpass|underpass|askpass)$|^(?:old)?pwd$")
# `auth` as the last segment of a key: docker's config.json `auths`/`auth`, `registry-auth`.
_AUTH_SEGMENT = re.compile(r"(?:^|[_.-])auths?$", re.IGNORECASE)
_secret_keys = {}


def is_secret_key(key):
    """Does this key (variable, option, label, JSON key) name a password, token or key?

    >>> [k for k in ("REGISTRY_PASSWORD", "--db-pass", "splunk-token", "rd.luks.key", "apiKey",
    ...              "auth", "MYSQL_ROOT_PASSWORD_FILE", "Author", "bypass", "PWD", "TokenRequired")
    ...  if is_secret_key(k)]
    ['REGISTRY_PASSWORD', '--db-pass', 'splunk-token', 'rd.luks.key', 'apiKey', 'auth', 'TokenRequired']
    """
    # Memoised: an engine answer repeats the same few hundred keys thousands of times.
    verdict = _secret_keys.get(key)
    if verdict is None:
        norm = re.sub(r"[^a-z0-9]", "", key.lower())
        verdict = ((_SECRET_WORDS.search(norm) is not None or _AUTH_SEGMENT.search(key) is not None)
                   and _NOT_SECRET.search(norm) is None)
        if len(_secret_keys) > 20000:  # a hostile document's keys must not grow it forever
            _secret_keys.clear()
        _secret_keys[key] = verdict
    return verdict


# A value that discloses nothing, whatever its key: a flag, an empty or already redacted
# value, a variable reference, masked stars.
_PLACEHOLDER = re.compile(
    r"(?i)(?:y|n|m|yes|no|true|false|on|off|0|1|none|null|nil|\**|<redacted>|"
    r"\$[A-Za-z_]\w*|\$\{[A-Za-z_]\w*\}|\$\([A-Za-z_]\w*\)|%[A-Za-z_]\w*%)\Z")


def _placeholder(value):
    return _PLACEHOLDER.match(value) is not None


# ------------------------------------------------------------------ text

# Every secret key (is_secret_key), and every header name of _HEADER, holds one of these
# lower-cased; a Basic credential follows "basic".
_KEY_WORDS = ("pass", "pwd", "secret", "token", "cred", "key", "auth", "bearer", "basic")

_PEM_BEGIN = re.compile(r"-----BEGIN ([A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?)-----")
_JWT = re.compile(r"(?<![\w-])eyJ[\w-]{4,}\.eyJ[\w-]{4,}\.[\w-]*")
_TOKEN_PREFIXES = ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "glpat-", "dckr_pat_", "xox")
_KNOWN_TOKEN = re.compile(r"(?<![\w-])(gh[pousr]_|github_pat_|glpat-|dckr_pat_|xox[abposr]-)[\w-]{10,}")
_HEADER = re.compile(
    r"(?i)(?<![\w-])((?:proxy-)?authorization|x-registry-auth|x-api-key|api-key|private-token|"
    r"x-auth-token|x-vault-token|x-docker-token)([ \t]*[:=][ \t]*)"
    r"((?:bearer|basic|token|digest|negotiate|apikey|key)[ \t]+)?([^\s\"',;]+)")
_SCHEME_VALUE = re.compile(r"(?i)(?<![\w-])(?:(bearer)([ \t]+)([\w.~+/-]+=*)|(basic)([ \t]+)([A-Za-z0-9+/]+=*))")
_DIGIT = re.compile(r"[0-9]")
# A word holding an @ (a word: no whitespace, quotes or angle brackets). The look-behind
# makes every match start at a word's start, so each word is scanned once.
_AT_WORD = re.compile(r"(?<![^\s\"'<>`])[^\s\"'<>`@]*@[^\s\"'<>`]*")
_DIGEST = re.compile(r"[a-z0-9]+:[0-9a-fA-F]{32,}")
_USERNAME = re.compile(r"[a-z][a-z_-]{0,31}\Z")
_SCHEMELESS_USER = re.compile(r"(?:[A-Za-z_][\w.%+-]*)?:")
_HOST_START = re.compile(r"[A-Za-z0-9\[_<]")
# `KEY=` / `--key=` / `key = `; the value is measured by hand (see _scrub_assignments).
_KEY_EQ = re.compile(r"(?<![\w.-])(-{0,2}[A-Za-z_][\w.-]*)([ \t]*=[ \t]*)")
# An unquoted value: to whitespace or a quote (\" does not end it, an escaped \n does), or
# to a , & ; that starts the next assignment (password=x,uid=0 / ?token=x&page=2).
_UNQUOTED = re.compile(r"(?:[^\s\"'\\,&;]+|\\[^nrt]|[,&;](?!-{0,2}[A-Za-z_][\w.-]*=))*")
# The inside of a quoted value, up to its closing quote or the end of the line.
_QUOTED_BODY = {'"': re.compile(r'(?:[^"\\\n]+|\\.)*'), "'": re.compile(r"(?:[^'\\\n]+|\\.)*")}
_JSON_PAIR = re.compile(r'"((?:[^"\\\n]|\\.)*)"(\s*:\s*)("(?:[^"\\\n]|\\.)*"|-?\d[\d.eE+-]*)')
_YAML_PAIR = re.compile(r"(?m)^([ \t]*(?:-[ \t]+)?)([A-Za-z_][\w.-]*)([ \t]*:[ \t]+)([^\n]*)")

_TEXT_CACHE = {}


def scrub_text(text):
    """`text` with every secret form of the module docstring redacted.

    >>> scrub_text('Environment="SOME_PASSWORD=s3cr3t" "B_TOKEN=x1y2"')
    'Environment="SOME_PASSWORD=<redacted>" "B_TOKEN=<redacted>"'
    >>> scrub_text("mysql -uroot -pS3cret --password hunter2 -h db https://u:p@ss/w0rd@reg.example")
    'mysql -uroot -p<redacted> --password <redacted> -h db https://u:<redacted>@reg.example'
    """
    if len(text) < 4:
        return text
    short = len(text) <= 512
    if short:
        cached = _TEXT_CACHE.get(text)
        if cached is not None:
            return cached
    # Cheap substring tests (C speed) decide which passes run, and the line-based passes
    # only see the lines that hold a hint: a kernel configuration or a changelog of
    # thousands of lines costs a few finds, not a dozen regex scans.
    low = text.lower()
    if short and not _ANY_HINT.search(low):
        _remember(text, text)
        return text
    out = text
    if "private key" in low:
        out = _scrub_pem(out)
    if "eyJ" in out:
        out = _JWT.sub(REDACTED, out)
    if any(prefix in out for prefix in _TOKEN_PREFIXES):
        out = _KNOWN_TOKEN.sub(lambda m: m.group(1) + REDACTED, out)
    if out is not text:
        low = out.lower()
    if "@" in out:
        out = _on_lines(out, low, ("@",), _scrub_at_line)
        low = out.lower()
    out = _on_lines(out, low, _LINE_HINTS, _scrub_line)
    if short:
        _remember(text, out)
    return out


def _remember(text, scrubbed):
    if len(_TEXT_CACHE) > 20000:  # bounded: a hostile document must not grow it forever
        _TEXT_CACHE.clear()
    _TEXT_CACHE[text] = scrubbed


def _on_lines(text, low, words, scrub):
    """`scrub` applied to each line of `text` that holds one of `words` (in `low`)."""
    spans = []
    for word in words:
        pos = low.find(word)
        while pos >= 0:
            start = low.rfind("\n", 0, pos) + 1
            end = low.find("\n", pos)
            end = len(low) if end < 0 else end
            # A kernel configuration's flag lines (CONFIG_KEYS=y, # CONFIG_X is not set) hold
            # no secret: not worth a scan (thousands of them name KEY, AUTH, PASS).
            if not _FLAG_LINE.match(text, start, end):
                spans.append((start, end))
            pos = low.find(word, end)
    if not spans:
        return text
    spans.sort()
    parts, pos = [], 0
    for start, end in spans:
        if start < pos:
            continue  # the same line, found by another word
        parts.append(text[pos:start])
        parts.append(scrub(text[start:end]))
        pos = end
    parts.append(text[pos:])
    return "".join(parts)


def _scrub_at_line(line):
    return _AT_WORD.sub(lambda m: _scrub_at_word(m.group(0)), line)


def _scrub_line(line):
    """The key- and tool-based forms of one line that names a secret word or a tool."""
    line = _HEADER.sub(_redact_header, line)
    line = _SCHEME_VALUE.sub(_redact_scheme_value, line)
    if "=" in line:
        line = _scrub_assignments(line)
    if '"' in line:
        line = _JSON_PAIR.sub(_redact_json_pair, line)
    if ":" in line:
        line = _YAML_PAIR.sub(_redact_yaml_pair, line)
    return _scrub_command_words(line)


def _scrub_pem(text):
    """The body of each PEM private-key block; an unterminated block to the end of the text."""
    parts, pos = [], 0
    while True:
        match = _PEM_BEGIN.search(text, pos)
        if match is None:
            break
        body = match.end()
        if text.startswith("\\n", body):   # the block inside a JSON or escaped string
            newline = "\\n"
        elif text.startswith("\r\n", body):
            newline = "\r\n"
        elif text.startswith("\n", body):
            newline = "\n"
        else:
            newline = " "
        end = text.find("-----END ", body)
        close = text.find("-----", end + 9) if end >= 0 else -1
        parts.append(text[pos:body] + newline + REDACTED)
        if close < 0:
            pos = len(text)
            break
        parts.append(newline + text[end:close + 5])
        pos = close + 5
    parts.append(text[pos:])
    return "".join(parts)


def _redact_header(match):
    value = match.group(4)
    if value == REDACTED:
        return match.group(0)
    return match.group(1) + match.group(2) + (match.group(3) or "") + REDACTED


def _redact_scheme_value(match):
    scheme, space, value = match.group(1, 2, 3) if match.group(1) else match.group(4, 5, 6)
    # A credential (base64, hex, a JWT) has a digit or mixed case; prose after the word
    # ("Basic Arithmetic", "basic read/write", "basic SECURITY.md") has neither.
    mixed_case = value[1:] != value[1:].lower() and value != value.upper()
    if len(value) < 8 or not (mixed_case or _DIGIT.search(value)):
        return match.group(0)
    return scheme + space + REDACTED


def _scrub_at_word(word):
    """Credentials in the URLs (with or without a scheme) of one word holding an @."""
    scheme = word.find("://")
    if scheme < 0:
        return _scrub_schemeless(word)
    out = [_scrub_schemeless(word[:scheme + 3])]  # e.g. HTTP_PROXY=u:p@proxy,https://
    pos = scheme + 3
    while True:
        following = word.find("://", pos)
        region_end = len(word) if following < 0 else following
        if following >= 0:  # the next URL's scheme name is not part of this one
            while region_end > pos and (word[region_end - 1].isalnum() or word[region_end - 1] in "+.-"):
                region_end -= 1
        out.append(_scrub_authority(word[pos:region_end]))
        if following < 0:
            return "".join(out)
        out.append(word[region_end:following + 3])
        pos = following + 3


def _scrub_authority(region):
    """`user:pass@host/…` after a scheme's `://`."""
    at = region.rfind("@")
    if at < 0:
        return region
    head_end = len(region)
    for mark in "/?#":
        index = region.find(mark)
        if 0 <= index < head_end:
            head_end = index
    head = region[:head_end]
    if "@" not in head:
        # No @ before the path: credentials only if a password holding "/" broke the
        # authority (`user:pa/ss@host`); `host:8080/@scope` and `[::1]:80/x@y` are paths.
        if ":" not in head or head.startswith("["):
            return region
        if head.split(":", 1)[1].isdigit():
            return region
    # The last @ followed by a host ends the user information (passwords may hold @ and /).
    while at > 0 and not _HOST_START.match(region, at + 1):
        at = region.rfind("@", 0, at)
    if at <= 0:
        return region
    return _redact_userinfo(region[:at], token_needs_shape=False) + region[at:]


def _scrub_schemeless(text):
    """`user:pass@host` without a scheme, in each `=`/`,`/`;`-separated part of a word."""
    if "@" not in text:
        return text
    pieces = re.split(r"([=,;(])", text)
    for index in range(0, len(pieces), 2):
        piece = pieces[index]
        at = piece.rfind("@")
        while at > 0 and not _HOST_START.match(piece, at + 1):
            at = piece.rfind("@", 0, at)
        if at <= 0 or _DIGEST.match(piece, at + 1):  # image@sha256:… is a reference, not a login
            continue
        if ":" in piece[:at] and not _SCHEMELESS_USER.match(piece):  # 2017-05-16T16:23:52!x@y
            continue
        pieces[index] = _redact_userinfo(piece[:at], token_needs_shape=True) + piece[at:]
    return "".join(pieces)


def _redact_userinfo(userinfo, token_needs_shape):
    if ":" in userinfo:
        user, _, password = userinfo.partition(":")
        return userinfo if password == REDACTED else user + ":" + REDACTED
    if userinfo == REDACTED or _USERNAME.match(userinfo):  # git@, admin@: a user, no secret
        return userinfo
    if token_needs_shape:
        # Without a scheme, TOKEN@host reads like an e-mail address or a Message-ID: only
        # the well-known token formats are taken for tokens (and _KNOWN_TOKEN did those).
        return userinfo
    return REDACTED


def _scrub_assignments(text):
    """`KEY=value` wherever it stands: the value of a secret KEY is redacted, and a KEY that
    is no secret is not allowed to swallow the assignments inside its value
    (`Environment="X_PASSWORD=…"`, `--label a_token=…`, `--from-literal=password=…`)."""
    parts, pos, search = [], 0, 0
    while True:
        match = _KEY_EQ.search(text, search)
        if match is None:
            break
        key = match.group(1)
        start = match.end()
        search = start
        if not is_secret_key(key) or text.startswith("=", start):  # `token == 0` is a comparison
            continue
        if key.startswith("-") and match.group(2) != "=":  # prose: "--passphrase= can be empty"
            continue
        end = _value_end(text, match.start(1), start, dashed=key.startswith("-"))
        value = text[start:end]
        inner = value[1:-1] if len(value) >= 2 and value[0] in "\"'" and value[-1] == value[0] else value
        if not inner or _placeholder(inner):
            search = end
            continue
        quote = value[0] if inner is not value else ""
        parts.append(text[pos:start] + quote + REDACTED + quote)
        pos = search = end
    if not parts:
        return text
    parts.append(text[pos:])
    return "".join(parts)


def _value_end(text, key_start, start, dashed):
    if start < len(text) and text[start] in "\"'":
        end = _QUOTED_BODY[text[start]].match(text, start + 1).end()
        return end + 1 if text.startswith(text[start], end) else end
    if not dashed and key_start > 0 and text[key_start - 1] in "\"'":
        # "KEY=value with spaces": the quote opened before the key closes the value.
        return _QUOTED_BODY[text[key_start - 1]].match(text, start).end()
    return _UNQUOTED.match(text, start).end()


def _redact_json_pair(match):
    value = match.group(3)
    inner = value[1:-1] if value.startswith('"') else value
    if not is_secret_key(match.group(1)) or _placeholder(inner):
        return match.group(0)
    return '"%s"%s"%s"' % (match.group(1), match.group(2), REDACTED)


def _redact_yaml_pair(match):
    value = match.group(4).rstrip("\r \t")
    quoted = len(value) > 1 and value[0] in "\"'" and value[-1] == value[0]
    if (not is_secret_key(match.group(2)) or _placeholder(value.strip("\"'")) or REDACTED in value
            or value[:1] in ("{", "[", "|", ">", "&")  # a nested YAML value, or done already
            or not quoted and (" " in value or "\t" in value)):  # prose: `auth: fix a leak`
        return match.group(0)
    quote = value[0] if value[:1] in ("'", '"') and value[-1:] == value[0] and len(value) > 1 else ""
    return (match.group(1) + match.group(2) + match.group(3) + quote + REDACTED + quote
            + match.group(4)[len(match.group(4).rstrip("\r \t")):])


# ------------------------------------------------------------------ argument lists

_MYSQL = ("mysql", "mysqldump", "mysqladmin", "mysqlimport", "mysqlcheck", "mysqlshow", "mysqlpump",
          "mysqlslap", "mysqlbinlog", "mariadb", "mariadb-dump", "mariadb-admin", "mariadb-import",
          "mariadb-check", "mariadb-show", "mariadb-slap", "mariadb-binlog")
_MONGO = ("mongo", "mongosh", "mongodump", "mongorestore", "mongoexport", "mongoimport", "mongostat",
          "mongotop", "mongofiles")
_LDAP = ("ldapsearch", "ldapadd", "ldapmodify", "ldapdelete", "ldapwhoami", "ldapcompare", "ldapmodrdn",
         "ldapexop", "ldappasswd")
_SAMBA = ("smbclient", "smbget", "rpcclient", "smbcacls", "smbcquotas")
# Registry clients whose `login` takes -p PASSWORD (elsewhere `docker -p` publishes a port).
_LOGIN_TOOLS = frozenset(("docker", "podman", "buildah", "skopeo", "nerdctl", "helm", "oras", "crane",
                          "regctl"))
# tool -> {flag: (how the value is given: "attached" (-pVALUE), "next" (-p VALUE) or "both",
#                 which part is secret: "all", "after:" (user:PASS), "after%" (user%PASS))}
_TOOL_FLAGS = {}
for _name in _MYSQL:
    _TOOL_FLAGS[_name] = {"-p": ("attached", "all")}
for _name in _MONGO:
    _TOOL_FLAGS[_name] = {"-p": ("both", "all")}
for _name in _LDAP:
    _TOOL_FLAGS[_name] = {"-w": ("both", "all")}
_TOOL_FLAGS["ldappasswd"] = {"-w": ("both", "all"), "-s": ("both", "all"), "-a": ("both", "all")}
for _name in _SAMBA:
    _TOOL_FLAGS[_name] = {"-U": ("both", "after%"), "--user": ("both", "after%")}
_TOOL_FLAGS.update({
    "sshpass": {"-p": ("both", "all")},
    "redis-cli": {"-a": ("both", "all")},
    "sqlcmd": {"-P": ("both", "all")},
    "bcp": {"-P": ("both", "all")},
    "curl": {"-u": ("both", "after:"), "--user": ("both", "after:"), "-U": ("both", "after:"),
             "--proxy-user": ("both", "after:")},
    "ctr": {"-u": ("both", "after:"), "--user": ("both", "after:")},
    "openssl": {"-k": ("next", "all")},
    "login": {"-p": ("both", "all")},  # after one of _LOGIN_TOOLS
})
# Every tool name of _TOOL_FLAGS holds one of these (a test checks it): fewer words to find.
_TOOL_STEMS = ("mysql", "mariadb", "mongo", "ldap", "smb", "rpcclient", "sshpass", "redis-cli", "sqlcmd",
               "bcp", "curl", "ctr", "openssl", "login")
# The lines worth the line-based passes hold a secret word or a tool's name.
_LINE_HINTS = _KEY_WORDS + _TOOL_STEMS
# A short text with none of these (in lower case) holds no secret form at all.
_ANY_HINT = re.compile("|".join(re.escape(word) for word in _LINE_HINTS + (
    "eyj", "gh", "glpat-", "dckr_pat_", "xox", "@")))
_FLAG_LINE = re.compile(r"(?:# )?CONFIG_\w+(?:=[ymn]| is not set)\Z")
_SHELL_WORD = re.compile(r"""(?:[^\s"';&|]+|"[^"\n]*"|'[^'\n]*'|["'])+|[;&|]+""")
# An option as a whole word: prose's "--show-session-key." is none.
_OPTION_NAME = re.compile(r"-{1,2}[A-Za-z][\w.-]*[A-Za-z0-9]\Z")
# Words that follow an option named in prose ("the --passphrase option is ...") and are
# no password anyone would choose.
_PROSE = frozenset("""a an and are as be but can does doesn't don't for has if in is isn't it not of on
option options or so that the this to was when where which while with without work works""".split())
_SEPARATORS = frozenset((";", "&&", "||", "|", "&", ";;"))


def _redact_part(value, part):
    if part == "after:":
        user, colon, password = value.partition(":")
        return user + colon + REDACTED if colon and password and not _placeholder(password) else value
    if part == "after%":
        user, percent, password = value.partition("%")
        return user + percent + REDACTED if percent and password else value
    return value if _placeholder(value) else REDACTED


def scrub_argv(words, program=None):
    """An argument list with option values redacted: `--password VALUE` (two items),
    `--db-pass=VALUE`, and the flags of known tools (`mysql -pVALUE`, `curl -u user:VALUE`).
    Each item then goes through scrub_text. Items that are not strings are kept.

    >>> scrub_argv(["mysqladmin", "-uroot", "-pS3cret", "ping", "--password", "hunter2"])
    ['mysqladmin', '-uroot', '-p<redacted>', 'ping', '--password', '<redacted>']
    """
    out = _scrub_words([_unquote(w) if isinstance(w, str) else None for w in words], list(words),
                       _basename(program) if isinstance(program, str) else None)
    return [scrub_text(w) if isinstance(w, str) else w for w in out]


def _unquote(word):
    return word.replace('"', "").replace("'", "") if ('"' in word or "'" in word) else word


def _basename(word):
    return word.rsplit("/", 1)[-1]


def _scrub_words(bare, words, tool=None):
    """bare: the words without quotes (None for a non-string); words: what to return, changed
    where a value is redacted."""
    out = list(words)
    pending = None  # (part) the next word is a secret value
    for index, word in enumerate(bare):
        if word is None:
            pending = None
            continue
        if pending is not None:
            if word and not word.startswith("-") and word not in _SEPARATORS and word.lower().rstrip(".,:;!?)") not in _PROSE:
                _replace(out, index, word, "", _redact_part(word, pending))
            pending = None
            continue
        if word in _SEPARATORS or word.endswith(";"):
            tool = None
            continue
        name = _basename(word)
        if name == "login":
            if tool in _LOGIN_TOOLS:  # `docker login -p`; /bin/login's -p is no password
                tool = "login"
            continue
        if name in _TOOL_FLAGS or name in _LOGIN_TOOLS:
            tool = name
            continue
        if not word.startswith("-") or len(word) < 2:
            continue
        flags = _TOOL_FLAGS.get(tool) or {}
        option, equals, value = word.partition("=")
        spec = flags.get(option if equals and option.startswith("--") else word)
        if spec is not None:
            if equals and option.startswith("--"):
                _replace(out, index, value, option + "=", _redact_part(value, spec[1]))
            elif spec[0] != "attached":
                pending = spec[1]
            continue
        attached = next((f for f in flags if len(f) == 2 and word.startswith(f) and len(word) > 2), None)
        if attached is not None and flags[attached][0] != "next":
            _replace(out, index, word[2:], attached, _redact_part(word[2:], flags[attached][1]))
            continue
        if not equals and _OPTION_NAME.match(word) and is_secret_key(word.lstrip("-")):
            pending = "all"
    return out


def _replace(words, index, value, prefix, redacted):
    # Only a value that changed is rewritten (unquoted); -p"$MYSQL_PWD" stays as written.
    if redacted != value:
        words[index] = prefix + redacted


def _scrub_command_words(line, depth=0):
    """Option values given as the next word (`--password VALUE`) and tool flags
    (`mysql -pVALUE`) in one line read as shell words. A quoted word holding a command
    (`sh -c 'mysql -p…'`) is read as a command line itself, down to three levels of quoting."""
    if "-" not in line:  # every form here has a dashed option
        return line
    spans = [(m.start(), m.end()) for m in _SHELL_WORD.finditer(line)]
    words = [line[a:b] for a, b in spans]
    changed = _scrub_words([_unquote(w) for w in words], words)
    if depth < 3:
        for index, word in enumerate(words):
            if (changed[index] is word and len(word) > 2 and word[0] in "\"'" and word[-1] == word[0]
                    and (" " in word or "\t" in word)):
                changed[index] = word[0] + _scrub_command_words(word[1:-1], depth + 1) + word[0]
    parts, cursor = [], 0
    for (a, b), old, new in zip(spans, words, changed):
        if new != old:
            parts.append(line[cursor:a] + new)
            cursor = b
    parts.append(line[cursor:])
    return "".join(parts)


# ------------------------------------------------------------------ documents

# Keys whose list value is one command's argument list (engine inspect bodies, the process
# table, the capture's own command records).
_ARGV_KEYS = frozenset(("Cmd", "Entrypoint", "Args", "Test", "cmdline", "argv", "Command", "Shell"))
# A dict holding both: one command (`Path` + `Args`, `Entrypoint` + `Cmd`) for tool context.
_ARGV_PAIRS = (("Path", "Args"), ("Entrypoint", "Cmd"))


def _redact_env(values):
    out = []
    for item in values:
        if isinstance(item, str) and "=" in item:
            out.append(item.split("=", 1)[0] + "=" + REDACTED)
        else:
            out.append(scrub_text(item) if isinstance(item, str) else item)
    return out


def _redact_scalar(value):
    if isinstance(value, str):
        return value if _placeholder(value) else REDACTED
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        return value if value in (0, 1) else REDACTED
    return value


def _string_list(value):
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _joined_commands(obj):
    """{key: scrubbed list} for the argv pairs of one dict (see _ARGV_PAIRS)."""
    done = {}
    for first, rest in _ARGV_PAIRS:
        head, tail = obj.get(first), obj.get(rest)
        if not _string_list(tail):
            continue
        if isinstance(head, str):
            joined = scrub_argv([head] + tail)
            done[first], done[rest] = joined[0], joined[1:]
        elif _string_list(head) and head:
            joined = scrub_argv(head + tail)
            done[first], done[rest] = joined[:len(head)], joined[len(head):]
    return done


def scrub_secrets(obj):
    """A copy of `obj` (any JSON value) with secrets redacted (see the module docstring).

    A document nested thousands of levels deep is walked like a flat one: down to
    _FAST_DEPTH levels by recursion (about twice as fast on a container's inspect), deeper
    iteratively (rebuild_json); both give the same copy.
    """
    try:
        return _scrub_value(obj, 0)
    except RecursionError:      # called with little stack left: the walk that needs none
        return rebuild_json(obj, _secret_entries, _scrub_leaf)


# Levels walked by recursion (two or three frames each): a capture document holds engine
# answers three levels down, and an answer nests under 10.
_FAST_DEPTH = 24
# Keys whose entry is always (scrub_text(key), the value walked in turn): neither "Env", a
# secret's name nor an argv key. Memoised like is_secret_key, and bounded alike.
_plain_keys = {}


def _scrub_value(value, depth):
    if isinstance(value, str):
        return _TEXT_CACHE.get(value) or scrub_text(value)
    if isinstance(value, dict):
        return _scrub_dict(value, depth)
    if isinstance(value, list):
        return _scrub_list(value, depth)
    return value


def _scrub_dict(value, depth):
    if depth >= _FAST_DEPTH:
        return rebuild_json(value, _secret_entries, _scrub_leaf)
    joined = _joined_commands(value) if ("Args" in value or "Cmd" in value) else None
    new = {}
    for key, item in value.items():
        new_key = _plain_keys.get(key) if joined is None or key not in joined else None
        final = False
        if new_key is None:
            new_key, item, final = _secret_entry(key, item, joined or {})
        if new_key in new:      # two keys scrub to one: rebuild_json's order decides
            return rebuild_json(value, _secret_entries, _scrub_leaf)
        if final:
            new[new_key] = item
        elif item.__class__ is str:     # the usual cases first, without a call
            new[new_key] = _TEXT_CACHE.get(item) or scrub_text(item)
        elif item.__class__ is dict:
            new[new_key] = _scrub_dict(item, depth + 1)
        else:
            new[new_key] = _scrub_value(item, depth + 1)
    return new


def _scrub_list(value, depth):
    if depth >= _FAST_DEPTH:
        return rebuild_json(value, _secret_entries, _scrub_leaf)
    return [_scrub_value(item, depth + 1) for item in value]


def _scrub_leaf(value):
    return scrub_text(value) if isinstance(value, str) else value


def _secret_entries(obj):
    joined = _joined_commands(obj) if ("Args" in obj or "Cmd" in obj) else {}
    for key, item in obj.items():
        yield _secret_entry(key, item, joined)


def _secret_entry(key, item, joined):
    """(new key, value, final) of one item of a dict whose argv pairs are `joined`: a final
    value is taken as it is, another one is walked in turn."""
    if not isinstance(key, str):
        return key, item, False
    if key in joined:
        return scrub_text(key), joined[key], True
    if key == "Env" and isinstance(item, list):
        return key, _redact_env(item), True
    if is_secret_key(key) and not isinstance(item, (dict, list)):
        return scrub_text(key), _redact_scalar(item), True
    if is_secret_key(key) and isinstance(item, list) and not any(isinstance(i, (dict, list)) for i in item):
        return scrub_text(key), [_redact_scalar(i) for i in item], True
    if key in _ARGV_KEYS and _string_list(item):
        return key, scrub_argv(item), True
    new_key = scrub_text(key)
    if key != "Env" and not is_secret_key(key) and key not in _ARGV_KEYS:
        if len(_plain_keys) > 20000:  # a hostile document's keys must not grow it forever
            _plain_keys.clear()
        _plain_keys[key] = new_key
    return new_key, item, False


def rebuild_json(obj, entries, leaf):
    """A copy of a JSON value, built without recursion (any nesting depth).

    entries(dict) yields (new_key, value, final) per item: a final value is taken as it is,
    another one is rebuilt in turn; leaf(value) maps every string, number, bool and None.
    """
    holder = [None]
    stack = [(obj, holder, 0)]
    while stack:
        value, parent, slot = stack.pop()
        if isinstance(value, dict):
            new = {}
            parent[slot] = new
            later = []
            for new_key, item, final in entries(value):
                new[new_key] = item if final else None
                if not final:
                    later.append((item, new, new_key))
            stack.extend(reversed(later))  # in order: of two equal new keys the last one wins
        elif isinstance(value, list):
            new = [None] * len(value)
            parent[slot] = new
            stack.extend((value[i], new, i) for i in range(len(value) - 1, -1, -1))
        else:
            parent[slot] = leaf(value)
    return holder[0]


# ------------------------------------------------------------------ pseudonymisation

# Names that also occur as ordinary words in a capture: replaced only where a whole value
# equals them, never inside text (a host called "debian" must not rewrite os-release).
_COMMON_WORDS = frozenset(
    "localhost localdomain debian ubuntu centos fedora rhel redhat rocky alma kylin openeuler "
    "uos deepin linux docker podman containerd server host node master worker default "
    "none bridge local".split())
_patterns = {}


def _compiled():
    """The pseudonymiser's patterns, compiled on first use (the capture alone needs none)."""
    if not _patterns:
        _patterns.update(
            hex_net_file=re.compile(r"^/proc/(\d+/)?net/(tcp6?|udp6?|raw6?|udplite6?)$"),
            route_file=re.compile(r"^/proc/(\d+/)?net/route$"),
            address=re.compile(
                # MAC-48
                r"(?P<mac>(?<![0-9A-Fa-f:])[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5}(?![0-9A-Fa-f:]))"
                # IPv6 candidates (validated later), optional zone and prefix length
                r"|(?P<v6>(?<![\w:.])(?=[0-9A-Fa-f]*:[0-9A-Fa-f]*:)[0-9A-Fa-f:]+(?:\d{1,3}(?:\.\d{1,3}){3})?)"
                r"(?P<v6zone>%[\w.-]+)?(?P<v6len>/\d{1,3})?(?![\w:]|\.\d)"
                # IPv4 dotted quad, optional prefix length
                r"|(?P<v4>(?<![\w.])\d{1,3}(?:\.\d{1,3}){3})(?P<v4len>/\d{1,2})?(?![\w]|\.\d)"),
            hex_endpoint=re.compile(r"(?<![0-9A-Fa-f])([0-9A-F]{32}|[0-9A-F]{8}):([0-9A-F]{4})(?![0-9A-Fa-f])"),
        )
    return _patterns


# IPv4 blocks whose leading bits are kept (so a private address stays private); others
# keep their first octet. None = left unchanged altogether.
_V4_BLOCKS = (
    (0x00000000, 8, None),   # "this network", incl. 0.0.0.0
    (0x7F000000, 8, None),   # loopback
    (0xA9FE0000, 16, None),  # link-local
    (0xE0000000, 3, None),   # multicast, reserved, broadcast, netmasks (224/3)
    (0x0A000000, 8, 8),
    (0x64400000, 10, 10),    # CGNAT shared space
    (0xAC100000, 12, 12),
    (0xC0A80000, 16, 16),
    (0xC6120000, 15, 15),    # benchmarking
)


def _v4_keep(value):
    for network, length, keep in _V4_BLOCKS:
        if value >> (32 - length) == network >> (32 - length):
            return keep if keep is not None else 32
    return 8


def _v6_keep(value):
    if value in (0, 1):                       # unspecified, loopback
        return 128
    if value >> 118 == 0xFE80 >> 6:           # fe80::/10 link-local
        return 128
    if value >> 120 == 0xFF:                  # multicast
        return 128
    return 8


class Pseudonymiser(object):
    """Consistent pseudonyms for one document (or one run); `key` defaults to os.urandom."""

    def __init__(self, key=None, hostnames=(), domains=()):
        import hashlib
        import hmac
        self._hmac, self._sha256 = hmac, hashlib.sha256
        self.patterns = _compiled()
        self.key = key if key is not None else os.urandom(32)
        self._bits = {}
        self._texts = {}
        self._ipv4 = {}
        self._ipv6 = {}
        self.names = {}
        for name in hostnames:
            self._add_name(name, "host")
        for name in domains:
            self._add_name(name, "domain")
        # Names longer than DNS allows (253) are replaced as plain substrings: in the pattern,
        # a forged 2 MiB "hostname" cost 3.2 s CPU of re.compile (tests/test_fuzz_regressions.py).
        self._long_names = [(n, t) for n, t in self.names.items() if len(n) > 253]
        substitutable = sorted((n for n in self.names if n.lower() not in _COMMON_WORDS and 3 <= len(n) <= 253),
                               key=len, reverse=True)
        self._name_re = None
        if substitutable:
            self._name_re = re.compile(
                r"(?<![\w-])(%s)(?![\w-])" % "|".join(re.escape(n) for n in substitutable),
                re.IGNORECASE)
        self._names_lower = dict((n.lower(), t) for n, t in self.names.items())

    def _digest(self, label, text):
        return self._hmac.new(self.key, (label + "\0" + text).encode("utf-8"), self._sha256).hexdigest()

    def _add_name(self, name, kind):
        name = (name or "").strip().rstrip(".")
        if not name or name.lower() in ("localhost", "localhost.localdomain"):
            return
        if kind == "host":
            self.names[name] = "host-" + self._digest("host", name.lower())[:8]
            short = name.split(".", 1)[0]
            if short != name and short:
                self.names[short] = "host-" + self._digest("host", short.lower())[:8]
        else:
            self.names[name] = "domain-" + self._digest("domain", name.lower())[:8] + ".invalid"

    # -- addresses
    def _flip(self, nbits, depth, prefix):
        cache_key = (nbits, depth, prefix)
        bit = self._bits.get(cache_key)
        if bit is None:
            message = ("%d/%d/%x" % (nbits, depth, prefix)).encode("ascii")
            bit = self._hmac.new(self.key, message, self._sha256).digest()[0] & 1
            self._bits[cache_key] = bit
        return bit

    def _anonymise_bits(self, value, nbits, keep):
        if keep >= nbits:
            return value
        out = (value >> (nbits - keep)) << (nbits - keep)
        for depth in range(keep, nbits):
            shift = nbits - 1 - depth
            original = (value >> shift) & 1
            out |= (original ^ self._flip(nbits, depth, value >> (shift + 1))) << shift
        return out

    def ipv4_int(self, value):
        result = self._ipv4.get(value)
        if result is None:
            result = self._anonymise_bits(value, 32, _v4_keep(value))
            self._ipv4[value] = result
        return result

    def ipv6_int(self, value):
        result = self._ipv6.get(value)
        if result is None:
            if value >> 32 == 0xFFFF:  # ::ffff:a.b.c.d, IPv4-mapped
                result = (0xFFFF << 32) | self.ipv4_int(value & 0xFFFFFFFF)
            else:
                result = self._anonymise_bits(value, 128, _v6_keep(value))
            self._ipv6[value] = result
        return result

    def mac(self, text):
        if text.lower() in ("00:00:00:00:00:00", "ff:ff:ff:ff:ff:ff"):
            return text
        digest = self._digest("mac", text.lower())
        token = "02:" + ":".join(digest[i:i + 2] for i in range(0, 10, 2))
        return token.upper() if text.isupper() else token

    # -- text
    def text(self, value):
        # Engine answers repeat the same short strings (keys, states, ids) many times.
        cached = self._texts.get(value)
        if cached is not None:
            return cached
        original = value
        if value in self.names:
            value = self.names[value]
        else:
            for name, token in self._long_names:
                if name in value:
                    value = value.replace(name, token)
            if self._name_re is not None:
                value = self._name_re.sub(lambda m: self._names_lower[m.group(1).lower()], value)
            if "." in value or ":" in value:
                value = self.patterns["address"].sub(self._address_match, value)
        if len(original) < 256:
            self._texts[original] = value
        return value

    def _address_match(self, match):
        if match.group("mac"):
            return self.mac(match.group("mac"))
        if match.group("v4"):
            return self._v4_text(match.group("v4"), match.group("v4len")) or match.group(0)
        candidate = match.group("v6")
        replaced = self._v6_text(candidate, match.group("v6len"))
        if replaced is None:
            return match.group(0)
        return replaced + (match.group("v6zone") or "") + (match.group("v6len") or "")

    def _v4_text(self, dotted, length):
        octets = dotted.split(".")
        if any(len(o) > 1 and o[0] == "0" for o in octets) or any(int(o) > 255 for o in octets):
            return None  # 1.02.3.4 or 300.1.1.1: not an address (a version, a date)
        value = 0
        for octet in octets:
            value = (value << 8) | int(octet)
        mapped = self.ipv4_int(value)
        if length:
            mapped = _keep_zero_host_bits(value, mapped, 32, int(length[1:]))
        return _v4_dotted(mapped) + (length or "")

    def _v6_text(self, candidate, length):
        value = _parse_v6(candidate)
        if value is None:
            return None
        mapped = self.ipv6_int(value)
        if length:
            mapped = _keep_zero_host_bits(value, mapped, 128, int(length[1:]))
        return _v6_compressed(mapped, mapped >> 32 == 0xFFFF and "." in candidate)

    def hex_net_text(self, content):
        """/proc/net/tcp-style text: little-endian hex endpoints, then everything else."""
        def endpoint(match):
            address, port = match.group(1), match.group(2)
            if len(address) == 8:
                mapped = self.ipv4_int(int(_swap32(address), 16))
                return _swap32("%08X" % mapped) + ":" + port
            value = int("".join(_swap32(address[i:i + 8]) for i in range(0, 32, 8)), 16)
            hexed = "%032X" % self.ipv6_int(value)
            return "".join(_swap32(hexed[i:i + 8]) for i in range(0, 32, 8)) + ":" + port
        return self.patterns["hex_endpoint"].sub(endpoint, content)

    def route_text(self, content):
        """/proc/net/route: Destination, Gateway and Mask columns are little-endian hex."""
        lines = content.split("\n")
        for index, line in enumerate(lines):
            fields = line.split("\t")
            if index == 0 or len(fields) < 8:
                continue
            try:
                destination = int(_swap32(fields[1].strip()), 16)
                gateway = int(_swap32(fields[2].strip()), 16)
                mask = int(_swap32(fields[7].strip()), 16)
            except ValueError:
                continue
            prefix = bin(mask).count("1")
            mapped = _keep_zero_host_bits(destination, self.ipv4_int(destination), 32, prefix)
            fields[1] = _swap32("%08X" % mapped)
            fields[2] = _swap32("%08X" % self.ipv4_int(gateway))
            lines[index] = "\t".join(fields)
        return "\n".join(lines)

    # -- walking
    def walk(self, obj):
        """A pseudonymised copy of `obj`; iterative, so any nesting depth is walked."""
        return rebuild_json(obj, self._entries, self._leaf)

    def _entries(self, obj):
        for key, item in obj.items():
            if isinstance(key, str) and isinstance(item, dict) and isinstance(item.get("content"), str):
                if self.patterns["hex_net_file"].match(key):
                    item = dict(item, content=self.hex_net_text(item["content"]))
                elif self.patterns["route_file"].match(key):
                    item = dict(item, content=self.route_text(item["content"]))
            yield (self.text(key) if isinstance(key, str) else key), item, False

    def _leaf(self, value):
        return self.text(value) if isinstance(value, str) else value


def _swap32(hex8):
    return hex8[6:8] + hex8[4:6] + hex8[2:4] + hex8[0:2]


def _keep_zero_host_bits(original, mapped, nbits, prefix):
    """A network address (host bits zero) stays a network address: 10.1.0.0/16 -> x.y.0.0/16."""
    if not 0 <= prefix < nbits:
        return mapped
    host_mask = (1 << (nbits - prefix)) - 1
    if original & host_mask == 0:
        return mapped & ~host_mask
    return mapped


def _v4_dotted(value):
    return "%d.%d.%d.%d" % (value >> 24, (value >> 16) & 255, (value >> 8) & 255, value & 255)


def _parse_v6(text):
    import ipaddress  # only here: --redact is the rare path, keep the capture's imports lean
    try:
        return int(ipaddress.IPv6Address(text))
    except ValueError:
        return None


def _v6_compressed(value, dotted_tail):
    import ipaddress
    if dotted_tail:
        return "::ffff:" + _v4_dotted(value & 0xFFFFFFFF)
    return ipaddress.IPv6Address(value).compressed


_NAME_KEYS = ("nodename", "hostname", "host.hostname")


def collect_names(doc):
    """(hostnames, domains) named in a capture or report document (iterative: any depth)."""
    hostnames, domains = set(), set()
    stack = [doc]
    while stack:
        obj = stack.pop()
        if isinstance(obj, dict):
            for key, value in obj.items():
                if key in _NAME_KEYS and isinstance(value, str):
                    hostnames.add(value)
                elif key == "/info" and isinstance(value, dict) and isinstance(value.get("Name"), str):
                    hostnames.add(value["Name"])
                elif key == "/etc/hostname" and isinstance(value, dict) and isinstance(value.get("content"), str):
                    hostnames.add(value["content"].strip())
                elif (isinstance(key, str) and key.endswith("resolv.conf") and isinstance(value, dict)
                      and isinstance(value.get("content"), str)):
                    for line in value["content"].splitlines():
                        words = line.split()
                        if words and words[0] in ("search", "domain"):
                            domains.update(w for w in words[1:] if "." in w.strip("."))
                if isinstance(value, (dict, list)):
                    stack.append(value)
        elif isinstance(obj, list):
            stack.extend(item for item in obj if isinstance(item, (dict, list)))
    hostnames.discard("")
    return sorted(hostnames), sorted(domains)


def pseudonymise(doc, key=None):
    """A copy of `doc` (any JSON value) with names and addresses pseudonymised consistently."""
    hostnames, domains = collect_names(doc)
    return Pseudonymiser(key, hostnames, domains).walk(doc)
