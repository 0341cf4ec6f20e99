"""Command line: capture → judge → print. SPEC's commands, options and exit codes.

Exit codes: 0 nothing at or above --fail-on; 1 something is; 2 usage error;
3 no report could be produced (one line on stderr, never a traceback).
Heavy imports (rich, the engine) happen inside the commands that need them.
"""

import json
import os
import sys

import click

from hostcheck import __version__

EXIT_FOUND, EXIT_USAGE, EXIT_NO_REPORT = 1, 2, 3
FAIL_ON = ("info", "warn", "fail")
FORMATS = ("text", "json", "junit")
# `-o json` is what kubectl and others mean by "JSON output": refused as a path (say ./json
# for a file of that name), so that nobody gets a text report in a file called json.
FORMAT_WORDS = FORMATS + ("xml", "html", "yaml", "wide")


class Fatal(click.ClickException):
    """No report could be produced: one line on stderr, exit 3."""

    exit_code = EXIT_NO_REPORT

    def show(self, file=None):
        from hostcheck.report.escape import visible
        # The reason may quote a file's content or an archive's image name: shown escaped.
        click.echo("hostcheck: error: %s" % visible(self.format_message()), err=True)


# Commands whose modules are imported only when they run ("module:attribute"), so that
# `hostcheck --version` and `hostcheck check` never pay for them.
LAZY_COMMANDS = {
    "image": "hostcheck.image.cli:image",
    "net": "hostcheck.net.cli:net",
    "preflight": "hostcheck.preflight.cli:preflight",
    "fleet": "hostcheck.fleet.cli:fleet",
    "completion": "hostcheck.completion:completion",
}


class UsageLine(click.UsageError):
    """A usage error said in one line on stderr (exit 2); data in it is shown escaped."""

    exit_code = EXIT_USAGE

    def show(self, file=None):
        from hostcheck.report.escape import visible
        click.echo("hostcheck: error: %s" % visible(self.format_message()), err=True)


class OutputPath(click.Path):
    """-o FILE: always a path, never a format word (`-o json` asks for --format json)."""

    def convert(self, value, param, ctx):
        if value in FORMAT_WORDS:
            hint = "--json or --format json" if value == "json" else (
                "--format %s" % value if value in FORMATS else "--format text|json|junit")
            self.fail("%r is a format name, and -o takes a path: for the format use %s; "
                      "for a file named %s write ./%s" % (value, hint, value, value), param, ctx)
        return super().convert(value, param, ctx)


GROUP_ONLY = ("--help", "-h", "--version", "-V")


class DefaultToCheck(click.Group):
    """`hostcheck` and `hostcheck --json …` mean `hostcheck check …`; some commands load lazily.

    Common options may stand before the command name (`hostcheck --no-color rules list`,
    `hostcheck --lang zh fleet DIR`): they are moved behind the command's name, where the
    command parses them as its own (an option the command does not take is its usage error).
    """

    def parse_args(self, ctx, args):
        args = list(args)
        if args and args[0] in GROUP_ONLY:
            return super().parse_args(ctx, args)
        leading = self._leading_options(ctx, args)
        rest = args[len(leading):]
        if rest and self.get_command(ctx, rest[0]) is not None:
            path, command = self._command_path(ctx, rest)
            args = path + self._for(ctx, command, leading) + rest[len(path):]
        elif args or not ctx.resilient_parsing:      # (completing `hostcheck <TAB>` lists commands)
            args = ["check"] + args
        return super().parse_args(ctx, args)

    def _leading_options(self, ctx, args):
        """The options (with their values) before the first word that is not one."""
        takes_value = {}
        for param in self.get_command(ctx, "check").get_params(ctx):
            if isinstance(param, click.Option):
                for name in param.opts + param.secondary_opts:
                    takes_value[name] = not (param.is_flag or param.count)
        i = 0
        while i < len(args) and args[i].startswith("-") and args[i] not in ("-", "--"):
            name = args[i].split("=", 1)[0]
            if name not in takes_value:
                break       # not a common option: `check` will say so
            attached = "=" in args[i] or (not name.startswith("--") and len(args[i]) > 2)
            i += 2 if takes_value[name] and not attached else 1
        return args[:min(i, len(args))]

    def _command_path(self, ctx, args):
        """["net", "egress", …] → (["net", "egress"], the command): the words naming it."""
        command, path = self, []
        while args[len(path):] and isinstance(command, click.Group):
            sub = command.get_command(ctx, args[len(path)])
            if sub is None:
                break
            command = sub
            path.append(args[len(path)])
        return path, command

    @staticmethod
    def _for(ctx, command, leading):
        """`leading` without --no-color and --lang where `command` has no such option: they
        are accepted before every command name, and change nothing where it has none."""
        names = {name for param in command.get_params(ctx) for name in getattr(param, "opts", ())}
        kept, i = [], 0
        while i < len(leading):
            name = leading[i].split("=", 1)[0]
            width = 2 if name == "--lang" and "=" not in leading[i] else 1
            if name in ("--no-color", "--lang") and name not in names:
                i += width
                continue
            kept.extend(leading[i:i + width])
            i += width
        return kept

    def list_commands(self, ctx):
        return sorted(set(super().list_commands(ctx)) | set(LAZY_COMMANDS))

    def get_command(self, ctx, name):
        command = super().get_command(ctx, name)
        if command is None and name in LAZY_COMMANDS:
            import importlib
            module, attribute = LAZY_COMMANDS[name].split(":")
            command = getattr(importlib.import_module(module), attribute)
        return command


