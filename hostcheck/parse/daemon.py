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

import shlex

# Unit files in systemd's order of precedence (the first present wins), then drop-ins.
UNIT_FILES = ("/etc/systemd/system/docker.service", "/usr/lib/systemd/system/docker.service",
              "/lib/systemd/system/docker.service")
DROPIN_DIR = "/etc/systemd/system/docker.service.d"
ENV_FILES = ("/etc/sysconfig/docker", "/etc/default/docker")


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
    for line in _logical_lines(text):
        if line.startswith("export "):
            line = line[len("export "):]
        key, sep, value = line.partition("=")
        key = key.strip()
        if not sep or not key.replace("_", "").isalnum():
            continue
        try:
            words = shlex.split(value, comments=True)
        except ValueError:
            words = value.split()
        values[key] = " ".join(words)
    return values


def dockerd_args(unit_texts, env):
    """The flags dockerd gets from its unit: ExecStart after the binary, $VARS expanded
    from the environment files (unset ones vanish, as systemd does). None without ExecStart."""
    command = exec_start(unit_texts)
    if command is None:
        return None
    try:
        words = shlex.split(command)
    except ValueError:
        words = command.split()
    args = []
    for word in words[1:]:
        name = word[1:].strip("{}") if word.startswith("$") else None
        if name and name.replace("_", "").isalnum():
            args.extend(env.get(name, "").split())
        else:
            args.append(word)
    return args


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


def api_hosts(config, args):
    """[{address, source}] for every address the API is asked to listen on."""
    hosts = []
    for value in _flag_values(args or [], ("-H", "--host")):
        hosts.append({"address": value, "source": "dockerd -H"})
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
