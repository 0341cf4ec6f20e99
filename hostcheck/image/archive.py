"""Image archives read offline, with no engine: `docker save` tarballs and OCI image layouts
(a tar, optionally gzip-compressed, or a directory), multi-platform indexes included.

A tar is read in ONE forward pass: small JSON members (manifest.json, index.json, configs,
manifests) are kept, every member that is itself a tar (a layer; plain or compressed) is
scanned for ELF headers as it streams past (elfscan), and the pieces are tied together at
the end, since `docker save` writes manifest.json last. Nothing is written to disk.

Archives are untrusted input (tarstream says how reading stays bounded): every JSON field
is checked for its type before use — a wrong one skips that image with the reason, or,
in manifest.json / index.json themselves, stops with a one-line error; a digest must be
`sha256:<64 hex>` or `sha512:<128 hex>`; and an OCI layout directory is never read outside
itself (paths are checked after resolving symlinks, files opened with O_NOFOLLOW, and
only regular files are read).
"""

import json
import os
import posixpath
import re
import stat

from hostcheck.image import elfscan, tarstream
from hostcheck.image.platform import normalise

MiB = tarstream.MiB
JSON_LIMIT = 4 * MiB       # one manifest or config (real ones: a few KB; json.loads may take ~25x in memory)
JSON_TOTAL = 32 * MiB      # JSON documents kept from one archive, before knowing which are needed
OUTER_MEMBER_LIMIT = 100000    # members of the archive tar itself (docker save: ~4 per layer)
NAME_LIMIT = 1024          # longer member names are not archive metadata: ignored
LINK_LIMIT = 10000         # symlinks and hard links kept (docker save links repeated layers)
MERGE_LIMIT = 10000000     # file entries merged across all images' layer stacks
NAME_SHOWN = 200           # characters of an archive-supplied string shown in a message
_HEAD = 512
_LAYER_KINDS = ("tar", "gzip", "bzip2", "xz", "zstd")
DIGEST = re.compile(r"\A(?:sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})\Z")
INDEX_TYPES = ("application/vnd.oci.image.index.v1+json",
               "application/vnd.docker.distribution.manifest.list.v2+json")


class ArchiveError(Exception):
    """The archive cannot be read at all (missing, not a tar, no manifest): exit 3."""


class _Invalid(Exception):
    """One document or field has the wrong shape: the image that needs it is skipped."""


class PlatformImage(object):
    """One platform's manifest inside an archive image."""

    def __init__(self, platform, layers=None, binaries=None, note=None):
        self.platform = platform        # Platform, or None when neither descriptor nor config says
        self.layers = layers or []
        self.binaries = binaries        # elfscan.BinaryReport, or None when not scanned
        self.note = note                # why the binaries were not scanned


class ArchiveImage(object):
    def __init__(self, name, kind, platforms, problem=None):
        self.name = name                # a tag, or the manifest/config digest
        self.kind = kind                # "docker-archive" | "oci-layout"
        self.platforms = platforms      # [PlatformImage]
        self.problem = problem          # why the image could not be read (platforms is then [])


def show(value):
    """An archive-supplied value for a message: quoted, shortened, control characters and
    non-ASCII escaped (it may reach a terminal)."""
    if isinstance(value, str) and len(value) > NAME_SHOWN:
        value = value[:NAME_SHOWN] + "..."
    return json.dumps(value, ensure_ascii=True) if isinstance(value, str) else _kind(value)


