"""Paths to the real outputs the parser tests read, and a check that each has its source
recorded in tests/data/outputs/SOURCES.md."""

from pathlib import Path

OUTPUTS = Path(__file__).resolve().parent / "data" / "outputs"
EXTERNAL = OUTPUTS / "external"
CAPTURES = Path(__file__).resolve().parent / "data" / "captures"


def read(relative):
    return (OUTPUTS / relative).read_text(encoding="utf-8")


def release_files(name):
    """{absolute path: text} of external/os/<name>/etc/* (a release-file tree)."""
    root = EXTERNAL / "os" / name
    return {"/" + str(p.relative_to(root)): p.read_text(encoding="utf-8")
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_every_recorded_output_has_its_source_written_down():
    """Each directory of real outputs is described in SOURCES.md (or a README beside captures)."""
    sources = (OUTPUTS / "SOURCES.md").read_text(encoding="utf-8")
    undocumented = []
    for path in sorted(OUTPUTS.rglob("*")):
        if not path.is_file() or path.name == "SOURCES.md":
            continue
        relative = path.relative_to(OUTPUTS)
        top = relative.parts[0]
        if top == "external":
            key = "/".join(relative.parts[:3]) if relative.parts[1] == "os" else "/".join(relative.parts[:2])
            named = key in sources or "external/%s/" % relative.parts[1] in sources
        else:
            named = "`%s/`" % top in sources
        if not named:
            undocumented.append(str(relative))
    assert not undocumented, "no source recorded for: %s" % ", ".join(undocumented)
    assert (CAPTURES / "README-parse.md").is_file()
