"""The Engine API version a docker CLI speaks, from its release.

`docker --version` prints no API version, and `docker version --format
'{{.Client.APIVersion}}'` asks the daemon (with a daemon it prints the version the two
negotiated, 1.41 for this machine's 28.2 CLI against dockerd 20.10; without one it prints
1.50 and exits 1). A CLI release speaks the API of the engine release of the same number,
so the table below answers without asking anything.

Sources: docker/docs content/reference/api/engine/_index.md "API version matrix"
(1.12 -> 1.24 ... 28.3 -> 1.51), and for the releases after it moby's own constant:
api/common.go DefaultVersion (v28.4.0, v28.5.0: 1.51) and daemon/config/config.go
MaxAPIVersion (docker-v29.0.0 and 29.1.0: 1.52, 29.2.0: 1.53, 29.3.0-29.5.0: 1.54,
29.6.0 and 29.7.0: 1.55).

Sample output::

    $ /usr/local/bin/docker --version; DOCKER_HOST=unix:///nonexistent.sock docker version --format '{{.Client.APIVersion}}'
    Docker version 28.2.2, build e6534b4
    1.50

>>> client_api_version("28.2.2"), client_api_version("20.10.24+dfsg1"), client_api_version("18.09.0")
('1.50', '1.41', '1.39')
>>> client_api_version("24.0.7"), client_api_version("29.1.2"), client_api_version("1.13.1")
('1.43', '1.52', '1.26')
>>> client_api_version("31.0.0"), client_api_version("1.11.2"), client_api_version("podman")
('1.55', None, None)
"""

import re

# (release, maximum API version), oldest first; a release takes the row of the newest
# release it is not older than.
RELEASES = (
    ((1, 12), "1.24"), ((1, 13), "1.25"), ((1, 13, 1), "1.26"), ((17, 3), "1.26"), ((17, 3, 1), "1.27"),
    ((17, 4), "1.28"), ((17, 5), "1.29"), ((17, 6), "1.30"), ((17, 7), "1.31"), ((17, 9), "1.32"),
    ((17, 10), "1.33"), ((17, 11), "1.34"), ((17, 12), "1.35"), ((18, 2), "1.36"), ((18, 3), "1.37"),
    ((18, 6), "1.38"), ((18, 9), "1.39"), ((19, 3), "1.40"), ((20, 10), "1.41"), ((23, 0), "1.42"),
    ((24, 0), "1.43"), ((25, 0), "1.44"), ((26, 0), "1.45"), ((27, 0), "1.46"), ((27, 2), "1.47"),
    ((28, 0), "1.48"), ((28, 1), "1.49"), ((28, 2), "1.50"), ((28, 3), "1.51"), ((29, 0), "1.52"),
    ((29, 2), "1.53"), ((29, 3), "1.54"), ((29, 6), "1.55"),
)
_VERSION = re.compile(r"^v?(\d+)\.(\d+)(?:\.(\d+))?")


def client_api_version(version):
    """The highest Engine API version the docker CLI of this release speaks; None when the
    version is not a docker release (podman's, unparseable) or older than 1.12 (API 1.24).

    A release newer than the table's last row speaks at least that row's version: the
    answer is then a floor, which is what a comparison with a daemon's minimum needs.
    """
    match = _VERSION.match(version or "") if isinstance(version, str) else None
    if not match:
        return None
    release = tuple(int(part) for part in match.groups() if part is not None)
    found = None
    for row, api in RELEASES:
        if release >= row:
            found = api
    return found
