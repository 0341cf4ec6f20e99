"""Reading a project's files with bounds: regular files only, a size cap, UTF-8 text.

A compose file, an `.env` file or a Dockerfile named by the user (or by an `extends:` or a
`build:` section) is read as it is on disk, never followed into a device, a FIFO or a
directory: a symlink to /dev/zero or a named pipe would otherwise stream or block forever.

>>> import tempfile, os
>>> with tempfile.TemporaryDirectory() as scratch:
...     path = os.path.join(scratch, "compose.yaml")
...     _ = open(path, "w").write("services: {}\\n")
...     read_text(path)
'services: {}\\n'
>>> try:
...     read_text("/dev/zero")
... except ProjectFileError as exc:
...     print(exc)
/dev/zero is not a regular file (a character device)
"""

import errno
import os
import stat

COMPOSE_LIMIT = 1024 * 1024        # a compose file: real ones are a few KiB
DOCKERFILE_LIMIT = 1024 * 1024
ENV_LIMIT = 256 * 1024

_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISFIFO, "a named pipe"),
          (stat.S_ISSOCK, "a socket"))


class ProjectFileError(Exception):
    """A project file that cannot be read within the bounds: one line for a person."""


def read_text(path, limit=COMPOSE_LIMIT):
    """The file's text (a leading BOM dropped); ProjectFileError when it is missing, not a
    regular file, larger than `limit` bytes or not UTF-8."""
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; fstat then refuses it.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            raise ProjectFileError("%s does not exist" % path)
        raise ProjectFileError("cannot read %s: %s" % (path, exc.strerror or exc))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = next((name for test, name in _KINDS if test(mode)), "not a file")
            raise ProjectFileError("%s is not a regular file (%s)" % (path, kind))
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, min(65536, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise ProjectFileError("cannot read %s: %s" % (path, exc.strerror or exc))
    finally:
        os.close(fd)
    if size > limit:
        raise ProjectFileError("%s is larger than %d KiB; hostcheck reads no more" % (path, limit // 1024))
    data = b"".join(chunks)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProjectFileError("%s is not UTF-8 text (byte %d)" % (path, exc.start))
    return text[1:] if text.startswith("\ufeff") else text


def exists(path):
    """Whether `path` names something (stat only: nothing is opened)."""
    try:
        os.stat(path)
    except OSError:
        return False
    return True
