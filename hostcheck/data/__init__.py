"""Files shipped inside the package: the compiled rule catalogue and the JSON schemas."""

import os

DATA_DIR = os.path.dirname(os.path.abspath(__file__))


def path(name):
    return os.path.join(DATA_DIR, name)


def read_text(name):
    if not os.path.isfile(path(name)):
        # Inside a zipapp (hostcheck.pyz) the package is not a directory: ask the loader.
        import pkgutil
        raw = pkgutil.get_data("hostcheck.data", name)
        if raw is None:
            raise IOError("hostcheck/data/%s is missing" % name)
        return raw.decode("utf-8")
    with open(path(name), "r", encoding="utf-8") as handle:
        return handle.read()
