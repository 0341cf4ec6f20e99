"""Archives read offline: `docker save` tarballs and OCI layouts (tar or directory), with
multi-platform indexes, gzip layers, whiteouts, and an ELF scan that sees through the label.

Archives are built around the real busybox-static binaries (amd64 and arm64; see
tests/data/images/SOURCES.md); the OCI writer below follows the image-layout spec.
"""

import gzip
import hashlib
import io
import json
import os
import tarfile
from pathlib import Path

import pytest

from conftest import BUSYBOX_BINARIES, busybox_rootfs_tar, write_docker_archive
from hostcheck.image import archive, elfscan

DATA = Path(__file__).resolve().parent / "data" / "images"
BINFMT_OUTPUTS = Path(__file__).resolve().parent / "data" / "outputs" / "debian12-binfmt"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"


def busybox(arch):
    path = BUSYBOX_BINARIES[arch]
    if not os.access(path, os.X_OK):
        pytest.skip("no static busybox for %s (tests/run provides amd64 and arm64)" % arch)
    return path


def rootfs(arch, applets=("sh", "uname", "ls")):
    return busybox_rootfs_tar(busybox(arch), applets)


def layer_tar(files):
    """A layer from {path: (bytes, mode)}; names as `docker save` writes them (no leading /)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, (data, mode) in sorted(files.items()):
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), mode, 0
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _digest(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def write_oci_layout(dest, images, compress=False, as_tar=True, leave_out=()):
    """Write an OCI image layout; returns dest.

    images: [(name, [(platform "os/arch[/variant]", [layer bytes...])...])]; one platform
    gives a plain manifest in index.json, several an image index. `leave_out`: platforms
    whose manifests are listed but not written (as a partial `docker save` of an index).
    """
    blobs = {}

    def blob(data):
        digest = _digest(data)
        blobs[digest] = data
        return digest

    top = []
    for name, platforms in images:
        descriptors = []
        for platform_text, layers in platforms:
            os_name, arch, *rest = platform_text.split("/")
            platform = {"os": os_name, "architecture": arch}
            if rest:
                platform["variant"] = rest[0]
            layer_descs = []
            diff_ids = []
            for layer in layers:
                diff_ids.append(_digest(layer))
                data = gzip.compress(layer, mtime=0) if compress else layer
                layer_descs.append({"mediaType": "application/vnd.oci.image.layer.v1.tar" + ("+gzip" if compress else ""),
                                    "digest": blob(data), "size": len(data)})
            config = dict(platform, rootfs={"type": "layers", "diff_ids": diff_ids},
                          config={"Cmd": ["/bin/sh"]})
            config_bytes = json.dumps(config).encode()
            manifest = json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                                   "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                              "digest": blob(config_bytes), "size": len(config_bytes)},
                                   "layers": layer_descs}).encode()
            digest = _digest(manifest)
            if platform_text not in leave_out:
                blobs[digest] = manifest
            descriptors.append({"mediaType": OCI_MANIFEST, "digest": digest, "size": len(manifest),
                                "platform": platform})
        annotations = {"org.opencontainers.image.ref.name": name}
        if len(descriptors) == 1:
            top.append(dict(descriptors[0], annotations=annotations))
        else:
            index = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": descriptors}).encode()
            top.append({"mediaType": OCI_INDEX, "digest": blob(index), "size": len(index),
                        "annotations": annotations})
    files = {"oci-layout": json.dumps({"imageLayoutVersion": "1.0.0"}).encode(),
             "index.json": json.dumps({"schemaVersion": 2, "manifests": top}).encode()}
    for digest, data in blobs.items():
        files["blobs/sha256/" + digest.split(":")[1]] = data
    dest = Path(dest)
    if as_tar:
        with tarfile.open(dest, "w") as tar:
            # blobs first, index.json last: the reader must not depend on the order
            for name in sorted(files, key=lambda n: (n == "index.json", n)):
                info = tarfile.TarInfo(name)
                info.size, info.mtime = len(files[name]), 0
                tar.addfile(info, io.BytesIO(files[name]))
    else:
        for name, data in files.items():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            (dest / name).write_bytes(data)
    return dest


def platforms_of(image):
    return [str(p.platform) for p in image.platforms]


# --------------------------------------------------------------- ELF headers

def test_real_busybox_headers():
    amd64 = elfscan.read_elf_header((DATA / "busybox-amd64.elfhead").read_bytes(), 0o755)
    arm64 = elfscan.read_elf_header((DATA / "busybox-arm64.elfhead").read_bytes(), 0o755)
    assert (amd64.ei_class, amd64.ei_data, amd64.machine, amd64.executable) == (2, 1, 0x3E, True)
    assert (arm64.ei_class, arm64.ei_data, arm64.machine) == (2, 1, 0xB7)


@pytest.mark.parametrize("entry, platform", [
    ("qemu-aarch64", "linux/arm64/v8"), ("qemu-arm", "linux/arm/v7"), ("qemu-s390x", "linux/s390x"),
    ("qemu-mips64el", "linux/mips64le"), ("qemu-ppc64le", "linux/ppc64le"),
    ("qemu-riscv64", "linux/riscv64"), ("qemu-loongarch64", "linux/loong64"),
])
def test_headers_of_other_machines_from_real_binfmt_magic(entry, platform):
    # binfmt_misc magic is the first 20 bytes of an ELF header of that machine (type EXEC).
    magic = next(line.split()[1] for line in (BINFMT_OUTPUTS / entry).read_text().splitlines()
                 if line.startswith("magic "))
    kind = elfscan.read_elf_header(bytes.fromhex(magic) + bytes(44), 0o755)
    from hostcheck.image.platform import elf_platform
    assert str(elf_platform(kind.ei_class, kind.ei_data, kind.machine)) == platform


def test_not_elf_and_non_executable():
    assert elfscan.read_elf_header(b"#!/bin/sh\necho hi\n" + bytes(50), 0o755) is None
    assert elfscan.read_elf_header(b"\x7fELF", 0o755) is None
    library = elfscan.read_elf_header((DATA / "busybox-amd64.elfhead").read_bytes(), 0o644)
    assert library.executable is False


# --------------------------------------------------------------- docker save archives

def test_docker_archive_arm64(tmp_path):
    path = tmp_path / "arm64.tar"
    write_docker_archive(path, rootfs("arm64"), "arm64", "v8", "local/busybox:arm64")
    (image,) = archive.read_archive(str(path))
    assert (image.name, image.kind, platforms_of(image)) == ("local/busybox:arm64", "docker-archive", ["linux/arm64/v8"])
    report = image.platforms[0].binaries
    assert report.machines_text() == "1 ELF file: 1 aarch64"
    assert report.foreign_count == 0


def test_mixed_binaries_label_arm64_binary_x86_64(tmp_path):
    path = tmp_path / "mixed.tar"
    layer = layer_tar({"bin/busybox": (Path(busybox("amd64")).read_bytes(), 0o755),
                       "opt/app/tool": (Path(busybox("arm64")).read_bytes(), 0o755),
                       "usr/lib/libx.so": (Path(busybox("amd64")).read_bytes()[:4096], 0o644)})
    write_docker_archive(path, layer, "arm64", "v8", "local/busybox:mixed")
    (image,) = archive.read_archive(str(path))
    report = image.platforms[0].binaries
    assert report.foreign_count == 1
    assert report.foreign_other == 1          # a non-executable x86-64 ELF: reported, not failing
    assert report.foreign_text() == "1 x86-64 executable (linux/amd64), e.g. /bin/busybox"
    assert report.by_machine == {"x86-64": 2, "aarch64": 1}


def test_many_foreign_binaries_are_summarised(tmp_path):
    head = (DATA / "busybox-amd64.elfhead").read_bytes()
    files = {"usr/bin/tool%04d" % n: (head, 0o755) for n in range(2000)}
    path = tmp_path / "many.tar"
    write_docker_archive(path, layer_tar(files), "arm64", "v8", "many:1")
    report = archive.read_archive(str(path))[0].platforms[0].binaries
    assert report.foreign_count == 2000
    assert report.foreign_text() == ("2000 x86-64 executables (linux/amd64), e.g. /usr/bin/tool0000, "
                                     "/usr/bin/tool0001, /usr/bin/tool0002")


def test_whiteout_in_upper_layer_removes_foreign_binary(tmp_path):
    amd64 = Path(busybox("amd64")).read_bytes()
    lower = layer_tar({"bin/busybox": (Path(busybox("arm64")).read_bytes(), 0o755),
                       "opt/x86/tool": (amd64, 0o755), "opt/other/tool": (amd64, 0o755)})
    upper = layer_tar({"opt/x86/.wh..wh..opq": (b"", 0o644), "opt/.wh.other": (b"", 0o644)})
    scans = [elfscan.scan_layer(io.BytesIO(lower)), elfscan.scan_layer(io.BytesIO(upper))]
    files = elfscan.merge_layers(scans)
    assert sorted(files) == ["/bin/busybox"]


def test_gzip_compressed_docker_save_stream(tmp_path):
    plain = tmp_path / "plain.tar"
    write_docker_archive(plain, rootfs("amd64"), "amd64", None, "local/busybox:amd64")
    compressed = tmp_path / "saved.tar.gz"
    compressed.write_bytes(gzip.compress(plain.read_bytes()))
    (image,) = archive.read_archive(str(compressed))
    assert platforms_of(image) == ["linux/amd64"]
    assert image.platforms[0].binaries.machines_text() == "1 ELF file: 1 x86-64"


def test_symlinked_layer_is_followed(tmp_path):
    # docker save writes a repeated layer once and links the other directory to it
    layer = rootfs("arm64")
    digest = hashlib.sha256(layer).hexdigest()
    config = json.dumps({"architecture": "arm64", "variant": "v8", "os": "linux",
                         "rootfs": {"type": "layers", "diff_ids": ["sha256:" + digest] * 2}}).encode()
    manifest = json.dumps([{"Config": "c.json", "RepoTags": ["two:1"],
                            "Layers": [digest + "/layer.tar", "other/layer.tar"]}]).encode()
    path = tmp_path / "linked.tar"
    with tarfile.open(path, "w") as tar:
        for name, data in ((digest + "/layer.tar", layer), ("c.json", config), ("manifest.json", manifest)):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("other/layer.tar")
        link.type, link.linkname = tarfile.SYMTYPE, "../%s/layer.tar" % digest
        tar.addfile(link)
    (image,) = archive.read_archive(str(path))
    assert image.platforms[0].note is None
    assert image.platforms[0].binaries.total == 1


# --------------------------------------------------------------- OCI layouts

def test_oci_multi_platform_index_lists_every_platform(tmp_path):
    path = write_oci_layout(tmp_path / "multi.tar", [("busybox:multi", [
        ("linux/amd64", [rootfs("amd64")]), ("linux/arm64/v8", [rootfs("arm64")]),
        ("linux/arm/v7", [layer_tar({"bin/true": (b"not elf", 0o755)})])])], compress=True)
    (image,) = archive.read_archive(str(path))
    assert image.kind == "oci-layout" and image.name == "busybox:multi"
    assert platforms_of(image) == ["linux/amd64", "linux/arm64/v8", "linux/arm/v7"]
    texts = [p.binaries.machines_text() for p in image.platforms]
    assert texts == ["1 ELF file: 1 x86-64", "1 ELF file: 1 aarch64", "no ELF files"]


def test_oci_layout_directory(tmp_path):
    directory = tmp_path / "layout"
    directory.mkdir()
    write_oci_layout(directory, [("app:1", [("linux/arm64", [rootfs("arm64")])])], as_tar=False)
    (image,) = archive.read_archive(str(directory))
    assert platforms_of(image) == ["linux/arm64/v8"]
    assert image.platforms[0].binaries.foreign_count == 0


def test_oci_index_with_platforms_not_saved(tmp_path):
    path = write_oci_layout(tmp_path / "partial.tar", [("app:1", [
        ("linux/amd64", [rootfs("amd64")]), ("linux/arm64", [rootfs("arm64")])])], leave_out={"linux/arm64"})
    (image,) = archive.read_archive(str(path))
    assert platforms_of(image) == ["linux/amd64", "linux/arm64/v8"]
    assert image.platforms[1].binaries is None
    assert "not in the archive" in image.platforms[1].note


def test_oci_attestation_manifests_are_not_platforms(tmp_path):
    path = write_oci_layout(tmp_path / "att.tar", [("app:1", [
        ("linux/amd64", [rootfs("amd64")]), ("unknown/unknown", [layer_tar({})])])])
    (image,) = archive.read_archive(str(path))
    assert platforms_of(image) == ["linux/amd64"]


def test_stream_from_stdin_like_pipe(tmp_path):
    path = tmp_path / "arm64.tar"
    write_docker_archive(path, rootfs("arm64"), "arm64", "v8", "local/busybox:arm64")

    class Pipe(object):      # forward-only: no seek, no tell, as a pipe from `docker save`
        def __init__(self, data):
            self._buffer = io.BytesIO(data)

        def read(self, size=-1):
            return self._buffer.read(size)

    (image,) = archive.read_archive_stream(Pipe(path.read_bytes()))
    assert image.platforms[0].binaries.total == 1


# --------------------------------------------------------------- broken archives

def test_missing_archive(tmp_path):
    with pytest.raises(archive.ArchiveError, match="no such file"):
        archive.read_archive(str(tmp_path / "absent.tar"))


def test_not_a_tar(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello\n" * 100)
    with pytest.raises(archive.ArchiveError, match="not a tar archive"):
        archive.read_archive(str(path))


def test_truncated_archive(tmp_path):
    path = tmp_path / "arm64.tar"
    write_docker_archive(path, rootfs("arm64"), "arm64", "v8", "x:1")
    data = path.read_bytes()
    cut = tmp_path / "cut.tar"
    cut.write_bytes(data[:len(data) // 2])
    with pytest.raises(archive.ArchiveError, match="truncated or corrupt|neither manifest.json"):
        archive.read_archive(str(cut))


def test_tar_without_manifest(tmp_path):
    path = tmp_path / "plain.tar"
    path.write_bytes(layer_tar({"etc/hostname": (b"x\n", 0o644)}))
    with pytest.raises(archive.ArchiveError, match="neither manifest.json"):
        archive.read_archive(str(path))


def test_zstd_layer_is_named_not_scanned(tmp_path):
    zstd_frame = b"\x28\xb5\x2f\xfd" + bytes(600)   # a zstd magic: Python's tarfile cannot read it
    path = write_oci_layout(tmp_path / "z.tar", [("z:1", [("linux/amd64", [zstd_frame])])])
    (image,) = archive.read_archive(str(path))
    assert image.platforms[0].binaries is None
    assert "zstd" in image.platforms[0].note


def test_reading_never_writes_to_disk(tmp_path, monkeypatch):
    path = tmp_path / "arm64.tar"
    write_docker_archive(path, rootfs("arm64"), "arm64", "v8", "x:1")
    before = set(os.listdir(tmp_path))
    archive.read_archive(str(path))
    assert set(os.listdir(tmp_path)) == before
