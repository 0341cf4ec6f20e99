"""`--fix-script FILE`: the report's remediation commands as a bash script a person reviews.

hostcheck writes the script and never runs it. What it holds, from any report document:

* every warn, fail and error finding and tree verdict with a remedy, as one block each
  (the finding's id, subject, title, evidence and fix text as comments), the commands as
  code, behind a confirmation prompt per block (or `--yes`);
* in a safe order: packages first, then configuration, service restarts once after every
  change, containers and networks once the engine is back, a reboot last. A command that
  several findings need (`systemctl restart docker`) runs once, after every block that
  needs it, and names them all;
* as comments only: advice lines (`# ...`), commands that only look (`journalctl`,
  `docker info`), commands that run or fetch the user's workload (`docker run IMAGE`,
  `docker pull`), commands with a placeholder for the reader (IMAGE, CONTAINER), the
  commands of informational (info) findings, and every command it cannot vouch for.

Only the catalogue's own commands become code. A rendered command is matched against the
catalogue's templates (hostcheck/judge/text.py fills `${fact}` placeholders), and each
value filled in from the host must be a plain word (letters, digits and `_@%+=:,./-`, not
starting with `-`): such a word means the same thing unquoted in any position of a shell
command. A command that matches no template, or only with some other value (a container
named `x; reboot`, a list, an unknown "?"), is held back as a comment that says why.
Text from the report reaches the script only in comments, with control, bidi and line
separator characters escaped, or shell-quoted with shlex.quote for the prompts.
"""

import re
import shlex

from hostcheck.report import STATUS_RANK
from hostcheck.report.i18n import ui
from hostcheck.report.escape import visible

# A value filled into a catalogue command that needs no quoting anywhere in it.
PLAIN_WORD = r"(?!-)[A-Za-z0-9_@%+=:,./-]+"

# Commands the image code writes itself rather than taking from the catalogue
# (hostcheck/image/report.py, hostcheck/image/judge.py), as templates.
GENERATED_TEMPLATES = (
    "docker save ${image} | hostcheck image --archive -",
    "docker run --privileged --rm tonistiigi/binfmt --install ${subject.arch}",
)

# Phases, in the order the script runs them.
PACKAGES, CONFIG, SERVICES, CONTAINERS, REBOOT = "packages", "config", "services", "containers", "reboot"
PHASES = (PACKAGES, CONFIG, SERVICES, CONTAINERS, REBOOT)
# Kinds of command that stay comments.
LOOK, USAGE = "look", "usage"

# What one simple command (the first element of a pipeline, its words joined by spaces)
# does, first match wins. Every command of the catalogue must match one of these
# (tests/test_fix_script.py checks it): a new shape of command is classified here
# before it can run from a script. Anything unmatched is held back as a comment.
COMMAND_KINDS = [(re.compile(pattern), kind) for pattern, kind in (
    # tonistiigi/binfmt registers emulators (a fix); any other `docker run` runs the user's image
    (r"^docker run --privileged --rm tonistiigi/binfmt --install ", CONFIG),
    (r"^docker (run|pull|buildx build)( |$)", USAGE),
    # the user's own shell's engine variables: a script cannot change them
    (r"^unset DOCKER_", USAGE),
    # swarm membership and services are the operator's decision: never run from a script
    (r"^docker (swarm (init|join|leave|unlock)|service create)( |$)", USAGE),
    (r"^(apt-get|yum|dnf|zypper|yum-config-manager|rpm -e|snap remove)( |$)", PACKAGES),
    (r"^reboot$", REBOOT),
    (r"^systemctl (daemon-reload|restart|reload|start|enable)( |$)", SERVICES),
    (r"^firewall-cmd --reload$", SERVICES),
    (r"^docker (network (create|connect|disconnect|rm)|rm|start|system prune|image prune|builder prune)( |$)",
     CONTAINERS),
    (r"^(sysctl (-w|-p)|modprobe|mount -t binfmt_misc|update-binfmts|update-alternatives --set|grubby|"
     r"update-grub|grub2-set-default|chmod|sed -i|firewall-cmd --permanent)( |$)", CONFIG),
    (r"^echo .* >>? /(etc|proc/sys)/", CONFIG),
    # opening the swarm ports in plain iptables, and keeping them across a reboot
    (r"^(iptables -I INPUT|netfilter-persistent save|service iptables save)( |$)", CONFIG),
    # read-only: what to look at
    (r"^(uname|getconf|ls|which|grep|df|du|find|dpkg -S|rpm -q[a-z]*|xfs_info|journalctl|ps|ss|"
     r"iptables(-legacy|-nft)?-save|ip6tables-save|iptables (-t [a-z]+ )?-S|podman ps|snap (list|services)|"
     r"systemctl (cat|status)|firewall-cmd --get-[a-z-]+(=\S+)?|docker (info|logs|ps|images|version|port|"
     r"system df|manifest inspect|network inspect|network ls|node ls|save|context ls)|docker (--tlsverify )?-H \S+ version|"
     r"dockerd --version|getent hosts|ip route get|echo DOCKER_HOST=[^>]*$|sudo hostcheck|hostcheck|bash check-config\.sh|"
     r"curl -fsSLO|update-alternatives --config|sysctl [a-z][a-z0-9_.-]*$)( |$)", LOOK),
)]

