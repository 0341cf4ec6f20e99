"""How dockerd is configured: its systemd unit, drop-ins, environment files and daemon.json.

Sample output::

    $ grep -h '^ExecStart\\|^EnvironmentFile' /lib/systemd/system/docker.service   # Debian 12 docker.io
    EnvironmentFile=-/etc/default/docker
    ExecStart=/usr/sbin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock $DOCKER_OPTS
    $ cat /etc/systemd/system/docker.service.d/override.conf   # Docker docs, "Configure where the daemon listens"
    [Service]
    ExecStart=
    ExecStart=/usr/bin/dockerd -H fd:// -H tcp://127.0.0.1:2375

>>> unit = "[Service]\\nExecStart=/usr/bin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock\\n"
>>> dropin = "[Service]\\nExecStart=\\nExecStart=/usr/bin/dockerd -H fd:// -H tcp://0.0.0.0:2375\\n"
>>> args = dockerd_args([unit, dropin], {})
>>> args
['-H', 'fd://', '-H', 'tcp://0.0.0.0:2375']
>>> [h["address"] for h in tcp_hosts(api_hosts({}, args))]
['tcp://0.0.0.0:2375']
"""

import re
import shlex

# Unit files in systemd's order of precedence (the first present wins), then drop-ins.
from hostcheck.capture.probes import (  # noqa: E402,F401 (re-exported for the combiners)
    DOCKER_DROPIN_DIR as DROPIN_DIR, DOCKER_ENV_FILES as ENV_FILES, DOCKER_UNIT_FILES as UNIT_FILES)

# shlex grows each token one character at a time: quadratic in a token's length (a 1 MiB
# value in /etc/default/docker took 60 s), and costs ~40 us per call and 1-10 us per
# character besides (a 1 MiB file of 'A="' lines: 10 s). Text without quotes,
# backslashes or comments splits the same on whitespace; shlex reads at most SHLEX_LIMIT
# characters at a time and SHLEX_BUDGET per file (each call counted SHLEX_CALL_COST more),
# far above any real unit or environment file (a few lines of a few hundred characters);
# beyond that, words are split on whitespace.
SHLEX_LIMIT = 4096
SHLEX_BUDGET = 64 * 1024
SHLEX_CALL_COST = 256
_SHELL_SPECIAL = re.compile(r"[\\'\"#]")
_SHELL_SPACE = re.compile(r"[ \t\r\n]+")


def split_words(text, comments=False, budget=None):
    """shlex.split(text) in linear time: shlex where it matters (quotes, backslashes, #),
    whitespace otherwise, beyond SHLEX_LIMIT, once `budget` (a one-item list: characters
    shlex may still read for this file) is spent, or when a quote is unbalanced.

    >>> split_words("--a 'b c' d"), split_words("a  b\\tc"), split_words('--x "unclosed')
    (['--a', 'b c', 'd'], ['a', 'b', 'c'], ['--x', '"unclosed'])
    """
    cost = len(text) + SHLEX_CALL_COST
    if len(text) <= SHLEX_LIMIT and _SHELL_SPECIAL.search(text) and (budget is None or budget[0] >= cost):
        if budget is not None:
            budget[0] -= cost
        try:
            return shlex.split(text, comments=comments)
        except ValueError:
            pass
    return [word for word in _SHELL_SPACE.split(text) if word]


def _logical_lines(text):
    """Unit-file lines with backslash continuations joined; comments dropped."""
    lines, current = [], ""
    for raw in text.splitlines():
        line = raw.strip()
        if not current and (not line or line[0] in "#;"):
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        lines.append(current + line)
        current = ""
    if current:
        lines.append(current)
    return lines


def exec_start(texts):
    """The ExecStart command line in effect after the unit and its drop-ins (None if none).

    An empty `ExecStart=` in a drop-in resets the list, as systemd does.
    """
    command = None
    for text in texts:
        if not isinstance(text, str):
            continue
        for line in _logical_lines(text):
            key, sep, value = line.partition("=")
            if sep and key.strip() == "ExecStart":
                value = value.strip().lstrip("-@+!:")
                command = value or None
    return command


