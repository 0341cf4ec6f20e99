"""`hostcheck fleet PATH…`: many hosts' JSON reports in one view (text, --json, --html FILE).

Exit codes as `check`: 1 when some host has a finding or verdict at or above --fail-on,
else 0; 3 when a PATH is missing or no input is a usable report (one line on stderr).
Files that are not reports are skipped with a one-line reason each, shown in the view.
"""


import click

from hostcheck.cli import FAIL_ON, Fatal, OutputPath, _default_lang, print_rendered, resolve_format


@click.command()
@click.argument("paths", nargs=-1, required=True, metavar="PATH...", type=click.Path())
@click.option("--json", "as_json", is_flag=True, help="Print the hostcheck.fleet/v1 document as JSON.")
@click.option("--format", "output_format", type=click.Choice(("text", "json")), default=None,
              help="text (default) or json (the hostcheck.fleet/v1 document; same as --json).")
@click.option("--html", "html_file", type=click.Path(dir_okay=False), metavar="FILE",
              help="Also write a self-contained HTML page (no network, no external assets).")
@click.option("-o", "--output", type=OutputPath(dir_okay=False, allow_dash=True),
              help="Write what would go to stdout to FILE (a path; the format is --format's).")
@click.option("--fail-on", type=click.Choice(FAIL_ON), default="fail", show_default=True,
              help="Exit 1 when some host has a finding or verdict at this status or worse.")
@click.option("--lang", type=click.Choice(("en", "zh")), default=None,
              help="Language of the view's own labels (findings keep the language they were judged in).")
@click.option("--no-color", is_flag=True, help="Plain text, no colours.")
@click.pass_context
def fleet(ctx, paths, as_json, output_format, html_file, output, fail_on, lang, no_color):
    """Aggregate many hosts' JSON reports (files or directories of *.json) into one view.

    Per host the worst status per area; per rule how many hosts fail or warn, and which;
    hosts by OS and platform. Make the reports with `hostcheck check --json -o HOST.json`
    (or `hostcheck analyze CAPTURE --json -o HOST.json`).
    """
    from hostcheck.fleet.aggregate import Aggregator, exit_code, json_chunks
    from hostcheck.fleet.collect import InputError, find_report_files, read_packed
    from hostcheck.report.progress import Progress

    as_json = resolve_format(as_json, output_format) == "json"
    lang = lang or _default_lang()
    try:
        files = find_report_files(paths)
    except InputError as exc:
        raise Fatal(str(exc))
    if not files:
        raise Fatal("no .json files in %s" % " ".join(paths))
    aggregator, skipped = Aggregator(), []
    # ~3,000 reports a second on one core (more with the worker pool): a big fleet takes a while.
    with Progress("Reading reports", total=len(files), color=not no_color) as progress:
        try:
            # With --html, workers make each host's section of the page as they read it.
            for kind, item in read_packed(files, details_lang=lang if html_file else None):
                if kind == "host":
                    aggregator.add_packed(*item)
                else:
                    skipped.append(item)
                progress.advance()
        except OSError as exc:      # the spool's temporary file: a full disk, a file size limit
            raise Fatal("cannot write the fleet's temporary file: %s" % (exc.strerror or exc))
    if not aggregator.rows:
        first = skipped[0]
        raise Fatal("no usable hostcheck report among %d input file%s (%s: %s)"
                    % (len(files), "" if len(files) == 1 else "s", first["path"], first["reason"]))

    doc = aggregator.fleet(skipped, lang=lang, fail_on=fail_on)
    if html_file:
        from hostcheck.fleet.html import render_html
        _write_chunks(render_html(doc), html_file)
    if as_json:
        from hostcheck.report.escape import safe_json_text
        _write_chunks(json_chunks(doc, escape=safe_json_text), output)
        if skipped:
            click.echo("hostcheck: skipped %d input%s that %s not a usable report (see \"skipped\")"
                       % (len(skipped), "" if len(skipped) == 1 else "s", "is" if len(skipped) == 1 else "are"),
                       err=True)
    else:
        _print_text(doc, output, color=not no_color)
    ctx.exit(exit_code(doc))


def _write_chunks(chunks, output):
    """Write text piece by piece to FILE, or stdout for None or `-` (a 10,000-host
    document is never held as one string). FILE appears only once complete
    (files.write_whole): a failure halfway leaves no truncated page or document."""
    if not output or output == "-":
        stream = click.get_text_stream("stdout")
        for chunk in chunks:
            stream.write(chunk)
        stream.flush()
        return
    from hostcheck.files import write_whole
    try:
        write_whole(output, chunks)
    except OSError as exc:
        raise Fatal("cannot write %s: %s" % (output, exc.strerror or exc))


def _print_text(doc, output, color):
    from hostcheck.fleet.text import render
    print_rendered(render, doc, output, color, width=160)
