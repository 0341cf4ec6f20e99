"""ELF headers inside image layers, read from a tar stream without extracting anything.

A layer is scanned in one forward pass (tarfile stream mode, any compression tarfile
knows): for each regular file the first 64 bytes are read, and those starting with
\\x7fELF are kept as (class, byte order, machine, type, executable?). Whiteouts are kept
too, so that a file a later layer deletes does not count.

>>> header = b"\\x7fELF\\x02\\x01\\x01" + bytes(9) + (2).to_bytes(2, "little") + (0x3E).to_bytes(2, "little")
>>> read_elf_header(header + bytes(44), 0o755)
ElfKind(ei_class=2, ei_data=1, machine=62, executable=True)
>>> read_elf_header(b"#!/bin/sh\\n", 0o755) is None
True
"""

import collections
import posixpath
import tarfile

from hostcheck.image.platform import elf_platform, machine_name, runs_natively

ELF_MAGIC = b"\x7fELF"
HEADER_BYTES = 64
EXAMPLES = 3          # example paths kept per kind of foreign binary
STREAM_BUFSIZE = 1 << 20

ElfKind = collections.namedtuple("ElfKind", "ei_class ei_data machine executable")


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
    return ElfKind(ei_class, ei_data, e_machine, executable)


class LayerScan(object):
    """ELF files and whiteouts of one layer; `error` when the layer could not be read."""

    __slots__ = ("elf", "whiteouts", "opaque_dirs", "files", "error")

    def __init__(self):
        self.elf = {}            # path -> ElfKind
        self.whiteouts = []      # paths deleted from lower layers
        self.opaque_dirs = []    # directories whose lower contents are hidden
        self.files = 0
        self.error = None


def _clean(name):
    """'./bin/sh', 'bin/sh', '/bin/sh' -> '/bin/sh'."""
    return posixpath.normpath("/" + name.lstrip("/"))


def scan_layer(fileobj):
    """Scan one layer tar (plain, gzip, bzip2 or xz) from a forward-only file object."""
    scan = LayerScan()
    try:
        with tarfile.open(fileobj=fileobj, mode="r|*", bufsize=STREAM_BUFSIZE) as layer:
            for member in layer:
                path = _clean(member.name)
                base = posixpath.basename(path)
                if base.startswith(".wh."):
                    if base == ".wh..wh..opq":
                        scan.opaque_dirs.append(posixpath.dirname(path))
                    else:
                        scan.whiteouts.append(posixpath.join(posixpath.dirname(path), base[4:]))
                    continue
                if not member.isreg():
                    continue
                scan.files += 1
                if member.size < 20:
                    continue
                handle = layer.extractfile(member)
                kind = read_elf_header(handle.read(HEADER_BYTES), member.mode)
                if kind is not None:
                    scan.elf[path] = kind
    except (tarfile.TarError, EOFError, OSError, ValueError) as exc:
        scan.error = _reason(exc)
    return scan


def _reason(exc):
    text = str(exc) or exc.__class__.__name__
    if isinstance(exc, tarfile.CompressionError) or "compression" in text.lower():
        return "compression not supported by this Python (zstd?): %s" % text
    return text


def merge_layers(scans):
    """path -> ElfKind of the image's final filesystem (lower layers first)."""
    files = {}
    for scan in scans:
        for directory in scan.opaque_dirs:
            prefix = directory.rstrip("/") + "/"
            for path in [p for p in files if p.startswith(prefix)]:
                del files[path]
        for gone in scan.whiteouts:
            files.pop(gone, None)
            prefix = gone.rstrip("/") + "/"
            for path in [p for p in files if p.startswith(prefix)]:
                del files[path]
        files.update(scan.elf)
    return files


class BinaryReport(object):
    """ELF files of one image platform, against that platform.

    `foreign` counts executables another machine would have to run; `foreign_other` counts
    non-executable foreign ELF files (libraries of a cross toolchain, objects): reported,
    not failing.
    """

    def __init__(self, files, platform):
        self.total = len(files)
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
            return "no ELF files"
        kinds = ", ".join("%d %s" % (count, name) for name, count in self.by_machine.most_common())
        return "%d ELF file%s: %s" % (self.total, "" if self.total == 1 else "s", kinds)

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
                "foreign_other": self.foreign_other}


def _matches(elf_plat, platform):
    """Would an image of `platform` run this ELF without help? (variant-blind: ELF has none)"""
    if elf_plat is None or platform is None:
        return False
    if elf_plat.architecture != platform.architecture:
        return False
    return runs_natively(elf_plat._replace(variant=platform.variant), platform) is not False