def parse_env_file(text):
    """KEY=VALUE lines of an EnvironmentFile (/etc/sysconfig/docker) -> dict; quotes removed.

    >>> parse_env_file("# c\\nOPTIONS='--selinux-enabled --log-driver=journald'\\n")
    {'OPTIONS': '--selinux-enabled --log-driver=journald'}
    """
    values = {}
    if not isinstance(text, str):
        return values
    budget = [SHLEX_BUDGET]
    for line in _logical_lines(text):
        if line.startswith("export "):
            line = line[len("export "):]
        key, sep, value = line.partition("=")
        key = key.strip()
        if not sep or not key.replace("_", "").isalnum():
            continue
        values[key] = " ".join(split_words(value, comments=True, budget=budget))
    return values


def dockerd_args(unit_texts, env):
    """The flags dockerd gets from its unit: ExecStart after the binary, $VARS expanded
    from the environment files (unset ones vanish, as systemd does). None without ExecStart."""
    command = exec_start(unit_texts)
    if command is None:
        return None
    words = split_words(command)
    args = []
    for word in words[1:]:
        name = word[1:].strip("{}") if word.startswith("$") else None
        if name and name.replace("_", "").isalnum():
            args.extend(env.get(name, "").split())
        else:
            args.append(word)
    return args


def join_argv(argv):
    """An argv as one shell-quoted line: ['dockerd', '-H', 'fd://'] -> 'dockerd -H fd://'."""
    return " ".join(shlex.quote(word) for word in argv)


def _flag_values(args, names):
    """Values of a repeated flag: -H x, -H=x, --host x, --host=x."""
    values = []
    index = 0
    while index < len(args):
        word = args[index]
        for name in names:
            if word == name and index + 1 < len(args):
                values.append(args[index + 1])
                index += 1
                break
            if word.startswith(name + "="):
                values.append(word[len(name) + 1:])
                break
        index += 1
    return values


def _flag_true(args, name):
    for word in args:
        if word == name or word.lower() in (name + "=true", name + "=1"):
            return True
    return False


def api_hosts(config, args, flag_source="dockerd -H"):
    """[{address, source}] for every address the API is asked to listen on."""
    hosts = []
    for value in _flag_values(args or [], ("-H", "--host")):
        hosts.append({"address": value, "source": flag_source})
    listed = (config or {}).get("hosts")
    if isinstance(listed, str):
        listed = [listed]
    for value in listed if isinstance(listed, list) else []:
        if isinstance(value, str):
            hosts.append({"address": value, "source": "daemon.json hosts"})
    return hosts


def _split_tcp(address):
    """tcp://0.0.0.0:2375, 0.0.0.0:2375, :2375, tcp://[::1]:2375 -> (host, port) or None."""
    rest = address
    if "://" in address:
        scheme, _, rest = address.partition("://")
        if scheme not in ("tcp", "http", "https"):
            return None
    elif address.startswith(("/", "fd:", "unix:", "npipe:")):
        return None
    rest = rest.split("/", 1)[0]
    if rest.startswith("["):
        host, _, port = rest[1:].partition("]")
        port = port.lstrip(":")
    else:
        host, _, port = rest.rpartition(":") if ":" in rest else (rest, "", "")
    return host, port or "2375"


def is_loopback(host):
    return host in ("localhost", "::1") or host.startswith("127.")


def tcp_hosts(hosts):
    """The TCP entries of api_hosts, with host, port and whether they are loopback only.
    An empty host (tcp://:2375) listens on every address."""
    result = []
    for entry in hosts:
        split = _split_tcp(entry["address"].strip())
        if split is None:
            continue
        host, port = split
        result.append({"address": entry["address"], "source": entry["source"], "host": host or "0.0.0.0",
                       "port": int(port) if port.isdigit() else None, "loopback": is_loopback(host)})
    return result


def tls_verify(config, args):
    """dockerd verifies client certificates (--tlsverify, or "tlsverify": true)."""
    if (config or {}).get("tlsverify") is True:
        return True
    return _flag_true(args or [], "--tlsverify")


def log_settings(config, args):
    """(driver, max-size) configured for new containers; None where nothing sets them.

    >>> log_settings({"log-driver": "json-file", "log-opts": {"max-size": "10m"}}, [])
    ('json-file', '10m')
    >>> log_settings({}, ["--log-driver=journald"])
    ('journald', None)
    """
    config = config or {}
    driver = config.get("log-driver") if isinstance(config.get("log-driver"), str) else None
    flags = _flag_values(args or [], ("--log-driver",))
    if flags:
        driver = flags[-1]
    opts = config.get("log-opts") if isinstance(config.get("log-opts"), dict) else {}
    max_size = opts.get("max-size") if isinstance(opts.get("max-size"), str) else None
    for value in _flag_values(args or [], ("--log-opt",)):
        key, _, val = value.partition("=")
        if key == "max-size":
            max_size = val
    return driver, max_size