def _split_ids(values):
    out = []
    for value in values or ():
        out.extend(part.strip() for part in value.split(",") if part.strip())
    return tuple(out)


def _default_lang():
    from hostcheck.report.i18n import lang_from_locale
    return lang_from_locale()


def _remember(ctx, param, value):
    ctx.meta["hostcheck." + param.name] = value
    return value


# Options of the report's view, kept in ctx.meta (emit_report reads them), so that no
# command's signature changes.
VIEW_OPTIONS = [
    click.option("-q", "--quiet", is_flag=True, expose_value=False, callback=_remember,
                 help="Only what is not a pass, in full, and one line counting the passes (text view)."),
    click.option("--format", "output_format", type=click.Choice(FORMATS), expose_value=False, callback=_remember,
                 help="text (default), json (the report document; same as --json) or junit "
                      "(JUnit XML for CI: one testsuite per area and one for the trees)."),
    click.option("--pretty", is_flag=True, expose_value=False, callback=_remember,
                 help="Indented JSON (the default on a terminal; a file or a pipe gets compact JSON)."),
]

HOST_HELP = ("The Docker engine to read: unix:///PATH, tcp://HOST:PORT (TLS from DOCKER_TLS_VERIFY and "
             "DOCKER_CERT_PATH) or ssh://[USER@]HOST. Default as the docker CLI: DOCKER_HOST, DOCKER_CONTEXT, "
             "the CLI's current context, $XDG_RUNTIME_DIR/docker.sock, /var/run/docker.sock.")
# -H/--host, kept in ctx.meta like the view options (engine_host() reads it).
HOST_OPTION = click.option("-H", "--host", "engine_host", metavar="URL", expose_value=False, callback=_remember,
                           help=HOST_HELP)


def engine_host():
    """The engine -H/--host named for the command that runs now (None: choose as the docker CLI does)."""
    ctx = click.get_current_context(silent=True)
    return ctx.meta.get("hostcheck.engine_host") if ctx is not None else None


def quiet_common_options(func):
    """--no-color and --lang for a command they change nothing in (a JSON schema has no colour
    and no language): accepted, so that they may stand before any command name, not listed."""
    func = click.option("--no-color", is_flag=True, hidden=True, expose_value=False)(func)
    return click.option("--lang", type=click.Choice(("en", "zh")), hidden=True, expose_value=False)(func)


