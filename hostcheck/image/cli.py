"""`hostcheck image REF… [--archive FILE]… [--capture FILE]`: will these images run here?

REF is a local image (tag, or full or short id) — judged from the engine's image list, live
or from `--capture` — or, when it is not local and names its registry host
(`localhost:5000/app:1.0`), a registry reference. Live, the capture asks the registry
through the engine (its registry step, docker.registry[REF]) and then judges; with
`--capture FILE` only the document's answer counts, and none means the tree says so.
`--archive` reads a `docker save` tar or an OCI layout (tar or directory; `-` for stdin)
offline, and also checks the ELF headers of the binaries inside.
"""

import sys

import click

from hostcheck.cli import Fatal, emit_report, engine_host, load_capture, report_options
from hostcheck.image import archive as archive_mod
from hostcheck.image.judge import image_tree
from hostcheck.image.local import (engine_elsewhere, find_image, image_name, image_platform, listed_images,
                                   looks_like_registry_ref)
from hostcheck.image.registry import recorded, registry_reachable

# The image command judges images: only image-area rules come along unless asked otherwise,
# so an unrelated host finding does not decide its exit code.
DEFAULT_ONLY = ("image",)


class _Subject(object):
    """One thing to judge: its name, platforms, optional binaries, or why it is unknown."""

    def __init__(self, name, ref, platforms=None, binaries=None, unknown=None):
        self.name, self.ref = name, ref
        self.platforms = platforms or []
        self.binaries = binaries
        self.unknown = unknown


def read_archive_showing_progress(path, color=True):
    """archive.read_archive / read_archive_stream, with a progress bar on a terminal for a
    tar (a file's size is known; stdin's is not) — a 630 MB archive takes ~15 s to scan."""
    import os
    from hostcheck.report.progress import CountingReader, Progress
    if path != "-" and (os.path.isdir(path) or not os.path.exists(path)):
        return archive_mod.read_archive(path)     # an OCI directory, or the one-line error
    if path == "-":
        with Progress("Reading stdin", unit="bytes", color=color) as progress:
            return archive_mod.read_archive_stream(CountingReader(sys.stdin.buffer, progress), "stdin")
    try:
        handle = open(path, "rb")
    except OSError as exc:
        raise archive_mod.ArchiveError("cannot read %s: %s" % (path, exc.strerror or exc))
    with handle, Progress("Reading %s" % os.path.basename(path), total=os.fstat(handle.fileno()).st_size,
                          unit="bytes", color=color) as progress:
        # What read_archive does with a tar file, reading through the counter.
        return archive_mod.read_archive_stream(CountingReader(handle, progress), path)


def archive_subjects(path, color=True):
    """_Subjects of every image in an archive (ArchiveError when it cannot be read)."""
    source = "stdin" if path == "-" else path
    images = read_archive_showing_progress(path, color)
    subjects = []
    for image in images:
        platforms = [p.platform for p in image.platforms if p.platform is not None]
        binaries = {p.platform: (p.binaries, p.note) for p in image.platforms if p.platform is not None}
        name = "%s (%s)" % (image.name, source)
        ref = image.name.split(", ")[0] if not image.name.startswith("sha256:") else "IMAGE"
        subjects.append(_Subject(name, ref, platforms, binaries,
                                 unknown=None if platforms else (image.problem or "the archive names no platform for %s" % image.name)))
    return subjects


def ref_subjects(refs, facts, answers):
    """answers: {ref: RegistryAnswer} read from the capture (registry.recorded)."""
    images = facts.get("docker.images")
    elsewhere = engine_elsewhere(facts)
    subjects = []
    for ref in refs:
        if elsewhere:   # a REF is pulled and run by the engine, on its machine
            subjects.append(_Subject(ref, ref, unknown=elsewhere))
            continue
        found = find_image(images or [], ref)
        if found is not None:
            platform = image_platform(found)
            subjects.append(_Subject(ref, ref, [platform] if platform else [],
                                     unknown=None if platform else "image %s has no recorded platform" % image_name(found)))
            continue
        if looks_like_registry_ref(ref):
            answer = answers[ref]
            subjects.append(_Subject(ref + " (registry)", ref, answer.platforms, unknown=answer.error))
            continue
        if images is None:
            why = "local images unknown: %s" % facts.reason("docker.images")
        else:
            why = "no local image %s (docker images lists %d); pull it, or give --archive FILE or a registry reference such as localhost:5000/%s" % (
                ref, len(images), ref)
        subjects.append(_Subject(ref, ref, unknown=why))
    return subjects


def capture_host(refs, timeout):
    """This host's capture, with the registry step for each REF that is not a local image
    and names its registry (a bare `busybox` would send the engine to Docker Hub)."""
    from hostcheck.capture import take
    from hostcheck.capture.registry import record
    capture = take(timeout=timeout, redact=False, host=engine_host())
    local = listed_images(capture)
    wanted = [ref for ref in refs if looks_like_registry_ref(ref) and find_image(local, ref) is None]
    if wanted:
        record(capture, wanted, timeout, host=engine_host())
    return capture


@click.command()
@click.argument("refs", nargs=-1, metavar="[REF]...")
@click.option("--archive", "archives", multiple=True, metavar="FILE",
              help="A `docker save` tar or an OCI image layout (tar or directory; - for stdin). Repeatable.")
@click.option("--capture", "capture_file", metavar="FILE", type=click.Path(dir_okay=False, allow_dash=True),
              help="Judge against a capture document instead of this host.")
@report_options
@click.pass_context
def image(ctx, refs, archives, capture_file, as_json, output, fail_on, only, skip, lang, redact, timeout, no_color):
    """Will these images run here? Local images, archives, or registry references."""
    if not refs and not archives:
        raise click.UsageError("give an image (REF) or --archive FILE")
    subjects = []
    for path in archives:
        try:
            subjects.extend(archive_subjects(path, color=not no_color))
        except archive_mod.ArchiveError as exc:
            raise Fatal(str(exc))
    if capture_file:
        capture = load_capture(capture_file)
    else:
        capture = capture_host(refs, timeout)
    # Read before --redact pseudonymises the document: docker.registry is keyed by REF as typed
    # (an IP in a registry's name would be rewritten).
    answers = dict((ref, recorded(capture, ref)) for ref in refs if looks_like_registry_ref(ref))
    reachable = registry_reachable(capture)

    def trees(capture, facts, catalogue, lang):
        judged = list(subjects) + ref_subjects(refs, facts, answers)
        if judged and all(s.unknown for s in judged):
            raise Fatal("nothing to judge: " + "; ".join(s.unknown for s in judged))
        return [image_tree(facts, s.name, s.platforms, s.binaries, ref=s.ref, lang=lang, catalogue=catalogue,
                           unknown_reason=s.unknown, registry_reachable=reachable)
                for s in judged]

    if not only and not skip:
        only = DEFAULT_ONLY
    emit_report(ctx, capture, as_json, output, fail_on, only, skip, lang, no_color, redact=redact, trees=trees)
