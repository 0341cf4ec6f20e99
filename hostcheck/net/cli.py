"""`hostcheck net egress|port|reach`: the network decision trees on the command line.

Each judges the live host (a fresh capture) or `--capture FILE`, prints the report with
the tree(s) and the host's network, firewall and DNS findings, and exits as SPEC says.
Read, don't poke: nothing here sends a packet or enters a container.
"""

import click

from hostcheck.cli import UsageLine, _take_capture, emit_report, load_capture, report_options

# Findings shown beside the trees unless --only says otherwise: the areas a network verdict
# leans on (the whole catalogue is `hostcheck check`'s job).
NET_AREAS = ("network", "firewall", "dns")


# A malformed argument: one line on stderr, exit 2.
BadArgument = UsageLine


capture_option = click.option(
    "--capture", "capture_file", metavar="FILE", type=click.Path(dir_okay=False, allow_dash=True),
    help="Judge this capture document instead of the live host.")


def _judge(ctx, capture_file, walk, as_json, output, fail_on, only, skip, lang, redact, timeout, no_color):
    capture = load_capture(capture_file) if capture_file else _take_capture(timeout, redact=False)

    def trees(capture, facts, catalogue, lang):
        return walk(capture, facts, catalogue, lang)

    emit_report(ctx, capture, as_json, output, fail_on, only or NET_AREAS, skip, lang, no_color,
                redact=redact, trees=trees)


@click.group()
def net():
    """Why can't this container talk? (network decision trees)"""


@net.command()
@click.argument("container", required=False)
@capture_option
@report_options
@click.pass_context
def egress(ctx, container, capture_file, as_json, output, fail_on, only, skip, lang, redact, timeout, no_color):
    """Why CONTAINER (or every running container) has no egress or DNS."""
    from hostcheck.net import walk_egress
    _judge(ctx, capture_file,
           lambda capture, facts, catalogue, lang: walk_egress(capture, facts, container, catalogue, lang),
           as_json, output, fail_on, only, skip, lang, redact, timeout, no_color)


@net.command()
@click.argument("spec", metavar="HOSTPORT|CONTAINER:PORT[/tcp|/udp]")
@capture_option
@report_options
@click.pass_context
def port(ctx, spec, capture_file, as_json, output, fail_on, only, skip, lang, redact, timeout, no_color):
    """Why a published port does not answer (a bare number is the host port)."""
    from hostcheck.net import parse_port_spec, walk_port
    try:
        parsed = parse_port_spec(spec)
    except ValueError as exc:
        raise BadArgument(str(exc))
    _judge(ctx, capture_file,
           lambda capture, facts, catalogue, lang: walk_port(capture, facts, parsed, catalogue, lang),
           as_json, output, fail_on, only, skip, lang, redact, timeout, no_color)


@net.command()
@click.argument("src")
@click.argument("dst", metavar="DST")
@capture_option
@report_options
@click.pass_context
def reach(ctx, src, dst, capture_file, as_json, output, fail_on, only, skip, lang, redact, timeout, no_color):
    """Why container SRC cannot reach DST (a container name or id, or IP[:PORT])."""
    from hostcheck.net import parse_destination, walk_reach
    try:
        parsed = parse_destination(dst)
    except ValueError as exc:
        raise BadArgument(str(exc))
    if not src.strip() or ":" in src:
        raise BadArgument("SRC %r: expected a container name or id" % src)
    _judge(ctx, capture_file,
           lambda capture, facts, catalogue, lang: walk_reach(capture, facts, src, parsed, catalogue, lang),
           as_json, output, fail_on, only, skip, lang, redact, timeout, no_color)