# --- the running dockerd's own command line ---------------------------------------------
#
# Sample output (the capture's processes.items[] for dockerd, argv as /proc/PID/cmdline holds it)::
#
#     {"pid": 6606, "name": "dockerd", "cmdline": ["dockerd"]}                  # this machine, started by hand
#     {"pid": 911, "name": "dockerd", "cmdline": ["/usr/sbin/dockerd", "-H", "fd://",
#      "--containerd=/run/containerd/containerd.sock"]}                       # Debian 12's docker.service
#
# dockerd refuses to start when one setting is given both as a flag and in daemon.json
# ("the following directives are specified both as a flag and in the configuration file"),
# so a flag on the running command line never contradicts the daemon.json it read; it
# only adds what the file does not say, and it wins over a unit file edited since.

# flag -> (daemon.json key, kind): bool, str, int, list (repeatable), opts (k=v into a dict),
# pool (--default-address-pool base=...,size=...).
DOCKERD_FLAGS = {
    "-H": ("hosts", "list"), "--host": ("hosts", "list"),
    "--iptables": ("iptables", "bool"), "--ip6tables": ("ip6tables", "bool"),
    "--ip-forward": ("ip-forward", "bool"), "--ip-masq": ("ip-masq", "bool"),
    "--icc": ("icc", "bool"), "--userland-proxy": ("userland-proxy", "bool"),
    "--ipv6": ("ipv6", "bool"), "--live-restore": ("live-restore", "bool"),
    "--selinux-enabled": ("selinux-enabled", "bool"), "--tls": ("tls", "bool"),
    "--tlsverify": ("tlsverify", "bool"), "--experimental": ("experimental", "bool"),
    "-D": ("debug", "bool"), "--debug": ("debug", "bool"),
    "--no-new-privileges": ("no-new-privileges", "bool"), "--init": ("init", "bool"),
    "--bip": ("bip", "str"), "--fixed-cidr": ("fixed-cidr", "str"), "-b": ("bridge", "str"),
    "--bridge": ("bridge", "str"), "--ip": ("ip", "str"), "--mtu": ("mtu", "int"),
    "--data-root": ("data-root", "str"), "-g": ("data-root", "str"), "--graph": ("data-root", "str"),
    "-s": ("storage-driver", "str"), "--storage-driver": ("storage-driver", "str"),
    "--storage-opt": ("storage-opts", "list"), "--exec-opt": ("exec-opts", "list"),
    "--log-driver": ("log-driver", "str"), "--log-opt": ("log-opts", "opts"),
    "-l": ("log-level", "str"), "--log-level": ("log-level", "str"),
    "--dns": ("dns", "list"), "--dns-search": ("dns-search", "list"), "--dns-opt": ("dns-opts", "list"),
    "--default-address-pool": ("default-address-pools", "pool"),
    "--insecure-registry": ("insecure-registries", "list"), "--registry-mirror": ("registry-mirrors", "list"),
    "-G": ("group", "str"), "--group": ("group", "str"), "--userns-remap": ("userns-remap", "str"),
    "--cgroup-parent": ("cgroup-parent", "str"), "--seccomp-profile": ("seccomp-profile", "str"),
    "--containerd": ("containerd", "str"), "-p": ("pidfile", "str"), "--pidfile": ("pidfile", "str"),
    "--config-file": ("config-file", "str"),
    # Docker 29: "iptables" (default) or "nftables" (experimental).
    "--firewall-backend": ("firewall-backend", "str"),
}
_TRUE, _FALSE = ("", "true", "1", "t"), ("false", "0", "f")


