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
/dev/zero is a character device, not a regular file
"""

import errno
import os

from hostcheck.files import Refused, read_regular

COMPOSE_LIMIT = 1024 * 1024        # a compose file: real ones are a few KiB
DOCKERFILE_LIMIT = 1024 * 1024
ENV_LIMIT = 256 * 1024


class ProjectFileError(Exception):
    """A project file that cannot be read within the bounds: one line for a person."""


def read_text(path, limit=COMPOSE_LIMIT):
    """The file's text (a leading BOM dropped); ProjectFileError when it is missing, not a
    regular file, larger than `limit` bytes or not UTF-8 (hostcheck/files.py reads it)."""
    try:
        data = read_regular(path, limit, "a project file")
    except Refused as exc:
        raise ProjectFileError("%s is %s" % (path, exc))
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            raise ProjectFileError("%s does not exist" % path)
        raise ProjectFileError("cannot read %s: %s" % (path, exc.strerror or exc))
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