_SEPARATORS = {"&&", "||", ";"}


def comment_text(value):
    """`value` for one comment line (or a quoted prompt): controls, bidi and line
    separators escaped, so that data can neither end the comment nor hide what follows.

    >>> comment_text("a\\nrm -rf /\\u202e")
    'a\\\\nrm -rf /\\\\u202e'
    """
    return visible(value)


def _lists(command):
    """(simple commands, separators) of `command` at its top level -- not inside $(...) --
    or None when the shell could not read it either (an unclosed quote)."""
    lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    try:
        words = list(lexer)
    except ValueError:
        return None
    parts, separators, part, depth = [], [], [], 0
    for word in words:
        depth += (word == "(") - (word == ")")
        if depth == 0 and word in _SEPARATORS:
            parts.append(part)
            separators.append(word)
            part = []
        else:
            part.append(word)
    parts.append(part)
    return [p for p in parts if p], separators


def classify(command):
    """PACKAGES … REBOOT for a command that changes the host, LOOK or USAGE for one that
    stays a comment, None when hostcheck does not know what it does.

    A list (`a && b`, `a; b`) takes the latest phase of its parts: a command that installs
    and then enables runs with the configuration.

    >>> classify("grub2-set-default 0 && reboot"), classify("journalctl -u docker | grep -i warn")
    ('reboot', 'look')
    """
    lists = _lists(command)
    if not lists or not lists[0]:
        return None
    kinds = [_classify_simple(part) for part in lists[0]]
    if None in kinds:
        return None
    if USAGE in kinds:          # never run the user's workload from a fix script
        return USAGE
    phases = [kind for kind in kinds if kind in PHASES]
    return max(phases, key=PHASES.index) if phases else LOOK


def _classify_simple(words):
    if "|" in words:
        words = words[:words.index("|")]
    line = " ".join(words)
    for pattern, kind in COMMAND_KINDS:
        if pattern.search(line):
            return kind
    return None


# ------------------------------------------------------------------ catalogue templates


def catalogue_templates(catalogue=None):
    """Every remediation command template of the catalogue (all families), plus the image
    code's own."""
    if catalogue is None:
        from hostcheck.judge import load_catalogue
        catalogue = load_catalogue()
    found = set(GENERATED_TEMPLATES)

    def walk(node):
        if isinstance(node, dict):
            commands = node.get("commands")
            if isinstance(commands, dict):
                for lines in commands.values():
                    found.update(line for line in lines if isinstance(line, str))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(catalogue.rules)
    walk(catalogue.trees)
    return found


class TemplateMatcher(object):
    """Does a rendered command come from a catalogue template with plain-word values only?"""

    def __init__(self, templates):
        from hostcheck.judge.text import FactTemplate
        self._literal = set()
        self._patterns = []
        for template in templates:
            pattern, filled = self._pattern(FactTemplate, template)
            if filled:
                self._patterns.append(re.compile(pattern))
            else:
                self._literal.add(re.sub(r"\$\$", "$", template))

    @staticmethod
    def _pattern(template_class, template):
        # The same reading as FactTemplate.render: dotted names are filled in, `$$` is a
        # dollar, undotted names (`$USER`, `${Package}`) and lone `$` stay as written.
        out, position, filled = [], 0, False
        for match in template_class.pattern.finditer(template):
            out.append(re.escape(template[position:match.start()]))
            name = match.group("named") or match.group("braced")
            if name is not None and "." in name:
                out.append(PLAIN_WORD)
                filled = True
            elif match.group("escaped") is not None:
                out.append(re.escape("$"))
            else:
                out.append(re.escape(match.group(0)))
            position = match.end()
        out.append(re.escape(template[position:]))
        return "".join(out), filled

    def vouches_for(self, command):
        if command in self._literal:
            return True
        return any(pattern.fullmatch(command) for pattern in self._patterns)


