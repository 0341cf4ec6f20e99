"""Bounded, forward-only reading of tar streams and of the compressions image layers use.

Archives come from anywhere (a customer's ticket, a registry mirror), so every read here is
bounded: work is linear in the bytes of the file, and memory is a few buffers.

Why not `tarfile`: on hostile input its stream mode (`r|*`) is unbounded. Measured on
Python 3.11.7 (2 cores), a gzip layer of 66 KB inflating to 64 MiB of zeros took 11 s and
209 MB; 128 MiB took 53 s, 256 MiB 154 s and 800 MB (quadratic: one decompress call
inflates a whole compressed chunk into one buffer, which is then re-sliced for each
read). It also reads a pax header or GNU long name of any declared size into memory and
keeps every TarInfo it has seen. Here instead:

* each decompressor call yields at most OUT_CHUNK bytes, and reads are served from a
  buffer by offset (no re-slicing of what is left);
* a pax header or GNU long name above 1 MiB is refused, as Go's archive/tar (dockerd's
  reader) refuses it;
* a Budget caps inflated bytes (a floor plus INFLATE_RATIO times the bytes of the input,
  so a bomb costs time in proportion to its compressed size, never to its inflated size)
  and tar members, and says what it stopped.
"""

import bz2
import lzma
import os
import stat
import zlib

KiB, MiB, GiB = 1 << 10, 1 << 20, 1 << 30

BLOCK = 512
IN_CHUNK = 64 * KiB       # compressed bytes handed to a decompressor at a time
OUT_CHUNK = 1 * MiB       # most bytes one decompressor call may produce
READ_CHUNK = 1 * MiB      # bytes read from the archive file at a time
SPECIAL_LIMIT = 1 * MiB   # pax headers and GNU long names (Go's archive/tar: maxSpecialFileSize)
KEEP_LIMIT = 64 * MiB     # ELF paths, whiteouts and JSON documents kept from one archive
XZ_MEMORY = 80 * MiB      # liblzma's memlimit: xz -9 needs 65 MiB; a forged header could ask 1.5 GiB

# Inflated bytes one archive read may produce: INFLATE_FLOOR plus INFLATE_RATIO times the
# archive's own size. Real gzip layers inflate 2-5x (binaries), text-heavy ones up to ~10x;
# a gzip bomb ~1000x. A 2 GiB bomb of 2 MB stops after 320 MiB.
INFLATE_FLOOR = 256 * MiB
INFLATE_RATIO = 32

_MAGICS = ((b"\x1f\x8b", "gzip"), (b"BZh", "bzip2"), (b"\xfd7zXZ\x00", "xz"),
           (b"\x28\xb5\x2f\xfd", "zstd"))
_MAGIC_OF = dict((kind, magic) for magic, kind in _MAGICS)
_HEADER_ONLY = frozenset(b"123456")      # links, devices, directories, FIFOs: size is ignored
_REGULAR = frozenset((b"0", b"\0", b"7", b"S"))
_ZERO_BLOCK = bytes(BLOCK)
_LOW_BYTES = bytes(range(128))


class LimitReached(Exception):
    """A Budget is spent: what was read so far stands, the rest is not read."""


class CorruptData(Exception):
    """Not a tar, a broken header, compressed data that does not decompress, a short read."""