def report_options(func=None, probes=True):
    """Options shared by every command that prints a report (SPEC: common options).

    `probes=False` for a command that judges a capture it is given and takes none itself
    (analyze): --timeout bounds probes, so it is not offered there.
    """
    if func is None:
        return lambda func: report_options(func, probes=probes)
    options = [
        click.option("--json", "as_json", is_flag=True, help="Print the report document as JSON."),
        click.option("-o", "--output", type=OutputPath(dir_okay=False, allow_dash=True),
                     help="Write what would go to stdout to FILE (a path; the format is --format's)."),
        click.option("--fail-on", type=click.Choice(FAIL_ON), default="fail", show_default=True,
                     help="Exit 1 when a finding or verdict reaches this status."),
        click.option("--only", multiple=True, metavar="IDS",
                     help="Only these rule ids or areas, and tree verdicts by tree, verdict id or subject "
                          "(comma-separated, repeatable)."),
        click.option("--skip", multiple=True, metavar="IDS",
                     help="Leave out these rule ids or areas, and tree verdicts by tree, verdict id or subject "
                          "(comma-separated, repeatable)."),
        click.option("--lang", type=click.Choice(("en", "zh")), default=None,
                     help="Language of the human text (default: from the locale; zh_* gives Chinese)."),
        click.option("--redact", is_flag=True,
                     help="Pseudonymise hostnames, IP and MAC addresses (consistently within the document)."),
        click.option("--timeout", type=click.FloatRange(min=0.05), default=5.0, show_default=True,
                     metavar="SECONDS", help="Bound each probe; the whole capture has a deadline of a few times this."),
        click.option("--no-color", is_flag=True, help="Plain text, no colours."),
        # Kept in ctx.meta (emit_report reads them), so that no command's signature changes.
        click.option("--html", "html_file", metavar="FILE", expose_value=False, callback=_remember,
                     type=click.Path(dir_okay=False), help="Also write the report as one self-contained HTML page."),
        click.option("--fix-script", "fix_script_file", metavar="FILE", expose_value=False, callback=_remember,
                     type=click.Path(dir_okay=False),
                     help="Also write the remediation commands as a bash script to review (hostcheck never runs it)."),
    ]
    for option in reversed(VIEW_OPTIONS):    # listed after the options above
        func = option(func)
    for option in reversed(options):
        func = option(func)
    if probes:      # the engine to capture: not for a command that judges a capture it is given
        func = HOST_OPTION(func)
    else:
        func.__click_params__ = [p for p in func.__click_params__ if p.name != "timeout"]
    return func


def _write(text, output):
    """`text` to stdout, or to the file `output`, which appears only once complete.

    DEL, C1 and bidi controls and lone surrogates are written as \\u escapes: in JSON that is
    the same value with nothing a terminal acts on or UTF-8 refuses (a text report has none
    of them left by then).
    """
    from hostcheck.files import write_whole
    from hostcheck.report.escape import safe_json_text
    text = safe_json_text(text)
    if not output or output == "-":
        click.echo(text, nl=False)
        return
    try:
        write_whole(output, [text])
    except OSError as exc:
        raise Fatal("cannot write %s: %s" % (output, exc.strerror or exc))


def _take_capture(timeout, redact, sockets=True, registry_refs=()):
    from hostcheck.capture import take
    extra = {"registry_refs": registry_refs} if registry_refs else {}
    return take(timeout=timeout, redact=redact, sockets=sockets, host=engine_host(), **extra)


def load_capture(path):
    """Read a capture document from PATH (or `-`), refusing anything else with one line.

    Only a regular file or stdin is read, up to files.CAPTURE_LIMIT bytes and
    files.MAX_DEPTH levels of nesting. Lone surrogates ("\\ud800" is valid JSON) become
    U+FFFD here, so that nothing after (parsers, --redact, the writers) meets a string
    UTF-8 cannot encode. Secrets are redacted as the capture itself redacts them
    (scrub_secrets), whichever hostcheck wrote the document.
    """
    from hostcheck import files
    from hostcheck.report import CaptureError, check_capture
    name = "stdin" if path == "-" else path
    try:
        if path == "-":
            data = files.read_stream(sys.stdin.buffer, files.CAPTURE_LIMIT, "a capture")
        else:
            data = files.read_regular(path, files.CAPTURE_LIMIT, "a capture")
        text = data.decode("utf-8")
    except files.Refused as exc:
        raise Fatal("%s is %s" % (name, exc))
    except OSError as exc:
        raise Fatal("cannot read %s: %s" % (name, exc.strerror or exc))
    except UnicodeDecodeError:
        raise Fatal("%s is not a hostcheck capture (not UTF-8 text)" % name)
    if not text.strip():
        raise Fatal("%s is empty, not a hostcheck capture" % name)
    too_deep = "%s nests JSON deeper than %d levels: not a hostcheck capture" % (name, files.MAX_DEPTH)
    try:
        doc = json.loads(text)
    except RecursionError:      # the json module's own limit (~1,000 levels)
        raise Fatal(too_deep)
    except ValueError as exc:
        raise Fatal("%s is not valid JSON (%s); was it truncated?" % (name, exc))
    if files.too_deep(doc):
        raise Fatal(too_deep)
    if files.may_hold_surrogates(text):
        doc = files.without_surrogates(doc)
    try:
        doc = check_capture(doc, origin=name)
    except CaptureError as exc:
        raise Fatal(str(exc))
    # A capture from an older hostcheck (or edited by hand) gets today's redaction before
    # anything reads it: 14 ms CPU on this machine's 230 KB capture (tests/data/captures).
    from hostcheck.capture.redact import scrub_secrets
    return scrub_secrets(doc)