# ------------------------------------------------------------------ items and lines

CODE, COMMENT = "code", "comment"


class Line(object):
    """One remediation line: code (`phase` says when it runs) or a comment (`note` says why)."""

    def __init__(self, text, kind, phase=None, note=None):
        self.text, self.kind, self.phase, self.note = text, kind, phase, note


class Item(object):
    """A finding or a tree verdict that has something to say in the script."""

    def __init__(self, ident, status, title, subject, evidence, fix_text, commands):
        self.ident, self.status, self.title, self.subject = ident, status, title, subject
        self.evidence, self.fix_text, self.commands = evidence, fix_text, commands
        self.lines = []


def report_items(report):
    """Items of every non-pass, non-skip finding and tree verdict, worst first (stable)."""
    items = []
    for finding in report.get("findings") or []:
        if not isinstance(finding, dict) or finding.get("status") in ("pass", "skip"):
            continue
        remediation = finding.get("remediation") or {}
        items.append(Item(finding.get("id") or "?", finding.get("status"), finding.get("title") or "",
                          finding.get("subject"), finding.get("evidence") or "",
                          remediation.get("text") or "", list(remediation.get("commands") or [])))
    for tree in report.get("trees") or []:
        if not isinstance(tree, dict):
            continue
        verdict = tree.get("verdict") or {}
        if verdict.get("status") in ("pass", "skip", None):
            continue
        remediation = verdict.get("remediation") or {}
        path = tree.get("path") or []
        last = path[-1] if path else {}
        evidence = " → ".join(filter(None, (last.get("question"), last.get("evidence"))))
        items.append(Item("%s/%s" % (tree.get("tree") or "?", verdict.get("id") or "?"), verdict.get("status"),
                          verdict.get("text") or "", tree.get("subject"), evidence,
                          remediation.get("text") or "", list(remediation.get("commands") or [])))
    items.sort(key=lambda item: -STATUS_RANK.get(item.status, 0))
    return items


def _family_labels():
    from hostcheck.judge.rules import FAMILIES
    return set("# %s:" % family for family in FAMILIES)


def plan_lines(item, matcher, words):
    """Each command of `item` as a Line: code with its phase, or a comment with a note.

    A remedy with a step for a person in it -- an advice line ("# /etc/docker/daemon.json:
    {...}", "# where a registry is reachable:"), a placeholder to fill in, a command held
    back -- runs nothing: its restart would come without its edit, its `echo -1` (remove
    an emulator) without the registration that follows it.
    """
    labelled = any(command in _family_labels() for command in item.commands)
    lines = []
    for command in item.commands:
        if not isinstance(command, str):
            continue
        if command.lstrip().startswith("#"):
            lines.append(Line(command, COMMENT))
            continue
        kind = classify(command)
        note = None
        if labelled:    # the judge gave every family's commands: this host's is unknown
            note = words["held_family"]
        elif kind == LOOK:
            note = words["look"]
        elif kind == USAGE:
            note = words["usage"]
        elif kind is None:
            note = words["held_unknown"]
        elif reader_placeholders(command):
            note = words["placeholder"]
        elif not matcher.vouches_for(command):
            note = words["held_data"]
        elif item.status == "info":
            note = words["info"]
        lines.append(Line(command, COMMENT, note=note) if note else Line(command, CODE, phase=kind))
    waits = [line for line in lines if line.kind == COMMENT
             and line.note not in (words["look"], words["usage"], words["info"])]
    if waits:
        for line in lines:
            if line.kind == CODE:
                line.kind, line.note = COMMENT, words["after_manual"]
    # A comment goes with the command it introduces, else with the one before it.
    following = None
    for line in reversed(lines):
        if line.kind == CODE:
            following = line.phase
        elif following is not None:
            line.phase = following
    previous = None
    for line in lines:
        if line.kind == CODE:
            previous = line.phase
        elif line.phase is None:
            line.phase = previous
    return lines


# Placeholders for the reader (IMAGE, CONTAINER, ZONE, UNUSED-CIDR) are words in capitals
# outside quotes; ALL is grubby's own keyword (--update-kernel=ALL).
_CAPITALS = re.compile(r"(?<![\w$%{.-])[A-Z][A-Z0-9]*(?:[-_][A-Z0-9]+)*(?![\w}])")
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"|\$\{[^}]*\}")
LITERAL_CAPITALS = frozenset(("ALL", "INPUT", "ACCEPT"))   # grubby's ALL; iptables' chain and target