def _kind(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


_EXPECTED = {dict: "an object", list: "an array", str: "a string"}


def _field(document, key, expected, where, required=False):
    """document[key] when it has the JSON type `expected`; None when absent (or null) and
    not required; else _Invalid naming the field and what it is."""
    value = document.get(key)
    if value is None:
        if required:
            raise _Invalid("%s has no %s" % (where, key))
        return None
    if not isinstance(value, expected):
        raise _Invalid("%s: %s is %s, not %s" % (where, key, _kind(value), _EXPECTED[expected]))
    return value


def _strings(document, key, where):
    values = _field(document, key, list, where) or []
    for value in values:
        if not isinstance(value, str):
            raise _Invalid("%s: %s holds %s, not only strings" % (where, key, _kind(value)))
    return values


def _object(value, where):
    if not isinstance(value, dict):
        raise _Invalid("%s is %s, not an object" % (where, _kind(value)))
    return value


def _inside(name, what):
    """A path from the archive's metadata, relative to its root; _Invalid when it would leave it."""
    normal = posixpath.normpath(name)
    if name.startswith("/") or normal == ".." or normal.startswith("../") or "\0" in name:
        raise _Invalid("%s %s is not inside the archive" % (what, show(name)))
    return "" if normal == "." else normal


def _member_name(name):
    """'./manifest.json', '/abc/layer.tar' -> 'manifest.json', 'abc/layer.tar'."""
    name = posixpath.normpath(name.lstrip("/") or ".")
    return "" if name == "." else name


def _short(name):
    """'blobs/sha256/9f86d08…' -> 'sha256:9f86d081884c'; '<hex>/layer.tar' -> '<hex[:12]>/layer.tar'."""
    parts = name.split("/")
    if len(parts) == 3 and parts[0] == "blobs":
        return "%s:%s" % (parts[1], parts[2][:12])
    if len(parts) == 2 and len(parts[0]) == 64:
        return "%s/%s" % (parts[0][:12], parts[1])
    return show(name)


def _label(name, what):
    """'config "abc.json"', 'manifest sha256:9f86d081884c', 'index.json'."""
    return name if name == what else "%s %s" % (what, _short(name))


class _Contents(object):
    """What one pass over an archive learned: JSON documents, layer scans, symlinks."""

    def __init__(self, layer_budget):
        self.raw = {}           # name -> bytes of a JSON-looking member
        self.layers = {}        # name -> elfscan.LayerScan
        self.unread = {}        # name -> why a member was not kept
        self.links = {}         # name -> target name
        self.members = 0
        self.json_bytes = 0
        self.stopped = None     # why the pass stopped before the end of the archive
        self.layer_budget = layer_budget
        self.merged = {}        # tuple of layer names -> merged files (images sharing a stack)
        self.merge_work = 0

    def resolve(self, name):
        for _ in range(8):
            if name not in self.links:
                break
            name = self.links[name]
        return name

    def has(self, name):
        name = self.resolve(name)
        return name in self.raw or name in self.unread

    def _not_here(self, name, what):
        label = _label(name, what)
        name = self.resolve(name)
        if name in self.unread:
            return "%s %s" % (label, self.unread[name])
        if self.stopped:
            return "%s not read: %s" % (label, self.stopped)
        return "%s not in the archive" % label

    def document(self, name, what="document"):
        """The decoded JSON member `name`; _Invalid saying why not (absent, too big, not JSON)."""
        raw = self.raw.get(self.resolve(name))
        if raw is None:
            raise _Invalid(self._not_here(name, what))
        return _decode(raw, _label(name, what))

    def layer(self, name):
        """(LayerScan, None) or (None, why it was not scanned)."""
        scan = self.layers.get(self.resolve(name))
        if scan is not None:
            return scan, None
        return None, self._not_here(name, "layer")


def _decode(raw, what):
    try:
        return json.loads(raw.decode("utf-8"))
    except RecursionError:
        raise _Invalid("%s is nested too deeply" % what)
    except ValueError as exc:
        raise _Invalid("%s is not JSON (%s)" % (what, str(exc)[:100]))


def _read_tar(path):
    try:
        handle = open(path, "rb")
    except OSError as exc:
        raise ArchiveError("cannot read %s: %s" % (path, exc.strerror or exc))
    with handle:
        return _read_tar_stream(handle, path)


def _read_tar_stream(handle, origin):
    source_input = tarstream.Input()
    layer_budget = tarstream.Budget(source_input, elfscan.LAYER_MEMBER_LIMIT)
    outer_budget = tarstream.Budget(source_input, OUTER_MEMBER_LIMIT)
    contents = _Contents(layer_budget)
    try:
        source = tarstream.Source(handle, source_input)
        kind, plain = tarstream.decompressed(source, outer_budget)
        if kind == "zstd":
            raise ArchiveError("%s is zstd-compressed: this Python cannot decompress it (zstd -d first)" % origin)
        outer = tarstream.TarReader(plain, outer_budget)
        for member in outer:
            contents.members += 1
            _take_member(outer, member, contents)
    except tarstream.LimitReached as exc:
        contents.stopped = "the archive was read up to member %d (%s)" % (contents.members, exc)
    except (tarstream.CorruptData, OSError) as exc:
        reason = str(exc) or type(exc).__name__
        if not contents.members:
            raise ArchiveError("%s is not a tar archive (%s)" % (origin, reason))
        raise ArchiveError("%s is truncated or corrupt (%s)" % (origin, reason))
    return contents


def _take_member(outer, member, contents):
    name = _member_name(member.name)
    if len(name) > NAME_LIMIT:
        return
    if member.issym() or member.islnk():
        target = member.linkname
        if member.issym():
            target = posixpath.join(posixpath.dirname(name), target)
        if len(contents.links) < LINK_LIMIT:
            contents.links[name] = _member_name(target)
        return
    if not member.isreg():
        return
    head = outer.read(_HEAD)
    kind = tarstream.sniff(head)
    if kind in _LAYER_KINDS:
        contents.layers[name] = elfscan.scan_layer(tarstream.Prefixed(head, outer), contents.layer_budget)
    elif head.lstrip()[:1] in (b"{", b"["):
        if member.size > JSON_LIMIT:
            contents.unread[name] = "is %s, over the %s limit for a JSON document" % (
                tarstream.mib(member.size), tarstream.mib(JSON_LIMIT))
        elif contents.json_bytes + member.size > JSON_TOTAL:
            contents.unread[name] = "not kept: the archive holds over %s of JSON documents" % tarstream.mib(JSON_TOTAL)
        else:
            contents.raw[name] = head + outer.read(member.size - len(head))
            contents.json_bytes += member.size


class _DirectoryContents(_Contents):
    """An OCI layout (or an unpacked `docker save`) on disk: files read on demand, never
    outside the directory."""

    def __init__(self, root):
        source_input = tarstream.Input()
        _Contents.__init__(self, tarstream.Budget(source_input, elfscan.LAYER_MEMBER_LIMIT))
        self.root = os.path.realpath(root)
        self.input = source_input

    def _open(self, name):
        """A file object of `name` inside the layout, or _Invalid / FileNotFoundError."""
        path = os.path.realpath(os.path.join(self.root, *name.split("/")))
        if os.path.commonpath([self.root, path]) != self.root:
            raise _Invalid("%s leads outside the layout (a symlink to %s)" % (show(name), show(path)))
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            os.close(descriptor)
            raise _Invalid("%s is not a regular file" % show(name))
        return os.fdopen(descriptor, "rb")

    def has(self, name):
        try:
            self._open(name).close()
            return True
        except (OSError, _Invalid):
            return False

    def document(self, name, what="document"):
        label = _label(name, what)
        try:
            with self._open(name) as handle:
                raw = handle.read(JSON_LIMIT + 1)
        except FileNotFoundError:
            raise _Invalid("%s not in the layout" % label)
        except OSError as exc:
            raise _Invalid("%s not readable: %s" % (label, exc.strerror or exc))
        if len(raw) > JSON_LIMIT:
            raise _Invalid("%s is over the %s limit for a JSON document" % (label, tarstream.mib(JSON_LIMIT)))
        return _decode(raw, label)

    def layer(self, name):
        if name not in self.layers:
            try:
                with self._open(name) as handle:
                    self.input.bytes += os.fstat(handle.fileno()).st_size
                    self.layers[name] = elfscan.scan_layer(tarstream.Source(handle, tarstream.Input()),
                                                           self.layer_budget)
            except _Invalid as exc:
                return None, "layer %s" % exc
            except FileNotFoundError:
                return None, "layer %s not in the layout" % _short(name)
            except OSError as exc:
                return None, "layer %s not readable: %s" % (_short(name), exc.strerror or exc)
        return self.layers[name], None


def read_archive_stream(handle, origin="stdin"):
    """[ArchiveImage] of a tar read from a forward-only stream (`docker save IMAGE | ...`)."""
    return _images(_read_tar_stream(handle, origin), origin)


def read_archive(path):
    """[ArchiveImage] of a `docker save` tar or an OCI layout (tar or directory)."""
    if os.path.isdir(path):
        contents = _DirectoryContents(path)
    elif os.path.exists(path):
        contents = _read_tar(path)
    else:
        raise ArchiveError("%s: no such file or directory" % path)
    return _images(contents, path)


def _images(contents, path):
    # `docker save` of Docker 25+ writes both; index.json carries the platforms of an index.
    try:
        if contents.has("index.json"):
            images = _oci_images(contents)
        elif contents.has("manifest.json"):
            images = _docker_images(contents)
        elif contents.stopped:
            raise ArchiveError("%s: neither manifest.json nor index.json found before %s" % (path, contents.stopped))
        else:
            raise ArchiveError("%s has neither manifest.json (docker save) nor index.json (OCI layout)" % path)
    except _Invalid as exc:
        raise ArchiveError("%s: %s" % (path, exc))
    if not images:
        raise ArchiveError("%s lists no image" % path)
    return images


# --------------------------------------------------------------- docker save (manifest.json)

def _docker_images(contents):
    manifest = contents.document("manifest.json", "manifest.json")
    if not isinstance(manifest, list):
        raise _Invalid("manifest.json is %s, not an array of images" % _kind(manifest))
    images = []
    for number, entry in enumerate(manifest, 1):
        where = "manifest.json entry %d" % number
        try:
            entry = _object(entry, where)
            config_name = _inside(_field(entry, "Config", str, where, required=True), "config")
            tags = _strings(entry, "RepoTags", where)
            layers = [_inside(layer, "layer") for layer in _strings(entry, "Layers", where)]
        except _Invalid as exc:
            images.append(ArchiveImage(where, "docker-archive", [], problem=str(exc)))
            continue
        name = (", ".join(tags) or config_name.replace(".json", ""))[:NAME_LIMIT]
        try:
            config = contents.document(config_name, "config")
            platform = _config_platform(config, "config %s" % _short(config_name))
        except _Invalid as exc:
            images.append(ArchiveImage(name, "docker-archive", [], problem=str(exc)))
            continue
        image = PlatformImage(platform, layers)
        _scan(contents, image)
        images.append(ArchiveImage(name, "docker-archive", [image]))
    return images


def _config_platform(config, where):
    config = _object(config, where)
    os_name = _field(config, "os", str, where)
    architecture = _field(config, "architecture", str, where)
    variant = _field(config, "variant", str, where)
    return normalise(os_name, architecture, variant)


def _scan(contents, image):
    """Merge the ELF scans of the image's layers into image.binaries (or say why not)."""
    if image.note:
        return
    if not image.layers:
        image.note = "no layers listed"
        return
    scans, skipped = [], []
    for name in image.layers:
        scan, why = contents.layer(name)
        if scan is None:
            image.note = why
            return
        if scan.error:
            image.note = "layer %s: %s" % (_short(name), scan.error)
            return
        if scan.partial:
            skipped.append("layer %s: %s" % (_short(name), scan.skipped_text()))
        scans.append(scan)
    if skipped and not any(scan.members for scan in scans):
        image.note = "; ".join(skipped)
        return
    key = tuple(image.layers)
    if key not in contents.merged:
        contents.merge_work += sum(len(s.elf) + len(s.whiteouts) + len(s.opaque_dirs) + 1 for s in scans)
        if contents.merge_work > MERGE_LIMIT:
            image.note = "not merged: the archive's images stack over %d file entries" % MERGE_LIMIT
            return
        contents.merged[key] = elfscan.merge_layers(scans)
    image.binaries = elfscan.BinaryReport(contents.merged[key], image.platform, skipped)


# --------------------------------------------------------------- OCI layout (index.json)

def _blob_name(digest, what):
    """'sha256:<hex>' -> 'blobs/sha256/<hex>'; _Invalid for anything else (a path, '../..')."""
    if not isinstance(digest, str) or not DIGEST.match(digest):
        raise _Invalid("%s digest %s is not sha256:<64 hex> or sha512:<128 hex>" % (what, show(digest)))
    algorithm, _, hexdigest = digest.partition(":")
    return "blobs/%s/%s" % (algorithm, hexdigest)


def _descriptor(value, where):
    """A checked OCI descriptor: an object with a valid digest, string mediaType, string
    annotations, and a platform object of strings."""
    descriptor = _object(value, where)
    _field(descriptor, "mediaType", str, where)
    _blob_name(_field(descriptor, "digest", str, where, required=True), where)
    annotations = _field(descriptor, "annotations", dict, where) or {}
    for key, text in annotations.items():
        if not isinstance(text, str):
            raise _Invalid("%s: annotation %s is %s, not a string" % (where, show(key), _kind(text)))
    platform = _field(descriptor, "platform", dict, where)
    if platform is not None:
        for key in ("os", "architecture", "variant"):
            _field(platform, key, str, "%s platform" % where)
    return descriptor


def _descriptor_platform(descriptor):
    platform = descriptor.get("platform")
    if platform and platform.get("architecture") not in (None, "", "unknown"):
        return normalise(platform.get("os"), platform.get("architecture"), platform.get("variant"))
    return None


def _is_attestation(descriptor):
    annotations = descriptor.get("annotations") or {}
    platform = descriptor.get("platform") or {}
    return "vnd.docker.reference.type" in annotations or platform.get("architecture") == "unknown"


def _oci_images(contents):
    index = contents.document("index.json", "index.json")
    if not isinstance(index, dict):
        raise _Invalid("index.json is %s, not an object" % _kind(index))
    manifests = _field(index, "manifests", list, "index.json", required=True)
    images = []
    for number, value in enumerate(manifests):
        where = "index.json manifests[%d]" % number
        name = where
        try:
            descriptor = _descriptor(value, where)
            if _is_attestation(descriptor):
                continue
            annotations = descriptor.get("annotations") or {}
            name = (annotations.get("io.containerd.image.name")
                    or annotations.get("org.opencontainers.image.ref.name")
                    or descriptor["digest"])[:NAME_LIMIT]
            if descriptor.get("mediaType") in INDEX_TYPES:
                platforms = _oci_index_platforms(contents, descriptor, where)
            else:
                platforms = [_oci_manifest(contents, descriptor, where)]
        except _Invalid as exc:
            images.append(ArchiveImage(name, "oci-layout", [], problem=str(exc)))
            continue
        images.append(ArchiveImage(name, "oci-layout", platforms))
    return images


def _oci_index_platforms(contents, descriptor, where):
    nested = _object(contents.document(_blob_name(descriptor["digest"], where), "index"), "index")
    platforms, problems = [], []
    for number, value in enumerate(_field(nested, "manifests", list, "index", required=True)):
        try:
            child = _descriptor(value, "index manifests[%d]" % number)
        except _Invalid as exc:
            problems.append(str(exc))
            continue
        if not _is_attestation(child):
            platforms.append(_oci_manifest(contents, child, "index manifests[%d]" % number))
    if problems and not any(p.platform for p in platforms):
        raise _Invalid("; ".join(problems[:3]))
    return platforms


def _oci_manifest(contents, descriptor, where):
    platform = _descriptor_platform(descriptor)
    try:
        manifest = _object(contents.document(_blob_name(descriptor["digest"], where), "manifest"), "manifest")
        config_descriptor = _descriptor(_field(manifest, "config", dict, "manifest", required=True), "manifest config")
        layers = [_blob_name(_descriptor(layer, "manifest layers[%d]" % n)["digest"], "layer")
                  for n, layer in enumerate(_field(manifest, "layers", list, "manifest") or [])]
        if platform is None:
            config = contents.document(_blob_name(config_descriptor["digest"], "config"), "config")
            platform = _config_platform(config, "config")
    except _Invalid as exc:
        if platform is None:
            raise
        # An index may list platforms whose content was not saved: listed, not scanned.
        return PlatformImage(platform, note=str(exc))
    image = PlatformImage(platform, layers)
    _scan(contents, image)
    return image