def settings_from_args(args):
    """dockerd flags -> the same settings under daemon.json's names (unknown flags are left out).

    Bool flags take only `--flag` or `--flag=false` (Go's flag syntax: `--iptables false` does
    not set it to false).

    >>> settings_from_args(["-H", "fd://", "-H", "tcp://0.0.0.0:2375", "--iptables=false",
    ...                     "--bip", "10.200.0.1/24", "--dns=10.0.0.2", "--log-opt", "max-size=10m",
    ...                     "--default-address-pool", "base=10.10.0.0/16,size=24", "--mtu=1450"])
    ... # doctest: +NORMALIZE_WHITESPACE
    {'hosts': ['fd://', 'tcp://0.0.0.0:2375'], 'iptables': False, 'bip': '10.200.0.1/24',
     'dns': ['10.0.0.2'], 'log-opts': {'max-size': '10m'},
     'default-address-pools': [{'base': '10.10.0.0/16', 'size': 24}], 'mtu': 1450}
    """
    settings = {}
    index = 0
    args = [a for a in (args or []) if isinstance(a, str)]
    while index < len(args):
        word = args[index]
        index += 1
        name, sep, value = word.partition("=")
        if name not in DOCKERD_FLAGS or not name.startswith("-"):
            continue
        key, kind = DOCKERD_FLAGS[name]
        if kind == "bool":
            lowered = value.lower() if sep else ""
            if lowered in _TRUE:
                settings[key] = True
            elif lowered in _FALSE:
                settings[key] = False
            continue
        if not sep:
            if index >= len(args):
                break
            value = args[index]
            index += 1
        if kind == "str":
            settings[key] = value
        elif kind == "int":
            if value.strip().isdigit():
                settings[key] = int(value)
        elif kind == "list":
            settings.setdefault(key, []).append(value)
        elif kind == "opts":
            opt, _, optval = value.partition("=")
            settings.setdefault(key, {})[opt] = optval
        elif kind == "pool":
            pool = dict(part.partition("=")[::2] for part in value.split(",") if "=" in part)
            if pool.get("size", "").isdigit():
                pool["size"] = int(pool["size"])
            settings.setdefault(key, []).append(pool)
    return settings


def _socket_of(address):
    """unix:///var/run/docker.sock -> /run/docker.sock (the same socket); fd:// -> systemd's
    docker.socket, which listens on /run/docker.sock; other schemes -> None."""
    if address.startswith("fd://"):
        return "/run/docker.sock"
    if address.startswith("unix://"):
        path = address[len("unix://"):]
    elif address.startswith("/"):
        path = address
    else:
        return None
    return "/run/" + path[len("/var/run/"):] if path.startswith("/var/run/") else path


def running_dockerd(processes, endpoint, config=None):
    """The dockerd of the process table that serves `endpoint` (unix:///var/run/docker.sock),
    as {pid, binary, args}; None when no dockerd's command line was captured.

    Several dockerd processes run on hosts with rootless or test daemons: the one whose -H
    names the endpoint's socket (no -H: daemon.json "hosts", else the default socket) is the
    engine the capture read; with none of them, a single dockerd is taken as it is.

    >>> procs = [{"pid": 7, "name": "dockerd", "cmdline": ["dockerd", "-H", "unix:///tmp/t.sock"]},
    ...          {"pid": 9, "name": "dockerd", "cmdline": ["/usr/bin/dockerd", "-H", "fd://"]}]
    >>> running_dockerd(procs, "unix:///var/run/docker.sock")
    {'pid': 9, 'binary': '/usr/bin/dockerd', 'args': ['-H', 'fd://']}
    """
    daemons = []
    for item in processes or ():
        if not isinstance(item, dict) or item.get("name") != "dockerd":
            continue
        cmdline = item.get("cmdline")
        if isinstance(cmdline, list) and cmdline and all(isinstance(w, str) for w in cmdline):
            daemons.append({"pid": item.get("pid"), "binary": cmdline[0], "args": list(cmdline[1:])})
    if not daemons:
        return None
    wanted = _socket_of(endpoint or "unix:///var/run/docker.sock")
    default_hosts = (config or {}).get("hosts") if isinstance((config or {}).get("hosts"), list) else None
    serving = []
    for daemon in daemons:
        hosts = settings_from_args(daemon["args"]).get("hosts") or default_hosts or ["unix:///var/run/docker.sock"]
        if wanted in [_socket_of(h) for h in hosts if isinstance(h, str)]:
            serving.append(daemon)
    if serving:
        return sorted(serving, key=lambda d: d["pid"] if isinstance(d["pid"], int) else 0)[0]
    return daemons[0] if len(daemons) == 1 else None
