"""Files shipped inside the package: the compiled rule catalogue and the JSON schemas."""

import os

DATA_DIR = os.path.dirname(os.path.abspath(__file__))


def path(name):
    return os.path.join(DATA_DIR, name)


def read_text(name):
    with open(path(name), "r", encoding="utf-8") as handle:
        return handle.read()
