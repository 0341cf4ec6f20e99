"""`hostcheck fleet`: many hosts' report documents in one view.

collect   report files and directories → one small record per host (or a skip reason)
aggregate host records → the `hostcheck.fleet/v1` document (matrix, per rule, groups)
text      rich tables for the terminal
html      a single self-contained page for a support lead

Each report is read with json.load, reduced at once to what the view shows, and dropped:
10,000 reports never sit in memory together.
"""

FLEET_FORMAT = "hostcheck.fleet/v1"
