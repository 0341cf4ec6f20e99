"""The docker client's Engine API version, from its release (docker --version prints none):
a Docker 29 daemon refuses clients below its MinAPIVersion (1.44)."""

from hostcheck.parse import apiversion

FACTS = ("docker.client.api_version",)
INPUTS = ("docker.client.version", "docker.client.podman_shim")
PARSERS = (apiversion.client_api_version,)


def build(view, facts):
    if not facts.known("docker.client.version"):
        facts.missing("docker.client.api_version", facts.reason("docker.client.version"))
        return
    version = facts.get("docker.client.version")
    if facts.get("docker.client.podman_shim"):
        facts.missing("docker.client.api_version", "`docker` is podman-docker's emulation (podman %s)" % version)
        return
    api = apiversion.client_api_version(version)
    if api:
        facts.set("docker.client.api_version", api)
    else:
        facts.missing("docker.client.api_version",
                      "docker client %r is not a release the API version matrix knows (1.12 and later)" % version)
