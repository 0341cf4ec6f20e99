"""Hostile image archives end within bounds: compression bombs (gzip, bzip2, xz, zstd, a tar
of bomb layers, a compressed archive of zeros), member floods, oversized extended
headers, JSON of the wrong types, digests that are paths, symlinks out of an OCI layout.

Speed is bench/'s job: these tests prove bounds by counting work (inflated bytes, members)
against the Budget's limits, and by peak memory, with only a generous subprocess timeout
that a quadratic reader would blow (stream-mode tarfile needed 154 s for a 256 MiB bomb).
"""

import bz2
import io
import json
import lzma
import os
import re
import struct
import subprocess
import sys
import tarfile
import zlib
from pathlib import Path

import pytest

from conftest import REPO_ROOT, busybox_rootfs_tar, write_docker_archive
from test_image_archive import busybox, layer_tar, write_oci_layout
from hostcheck.image import archive, elfscan, tarstream

MiB, GiB = 1 << 20, 1 << 30
CAPTURE = REPO_ROOT / "tests" / "data" / "captures" / "debian12-this-machine.json"
# generous on a loaded 2-core VM (the bounded reader needs seconds); quadratic needs hours
GUARD_SECONDS = 180


# --------------------------------------------------------------- bomb makers (streaming)

def _crc32_of_zeros(length, crc=0):
    """zlib.crc32(bytes(length), crc) without touching `length` bytes: appending a zero
    byte is an affine map of the running CRC over GF(2), so it is squared log2(length) times."""
    def apply(mapping, value):
        columns, constant = mapping
        for bit in range(32):
            if value >> bit & 1:
                constant ^= columns[bit]
        return constant

    def compose(outer, inner):      # outer(inner(x))
        return ([apply(outer, apply(inner, 1 << bit) ^ inner[1]) ^ outer[1] for bit in range(32)],
                apply(outer, inner[1]))

    base = zlib.crc32(b"\0", 0)
    step = ([zlib.crc32(b"\0", 1 << bit) ^ base for bit in range(32)], base)
    result = ([1 << bit for bit in range(32)], 0)       # identity
    while length:
        if length & 1:
            result = compose(step, result)
        step = compose(step, step)
        length >>= 1
    return apply(result, crc)


def test_crc32_of_zeros_agrees_with_zlib():
    for length, start in ((0, 0), (1, 0), (513, 12345), (3 * MiB + 7, 0xDEADBEEF)):
        assert _crc32_of_zeros(length, start) == zlib.crc32(bytes(length), start)


