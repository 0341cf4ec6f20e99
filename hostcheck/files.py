"""Documents read from paths a user gives, and files written for them: bounded and whole.

Reading: only a regular file (or a symlink to one) is opened — a FIFO named *.json would
block the read forever, /dev/zero never ends, a socket cannot be read — and only up to a
size limit. The kind is checked with stat before anything is opened (opening a device can
act on it) and again with fstat on what was opened, with O_NONBLOCK so that a FIFO swapped
in between cannot block.

Nesting: too_deep bounds a parsed document far above any real one (hostcheck's own
captures and reports are 8 levels deep) and far below what recursive code after it
(pseudonymisation, parsers) could walk; json.loads itself stops at ~1,000 levels with a
RecursionError, which callers turn into the same one line.

Writing: into a temporary file beside the target, renamed over it at the end, so that a
failure (a full disk, an error while rendering) leaves the old file or none, never a
truncated one.
"""

import os
import re
import stat

MiB = 1024 * 1024
# Sizes measured here: this machine's capture is 230 KB; with 1,000 containers of the same
# inspect size 5.7 MB (its report 3.5 MB, facts included). The limits leave ~10x that, and
# bound the worst case: JSON of tiny objects takes ~30x its size in memory (64 MiB of
# [{"a":[1]},…] parsed to a 2 GB peak), so a capture stays near 2 GB, and each of the
# fleet's (up to 8) reading processes near 0.5 GB.
CAPTURE_LIMIT = 64 * MiB
REPORT_LIMIT = 16 * MiB
# Nesting levels a document may have (containers, i.e. objects and arrays, counted).
MAX_DEPTH = 64


class Refused(Exception):
    """Not read: the message says why, as a phrase that follows "PATH is" ("a FIFO, not a
    regular file")."""


_KINDS = ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a directory"))


def _not_regular(mode):
    if stat.S_ISREG(mode):
        return None
    kind = next((name for test, name in _KINDS if test(mode)), "a special file")
    return "%s, not a regular file" % kind


def _size_words(size):
    if size < MiB:
        return "%d bytes" % size
    return "%s MiB" % ("%.1f" % (size / MiB)).rstrip("0").rstrip(".")


def _too_large(size, limit, what):
    return "larger than %s, the limit for %s%s" % (
        _size_words(limit), what, "" if size is None else " (%s)" % _size_words(size))


def read_regular(path, limit, what="a document"):
    """The bytes of the regular file at `path`, at most `limit` of them.

    Raises Refused for anything else (a FIFO, a device, a socket, a directory, a file over
    the limit) and OSError when it cannot be read at all. Symlinks are followed: the kind
    that counts is the target's.
    """
    reason = _not_regular(os.stat(path).st_mode)
    if reason:
        raise Refused(reason)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags)
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        reason = _not_regular(info.st_mode)
        if reason:
            raise Refused(reason)
        if info.st_size > limit:
            raise Refused(_too_large(info.st_size, limit, what))
        # Sized by fstat (a read of limit + 1 would allocate that much for every file); a file
        # that grows while it is read is read on, up to the limit.
        data = handle.read(info.st_size + 1)
        if len(data) > info.st_size:
            data += handle.read(limit + 1 - len(data))
    if len(data) > limit:
        raise Refused(_too_large(None, limit, what))
    return data


def read_stream(stream, limit, what="a document"):
    """At most `limit` bytes from a binary stream (stdin); Refused beyond."""
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise Refused(_too_large(None, limit, what))
    return data


def too_deep(doc, max_depth=MAX_DEPTH):
    """True when the parsed JSON `doc` nests objects and arrays deeper than `max_depth`.

    Level by level, without recursion (~0.15 s for a 14 MB capture of 3,000 containers,
    well under json.loads' own time).

    >>> too_deep({"a": [{"b": []}]}, 3), too_deep({"a": [{"b": []}]}, 4), too_deep("text", 0)
    (True, False, False)
    """
    level = [doc] if type(doc) is dict or type(doc) is list else []
    depth = 0
    while level:
        depth += 1
        if depth > max_depth:
            return True
        below = []
        for value in level:
            for child in (value.values() if type(value) is dict else value):
                if type(child) is dict or type(child) is list:
                    below.append(child)
        level = below
    return False


# A \uD800-\uDFFF escape in JSON text: the only way a lone surrogate gets into a document
# read as strict UTF-8 (an escaped backslash before "ud800" matches too: only a cheap pre-check).
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def may_hold_surrogates(json_text):
    return _SURROGATE_ESCAPE.search(json_text) is not None


def without_surrogates(value):
    """`value` (a parsed JSON document) with every lone surrogate, in keys and strings, as U+FFFD.

    Recursive: call it on documents already checked with too_deep.

    >>> without_surrogates({"a\\ud800": ["x\\udfff", 1, "\\U0001f600"]})
    {'a\ufffd': ['x\ufffd', 1, '😀']}
    """
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {without_surrogates(key): without_surrogates(item) for key, item in value.items()}
    if isinstance(value, list):
        return [without_surrogates(item) for item in value]
    return value


def write_whole(path, chunks):
    """Write the text pieces `chunks` to `path` as one file that appears only when complete.

    The pieces go to a temporary file in the target's directory (so the rename stays on one
    filesystem), which is renamed over `path` at the end and removed on any failure. A path
    that names something other than a regular file (/dev/stdout, a FIFO, a terminal) is
    written to directly: renaming over it would replace a device node with a file. A
    symlink is written through, as open() would. The file gets the mode open() would give
    it: the old file's, or 0666 less the umask.
    """
    try:
        info = os.stat(path)
    except FileNotFoundError:
        info = None
    if info is not None and not stat.S_ISREG(info.st_mode):
        _write_in_place(path, chunks)
        return
    target = os.path.realpath(path) if os.path.islink(path) else path
    directory, name = os.path.split(os.path.abspath(target))
    import tempfile     # here: ~5 ms of imports (shutil, random) a report to stdout does not need
    try:
        fd, temporary = tempfile.mkstemp(prefix=".%s." % name, suffix=".tmp", dir=directory)
    except PermissionError:
        if info is None or not os.access(target, os.W_OK):
            raise
        # A writable file in a directory we may not write to: only an in-place write is possible.
        _write_in_place(target, chunks)
        return
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            os.fchmod(handle.fileno(), stat.S_IMODE(info.st_mode) if info is not None else 0o666 & ~_umask())
            for chunk in chunks:
                handle.write(chunk)
        os.replace(temporary, target)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


def _write_in_place(path, chunks):
    with open(path, "w", encoding="utf-8") as handle:
        for chunk in chunks:
            handle.write(chunk)


def _umask():
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
