"""Image archives read offline, with no engine: `docker save` tarballs and OCI image layouts
(a tar, optionally gzip-compressed, or a directory), multi-platform indexes included.

A tar is read in ONE forward pass: small JSON members (manifest.json, index.json, configs,
manifests) are kept, every member that is itself a tar (a layer; plain or compressed) is
scanned for ELF headers as it streams past (elfscan), and the pieces are tied together at
the end, since `docker save` writes manifest.json last. Nothing is written to disk.
"""

import json
import os
import posixpath
import tarfile

from hostcheck.image import elfscan
from hostcheck.image.platform import normalise

JSON_LIMIT = 8 * 1024 * 1024     # manifests and configs are far smaller; layers never start with {
_HEAD = 512
_TAR_MAGIC_OFFSET = 257
_COMPRESSED_MAGIC = (b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00")
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
INDEX_TYPES = ("application/vnd.oci.image.index.v1+json",
               "application/vnd.docker.distribution.manifest.list.v2+json")


class ArchiveError(Exception):
    """The archive cannot be read at all (missing, not a tar, no manifest): exit 3."""


class PlatformImage(object):
    """One platform's manifest inside an archive image."""

    def __init__(self, platform, layers=None, binaries=None, note=None):
        self.platform = platform        # Platform, or None when neither descriptor nor config says
        self.layers = layers or []
        self.binaries = binaries        # elfscan.BinaryReport, or None when not scanned
        self.note = note                # why the binaries were not scanned


class ArchiveImage(object):
    def __init__(self, name, kind, platforms):
        self.name = name                # a tag, or the manifest/config digest
        self.kind = kind                # "docker-archive" | "oci-layout"
        self.platforms = platforms      # [PlatformImage]


def _is_tar_head(head):
    if head.startswith(_COMPRESSED_MAGIC):
        return True
    return len(head) >= _TAR_MAGIC_OFFSET + 5 and head[_TAR_MAGIC_OFFSET:_TAR_MAGIC_OFFSET + 5] == b"ustar"


class _Prefixed(object):
    """A forward-only reader: bytes already read, then the rest of the stream."""

    def __init__(self, head, rest):
        self.head, self.rest = head, rest

    def read(self, size=-1):
        if self.head:
            if size is None or size < 0:
                data, self.head = self.head + self.rest.read(), b""
                return data
            data, self.head = self.head[:size], self.head[size:]
            if len(data) < size:
                data += self.rest.read(size - len(data))
            return data
        return self.rest.read(size)


class _Contents(object):
    """What one pass over an archive learned: JSON documents, layer scans, symlinks."""

    def __init__(self):
        self.json = {}          # name -> decoded JSON (or an Exception when it did not decode)
        self.layers = {}        # name -> elfscan.LayerScan
        self.unscanned = {}     # name -> why a layer-looking member was not scanned
        self.links = {}         # name -> target name
        self.names = set()

    def resolve(self, name):
        for _ in range(8):
            if name not in self.links:
                break
            name = self.links[name]
        return name

    def document(self, name):
        value = self.json.get(self.resolve(name))
        return None if isinstance(value, Exception) else value

    def layer(self, name):
        name = self.resolve(name)
        return self.layers.get(name), self.unscanned.get(name)


def _member_name(name):
    """'./manifest.json', '/abc/layer.tar' -> 'manifest.json', 'abc/layer.tar'."""
    name = posixpath.normpath(name.lstrip("/") or ".")
    return "" if name == "." else name


def _read_tar(path):
    try:
        handle = open(path, "rb")
    except OSError as exc:
        raise ArchiveError("cannot read %s: %s" % (path, exc.strerror or exc))
    with handle:
        return _read_tar_stream(handle, path)


def _read_tar_stream(handle, origin):
    contents = _Contents()
    try:
        with tarfile.open(fileobj=handle, mode="r|*", bufsize=elfscan.STREAM_BUFSIZE) as outer:
            for member in outer:
                _take_member(outer, member, contents)
    except (tarfile.TarError, EOFError, OSError, ValueError) as exc:
        reason = str(exc) or type(exc).__name__
        if not contents.names:
            raise ArchiveError("%s is not a tar archive (%s)" % (origin, reason))
        raise ArchiveError("%s is truncated or corrupt (%s)" % (origin, reason))
    return contents


def _take_member(outer, member, contents):
    name = _member_name(member.name)
    contents.names.add(name)
    if member.issym() or member.islnk():
        target = member.linkname
        if member.issym():
            target = posixpath.join(posixpath.dirname(name), target)
        contents.links[name] = _member_name(target)
        return
    if not member.isreg():
        return
    stream = outer.extractfile(member)
    head = stream.read(_HEAD)
    if head.lstrip()[:1] in (b"{", b"[") and member.size <= JSON_LIMIT:
        data = head + stream.read()
        try:
            contents.json[name] = json.loads(data.decode("utf-8"))
        except ValueError as exc:
            contents.json[name] = exc
    elif _is_tar_head(head):
        contents.layers[name] = elfscan.scan_layer(_Prefixed(head, stream))
    elif head.startswith(_ZSTD_MAGIC):
        contents.unscanned[name] = "zstd-compressed layer: this Python cannot decompress it"


class _DirectoryContents(_Contents):
    """An OCI layout (or an unpacked `docker save`) on disk: files read on demand."""

    def __init__(self, root):
        _Contents.__init__(self)
        self.root = root

    def _path(self, name):
        return os.path.join(self.root, *name.split("/"))

    def document(self, name):
        if name not in self.json:
            try:
                with open(self._path(name), "rb") as handle:
                    self.json[name] = json.loads(handle.read(JSON_LIMIT + 1).decode("utf-8"))
            except (OSError, ValueError) as exc:
                self.json[name] = exc
        return _Contents.document(self, name)

    def layer(self, name):
        if name not in self.layers and name not in self.unscanned:
            try:
                with open(self._path(name), "rb") as handle:
                    head = handle.read(_HEAD)
                    if head.startswith(_ZSTD_MAGIC):
                        self.unscanned[name] = "zstd-compressed layer: this Python cannot decompress it"
                    else:
                        self.layers[name] = elfscan.scan_layer(_Prefixed(head, handle))
            except OSError as exc:
                self.unscanned[name] = "layer not readable: %s" % (exc.strerror or exc)
        return _Contents.layer(self, name)


def read_archive_stream(handle, origin="stdin"):
    """[ArchiveImage] of a tar read from a forward-only stream (`docker save IMAGE | ...`)."""
    contents = _read_tar_stream(handle, origin)
    return _images(contents, lambda name: contents.document(name) is not None, origin)


def read_archive(path):
    """[ArchiveImage] of a `docker save` tar or an OCI layout (tar or directory)."""
    if os.path.isdir(path):
        contents = _DirectoryContents(path)
        has = lambda name: os.path.isfile(os.path.join(path, name))   # noqa: E731
    elif os.path.exists(path):
        contents = _read_tar(path)
        has = lambda name: contents.document(name) is not None          # noqa: E731
    else:
        raise ArchiveError("%s: no such file or directory" % path)
    return _images(contents, has, path)


def _images(contents, has, path):
    # `docker save` of Docker 25+ writes both; index.json carries the platforms of an index.
    if has("index.json"):
        images = _oci_images(contents)
    elif has("manifest.json"):
        images = _docker_images(contents)
    else:
        raise ArchiveError("%s has neither manifest.json (docker save) nor index.json (OCI layout)" % path)
    if not images:
        raise ArchiveError("%s lists no image" % path)
    return images


# --------------------------------------------------------------- docker save (manifest.json)

def _docker_images(contents):
    manifest = contents.document("manifest.json")
    if not isinstance(manifest, list):
        raise ArchiveError("manifest.json is not a list of images (corrupt archive?)")
    images = []
    for entry in manifest:
        if not isinstance(entry, dict):
            continue
        config = contents.document(_member_name(str(entry.get("Config") or "")))
        layers = [_member_name(str(layer)) for layer in entry.get("Layers") or []]
        platform = _config_platform(config)
        image = PlatformImage(platform, layers)
        if config is None:
            image.note = "config %s not in the archive" % entry.get("Config")
        _scan(contents, image)
        tags = [t for t in entry.get("RepoTags") or [] if isinstance(t, str)]
        name = ", ".join(tags) or str(entry.get("Config") or "?").replace(".json", "")
        images.append(ArchiveImage(name, "docker-archive", [image]))
    return images


def _config_platform(config):
    if not isinstance(config, dict):
        return None
    return normalise(config.get("os"), config.get("architecture"), config.get("variant"))


def _scan(contents, image):
    """Merge the ELF scans of the image's layers into image.binaries (or say why not)."""
    if image.note:
        return
    if not image.layers:
        image.note = "no layers listed"
        return
    scans = []
    for name in image.layers:
        scan, why = contents.layer(name)
        if scan is None:
            image.note = why or "layer %s not in the archive" % name
            return
        if scan.error:
            image.note = "layer %s: %s" % (name, scan.error)
            return
        scans.append(scan)
    image.binaries = elfscan.BinaryReport(elfscan.merge_layers(scans), image.platform)


# --------------------------------------------------------------- OCI layout (index.json)

def _blob_name(digest):
    algorithm, _, hexdigest = str(digest or "").partition(":")
    return "blobs/%s/%s" % (algorithm, hexdigest) if hexdigest else ""


def _descriptor_platform(descriptor):
    platform = descriptor.get("platform")
    if isinstance(platform, dict) and platform.get("architecture") not in (None, "", "unknown"):
        return normalise(platform.get("os"), platform.get("architecture"), platform.get("variant"))
    return None


def _is_attestation(descriptor):
    annotations = descriptor.get("annotations") or {}
    platform = descriptor.get("platform") or {}
    return ("vnd.docker.reference.type" in annotations
            or (isinstance(platform, dict) and platform.get("architecture") == "unknown"))


def _oci_images(contents):
    index = contents.document("index.json")
    if not isinstance(index, dict) or not isinstance(index.get("manifests"), list):
        raise ArchiveError("index.json has no manifests list (corrupt OCI layout?)")
    images = []
    for descriptor in index["manifests"]:
        if not isinstance(descriptor, dict) or _is_attestation(descriptor):
            continue
        annotations = descriptor.get("annotations") or {}
        name = (annotations.get("io.containerd.image.name")
                or annotations.get("org.opencontainers.image.ref.name")
                or str(descriptor.get("digest") or "?"))
        if descriptor.get("mediaType") in INDEX_TYPES:
            nested = contents.document(_blob_name(descriptor.get("digest")))
            if not isinstance(nested, dict):
                images.append(ArchiveImage(name, "oci-layout", [PlatformImage(
                    None, note="index %s not in the archive" % descriptor.get("digest"))]))
                continue
            platforms = [_oci_manifest(contents, d) for d in nested.get("manifests") or []
                         if isinstance(d, dict) and not _is_attestation(d)]
        else:
            platforms = [_oci_manifest(contents, descriptor)]
        images.append(ArchiveImage(name, "oci-layout", platforms))
    return images


def _oci_manifest(contents, descriptor):
    platform = _descriptor_platform(descriptor)
    manifest = contents.document(_blob_name(descriptor.get("digest")))
    if not isinstance(manifest, dict):
        # An index may list platforms whose content was not saved: listed, not scanned.
        return PlatformImage(platform, note="manifest %s not in the archive" % descriptor.get("digest"))
    config_descriptor = manifest.get("config") or {}
    config = contents.document(_blob_name(config_descriptor.get("digest")))
    image = PlatformImage(platform or _config_platform(config),
                          [_blob_name(layer.get("digest")) for layer in manifest.get("layers") or []
                           if isinstance(layer, dict)])
    _scan(contents, image)
    return image