def write_gzip_bomb(out, zeros, name="zeros.bin"):
    """A gzip'd layer tar holding one file of `zeros` zero bytes, written to `out` without
    ever holding more than 1 MiB: one deflate block of 1 MiB of zeros (1,037 bytes, full
    flush, so copies of it chain) repeated, then a final block and the real CRC and size."""
    info = tarfile.TarInfo(name)
    info.size, info.mode = zeros, 0o644
    header = info.tobuf(tarfile.PAX_FORMAT)
    total = zeros + 2 * 512                         # the data, then the end-of-archive blocks
    out.write(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff")
    first = zlib.compressobj(9, zlib.DEFLATED, -15)
    out.write(first.compress(header) + first.flush(zlib.Z_FULL_FLUSH))
    block = zlib.compressobj(9, zlib.DEFLATED, -15)
    deflated_mib = block.compress(bytes(MiB)) + block.flush(zlib.Z_FULL_FLUSH)
    full, rest = divmod(total, MiB)
    for _ in range(full):
        out.write(deflated_mib)
    last = zlib.compressobj(9, zlib.DEFLATED, -15)
    out.write(last.compress(bytes(rest)) + last.flush())
    crc = _crc32_of_zeros(total, zlib.crc32(header))
    out.write(struct.pack("<II", crc, (len(header) + total) & 0xFFFFFFFF))


def gzip_bomb(zeros):
    buffer = io.BytesIO()
    write_gzip_bomb(buffer, zeros)
    return buffer.getvalue()


def test_the_gzip_bomb_is_a_real_gzip_layer():
    data = gzip_bomb(8 * MiB)
    assert len(data) < 20000
    members = tarfile.open(fileobj=io.BytesIO(gzip_decompress(data))).getmembers()
    assert [(m.name, m.size) for m in members] == [("zeros.bin", 8 * MiB)]


def gzip_decompress(data):
    import gzip
    return gzip.decompress(data)      # checks the CRC and size in the trailer


def run_read(path, *extra):
    """read_archive in a fresh interpreter: its images, budgets and peak RSS (MiB)."""
    code = """if 1:
        import json, sys
        from hostcheck.image import archive
        images = archive.read_archive(sys.argv[1])
        out = [{"name": i.name, "problem": i.problem,
                "platforms": [{"note": p.note, "text": p.binaries.machines_text() if p.binaries else None}
                              for p in i.platforms]} for i in images]
        # VmHWM, not ru_maxrss: Linux carries the parent's peak (pytest's) across fork and exec into ru_maxrss
        peak_kib = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
        print(json.dumps({"images": out, "rss_mib": peak_kib / 1024}))
    """
    result = subprocess.run([sys.executable, "-c", code, str(path)] + list(extra), cwd=str(REPO_ROOT),
                            capture_output=True, text=True, timeout=GUARD_SECONDS)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def hostcheck_image(path, stdin=None):
    return subprocess.run([sys.executable, "-m", "hostcheck", "image", "--json", "--capture", str(CAPTURE),
                           "--archive", str(path)], cwd=str(REPO_ROOT), stdin=stdin,
                          capture_output=True, text=True, timeout=GUARD_SECONDS)


# --------------------------------------------------------------- compression bombs

def test_two_gib_gzip_bomb_stops_at_the_inflate_limit_in_little_memory(tmp_path):
    layer = gzip_bomb(2 * GiB)
    path = write_oci_layout(tmp_path / "bomb.tar", [("bomb:1", [("linux/amd64", [layer])])])
    assert path.stat().st_size < 3 * MiB
    result = run_read(path)
    (image,) = result["images"]
    text = image["platforms"][0]["text"]
    found = re.search(r"\(partial scan: layer sha256:[0-9a-f]{12}: scanned the first (\d+) MiB / 1 member; "
                      r"the rest not read \(inflate limit reached: (\d+) MiB, that is 256 MiB plus 32x", text)
    assert found, text
    scanned, limit = int(found.group(1)), int(found.group(2))
    assert limit == (tarstream.INFLATE_FLOOR + tarstream.INFLATE_RATIO * path.stat().st_size) // MiB
    assert limit - 2 <= scanned <= limit < 2048
    assert result["rss_mib"] < 100, result["rss_mib"]


def test_inflated_bytes_never_exceed_the_budget():
    # the operation count that proves linearity: work is bounded by the input, not the bomb
    layer = gzip_bomb(512 * MiB)
    budget = tarstream.Budget(tarstream.Input(len(layer)), 1000, floor=16 * MiB, ratio=4)
    scan = elfscan.scan_layer(io.BytesIO(layer), budget)
    assert budget.inflate_limit == 16 * MiB + 4 * len(layer) < 19 * MiB
    assert scan.partial.startswith("inflate limit reached: 18 MiB, that is 16 MiB plus 4x the 518 KiB of input")
    assert budget.inflated <= budget.inflate_limit
    assert scan.members == 1


@pytest.mark.parametrize("compress", [
    lambda data: bz2.compress(data, 9),
    lambda data: lzma.compress(data, preset=1),
    lambda data: gzip_decompress_roundtrip(data) + gzip_decompress_roundtrip(data),    # two gzip members
], ids=["bzip2", "xz", "gzip-multimember"])
def test_every_decompressor_is_bounded(compress):
    layer = compress(layer_of_zeros(32 * MiB))
    budget = tarstream.Budget(tarstream.Input(len(layer)), 1000, floor=4 * MiB, ratio=1)
    scan = elfscan.scan_layer(io.BytesIO(layer), budget)
    assert scan.error is None
    assert "inflate limit reached" in scan.partial
    assert budget.inflated <= budget.inflate_limit


def gzip_decompress_roundtrip(data):
    import gzip
    return gzip.compress(data, mtime=0)


def layer_of_zeros(size):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        info = tarfile.TarInfo("zeros.bin")
        info.size = size
        tar.addfile(info, io.BytesIO(bytes(size)))
    return buffer.getvalue()


def test_multimember_gzip_layer_is_read_to_the_end():
    # pigz --independent, or `cat a.gz b.gz`: one tar cut in two, each part its own gzip member
    amd64 = Path(busybox("amd64")).read_bytes()
    whole = layer_tar({"bin/a": (amd64, 0o755), "bin/b": (amd64, 0o755)})
    layer = gzip_decompress_roundtrip(whole[:len(amd64) + 700]) + gzip_decompress_roundtrip(whole[len(amd64) + 700:])
    scan = elfscan.scan_layer(io.BytesIO(layer))
    assert sorted(scan.elf) == ["/bin/a", "/bin/b"]


def test_zstd_bomb_layer_is_named_and_not_read(tmp_path):
    frame = b"\x28\xb5\x2f\xfd" + bytes(1 * MiB)
    path = write_oci_layout(tmp_path / "z.tar", [("z:1", [("linux/amd64", [frame])])])
    (image,) = run_read(path)["images"]
    assert "zstd-compressed layer: this Python cannot decompress it" in image["platforms"][0]["note"]


def test_tar_of_bomb_layers_shares_one_budget(tmp_path):
    # 40 layers of 64 MiB each (2.5 GiB in all) from ~2.7 MB: the archive's budget, not
    # each layer's, bounds the total; the layers after it are named as not read.
    layers = [gzip_bomb(64 * MiB + n * 512) for n in range(40)]
    path = write_oci_layout(tmp_path / "many.tar", [("many:1", [("linux/amd64", layers)])])
    limit = tarstream.INFLATE_FLOOR + tarstream.INFLATE_RATIO * path.stat().st_size
    assert 40 * 64 * MiB > 5 * limit
    result = run_read(path)
    note = result["images"][0]["platforms"][0]["text"]
    assert note.count("the rest not read (inflate limit reached") == 1
    assert note.count(": not read (inflate limit reached") >= 30
    assert result["rss_mib"] < 100


def test_compressed_archive_of_zeros_stops_with_one_line(tmp_path):
    # `docker save | gzip` made hostile: the outer stream itself inflates to 2 GiB
    path = tmp_path / "saved.tar.gz"
    with open(path, "wb") as out:
        write_gzip_bomb(out, 2 * GiB)
    result = hostcheck_image(path)
    assert result.returncode == 3
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "neither manifest.json nor index.json found before" in result.stderr
    assert "inflate limit reached" in result.stderr


def test_gzip_bomb_through_stdin(tmp_path):
    layer = gzip_bomb(1 * GiB)
    path = write_oci_layout(tmp_path / "bomb.tar", [("bomb:1", [("linux/amd64", [layer])])])
    with open(path, "rb") as handle:
        result = hostcheck_image("-", stdin=handle)
    assert result.returncode in (0, 1), result.stderr
    (tree,) = json.loads(result.stdout)["trees"]
    assert "the rest not read (inflate limit reached" in json.dumps(tree)


# --------------------------------------------------------------- tar structure

def test_member_flood_stops_at_the_member_limit():
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for n in range(3000):
            tar.addfile(tarfile.TarInfo("f%05d" % n), io.BytesIO(b""))
    budget = tarstream.Budget(tarstream.Input(), 1000)
    scan = elfscan.scan_layer(io.BytesIO(gzip_decompress_roundtrip(buffer.getvalue())), budget)
    assert scan.partial == "member limit reached: 1000 tar members"
    assert scan.members == 1000 and budget.members == 1000
    assert "scanned the first" in scan.skipped_text() and "/ 1000 members" in scan.skipped_text()


@pytest.mark.parametrize("kind", ["pax", "gnu"])
def test_oversized_extended_header_is_refused_not_read(kind):
    # Go's archive/tar (dockerd) refuses these over 1 MiB; tarfile would read them whole
    info = tarfile.TarInfo("x" * (2 * MiB))
    data = info.tobuf(tarfile.PAX_FORMAT if kind == "pax" else tarfile.GNU_FORMAT)
    scan = elfscan.scan_layer(io.BytesIO(data + bytes(1024)))
    assert scan.error.startswith("extended header of")
    assert "over 1 MiB" in scan.error


def test_pax_paths_and_sizes_are_honoured():
    amd64 = Path(busybox("amd64")).read_bytes()
    long_name = "opt/" + "d" * 150 + "/tool"          # needs a pax path record
    scan = elfscan.scan_layer(io.BytesIO(layer_tar({long_name: (amd64, 0o755), "bin/sh": (amd64, 0o755)})))
    assert sorted(scan.elf) == ["/bin/sh", "/" + long_name]


def test_corrupt_header_is_a_layer_error():
    layer = bytearray(layer_tar({"bin/x": (b"y" * 100, 0o755)}))
    layer[148:156] = b"0000000\0"                     # wrong checksum
    scan = elfscan.scan_layer(io.BytesIO(bytes(layer)))
    assert "bad tar header checksum" in scan.error


def test_many_whiteouts_merge_in_n_log_n():
    # 20,000 whiteouts over 20,000 files: the old merge scanned every file per whiteout
    lower = elfscan.LayerScan()
    kind = elfscan.ElfKind(2, 1, 62, True)
    lower.elf = {"/d%05d/f" % n: kind for n in range(20000)}
    lower.elf["/keep/me"] = kind
    upper = elfscan.LayerScan()
    upper.whiteouts = ["/d%05d" % n for n in range(20000)]
    upper.opaque_dirs = ["/nothing"]
    assert elfscan.merge_layers([lower, upper]) == {"/keep/me": kind}


# --------------------------------------------------------------- metadata of the wrong type

def docker_save(tmp_path, manifest, config=None, name="bad.tar", extra=()):
    layer = layer_tar({"etc/hostname": (b"x\n", 0o644)})
    files = [("layer/layer.tar", layer), ("manifest.json", json.dumps(manifest).encode())]
    if config is not None:
        files.insert(0, ("config.json", json.dumps(config).encode()))
    path = tmp_path / name
    with tarfile.open(path, "w") as tar:
        for member, data in list(files) + list(extra):
            info = tarfile.TarInfo(member)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


GOOD_CONFIG = {"architecture": "amd64", "os": "linux"}
GOOD_ENTRY = {"Config": "config.json", "RepoTags": ["ok:1"], "Layers": ["layer/layer.tar"]}


@pytest.mark.parametrize("entry, config, reason", [
    (dict(GOOD_ENTRY, Layers=3), GOOD_CONFIG, "manifest.json entry 1: Layers is a number, not an array"),
    (dict(GOOD_ENTRY, Layers=[1]), GOOD_CONFIG, "manifest.json entry 1: Layers holds a number, not only strings"),
    (dict(GOOD_ENTRY, RepoTags="ok:1"), GOOD_CONFIG, "manifest.json entry 1: RepoTags is a string, not an array"),
    (dict(GOOD_ENTRY, Config=7), GOOD_CONFIG, "manifest.json entry 1: Config is a number, not a string"),
    (dict(GOOD_ENTRY, Config=None), GOOD_CONFIG, "manifest.json entry 1 has no Config"),
    (dict(GOOD_ENTRY, Config="../../etc/passwd"), GOOD_CONFIG, 'config "../../etc/passwd" is not inside the archive'),
    (dict(GOOD_ENTRY, Config="a/../../../x"), GOOD_CONFIG, 'config "a/../../../x" is not inside the archive'),
    (dict(GOOD_ENTRY, Layers=["/etc/shadow"]), GOOD_CONFIG, 'layer "/etc/shadow" is not inside the archive'),
    ("just a string", GOOD_CONFIG, "manifest.json entry 1 is a string, not an object"),
    (GOOD_ENTRY, dict(GOOD_CONFIG, architecture=64), 'config "config.json": architecture is a number, not a string'),
    (GOOD_ENTRY, dict(GOOD_CONFIG, os=["linux"]), 'config "config.json": os is an array, not a string'),
    (GOOD_ENTRY, ["not", "an", "object"], 'config "config.json" is an array, not an object'),
    (GOOD_ENTRY, None, 'config "config.json" not in the archive'),
])
def test_docker_save_fields_of_the_wrong_type_skip_the_image(tmp_path, entry, config, reason):
    good = dict(GOOD_ENTRY, RepoTags=["good:1"])
    path = docker_save(tmp_path, [entry, good], config)
    images = archive.read_archive(str(path))
    assert images[0].problem == reason and images[0].platforms == []
    if config == GOOD_CONFIG:
        assert str(images[1].platforms[0].platform) == "linux/amd64"      # the good entry still counts
    result = hostcheck_image(path)
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr
    if config != GOOD_CONFIG:       # both entries share the config: nothing left to judge
        assert result.returncode == 3 and result.stderr.count("\n") == 1 and reason in result.stderr
        return
    assert result.returncode in (0, 1), result.stderr
    (bad, good) = json.loads(result.stdout)["trees"]
    assert any(reason in step["evidence"] for step in bad["path"]), bad["path"]
    assert bad["subject"].startswith("manifest.json entry 1 (") and good["subject"].startswith("good:1 (")


@pytest.mark.parametrize("manifest, reason", [
    ({"Config": "config.json"}, "manifest.json is an object, not an array of images"),
    ("[{not json", "manifest.json is not JSON (Expecting property name enclosed in double quotes"),
    ("[" * 100000, "manifest.json is nested too deeply"),
    ([[[]]] * 2, "manifest.json entry 1 is an array, not an object"),
])
def test_unusable_manifest_json_is_one_line_exit_3(tmp_path, manifest, reason):
    extra = ()
    if isinstance(manifest, str):       # raw text, not JSON-encoded
        extra, manifest = [("manifest.json", manifest.encode())], []
        path = docker_save(tmp_path, manifest, GOOD_CONFIG)
        with tarfile.open(path, "a") as tar:
            for member, data in extra:
                info = tarfile.TarInfo(member)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    else:
        path = docker_save(tmp_path, manifest, GOOD_CONFIG)
    result = hostcheck_image(path)
    assert result.returncode == 3, result.stdout
    assert result.stderr.count("\n") == 1 and reason in result.stderr, result.stderr
    assert "internal error" not in result.stderr


def test_deeply_nested_config_is_a_reason_not_a_crash(tmp_path):
    raw = ('{"a":' * 50000) + "1" + ("}" * 50000)
    path = docker_save(tmp_path, [GOOD_ENTRY], None, extra=[("config.json", raw.encode())])
    (image,) = archive.read_archive(str(path))
    assert image.problem == 'config "config.json" is nested too deeply'


def oci_descriptor_cases():
    good_digest = "sha256:" + "a" * 64
    return [
        ({"mediaType": 5, "digest": good_digest}, "index.json manifests[0]: mediaType is a number, not a string"),
        ({"digest": "sha256:../../../etc/shadow"},
         'index.json manifests[0] digest "sha256:../../../etc/shadow" is not sha256:<64 hex> or sha512:<128 hex>'),
        ({"digest": "sha256:" + "A" * 64}, "is not sha256:<64 hex>"),
        ({"digest": "md5:" + "a" * 32}, "is not sha256:<64 hex>"),
        ({"digest": 12}, "index.json manifests[0]: digest is a number, not a string"),
        ({"digest": good_digest, "annotations": "tag"}, "index.json manifests[0]: annotations is a string, not an object"),
        ({"digest": good_digest, "annotations": {"org.opencontainers.image.ref.name": 3}},
         'index.json manifests[0]: annotation "org.opencontainers.image.ref.name" is a number, not a string'),
        ({"digest": good_digest, "platform": "linux/amd64"}, "index.json manifests[0]: platform is a string, not an object"),
        ({"digest": good_digest, "platform": {"os": "linux", "architecture": 64}},
         "index.json manifests[0] platform: architecture is a number, not a string"),
        ("sha256:abc", "index.json manifests[0] is a string, not an object"),
    ]


@pytest.mark.parametrize("descriptor, reason", oci_descriptor_cases())
@pytest.mark.parametrize("as_tar", [True, False], ids=["tar", "directory"])
def test_oci_index_descriptors_of_the_wrong_shape(tmp_path, descriptor, reason, as_tar):
    layout = tmp_path / "layout"
    layout.mkdir()
    write_oci_layout(layout, [("good:1", [("linux/amd64", [layer_tar({"etc/x": (b"x", 0o644)})])])], as_tar=False)
    index = json.loads((layout / "index.json").read_text())
    index["manifests"].insert(0, descriptor)
    (layout / "index.json").write_text(json.dumps(index))
    path = layout
    if as_tar:
        path = tmp_path / "layout.tar"
        with tarfile.open(path, "w") as tar:
            tar.add(str(layout), arcname=".")
    bad, good = archive.read_archive(str(path))
    assert reason in bad.problem and bad.platforms == []
    assert str(good.platforms[0].platform) == "linux/amd64"


@pytest.mark.parametrize("index, reason", [
    ({"manifests": "none"}, "index.json: manifests is a string, not an array"),
    ({"schemaVersion": 2}, "index.json has no manifests"),
    ([], "index.json is an array, not an object"),
])
def test_unusable_index_json_is_one_line_exit_3(tmp_path, index, reason):
    layout = tmp_path / "layout"
    layout.mkdir()
    (layout / "index.json").write_text(json.dumps(index))
    result = hostcheck_image(layout)
    assert result.returncode == 3
    assert result.stderr.count("\n") == 1 and reason in result.stderr, result.stderr


def test_oci_manifest_and_config_of_the_wrong_type(tmp_path):
    layout = tmp_path / "layout"
    layout.mkdir()
    write_oci_layout(layout, [("a:1", [("linux/amd64", [layer_tar({})])]),
                              ("b:1", [("linux/arm64", [layer_tar({})])])], as_tar=False)
    index = json.loads((layout / "index.json").read_text())
    first = layout / "blobs" / "sha256" / index["manifests"][0]["digest"].split(":")[1]
    manifest = json.loads(first.read_text())
    manifest["layers"] = {"not": "a list"}
    first.write_text(json.dumps(manifest))
    second = layout / "blobs" / "sha256" / index["manifests"][1]["digest"].split(":")[1]
    manifest = json.loads(second.read_text())
    manifest["layers"][0]["digest"] = "sha256:../../../../etc/passwd"
    second.write_text(json.dumps(manifest))       # (the digest no longer matches: not checked here)
    first_image, second_image = archive.read_archive(str(layout))
    assert first_image.platforms[0].note == "manifest: layers is an object, not an array"
    assert second_image.platforms[0].note == ('manifest layers[0] digest "sha256:../../../../etc/passwd" '
                                              'is not sha256:<64 hex> or sha512:<128 hex>')


# --------------------------------------------------------------- never outside the layout

def test_symlinked_blob_out_of_the_layout_is_refused(tmp_path):
    layout = tmp_path / "layout"
    layout.mkdir()
    write_oci_layout(layout, [("app:1", [("linux/arm64", [layer_tar({})])])], as_tar=False)
    index = json.loads((layout / "index.json").read_text())
    blob = layout / "blobs" / "sha256" / index["manifests"][0]["digest"].split(":")[1]
    outside = tmp_path / "outside.json"
    outside.write_bytes(blob.read_bytes())
    blob.unlink()
    blob.symlink_to(outside)
    (image,) = archive.read_archive(str(layout))
    assert "leads outside the layout" in image.platforms[0].note
    assert image.platforms[0].binaries is None


def test_symlinked_blobs_directory_is_refused(tmp_path):
    layout = tmp_path / "layout"
    layout.mkdir()
    write_oci_layout(layout, [("app:1", [("linux/arm64", [layer_tar({})])])], as_tar=False)
    elsewhere = tmp_path / "elsewhere"
    (layout / "blobs" / "sha256").rename(elsewhere)
    (layout / "blobs" / "sha256").symlink_to(elsewhere)
    (image,) = archive.read_archive(str(layout))
    assert "leads outside the layout" in image.platforms[0].note


def test_symlinks_inside_the_layout_are_followed(tmp_path):
    layout = tmp_path / "layout"
    layout.mkdir()
    write_oci_layout(layout, [("app:1", [("linux/arm64", [rootfs_arm64()])])], as_tar=False)
    (layout / "blobs" / "sha256").rename(layout / "store")
    (layout / "blobs" / "sha256").symlink_to("../store")
    (image,) = archive.read_archive(str(layout))
    assert image.platforms[0].binaries.machines_text() == "1 ELF file: 1 aarch64"


def rootfs_arm64():
    return busybox_rootfs_tar(busybox("arm64"), ("sh",))


def test_fifo_blob_is_not_opened_for_reading(tmp_path):
    layout = tmp_path / "layout"
    layout.mkdir()
    write_oci_layout(layout, [("app:1", [("linux/arm64", [layer_tar({})])])], as_tar=False)
    manifest_name = json.loads((layout / "index.json").read_text())["manifests"][0]["digest"].split(":")[1]
    manifest = json.loads((layout / "blobs" / "sha256" / manifest_name).read_text())
    layer = layout / "blobs" / "sha256" / manifest["layers"][0]["digest"].split(":")[1]
    layer.unlink()
    os.mkfifo(str(layer))
    (image,) = run_read(layout)["images"]             # would block forever on a FIFO read
    assert "is not a regular file" in image["platforms"][0]["note"]


def test_unpacked_docker_save_with_escaping_layer_path(tmp_path):
    directory = tmp_path / "saved"
    directory.mkdir()
    (tmp_path / "secret").mkdir()
    (tmp_path / "secret" / "layer.tar").write_bytes(layer_tar({"etc/x": (b"x", 0o644)}))
    (directory / "config.json").write_text(json.dumps(GOOD_CONFIG))
    (directory / "manifest.json").write_text(json.dumps([dict(GOOD_ENTRY, Layers=["../secret/layer.tar"])]))
    (image,) = archive.read_archive(str(directory))
    assert image.problem == 'layer "../secret/layer.tar" is not inside the archive'


# --------------------------------------------------------------- the real path still works

def test_real_docker_archive_through_the_bounded_reader(tmp_path):
    path = tmp_path / "arm64.tar"
    write_docker_archive(path, busybox_rootfs_tar(busybox("arm64"), ("sh", "ls")), "arm64", "v8", "x:1")
    (image,) = archive.read_archive(str(path))
    assert image.platforms[0].binaries.machines_text() == "1 ELF file: 1 aarch64"
    assert image.platforms[0].binaries.skipped == []


def test_small_gzip_layer_under_the_limit_is_read_whole(tmp_path):
    path = write_oci_layout(tmp_path / "small.tar", [("small:1", [("linux/amd64", [gzip_bomb(16 * MiB)])])])
    (image,) = archive.read_archive(str(path))
    assert image.platforms[0].binaries.machines_text() == "no ELF files"
