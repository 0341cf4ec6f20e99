"""ELF headers inside image layers, read from a tar stream without extracting anything.

A layer is scanned in one forward pass (hostcheck.image.tarstream: plain, gzip, bzip2 or
xz, within the archive's Budget): for each regular file the first 64 bytes are read, and
those starting with \\x7fELF are kept as (class, byte order, machine, type, executable?).
Whiteouts are kept too, so that a file a later layer deletes does not count. When a limit
stops a layer, what was read stands and `partial` says what was not.

>>> header = b"\\x7fELF\\x02\\x01\\x01" + bytes(9) + (2).to_bytes(2, "little") + (0x3E).to_bytes(2, "little")
>>> read_elf_header(header + bytes(44), 0o755)
ElfKind(ei_class=2, ei_data=1, machine=62, executable=True)
>>> read_elf_header(b"#!/bin/sh\\n", 0o755) is None
True
"""

import bisect
import collections
import posixpath

from hostcheck.image import tarstream
from hostcheck.image.platform import elf_platform, machine_name, runs_natively

ELF_MAGIC = b"\x7fELF"
HEADER_BYTES = 64
EXAMPLES = 3          # example paths kept per kind of foreign binary
PATH_LIMIT = 4096     # PATH_MAX: a longer name cannot be unpacked on Linux; not kept
# Tar members scanned across all layers of one archive: the largest real images hold a few
# hundred thousand files; each member costs ~10 us here.
LAYER_MEMBER_LIMIT = 1000000
KEPT_COST = 256       # bytes charged per kept path beyond its length (dict slot, str header)

ElfKind = collections.namedtuple("ElfKind", "ei_class ei_data machine executable")
_KINDS = {}           # one shared ElfKind per distinct value (a layer holds thousands)


def read_elf_header(head, mode):
    """ElfKind from a file's first bytes, or None when it is not an ELF file."""
    if len(head) < 20 or head[:4] != ELF_MAGIC:
        return None
    ei_class, ei_data = head[4], head[5]
    if ei_class not in (1, 2) or ei_data not in (1, 2):
        return None
    order = "little" if ei_data == 1 else "big"
    e_type = int.from_bytes(head[16:18], order)
    e_machine = int.from_bytes(head[18:20], order)
    # ET_EXEC or ET_DYN (PIE executables share ET_DYN with libraries: the mode tells them apart)
    executable = e_type in (2, 3) and bool(mode & 0o111)
    kind = ElfKind(ei_class, ei_data, e_machine, executable)
    return _KINDS.setdefault(kind, kind)


class LayerScan(object):
    """ELF files and whiteouts of one layer; `error` when the layer could not be read,
    `partial` when a limit stopped the scan (what was read before stands)."""

    __slots__ = ("elf", "whiteouts", "opaque_dirs", "files", "members", "bytes", "error", "partial")

    def __init__(self):
        self.elf = {}            # path -> ElfKind
        self.whiteouts = []      # paths deleted from lower layers
        self.opaque_dirs = []    # directories whose lower contents are hidden
        self.files = 0
        self.members = 0         # tar members read
        self.bytes = 0           # bytes of (uncompressed) layer tar read
        self.error = None
        self.partial = None      # why the rest was not read

    def skipped_text(self):
        """'scanned the first 1088 MiB / 1 member; the rest not read (inflate limit ...)'."""
        if not self.members:
            return "not read (%s)" % self.partial
        return "scanned the first %s / %d member%s; the rest not read (%s)" % (
            tarstream.mib(self.bytes), self.members, "" if self.members == 1 else "s", self.partial)


def _clean(name):
    """'./bin/sh', 'bin/sh', '/bin/sh' -> '/bin/sh'."""
    return posixpath.normpath("/" + name.lstrip("/"))


def scan_layer(stream, budget=None):
    """Scan one layer tar (plain, gzip, bzip2 or xz) from a forward-only stream with
    read(n)/skip(n) (a file, or a member of the archive's tar). `budget`: the archive's
    limits for layers (tarstream.Budget; a fresh one sized by nothing but the floor if None)."""
    if budget is None:
        budget = tarstream.Budget(tarstream.Input(), LAYER_MEMBER_LIMIT)
    scan = LayerScan()
    plain = None
    if not hasattr(stream, "skip"):     # a plain file object
        stream = tarstream.Source(stream, budget.input)
    try:
        kind, plain = tarstream.decompressed(stream, budget)
        if kind == "zstd":
            scan.error = "zstd-compressed layer: this Python cannot decompress it"
            return scan
        layer = tarstream.TarReader(plain, budget)
        for member in layer:
            scan.members = layer.members
            _take(scan, layer, member, budget)
    except tarstream.LimitReached as exc:
        scan.partial = str(exc)
    except tarstream.CorruptData as exc:
        scan.error = str(exc)
    except (OSError, EOFError, ValueError) as exc:
        scan.error = str(exc) or exc.__class__.__name__
    scan.bytes = plain.position if plain is not None else 0
    return scan


