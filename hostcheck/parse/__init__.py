"""Parsers: pure functions from captured text (or an engine's JSON body) to structure.

One module per source: osrelease, arch, kernel, binfmt, runtimes, iptables, firewalld,
mounts, dns, routes, sockets, engine, daemon, installs. Each shows a real "Sample output::"
block, and its doctests run. They know nothing of facts or of the capture document's
layout: hostcheck.combine reads the capture, calls them and sets the facts.
"""
