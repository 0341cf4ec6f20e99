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
    "fleet": "hostcheck.fleet.cli:fleet",
    "completion": "hostcheck.completion:completion",
}


class DefaultToCheck(click.Group):
    """`hostcheck` and `hostcheck --json …` mean `hostcheck check …`; some commands load lazily."""

    def parse_args(self, ctx, args):
        group_only = {"--help", "-h", "--version"}
        # Shell completion parses resiliently: there `hostcheck <TAB>` lists the commands.
        bare = not args and not ctx.resilient_parsing
        if bare or (args and args[0].startswith("-") and args[0] not in group_only):
            args = ["check"] + list(args)
        return super().parse_args(ctx, args)

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


def report_options(func):
    """Options shared by every command that prints a report (SPEC: common options)."""
    options = [
        click.option("--json", "as_json", is_flag=True, help="Print the report document as JSON."),
        click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True),
                     help="Write what would go to stdout to FILE."),
        click.option("--fail-on", type=click.Choice(FAIL_ON), default="fail", show_default=True,
                     help="Exit 1 when a finding or verdict reaches this status."),
        click.option("--only", multiple=True, metavar="IDS",
                     help="Judge only these rule ids or areas (comma-separated, repeatable)."),
        click.option("--skip", multiple=True, metavar="IDS",
                     help="Leave out these rule ids or areas (comma-separated, repeatable)."),
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
    for option in reversed(options):
        func = option(func)
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
    return take(timeout=timeout, redact=redact, sockets=sockets, **extra)


def load_capture(path):
    """Read a capture document from PATH (or `-`), refusing anything else with one line.

    Only a regular file or stdin is read, up to files.CAPTURE_LIMIT bytes and
    files.MAX_DEPTH levels of nesting. Lone surrogates ("\\ud800" is valid JSON) become
    U+FFFD here, so that nothing after (parsers, --redact, the writers) meets a string
    UTF-8 cannot encode.
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
        return check_capture(doc, origin=name)
    except CaptureError as exc:
        raise Fatal(str(exc))


def emit_report(ctx, capture, as_json, output, fail_on, only, skip, lang, no_color, redact=False, trees=None):
    """Judge `capture`, print the report, and exit with SPEC's code.

    `trees` as in build_report: None for check/analyze, else the trees of the command's subjects.
    """
    from hostcheck.report import build_report, exit_code

    if redact:
        from hostcheck.capture.redact import pseudonymise
        capture = pseudonymise(capture)
    lang = lang or _default_lang()
    report, _facts = build_report(capture, lang=lang, only=_split_ids(only), skip=_split_ids(skip), trees=trees)
    write_side_files(ctx, report)
    if as_json:
        _write(json.dumps(report, ensure_ascii=False, indent=2) + "\n", output)
    else:
        _print_text(report, output, color=not no_color)
    ctx.exit(exit_code(report, fail_on))


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


def _print_text(report, output, color):
    from hostcheck.report.text import render
    print_rendered(render, report, output, color)


def print_rendered(render, document, output, color, width=100):
    """Text for a person: coloured on a terminal (unless NO_COLOR), plain in a file."""
    if not output or output == "-":
        render(document, color=color and not os.environ.get("NO_COLOR"))
        return
    import io
    buffer = io.StringIO()
    render(document, file=buffer, color=False, width=width)
    _write(buffer.getvalue(), output)


@click.group(cls=DefaultToCheck, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="hostcheck", message="%(prog)s %(version)s")
def cli():
    """Read-only diagnostics for Linux hosts that run containers.

    Without a command, `hostcheck` checks this host (same as `hostcheck check`).
    """


@cli.command()
@report_options
@click.pass_context
def check(ctx, as_json, output, fail_on, only, skip, lang, redact, timeout, no_color):
    """Capture this host, judge it, print the report."""
    # No rule of `check` reads the host's socket owners; the network trees take them.
    capture = _take_capture(timeout, redact=False, sockets=False)
    emit_report(ctx, capture, as_json, output, fail_on, only, skip, lang, no_color, redact=redact)


@cli.command()
@click.option("-o", "--output", default="-", show_default=True,
              type=click.Path(dir_okay=False, allow_dash=True), help="Where to write the capture (`-` for stdout).")
@click.option("--redact", is_flag=True, help="Pseudonymise hostnames, IP and MAC addresses.")
@click.option("--timeout", type=click.FloatRange(min=0.05), default=5.0, show_default=True, metavar="SECONDS",
              help="Bound each probe.")
@click.option("--image", "images", multiple=True, metavar="REF",
              help="Also ask REF's registry, through the engine, which platforms it offers "
                   "(for `hostcheck image --capture FILE REF` elsewhere). Repeatable.")
def capture(output, redact, timeout, images):
    """Write the capture document only (judge it anywhere with `analyze`)."""
    doc = _take_capture(timeout, redact=redact, registry_refs=images)
    _write(json.dumps(doc, ensure_ascii=False, indent=1, sort_keys=True) + "\n", output)


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@report_options
@click.pass_context
def analyze(ctx, file, as_json, output, fail_on, only, skip, lang, redact, timeout, no_color):
    """Judge a capture document taken elsewhere; same output as `check`."""
    doc = load_capture(file)
    emit_report(ctx, doc, as_json, output, fail_on, only, skip, lang, no_color, redact=redact)


@cli.group()
def rules():
    """The rule catalogue."""


@rules.command("list")
@click.option("--json", "as_json", is_flag=True, help="JSON instead of a table.")
@click.option("--lang", type=click.Choice(("en", "zh")), default=None)
def rules_list(as_json, lang):
    """Every rule: id, area, title."""
    from hostcheck.report.catalogue_view import list_rules
    list_rules(lang or _default_lang(), as_json)


@rules.command("show")
@click.argument("rule_id")
@click.option("--json", "as_json", is_flag=True, help="JSON instead of text.")
@click.option("--lang", type=click.Choice(("en", "zh")), default=None)
def rules_show(rule_id, as_json, lang):
    """One rule: what it checks, its source, examples, the fix."""
    from hostcheck.report.catalogue_view import show_rule
    if not show_rule(rule_id, lang or _default_lang(), as_json):
        raise click.BadParameter("no rule with id %r (see `hostcheck rules list`)" % rule_id,
                                 param_hint="RULE_ID")


@cli.command()
@click.argument("document", type=click.Choice(("capture", "report", "fleet")))
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