def _take(scan, layer, member, budget):
    if len(member.name) > PATH_LIMIT:
        return
    path = _clean(member.name)
    base = posixpath.basename(path)
    if base.startswith(".wh."):
        budget.keep(len(path) + KEPT_COST)
        if base == ".wh..wh..opq":
            scan.opaque_dirs.append(posixpath.dirname(path))
        else:
            scan.whiteouts.append(posixpath.join(posixpath.dirname(path), base[4:]))
        return
    if not member.isreg():
        return
    scan.files += 1
    if member.size < 20:
        return
    kind = read_elf_header(layer.read(HEADER_BYTES), member.mode)
    if kind is not None:
        budget.keep(len(path) + KEPT_COST)
        scan.elf[path] = kind


def _hidden_by(files, scan):
    """Paths of `files` (a dict) that the whiteouts and opaque directories of `scan` remove:
    one sorted pass plus a bisect per whiteout, never whiteouts x files."""
    ordered = sorted(files)
    gone = set()
    prefixes = [d.rstrip("/") + "/" for d in scan.opaque_dirs]
    for path in scan.whiteouts:
        if path in files:
            gone.add(path)
        prefixes.append(path.rstrip("/") + "/")
    for prefix in prefixes:
        at = bisect.bisect_left(ordered, prefix)
        while at < len(ordered) and ordered[at].startswith(prefix):
            gone.add(ordered[at])
            at += 1
    return gone


def merge_layers(scans):
    """path -> ElfKind of the image's final filesystem (lower layers first)."""
    files = {}
    for scan in scans:
        if files and (scan.whiteouts or scan.opaque_dirs):
            for path in _hidden_by(files, scan):
                del files[path]
        files.update(scan.elf)
    return files


class BinaryReport(object):
    """ELF files of one image platform, against that platform.

    `foreign` counts executables another machine would have to run; `foreign_other` counts
    non-executable foreign ELF files (libraries of a cross toolchain, objects): reported,
    not failing.
    """

    def __init__(self, files, platform, skipped=()):
        self.total = len(files)
        self.skipped = list(skipped)     # "layer sha256:ab12…: scanned the first …; the rest not read"
        self.by_machine = collections.Counter()
        self.foreign = collections.OrderedDict()    # machine name -> [count, [example paths], platform]
        self.foreign_other = 0
        for path in sorted(files):
            kind = files[path]
            name = machine_name(kind.ei_class, kind.ei_data, kind.machine)
            self.by_machine[name] += 1
            elf_plat = elf_platform(kind.ei_class, kind.ei_data, kind.machine)
            if _matches(elf_plat, platform):
                continue
            if not kind.executable:
                self.foreign_other += 1
                continue
            entry = self.foreign.setdefault(name, [0, [], elf_plat])
            entry[0] += 1
            if len(entry[1]) < EXAMPLES:
                entry[1].append(path)

    @property
    def foreign_count(self):
        return sum(entry[0] for entry in self.foreign.values())

    @property
    def foreign_unemulable(self):
        """Foreign executables of a machine OCI has no platform for (no emulator serves it)."""
        return sum(entry[0] for entry in self.foreign.values() if entry[2] is None)

    def machines_text(self):
        """'12 ELF files: 11 aarch64, 1 x86-64'."""
        if not self.total:
            text = "no ELF files"
        else:
            kinds = ", ".join("%d %s" % (count, name) for name, count in self.by_machine.most_common())
            text = "%d ELF file%s: %s" % (self.total, "" if self.total == 1 else "s", kinds)
        if self.skipped:
            text += " (partial scan: %s)" % "; ".join(self.skipped)
        return text

    def foreign_text(self):
        """'1 x86-64 executable (linux/amd64), e.g. /bin/busybox'."""
        parts = []
        for name, (count, examples, elf_plat) in self.foreign.items():
            parts.append("%d %s executable%s (%s), e.g. %s" % (
                count, name, "" if count == 1 else "s", elf_plat or "no OCI platform",
                ", ".join(examples)))
        return "; ".join(parts)

    def to_dict(self):
        return {"elf_files": self.total, "by_machine": dict(self.by_machine),
                "foreign_executables": {name: {"count": c, "examples": ex, "platform": str(p) if p else None}
                                        for name, (c, ex, p) in self.foreign.items()},
                "foreign_other": self.foreign_other, "skipped": list(self.skipped)}


def _matches(elf_plat, platform):
    """Would an image of `platform` run this ELF without help? (variant-blind: ELF has none)"""
    if elf_plat is None or platform is None:
        return False
    if elf_plat.architecture != platform.architecture:
        return False
    return runs_natively(elf_plat._replace(variant=platform.variant), platform) is not False