def reader_placeholders(command):
    """Capital words a person replaces before running the command.

    >>> reader_placeholders("docker network create --subnet UNUSED-CIDR hc-net")
    ['UNUSED-CIDR']
    >>> reader_placeholders("grubby --update-kernel=ALL --args='user_namespace.enable=1'")
    []
    """
    return [word for word in _CAPITALS.findall(_QUOTED.sub("", command)) if word not in LITERAL_CAPITALS]


# ------------------------------------------------------------------ the script


class Block(object):
    """Lines of one phase for the items that need them; code runs behind one prompt."""

    def __init__(self, phase, owners, lines):
        self.phase, self.owners, self.lines = phase, owners, lines

    @property
    def code(self):
        return [line for line in self.lines if line.kind == CODE]


def plan_blocks(items):
    """Blocks in running order, and the items with nothing to run (advice).

    Per phase: each item's own lines first, then the commands that several items need
    (by their exact text), once, after all of them -- one `systemctl restart docker` after
    every configuration change that asks for it.
    """
    needed_by = {}
    for item in items:
        for line in item.lines:
            if line.kind == CODE and item not in needed_by.setdefault(line.text, []):
                needed_by[line.text].append(item)
    runnable = [item for item in items if any(line.kind == CODE for line in item.lines)]
    blocks = []
    for phase in PHASES:
        shared = []
        for item in runnable:
            own = [line for line in item.lines if line.phase == phase
                   and (line.kind == COMMENT or len(needed_by[line.text]) == 1)]
            if own:
                blocks.append(Block(phase, [item], own))
            for line in item.lines:
                if line.phase != phase or line.kind != CODE or len(needed_by[line.text]) == 1:
                    continue
                owners = needed_by[line.text]
                if owners[0] is not item:
                    continue            # placed with its first owner
                group = next((block for block in shared if block.owners == owners), None)
                if group is None:
                    shared.append(Block(phase, owners, [line]))
                else:
                    group.lines.append(line)
        blocks.extend(shared)
    advice = [item for item in items if item not in runnable]
    return blocks, advice


def render_script(report, catalogue=None):
    """The whole script as one string (bash; `bash -n` and shellcheck clean)."""
    words = ui(report.get("lang", "en"))["script"]
    matcher = TemplateMatcher(catalogue_templates(catalogue))
    items = report_items(report)
    for item in items:
        item.lines = plan_lines(item, matcher, words)
    blocks, advice = plan_blocks(items)
    total = sum(1 for block in blocks if block.code)

    out = _preamble(report, words, total > 0)
    shown, number, phase = set(), 0, None
    for block in blocks:
        if block.phase != phase:
            phase = block.phase
            out += ["", "# %s %s %s" % ("=" * 8, comment_text(words["phase"][phase]), "=" * 8)]
        out.append("")
        for item in block.owners:
            out.extend(_item_comments(item, words, full=id(item) not in shown))
            shown.add(id(item))
        if not block.code:
            out.extend(_comment_line(line, "#    ") for line in block.lines)
            continue
        number += 1
        out.extend(_prompted(block, words, number, total))
    if advice:
        out += ["", "# %s %s %s" % ("=" * 8, comment_text(words["advice"]), "=" * 8)]
        for item in advice:
            out.append("#")
            out.extend(_item_comments(item, words, full=True))
            out.extend(_comment_line(line, "#    ") for line in item.lines)
    if not items:
        out += ["", "# " + comment_text(words["nothing"])]
    out += ["", "echo %s" % shlex.quote(words["done"])]
    return "\n".join(out) + "\n"


def _item_comments(item, words, full):
    head = "# ── %s · %s" % (str(item.status or "?").upper(), item.ident)
    if item.subject:
        head += " · %s" % item.subject
    if item.title:
        head += " — %s" % item.title
    if not full:
        return [comment_text(head + words["above"])]
    out = [comment_text(head)]
    if item.evidence:
        out.append("#    " + comment_text(words["evidence"] + item.evidence))
    if item.fix_text:
        out.append("#    " + comment_text(words["fix"] + item.fix_text))
    return out


def _comment_line(line, prefix):
    text = comment_text(line.text)
    if line.note:
        return "%s%s %s" % (prefix, comment_text(line.note), text)
    return prefix + text


def _top_level_and(command):
    lists = _lists(command)
    return bool(lists) and "&&" in lists[1]


