"""Fuzz: mutated archive metadata and tar headers through `image --archive`.

Three archives are built the way `docker save` and an OCI layout writer build them
(tests/test_image_archive.py's layouts: manifest.json with a config and a layer; index.json
with a manifest; index.json with a nested image index of two platforms and an attestation
manifest), around a layer with real ELF headers (tests/data/images/*.elfhead), a symlink
and a whiteout. Each example mutates one JSON member (tests/fuzzing.py's mutations),
patches fields of tar headers of the archive or of its layer (name, mode, size, checksum,
type, link name, magic, prefix; the checksum recomputed or not), may add pax records,
compress the whole archive, and reads it as a file, as an OCI directory (where a blob may
become a symlink out of the layout, or a FIFO) or from stdin. Then `hostcheck image
--archive ... --capture ...` runs in process (click's runner) in JSON or text.

Allowed: exit 0, 1 or 3 (one line on stderr). A failure: any other exception, "internal
error", a hang, a control character in the text, JSON that does not parse.
"""

import atexit
import gzip
import hashlib
import io
import json
import os
import shutil
import tarfile
import tempfile

from hypothesis import strategies as st

import fuzzing
from test_cli import runner
from hostcheck.cli import cli

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _elf_head(arch):
    with open(os.path.join(REPO, "tests/data/images/busybox-%s.elfhead" % arch), "rb") as handle:
        return handle.read()


ELF = {arch: _elf_head(arch) for arch in ("amd64", "arm64")}


def _captures():
    """Two small real captures: Kylin V10 on arm64 (no binfmt_misc captured), and openEuler
    22.03 on x86_64 given this machine's binfmt_misc state (its QEMU entries, /proc/mounts):
    a 200 KB capture would make the judging, not the archive, the cost of an example."""
    def load(name):
        with open(os.path.join(REPO, "tests/data/systems/%s.json" % name), encoding="utf-8") as handle:
            return json.load(handle)
    machine, euler = load("debian12-this-machine"), load("openeuler2203-x86_64")
    binfmt = "/proc/sys/fs/binfmt_misc"
    euler.setdefault("dirs", {})[binfmt] = machine["dirs"][binfmt]
    for path, entry in machine["files"].items():
        if path.startswith(binfmt + "/") or path == "/proc/mounts":
            euler.setdefault("files", {})[path] = entry
    directory = tempfile.mkdtemp(prefix="hc-fuzz-")
    atexit.register(shutil.rmtree, directory, True)
    path = os.path.join(directory, "openeuler-with-binfmt.json")
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(euler, handle)
    return [os.path.join(REPO, "tests/data/systems/kylin-v10-sp3-arm64.json"), path]


CAPTURES = _captures()
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"