def emit_report(ctx, capture, as_json, output, fail_on, only, skip, lang, no_color, redact=False, trees=None):
    """Judge `capture`, print the report, and exit with SPEC's code.

    `trees` as in build_report: None for check/analyze, else the trees of the command's subjects.
    """
    from hostcheck.report import UnknownIds, build_report, exit_code

    output_format = chosen_format(ctx, as_json)
    only, skip = _split_ids(only), _split_ids(skip)
    if redact:
        from hostcheck.capture.redact import pseudonymise
        capture = pseudonymise(capture)
    lang = lang or _default_lang()
    try:
        report, _facts = build_report(capture, lang=lang, only=only, skip=skip, trees=trees)
    except UnknownIds as exc:
        raise UsageLine(unknown_ids_message(exc.unknown, only))
    write_side_files(ctx, report)
    if output_format == "json":
        _write(json_text(report, pretty=ctx.meta.get("hostcheck.pretty") or _to_terminal(output)), output)
    elif output_format == "junit":
        from hostcheck.report.junit import render_junit
        _write(render_junit(report, fail_on), output)
    else:
        _print_text(report, output, color=not no_color, quiet=bool(ctx.meta.get("hostcheck.quiet")))
    ctx.exit(exit_code(report, fail_on))


def json_text(document, pretty=False):
    """A document as JSON text: indented for a person, else compact (json's C encoder,
    which `indent` turns off: ~3x the time, and a third more bytes for a fleet to read)."""
    if pretty:
        return json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n"


def _to_terminal(output):
    """True when `output` (None or `-` for stdout) is a terminal a person reads."""
    if output and output != "-":
        return False
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


def write_side_files(ctx, report):
    """--html FILE and --fix-script FILE, written whole (beside stdout's report)."""
    from hostcheck.files import write_whole
    for key, module in (("hostcheck.html_file", "hostcheck.report.html:render_page"),
                        ("hostcheck.fix_script_file", "hostcheck.report.fixscript:render_script")):
        path = ctx.meta.get(key)
        if not path:
            continue
        import importlib
        module_name, function = module.split(":")
        text = getattr(importlib.import_module(module_name), function)(report)
        try:
            write_whole(path, [text])
        except OSError as exc:
            raise Fatal("cannot write %s: %s" % (path, exc.strerror or exc))


def chosen_format(ctx, as_json):
    """text, json or junit, from --format (kept in ctx.meta) and --json."""
    return resolve_format(as_json, ctx.meta.get("hostcheck.output_format"))


def resolve_format(as_json, output_format):
    """text, json or junit, from --json and --format (which may not disagree)."""
    if as_json and output_format not in (None, "json"):
        raise UsageLine("--json and --format %s name two formats: give one" % output_format)
    return "json" if as_json else output_format or "text"


def unknown_ids_message(unknown, only):
    """One line naming each unknown id, the option it came with, and the nearest valid ids."""
    parts = []
    for name, nearest in unknown:
        hint = ""
        if nearest:
            hint = " (did you mean %s?)" % (nearest[0] if len(nearest) == 1 else
                                            "%s or %s" % (", ".join(nearest[:-1]), nearest[-1]))
        parts.append("%s %s%s" % ("--only" if name in only else "--skip", name, hint))
    return ("unknown id: %s. --only and --skip take rule ids and areas (`hostcheck rules list`), "
            "tree and verdict ids, and the subjects of trees" % "; ".join(parts))


def _print_text(report, output, color, quiet=False):
    from hostcheck.report.text import render
    print_rendered(render, report, output, color, quiet=quiet)


def print_rendered(render, document, output, color, width=100, **options):
    """Text for a person: coloured on a terminal (unless NO_COLOR), plain in a file.

    `options` go to `render` as they are (quiet=True for the report's -q).
    """
    if not output or output == "-":
        render(document, color=color and not os.environ.get("NO_COLOR"), **options)
        return
    import io
    buffer = io.StringIO()
    render(document, file=buffer, color=False, width=width, **options)
    _write(buffer.getvalue(), output)


@click.group(cls=DefaultToCheck, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="hostcheck", message="%(prog)s %(version)s")
def cli():
    """Read-only diagnostics for Linux hosts that run containers.

    Without a command, `hostcheck` checks this host (same as `hostcheck check`).
    Common options (--no-color, --lang, --json, -q, …) may also stand before the command
    name: `hostcheck --no-color rules list`.
    """


