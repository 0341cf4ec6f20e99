"""The one order of statuses (SPEC: pass < skip < info < warn < fail).

`error` (a check that broke) ranks above `fail`: it is the worst a report can say, and it
reaches every --fail-on level that `fail` reaches (a gate fails closed).
"""

STATUSES = ("pass", "skip", "info", "warn", "fail", "error")
RANK = dict((status, rank) for rank, status in enumerate(STATUSES))


def worst(statuses):
    """The highest-ranked status, or None for none.

    >>> worst(["pass", "warn", "skip"]), worst(["fail", "error"]), worst([])
    ('warn', 'error', None)
    """
    statuses = list(statuses)
    return max(statuses, key=RANK.__getitem__) if statuses else None


def reaches(status, level):
    """Whether `status` is at or above `level` (--fail-on).

    >>> reaches("error", "fail"), reaches("warn", "fail"), reaches("info", "info")
    (True, False, True)
    """
    return RANK[status] >= RANK[level]
