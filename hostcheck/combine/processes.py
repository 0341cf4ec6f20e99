"""The names of running processes (psutil's process table, when the capture has one)."""

FACTS = ("processes.names",)
INPUTS = ("section:processes",)
PARSERS = ()
_LISTS = ("names", "list", "processes", "items")


def build(view, facts):
    section = view.value("processes")
    if section is None:
        facts.missing("processes.names", "process table: not captured (psutil not available)")
        return
    if not isinstance(section, dict):
        facts.missing("processes.names", "process table: unreadable capture entry")
        return
    if "error" in section and not any(k in section for k in _LISTS):
        facts.missing("processes.names", "process table: %s" % section.get("error"))
        return
    facts.set("processes.names", process_names(section))


def process_names(section):
    """Names from the capture's "processes" section, in any of the shapes it may take:
    {"names": [...]}, {"list"|"processes"|"items": [{"name": ...} | "name"]},
    or {pid: {"name": ...} | "name"}.

    >>> process_names({"items": [{"pid": 1, "name": "systemd"}, {"pid": 911, "name": "dockerd"}]})
    ['dockerd', 'systemd']
    """
    names = set()

    def add(item):
        if isinstance(item, str) and item:
            names.add(item)
        elif isinstance(item, dict) and isinstance(item.get("name"), str) and item["name"]:
            names.add(item["name"])

    for key in _LISTS:
        if isinstance(section.get(key), list):
            for item in section[key]:
                add(item)
            return sorted(names)
    for key, item in section.items():
        if isinstance(key, str) and key.isdigit():
            add(item)
    return sorted(names)