def multi_host_option(func):
    return click.option("--multi-host", is_flag=True,
                        help="Also judge multi-host readiness (swarm and overlay ports, kernel options, MTU) "
                             "when the host is not in a swarm yet; a swarm node is always judged.")(func)


def with_request(capture, multi_host):
    """The document to judge, with what the user asked for as facts read (request.*)."""
    if not multi_host:
        return capture
    return dict(capture, request={"multi_host": True})


@cli.command()
@report_options
@multi_host_option
@click.pass_context
def check(ctx, as_json, output, fail_on, only, skip, lang, redact, timeout, no_color, multi_host):
    """Capture this host, judge it, print the report."""
    # No rule of `check` reads the host's socket owners; the network trees take them.
    capture = _take_capture(timeout, redact=False, sockets=False)
    emit_report(ctx, with_request(capture, multi_host), as_json, output, fail_on, only, skip, lang, no_color,
                redact=redact)


@cli.command()
@click.option("-o", "--output", default="-", show_default=True,
              type=OutputPath(dir_okay=False, allow_dash=True), help="Where to write the capture (`-` for stdout).")
@click.option("--redact", is_flag=True, help="Pseudonymise hostnames, IP and MAC addresses.")
@click.option("--timeout", type=click.FloatRange(min=0.05), default=5.0, show_default=True, metavar="SECONDS",
              help="Bound each probe.")
@click.option("--image", "images", multiple=True, metavar="REF",
              help="Also ask REF's registry, through the engine, which platforms it offers "
                   "(for `hostcheck image --capture FILE REF` elsewhere). Repeatable.")
@HOST_OPTION
@quiet_common_options
def capture(output, redact, timeout, images):
    """Write the capture document only (judge it anywhere with `analyze`)."""
    doc = _take_capture(timeout, redact=redact, registry_refs=images)
    _write(json.dumps(doc, ensure_ascii=False, indent=1, sort_keys=True) + "\n", output)


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@report_options(probes=False)
@multi_host_option
@click.pass_context
def analyze(ctx, file, as_json, output, fail_on, only, skip, lang, redact, no_color, multi_host):
    """Judge a capture document taken elsewhere; same output as `check`."""
    doc = load_capture(file)
    emit_report(ctx, with_request(doc, multi_host), as_json, output, fail_on, only, skip, lang, no_color,
                redact=redact)


@cli.group()
def rules():
    """The rule catalogue."""


lang_option = click.option("--lang", type=click.Choice(("en", "zh")), default=None,
                           help="Language of the text (default: from the locale).")
no_color_option = click.option("--no-color", is_flag=True, help="Plain text, no colours.")


@rules.command("list")
@click.option("--json", "as_json", is_flag=True, help="JSON instead of a table.")
@lang_option
@no_color_option
def rules_list(as_json, lang, no_color):
    """Every rule: id, area, title."""
    from hostcheck.report.catalogue_view import list_rules
    list_rules(lang or _default_lang(), as_json, color=_colour(no_color))


@rules.command("show")
@click.argument("rule_id")
@click.option("--json", "as_json", is_flag=True, help="JSON instead of text.")
@lang_option
@no_color_option
@click.option("--trace", is_flag=True,
              help="Where the rule's facts come from: its YAML line, each fact's combiner, parsers "
                   "and capture keys, its cases and the tests that name it.")
def rules_show(rule_id, as_json, lang, no_color, trace):
    """One rule: what it checks, its source, examples, the fix."""
    from hostcheck.report.catalogue_view import show_rule
    if not show_rule(rule_id, lang or _default_lang(), as_json, color=_colour(no_color), trace=trace):
        raise click.BadParameter("no rule with id %r (see `hostcheck rules list`)" % rule_id,
                                 param_hint="RULE_ID")


def _colour(no_color):
    return not no_color and not os.environ.get("NO_COLOR")


@cli.command()
@click.argument("document", type=click.Choice(("capture", "report", "fleet")))
@quiet_common_options
def schema(document):
    """Print the JSON schema of a capture, report or fleet document."""
    from hostcheck.data import read_text
    click.echo(read_text("schema/%s.json" % document), nl=False)


def main():
    try:
        cli.main(prog_name="hostcheck")
    except KeyboardInterrupt:
        click.echo("hostcheck: interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # a bug must still end in one line, not a traceback
        from hostcheck.report.escape import visible
        click.echo("hostcheck: internal error: %s: %s" % (type(exc).__name__, visible(exc)), err=True)
        if os.environ.get("HOSTCHECK_DEBUG"):
            raise
        sys.exit(EXIT_NO_REPORT)


if __name__ == "__main__":
    main()