def mib(count):
    return "%d MiB" % (count // MiB) if count >= MiB else "%d KiB" % max(1, count // KiB)


class Input(object):
    """Bytes of input the limits are proportional to: file sizes, or what a pipe delivered."""

    def __init__(self, size=0):
        self.bytes = size


class Budget(object):
    """Inflated bytes, tar members and bytes kept in memory one part of an archive read may
    spend. Each limit, once reached, raises LimitReached on every later attempt."""

    def __init__(self, source_input, member_limit, floor=INFLATE_FLOOR, ratio=INFLATE_RATIO,
                 keep_limit=KEEP_LIMIT):
        self.input = source_input
        self.member_limit = member_limit
        self.keep_limit = keep_limit
        self.floor, self.ratio = floor, ratio
        self.inflated = 0
        self.members = 0
        self.kept = 0

    @property
    def inflate_limit(self):
        return self.floor + self.ratio * self.input.bytes

    def inflate(self, count):
        if self.inflated + count > self.inflate_limit:
            raise LimitReached("inflate limit reached: %s, that is %s plus %dx the %s of input" % (
                mib(self.inflate_limit), mib(self.floor), self.ratio, mib(self.input.bytes)))
        self.inflated += count

    def member(self):
        if self.members >= self.member_limit:
            raise LimitReached("member limit reached: %d tar members" % self.member_limit)
        self.members += 1

    def keep(self, count):
        if self.kept + count > self.keep_limit:
            raise LimitReached("memory limit reached: %s of paths and documents kept" % mib(self.keep_limit))
        self.kept += count


class _Buffered(object):
    """read(n) returns n bytes unless the data ends; skip(n) moves on; `position` counts
    the bytes read or skipped so far (also when a limit stops a skip half-way).
    Subclasses fill()."""

    def __init__(self):
        self._buffer = b""
        self._offset = 0
        self.position = 0

    def _fill(self):
        raise NotImplementedError

    def read(self, size):
        available = len(self._buffer) - self._offset
        if available >= size:
            data = self._buffer[self._offset:self._offset + size]
            self._offset += size
            self.position += size
            return data
        parts = [self._buffer[self._offset:]] if available else []
        got = available
        self.position += available
        self._buffer, self._offset = b"", 0
        while got < size:
            chunk = self._fill()
            if not chunk:
                break
            need = size - got
            if len(chunk) > need:
                parts.append(chunk[:need])
                self._buffer, self._offset = chunk, need
                got = size
                self.position += need
            else:
                parts.append(chunk)
                got += len(chunk)
                self.position += len(chunk)
        return b"".join(parts)

    def read_some(self, size):
        """Up to `size` bytes, at least one unless the data ends: what the buffer holds,
        without joining pieces (a whole chunk is handed on without a copy)."""
        if self._offset >= len(self._buffer):
            self._buffer, self._offset = self._fill(), 0
        data = self._buffer[self._offset:self._offset + size]
        self._offset += len(data)
        self.position += len(data)
        return data

    def skip(self, size):
        """Skip `size` bytes; the count skipped (less only at the end of the data)."""
        available = len(self._buffer) - self._offset
        if available >= size:
            self._offset += size
            self.position += size
            return size
        self._buffer, self._offset = b"", 0
        self.position += available
        return available + self._skip_rest(size - available)

    def _skip_rest(self, size):
        skipped = 0
        while skipped < size:
            chunk = self._fill()
            if not chunk:
                break
            if len(chunk) > size - skipped:
                self._buffer, self._offset = chunk, size - skipped
                self.position += size - skipped
                return size
            skipped += len(chunk)
            self.position += len(chunk)
        return skipped


class Source(_Buffered):
    """The archive file or pipe. Counts its bytes into `source_input` as they are read; a
    regular file is skipped through by seeking (member data nobody needs is never read)."""

    def __init__(self, handle, source_input):
        _Buffered.__init__(self)
        self.handle = handle
        self.input = source_input
        self._read_bytes = 0
        self.seekable = False
        try:
            info = os.fstat(handle.fileno())
            if stat.S_ISREG(info.st_mode):
                self.input.bytes = max(self.input.bytes, info.st_size)
                self.seekable = handle.seekable()
        except (AttributeError, OSError, ValueError):
            pass

    def _fill(self):
        data = self.handle.read(READ_CHUNK)
        if data:
            self._read_bytes += len(data)
            self.input.bytes = max(self.input.bytes, self._read_bytes)
        return data

    def _skip_rest(self, size):
        if not self.seekable:
            return _Buffered._skip_rest(self, size)
        # Never past the end of the file: a forged size (a pax record of 20 digits, a
        # base-256 field up to 2**88) is more than seek() takes, and a member that ends
        # beyond the data is a truncated archive (the caller sees the short skip).
        size = max(0, min(size, os.fstat(self.handle.fileno()).st_size - self.handle.tell()))
        self.handle.seek(size, os.SEEK_CUR)
        self._read_bytes += size
        self.position += size
        return size


class Inflater(_Buffered):
    """The decompressed bytes of a gzip, bzip2 or xz stream (concatenated members too)."""

    def __init__(self, source, kind, budget):
        _Buffered.__init__(self)
        self.source, self.kind, self.budget = source, kind, budget
        self._decompressor = self._new()
        self._pending = b""      # input after one member ended, for the next member
        self._done = False

    def _new(self):
        if self.kind == "gzip":
            return zlib.decompressobj(16 + zlib.MAX_WBITS)
        if self.kind == "bzip2":
            return bz2.BZ2Decompressor()
        if self.kind == "xz":
            return lzma.LZMADecompressor(lzma.FORMAT_AUTO, memlimit=XZ_MEMORY)
        raise CorruptData("%s-compressed data: this Python cannot decompress it" % self.kind)

    def _input(self):
        if self._pending:
            data, self._pending = self._pending, b""
            return data
        return self.source.read_some(IN_CHUNK)

    def _fill(self):
        while not self._done:
            decompressor = self._decompressor
            if decompressor is None:
                # after a member: another one follows (gzip -c a b, pigz --independent), or not
                data = self._input()
                while 0 < len(data) < 8:
                    more = self.source.read_some(IN_CHUNK)
                    if not more:
                        break
                    data += more
                if not data.startswith(_MAGIC_OF[self.kind]):
                    self._done = True       # end, or trailing garbage (gzip ignores it too)
                    return b""
                self._decompressor = decompressor = self._new()
                self._pending = data
            if self.kind == "gzip":
                data = decompressor.unconsumed_tail or self._input()
            else:
                data = self._input() if decompressor.needs_input else b""
            try:
                chunk = decompressor.decompress(data, OUT_CHUNK)
            except (zlib.error, OSError, EOFError, lzma.LZMAError) as exc:
                raise CorruptData("%s data does not decompress (%s)" % (self.kind, exc))
            if decompressor.eof:
                self._pending = decompressor.unused_data + self._pending
                self._decompressor = None
            elif not chunk and not data:
                raise CorruptData("%s data ends early (truncated)" % self.kind)
            if chunk:
                self.budget.inflate(len(chunk))
                return chunk
        return b""


def sniff(head):
    """'gzip' | 'bzip2' | 'xz' | 'zstd' | 'tar' | None from a stream's first 512 bytes."""
    for magic, kind in _MAGICS:
        if head.startswith(magic):
            return kind
    if head[257:262] == b"ustar":
        return "tar"
    return None


class Prefixed(_Buffered):
    """Bytes already read (to sniff a stream), then the rest of that stream."""

    def __init__(self, head, rest):
        _Buffered.__init__(self)
        self._buffer = head
        self.rest = rest

    def _fill(self):
        return self.rest.read_some(READ_CHUNK)

    def _skip_rest(self, size):
        skipped = self.rest.skip(size)
        self.position += skipped
        return skipped


def decompressed(stream, budget):
    """(kind, reader of the decompressed bytes) of a stream that may be compressed."""
    head = stream.read(BLOCK)
    kind = sniff(head)
    whole = Prefixed(head, stream)
    if kind in ("gzip", "bzip2", "xz"):
        return kind, Inflater(whole, kind, budget)
    return kind, whole


class Member(object):
    __slots__ = ("name", "type", "size", "mode", "linkname")

    def __init__(self, name, type_, size, mode, linkname):
        self.name, self.type, self.size, self.mode, self.linkname = name, type_, size, mode, linkname

    def isreg(self):
        return self.type in _REGULAR

    def issym(self):
        return self.type == b"2"

    def islnk(self):
        return self.type == b"1"


def _text(field):
    return field.split(b"\0", 1)[0].decode("utf-8", "replace")


def _number(field):
    """A numeric header field: octal text, or GNU base-256 (first byte 0x80)."""
    if field[:1] == b"\x80":
        return int.from_bytes(field[1:], "big")
    if field[:1] == b"\xff":
        raise CorruptData("negative number in a tar header")
    text = field.split(b"\0", 1)[0].strip(b" ")
    if not text:
        return 0
    if text.strip(b"01234567"):
        raise CorruptData("tar header field %r is not a number" % text[:20])
    return int(text, 8)


def _checksum_ok(block):
    stored = _number(block[148:156])
    unsigned = sum(block) - sum(block[148:156]) + 8 * 32
    if stored == unsigned:
        return True
    # some old tars summed signed chars: each byte >= 128 counts 256 less
    high = len(block[:148].translate(None, _LOW_BYTES)) + len(block[156:].translate(None, _LOW_BYTES))
    return stored == unsigned - 256 * high


def _pax_records(data):
    """{key: value} of a pax extended header ('%d %s=%s\\n' records), in one linear pass."""
    records = {}
    position, end = 0, len(data)
    while position < end:
        space = data.find(b" ", position, position + 21)
        if space < 0 or not data[position:space].isdigit():
            raise CorruptData("malformed pax header")
        length = int(data[position:space])
        if length <= space - position or position + length > end or data[position + length - 1:position + length] != b"\n":
            raise CorruptData("malformed pax header")
        key, equals, value = data[space + 1:position + length - 1].partition(b"=")
        if not equals:
            raise CorruptData("malformed pax header")
        records[key] = value
        position += length
    return records


class TarReader(object):
    """Members of a tar stream, one forward pass. Iterate; `read(n)` reads the current
    member's data (only what is asked; the rest is skipped when the next member comes)."""

    def __init__(self, stream, budget):
        self.stream = stream
        self.budget = budget
        self.members = 0
        self._remaining = 0
        self._padding = 0

    def read(self, size):
        size = min(size, self._remaining)
        data = self.stream.read(size)
        self._remaining -= len(data)
        return data

    def read_some(self, size):
        data = self.stream.read_some(min(size, self._remaining)) if self._remaining else b""
        self._remaining -= len(data)
        return data

    def skip(self, size):
        size = min(size, self._remaining)
        skipped = self.stream.skip(size)
        self._remaining -= skipped
        return skipped

    def __iter__(self):
        while True:
            member = self._next()
            if member is None:
                return
            yield member

    def _block(self):
        block = self.stream.read(BLOCK)
        if block and len(block) < BLOCK:
            raise CorruptData("unexpected end of data (truncated tar)")
        return block

    def _special(self, size):
        if size > SPECIAL_LIMIT:
            raise CorruptData("extended header of %d bytes (readers such as dockerd refuse over 1 MiB)" % size)
        data = self.stream.read(size)
        if len(data) < size:
            raise CorruptData("unexpected end of data (truncated tar)")
        self.stream.skip(-size % BLOCK)
        return data

    def _next(self):
        if self._remaining or self._padding:
            want = self._remaining + self._padding
            if self.stream.skip(want) < want:
                raise CorruptData("unexpected end of data (truncated tar)")
            self._remaining = self._padding = 0
        pax, long_name, long_link = {}, None, None
        while True:
            block = self._block()
            if not block or block == _ZERO_BLOCK:
                return None
            if not _checksum_ok(block):
                raise CorruptData("bad tar header checksum%s" % (
                    "" if self.members else " (not a tar archive?)"))
            self.budget.member()
            type_ = block[156:157]
            size = _number(block[124:136])
            if type_ in (b"x", b"X"):
                pax.update(_pax_records(self._special(size)))
                continue
            if type_ == b"g":         # global pax header (git archive's comment): nothing we use
                self._special(size)
                continue
            if type_ == b"L":
                long_name = _text(self._special(size))
                continue
            if type_ == b"K":
                long_link = _text(self._special(size))
                continue
            break
        self.members += 1
        name = _text(block[0:100])
        if block[257:263] == b"ustar\x00" and block[345:346] != b"\0":
            name = _text(block[345:500]) + "/" + name
        linkname = _text(block[157:257])
        if long_name is not None:
            name = long_name
        if long_link is not None:
            linkname = long_link
        if b"path" in pax:
            name = pax[b"path"].decode("utf-8", "replace")
        if b"linkpath" in pax:
            linkname = pax[b"linkpath"].decode("utf-8", "replace")
        if b"size" in pax:
            if not pax[b"size"].isdigit() or len(pax[b"size"]) > 20:
                raise CorruptData("malformed pax size")
            size = int(pax[b"size"])
        if type_ == b"S" and block[482:483] not in (b"\0", b""):
            # old GNU sparse: more sparse maps follow in 512-byte blocks, each flagging the next
            while True:
                extension = self._block()
                if not extension:
                    raise CorruptData("unexpected end of data (truncated tar)")
                if extension[504:505] == b"\0":
                    break
        if type_[:1] and type_[0] in _HEADER_ONLY:
            size = 0
        self._remaining, self._padding = size, -size % BLOCK
        return Member(name, type_, size, _number(block[100:108]), linkname)
