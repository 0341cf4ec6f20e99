"""Keep secrets on the host, and pseudonymise names and addresses on request.

scrub_secrets(obj)  -- always applied by the capture: container/image `Env` values, values
                       whose key looks like a password/token/key, and the password of a
                       URL's user:pass@ become "<redacted>".
pseudonymise(doc)   -- `--redact`: hostnames and MAC addresses become consistent tokens;
                       IPv4/IPv6 addresses are mapped prefix-preservingly (Crypto-PAn style,
                       keyed by a per-run random key), in dotted/colon text and in the hex
                       forms of /proc/net/{tcp,udp,...,route}. Loopback, unspecified,
                       link-local and multicast addresses stay as they are, and the
                       private/shared ranges stay inside their range, so rules about "only
                       loopback nameservers" or "subnet overlaps" judge the same way.

Both walk any JSON value (a capture or a report) and return a new one. Standard library only.
"""

import os
import re

REDACTED = "<redacted>"

_SECRET_KEY = re.compile(
    r"passw(or)?d|passphrase|secret|token|api[_-]?key|private[_-]?key|credential|"
    r"authorization|(^|[_.-])auths?$|auth[_-]?(token|config|key)$",
    re.IGNORECASE)
_URL_USERINFO = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://[^/\s:@\"']+):([^@\s/\"']+)@")
# "key": "value" inside JSON text (daemon.json, config.json).
_JSON_PAIR = re.compile(r'"((?:[^"\\\n]|\\.)*)"(\s*:\s*)"((?:[^"\\\n]|\\.)*)"')
# KEY=value / key = "value" (systemd Environment=, sysconfig files, TOML).
_ASSIGNMENT = re.compile(r"(?<![\w.-])([A-Za-z_][\w.-]*)([ \t]*=[ \t]*)(\"[^\"\n]*\"|'[^'\n]*'|[^\s\"']+)")


_secret_keys = {}
# Files written by the kernel or shipped by packages: no user secrets, and the largest
# texts of a capture (/proc/config.gz, changelogs) -- not worth a scan.
_NO_SECRET_FILES = ("/proc/", "/sys/", "/usr/share/doc/")


def is_secret_key(key):
    # Memoised: an engine answer repeats the same few hundred keys thousands of times.
    verdict = _secret_keys.get(key)
    if verdict is None:
        verdict = _secret_keys[key] = bool(_SECRET_KEY.search(key))
    return verdict


def scrub_text(text):
    """Redact secrets inside free text: URL passwords, secret-looking JSON pairs and assignments."""
    if "://" in text and "@" in text:
        text = _URL_USERINFO.sub(lambda m: m.group(1) + ":" + REDACTED + "@", text)
    if '"' in text:
        text = _JSON_PAIR.sub(_redact_json_pair, text)
    if "=" in text:
        text = _ASSIGNMENT.sub(_redact_assignment, text)
    return text


def _redact_json_pair(match):
    if not is_secret_key(match.group(1)):
        return match.group(0)
    return '"%s"%s"%s"' % (match.group(1), match.group(2), REDACTED)


def _redact_assignment(match):
    if not is_secret_key(match.group(1)):
        return match.group(0)
    value = match.group(3)
    quote = value[0] if value[:1] in ("'", '"') else ""
    return match.group(1) + match.group(2) + quote + REDACTED + quote


def _redact_env(values):
    out = []
    for item in values:
        if isinstance(item, str) and "=" in item:
            out.append(item.split("=", 1)[0] + "=" + REDACTED)
        else:
            out.append(item)
    return out


def scrub_secrets(obj, _key=None):
    """A copy of `obj` with secrets replaced by "<redacted>" (see the module docstring)."""
    if isinstance(obj, dict):
        out = {}
        for key, value in obj.items():
            if isinstance(key, str) and key == "Env" and isinstance(value, list):
                out[key] = _redact_env(value)
            elif (isinstance(key, str) and is_secret_key(key) and value is not None
                  and not isinstance(value, (bool, dict, list))):
                out[key] = REDACTED
            elif isinstance(key, str) and key.startswith(_NO_SECRET_FILES) and isinstance(value, dict):
                out[key] = dict(value)  # kernel tables and package docs: nothing to scrub, and large
            else:
                out[key] = scrub_secrets(value, key)
        return out
    if isinstance(obj, list):
        return [scrub_secrets(item, _key) for item in obj]
    if isinstance(obj, str):
        if _key == "content":  # a file's text: daemon.json, systemd drop-ins, sysconfig
            return scrub_text(obj)
        if "://" in obj and "@" in obj:
            return _URL_USERINFO.sub(lambda m: m.group(1) + ":" + REDACTED + "@", obj)
    return obj


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
        substitutable = sorted((n for n in self.names if n.lower() not in _COMMON_WORDS and len(n) >= 3),
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
    def walk(self, obj, path_key=None):
        if isinstance(obj, dict):
            out = {}
            for key, value in obj.items():
                new_key = self.text(key) if isinstance(key, str) else key
                if isinstance(key, str) and isinstance(value, dict) and isinstance(value.get("content"), str):
                    if self.patterns["hex_net_file"].match(key):
                        value = dict(value, content=self.hex_net_text(value["content"]))
                    elif self.patterns["route_file"].match(key):
                        value = dict(value, content=self.route_text(value["content"]))
                out[new_key] = self.walk(value)
            return out
        if isinstance(obj, list):
            return [self.walk(item) for item in obj]
        if isinstance(obj, str):
            return self.text(obj)
        return obj


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
    """(hostnames, domains) named in a capture or report document."""
    hostnames, domains = set(), set()

    def visit(obj):
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
                visit(value)
        elif isinstance(obj, list):
            for item in obj:
                visit(item)

    visit(doc)
    hostnames.discard("")
    return sorted(hostnames), sorted(domains)


def pseudonymise(doc, key=None):
    """A copy of `doc` (any JSON value) with names and addresses pseudonymised consistently."""
    hostnames, domains = collect_names(doc)
    return Pseudonymiser(key, hostnames, domains).walk(doc)