def _tar(members, fmt=tarfile.GNU_FORMAT, pax=None):
    """Tar bytes of [(name, data, type, linkname)]; pax: extra records on the first member."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT if pax else fmt) as tar:
        for number, (name, data, kind, linkname) in enumerate(members):
            info = tarfile.TarInfo(name)
            info.mtime, info.mode, info.type, info.linkname = 0, 0o755, kind, linkname
            info.size = len(data) if kind == tarfile.REGTYPE else 0
            if pax and number == 0:
                info.pax_headers = dict(pax)
            tar.addfile(info, io.BytesIO(data) if kind == tarfile.REGTYPE else None)
    return buffer.getvalue()


def _file(name, data):
    return (name, data, tarfile.REGTYPE, "")


def layer(arch):
    return _tar([("bin", b"", tarfile.DIRTYPE, ""), _file("bin/busybox", ELF[arch] + b"\0" * 448),
                 ("bin/sh", b"", tarfile.SYMTYPE, "busybox"), _file("etc/passwd", b"root:x:0:0::/root:/bin/sh\n"),
                 _file("etc/.wh.shadow", b"")])


def _digest(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def docker_save():
    data = layer("amd64")
    config = {"architecture": "amd64", "os": "linux", "config": {"Cmd": ["/bin/sh"]},
              "rootfs": {"type": "layers", "diff_ids": [_digest(data)]}}
    config_name = _digest(json.dumps(config).encode())[7:] + ".json"
    layer_name = _digest(data)[7:] + "/layer.tar"
    return [
        ("repositories", {"hc-fuzz": {"1.0": _digest(data)[7:]}}),
        (config_name, config),
        (layer_name, data),
        ("manifest.json", [{"Config": config_name, "RepoTags": ["hc-fuzz:1.0"], "Layers": [layer_name]}]),
    ]


def oci(platforms, gzip_layers=False):
    """[(name, JSON document or bytes)] of an OCI layout: one manifest, or an index of several."""
    blobs, descriptors = [], []

    def blob(value):
        data = value if isinstance(value, bytes) else json.dumps(value).encode()
        digest = _digest(data)
        blobs.append(("blobs/sha256/" + digest[7:], value))
        return digest, len(data)

    for platform in platforms:
        os_name, arch = platform.split("/")
        data = layer(arch)
        packed = gzip.compress(data, mtime=0) if gzip_layers else data
        layer_digest, layer_size = blob(packed)
        config_digest, config_size = blob({"architecture": arch, "os": os_name,
                                           "rootfs": {"type": "layers", "diff_ids": [_digest(data)]}})
        manifest_digest, manifest_size = blob({
            "schemaVersion": 2, "mediaType": OCI_MANIFEST,
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest,
                       "size": config_size},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar" + ("+gzip" if gzip_layers else ""),
                        "digest": layer_digest, "size": layer_size}]})
        descriptors.append({"mediaType": OCI_MANIFEST, "digest": manifest_digest, "size": manifest_size,
                            "platform": {"os": os_name, "architecture": arch}})
    annotations = {"org.opencontainers.image.ref.name": "hc-fuzz:oci", "io.containerd.image.name": "docker.io/hc/fuzz:oci"}
    if len(descriptors) == 1:
        top = dict(descriptors[0], annotations=annotations)
    else:
        attestation = {"mediaType": OCI_MANIFEST, "digest": descriptors[0]["digest"], "size": 1,
                       "platform": {"os": "unknown", "architecture": "unknown"},
                       "annotations": {"vnd.docker.reference.type": "attestation-manifest"}}
        index_digest, index_size = blob({"schemaVersion": 2, "mediaType": OCI_INDEX,
                                         "manifests": descriptors + [attestation]})
        top = {"mediaType": OCI_INDEX, "digest": index_digest, "size": index_size, "annotations": annotations}
    return blobs + [("oci-layout", {"imageLayoutVersion": "1.0.0"}),
                    ("index.json", {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [top]})]


BASES = {"docker-save": docker_save(), "oci": oci(["linux/amd64"]),
         "oci-index": oci(["linux/amd64", "linux/arm64"], gzip_layers=True)}
DOCUMENTS = [(base, name, fuzzing.paths_of(value))
             for base, members in sorted(BASES.items()) for name, value in members
             if not isinstance(value, bytes)]

# Tar header fields: (offset, length).
FIELDS = {"name": (0, 100), "mode": (100, 8), "uid": (108, 8), "size": (124, 12), "mtime": (136, 12),
          "chksum": (148, 8), "type": (156, 1), "linkname": (157, 100), "magic": (257, 8), "prefix": (345, 155)}
FIELD_VALUES = [b"", b"\0", b"-1", b"77777777777", b"00000001000", b"99999999999", b"\x80" + b"\xff" * 11,
                b"\x80" + b"\0" * 8 + b"\x10\0\0", b"\xff" * 12, b"0" * 12, b"../../../etc/shadow", b"/etc/passwd",
                b"x" * 100, b"L", b"K", b"x", b"g", b"S", b"1", b"2", b"3", b"5", b"6", b"7", b"\xff",
                b"ustar\x0000", b"ustar  \0", b"manifest.json", b"index.json", b"blobs/sha256/",
                b"\x1b]52;c;eA==\x07", "\u202e".encode()]
PAX = [{"path": "../../../etc/shadow"}, {"path": "manifest.json"}, {"linkpath": "/etc/shadow"},
       {"size": "99999999999999999999"}, {"comment": "x" * 5000}, {"path": "\x1b[2J\u202e"},
       {"mtime": "-1.5"}, {"uid": "-1"}]
LINK_TARGETS = ["/etc/shadow", "/dev/zero", "../../../../etc/passwd", "fifo", "blobs", "index.json"]

# Digests, paths and platform words an archive could name.
NAMES = ["../../../etc/shadow", "sha256:" + "0" * 63 + "g", "sha256:" + "a" * 64 + "/../../x",
         "sha512:" + "b" * 128, "sha256:" + "A" * 64, "/etc/passwd", "blobs/sha256/../../../etc", "linux/amd64/v8",
         "unknown", "application/vnd.oci.image.index.v1+json", "application/vnd.oci.image.manifest.v1+json"]

header_patch = st.tuples(st.integers(0, 12), st.sampled_from(sorted(FIELDS)),
                         st.one_of(st.sampled_from(FIELD_VALUES), st.binary(max_size=12)), st.booleans())


@st.composite
def examples(draw):
    base, member, (strings, every) = draw(st.sampled_from(DOCUMENTS))
    return {
        "base": base, "member": member,
        "ops": draw(st.one_of(st.just([]), fuzzing.mutations(strings, every, extra_payloads=NAMES))),
        # Most examples keep the headers whole, so that the JSON members are read at all.
        "headers": draw(st.one_of(st.just([]), st.just([]), st.lists(header_patch, min_size=1, max_size=2))),
        "layer_headers": draw(st.one_of(st.just([]), st.lists(header_patch, min_size=1, max_size=2))),
        "pax": draw(st.one_of(st.none(), st.sampled_from(PAX))),
        "gzip": draw(st.sampled_from([False, False, False, True])),
        "form": draw(st.sampled_from(["file", "file", "file", "stdin", "dir"])),
        "links": draw(st.lists(st.tuples(st.integers(0, 12), st.sampled_from(LINK_TARGETS)), max_size=1)),
        "capture": draw(st.sampled_from(CAPTURES)), "json": draw(st.booleans()),
    }


def _header_offsets(data):
    """Offsets of every header block (pax and long-name headers too) of a tar tarfile wrote."""
    offsets, position = [], 0
    while position + 512 <= len(data) and data[position:position + 512] != bytes(512):
        offsets.append(position)
        size = int(data[position + 124:position + 136].split(b"\0")[0].strip() or b"0", 8)
        position += 512 + -(-size // 512) * 512
    return offsets


def _patch(data, patches):
    """Header fields of the tar `data` overwritten: (member number, field, value, fix checksum)."""
    offsets = _header_offsets(data)
    data = bytearray(data)
    for number, field, value, fix in patches:
        if not offsets:
            break
        header = offsets[number % len(offsets)]
        start, length = FIELDS[field]
        value = value[:length].ljust(length, b"\0") if field not in ("type",) else (value[:1] or b"\0")
        data[header + start:header + start + len(value)] = value
        if fix:
            block = data[header:header + 512]
            total = sum(block[:148]) + 8 * 32 + sum(block[156:])
            data[header + 148:header + 156] = b"%06o\0 " % (total & 0o777777)
    return bytes(data)


def build(example, where):
    """Write the example's archive; returns the --archive argument and stdin bytes (or None)."""
    members = []
    for name, value in BASES[example["base"]]:
        if name == example["member"]:
            value = fuzzing.apply(value, example["ops"])
        if isinstance(value, bytes):
            data = _patch(value, example["layer_headers"]) if value[257:262] == b"ustar" else value
        else:
            data = fuzzing.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")
        members.append((name, data))
    if example["form"] == "dir":
        root = os.path.join(where, "layout")
        for number, (name, data) in enumerate(members):
            path = os.path.join(root, *name.split("/"))
            os.makedirs(os.path.dirname(path), exist_ok=True)
            target = dict(example["links"]).get(number)
            if target == "fifo":
                os.mkfifo(path)
            elif target is not None:
                os.symlink(target, path)
            else:
                with open(path, "wb") as handle:
                    handle.write(data)
        return root, None
    archive = _tar([_file(name, data) for name, data in members], pax=example["pax"])
    archive = _patch(archive, example["headers"])
    if example["gzip"]:
        archive = gzip.compress(archive, mtime=0)
    if example["form"] == "stdin":
        return "-", archive
    path = os.path.join(where, "archive.tar")
    with open(path, "wb") as handle:
        handle.write(archive)
    return path, None


def image_example(example, where, target):
    archive, stdin = build(example, where)
    args = ["image", "--archive", archive, "--capture", example["capture"], "--fail-on", "warn"]
    args += ["--json"] if example["json"] else ["--no-color"]
    fuzzing.check_cli_result(runner().invoke(cli, args, input=stdin), target, where, example["json"], "image")


def test_fuzz_image(tmp_path):
    target = fuzzing.Target("image")
    target.run_in_directories(examples(), lambda example, where: image_example(example, where, target), tmp_path)
    assert target.examples > 0