def _prompted(block, words, number, total):
    label = "[%d/%d] %s" % (number, total, ", ".join(
        item.ident + (" (%s)" % item.subject if item.subject else "") for item in block.owners))
    shown = [shlex.quote(line.text) for line in block.code]
    out = []
    out.append("if ask %s %s; then" % (shlex.quote(comment_text(label)), " ".join(shown)))
    for line in block.lines:
        if line.kind != CODE:
            out.append(_comment_line(line, "    # "))
            continue
        # SC2046: the catalogue's $(...) lists split into words on purpose; SC2015: `|| stop`
        # runs when either part of `a && b` fails, as meant (set -e does not stop at `a`)
        chained = _top_level_and(line.text)
        codes = [code for code, used in (("SC2046", "$(" in line.text), ("SC2015", chained)) if used]
        if codes:
            out.append("    # shellcheck disable=%s" % ",".join(codes))
        out.append("    %s%s" % (line.text, " || stop" if chained else ""))
    out.append("fi")
    return out


def _preamble(report, words, has_code):
    host = report.get("host") or {}
    os_ = host.get("os") or {}
    arch = host.get("arch") or {}
    family = ((report.get("facts") or {}).get("values") or {}).get("os.family")
    hostname = host.get("hostname") or ""
    described = ", ".join(filter(None, (
        os_.get("name") or os_.get("id"), words["family"] % family if family else None,
        arch.get("platform"), (host.get("kernel") or {}).get("release"))))
    tool = report.get("tool") or {}
    out = [
        "#!/usr/bin/env bash",
        "# " + comment_text(words["title"] % hostname),
        "# " + comment_text(described),
        "# " + comment_text(words["made"] % (tool.get("version") or "?", tool.get("rules") or "?",
                                             report.get("generated_at") or "?")),
        "#",
    ]
    out.extend("# " + comment_text(line) for line in words["intro"])
    out += [
        "",
        "# Text from the report is shown in single quotes on purpose: it is never expanded.",
        "# shellcheck disable=SC2016",
        "set -euo pipefail",
        "",
        "assume_yes=0",
        "any_host=0",
        "for arg in \"$@\"; do",
        "    case $arg in",
        "        --yes) assume_yes=1 ;;",
        "        --any-host) any_host=1 ;;",
        "        *) echo %s >&2; exit 2 ;;" % shlex.quote(words["usage_line"]),
        "    esac",
        "done",
    ]
    if not has_code:
        return out + [": \"$assume_yes$any_host\"   # nothing below runs"]
    # A script made from another host's capture (analyze) must not change this one by
    # accident; a redacted report's hostname never matches, hence --any-host.
    return out + [
        "",
        "made_for=%s" % shlex.quote(comment_text(hostname)),
        "if [ \"$any_host\" -eq 0 ] && [ \"$(uname -n)\" != \"$made_for\" ]; then",
        "    printf %s \"$made_for\" \"$(uname -n)\" >&2" % shlex.quote(words["other_host"] + "\\n"),
        "    exit 1",
        "fi",
        "if [ \"$(id -u)\" -ne 0 ]; then",
        "    echo %s >&2" % shlex.quote(words["not_root"]),
        "    exit 1",
        "fi",
        "on_error() {",
        "    echo %s >&2" % shlex.quote(words["failed"]),
        "}",
        "trap on_error ERR",
        "# `a && b || stop`: set -e does not stop at a failing `a` (shellcheck's SC2015 says",
        "# as much); $(...) lists of package names split into words on purpose (SC2046).",
        "stop() {",
        "    on_error",
        "    exit 1",
        "}",
        "",
        "# ask LABEL COMMAND...: show a block's commands, then run them only on a yes (or --yes).",
        "ask() {",
        "    local label=$1 answer",
        "    shift",
        "    printf '\\n== %s\\n' \"$label\"",
        "    printf '   $ %s\\n' \"$@\"",
        "    if [ \"$assume_yes\" -eq 1 ]; then",
        "        return 0",
        "    fi",
        "    if ! { true </dev/tty; } 2>/dev/null; then",
        "        echo %s >&2" % shlex.quote(words["no_tty"]),
        "        exit 1",
        "    fi",
        "    read -r -p %s answer </dev/tty || answer=" % shlex.quote(words["ask"] + " [y/N] "),
        "    case $answer in",
        "        y|Y|yes|YES) return 0 ;;",
        "        *) return 1 ;;",
        "    esac",
        "}",
    ]
