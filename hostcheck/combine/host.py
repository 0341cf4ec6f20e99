"""Host identity: the hostname, and whether the capture ran as root."""

FACTS = ("host.hostname", "privileges.root", "privileges.uid")
INPUTS = ("section:uname", "section:privileges")
PARSERS = ()


def build(view, facts):
    uname = view.uname()
    if "nodename" in uname:
        facts.set("host.hostname", uname["nodename"])
    else:
        facts.missing("host.hostname", "uname: not captured")
    root = view.root
    if root is None:
        facts.missing("privileges.root", "privileges: not captured")
        facts.missing("privileges.uid", "privileges: not captured")
    else:
        facts.set("privileges.root", root)
        facts.set("privileges.uid", view.section("privileges").get("euid"))
