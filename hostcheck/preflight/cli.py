"""`hostcheck preflight [PATH]`: will this compose project (or Dockerfile) come up here?

PATH is a compose file, a Dockerfile, or a directory holding one (compose.yaml, compose.yml,
docker-compose.yaml, docker-compose.yml, in that order, with an override file beside it;
else a Dockerfile); default the current directory. Live, this host is captured (with the
compose tools' versions) and judged; with `--capture FILE` the project is judged against a
customer's capture. Read-only: `config` is the only compose command hostcheck runs, and
only when docker compose (v2) or docker-compose is installed where hostcheck runs.
"""

import os

import click

from hostcheck.cli import Fatal, emit_report, engine_host, load_capture, report_options

# Findings shown beside the trees unless --only says otherwise: the areas a project leans on.
DEFAULT_ONLY = ("docker", "network", "firewall", "dns", "binfmt", "kernel-emulation-floor")


def _find_tool(records, timeout):
    from hostcheck.capture import compose as compose_tools
    return compose_tools.choose_tool(records if records is not None else compose_tools.detect(timeout))


def _registry_refs(capture, model):
    """Image references to ask a registry about: named with their registry, not local."""
    from hostcheck.image.local import find_image, listed_images, looks_like_registry_ref
    local = listed_images(capture)
    refs = [s["image"] for s in model["services"] if s["active"] and s["image"]]
    for build in (model.get("builds") or {}).values():
        refs.extend(stage["from"] for stage in (build.get("parsed") or {}).get("stages", ()))
    return [ref for ref in dict.fromkeys(refs) if looks_like_registry_ref(ref) and find_image(local, ref) is None]


@click.command()
@click.argument("path", required=False, default=".", metavar="[PATH]")
@click.option("--capture", "capture_file", metavar="FILE", type=click.Path(dir_okay=False, allow_dash=True),
              help="Judge the project against a capture document instead of this host.")
@click.option("--profile", "profiles", multiple=True, metavar="NAME",
              help="Activate services of this compose profile (repeatable; default: COMPOSE_PROFILES).")
@click.option("-p", "--project-name", metavar="NAME",
              help="The compose project's name (default: COMPOSE_PROJECT_NAME, the file's `name:`, the directory).")
@click.option("--own-parser", is_flag=True,
              help="Read the compose file with hostcheck's own parser even where docker compose is installed.")
@report_options
@click.pass_context
def preflight(ctx, path, capture_file, profiles, project_name, own_parser, as_json, output, fail_on, only, skip,
              lang, redact, timeout, no_color):
    """Will this compose project (or Dockerfile) come up here? One verdict per service."""
    from hostcheck.capture import compose as compose_tools
    from hostcheck.preflight.project import ProjectError, read_project
    from hostcheck.preflight.walk import preflight_trees

    if capture_file:
        capture, records = load_capture(capture_file), None
    else:
        from hostcheck.capture import take
        capture = take(timeout=timeout, redact=False, sockets=True, extra_commands=compose_tools.VERSION_COMMANDS,
                       host=engine_host())
        records = capture.get("commands") or {}
    try:
        model = read_project(
            path, dict(os.environ), profiles, project_name,
            find_tool=None if own_parser else (lambda: _find_tool(records, timeout)),
            run_config=lambda tool, location, name, asked: compose_tools.run_config(
                tool, location.files, location.directory, name, asked, timeout))
    except ProjectError as exc:
        raise Fatal(str(exc))
    capture["compose"] = model
    if not capture_file:
        refs = _registry_refs(capture, model)
        if refs:
            from hostcheck.capture.registry import record
            record(capture, refs, timeout, host=engine_host())
    if not only and not skip:
        only = DEFAULT_ONLY
    emit_report(ctx, capture, as_json, output, fail_on, only, skip, lang, no_color, redact=redact,
                trees=preflight_trees)
