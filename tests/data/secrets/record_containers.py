"""Record the two containers of the planted-secrets corpus from a real dockerd.

    flock /tmp/hc-integration.lock python tests/data/secrets/record_containers.py

Creates (never starts) two containers from the local hc-test/busybox:amd64 image through
the Engine API -- an app whose entrypoint, command, labels, CMD-SHELL healthcheck and
splunk log driver carry planted secrets, and a database with an exec-form mysqladmin
healthcheck -- then writes their `/containers/{id}/json` bodies and their entries of
`/containers/json?all=1` to containers.json beside this script, and removes them.
The values are the corpus's planted secrets (test_secrets_corpus.py lists them).
"""

import http.client
import json
import os
import socket

HERE = os.path.dirname(os.path.abspath(__file__))
IMAGE = "hc-test/busybox:amd64"
JWT = ("eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJoZWFsdGgtcHJvYmUiLCJleHAiOjE4OTM0NTYwMDB9."
       "HcJwtSig-Corpus_q1w2e3r4t5y6u7i8o9p0")

APP = {
    "Image": IMAGE,
    "Entrypoint": ["/app/entrypoint.sh", "--registry-password"],
    "Cmd": ["JoinedPw-Corpus", "--db-url", "postgresql://app:Pg/Pass@word-Corpus@db.internal:5432/app",
            "--token", "TwoArgTok-Corpus", "--api-key=EqKey-Corpus", "--listen", "0.0.0.0:8080"],
    "Env": ["REGISTRY_PASSWORD=EnvPw-Corpus", "TZ=Asia/Shanghai"],
    "Labels": {"com.example.db.password": "LabelPw-Corpus", "com.example.api_token": "LabelTok-Corpus",
               "org.opencontainers.image.source":
                   "https://gitlab-ci-token:glpat-LabelUrlTok0Corpus1x@gitlab.example.com/ops/app.git",
               "maintainer": "ops@example.com"},
    "Healthcheck": {"Test": ["CMD-SHELL", "wget -q -O- --header 'Authorization: Bearer %s' "
                             "http://127.0.0.1:8080/healthz || exit 1" % JWT],
                    "Interval": 30000000000, "Timeout": 5000000000, "Retries": 3},
    "HostConfig": {"LogConfig": {"Type": "splunk", "Config": {
        "splunk-token": "176FCEBF-4CF5-4EDF-91BC-SplunkTok0Corpus", "splunk-url": "https://splunk.example.com:8088",
        "splunk-verify-connection": "false", "splunk-insecureskipverify": "true"}},
        "PortBindings": {"8080/tcp": [{"HostIp": "127.0.0.1", "HostPort": "18080"}]}},
    "ExposedPorts": {"8080/tcp": {}},
}
DB = {
    "Image": IMAGE,
    "Cmd": ["mysqld", "--character-set-server=utf8mb4"],
    "Env": ["MYSQL_ROOT_PASSWORD=DbEnvPw-Corpus", "MYSQL_DATABASE=app"],
    "Labels": {"com.docker.compose.service": "db", "com.example.backup.secret": "LabelSecret-Corpus"},
    "Healthcheck": {"Test": ["CMD", "mysqladmin", "ping", "-h", "127.0.0.1", "-uroot", "-pHcMyPw-Corpus"],
                    "Interval": 10000000000, "Retries": 5},
}


class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path):
        http.client.HTTPConnection.__init__(self, "docker")
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.path)


def call(method, path, body=None):
    connection = UnixConnection("/var/run/docker.sock")
    headers = {"Content-Type": "application/json"} if body is not None else {}
    connection.request(method, path, json.dumps(body) if body is not None else None, headers)
    response = connection.getresponse()
    data = response.read()
    if response.status >= 300:
        raise SystemExit("%s %s: %s %s" % (method, path, response.status, data.decode()))
    return json.loads(data) if data else None


def main():
    ids = []
    try:
        for name, spec in (("hc-test-secrets-app", APP), ("hc-test-secrets-db", DB)):
            ids.append(call("POST", "/containers/create?name=" + name, spec)["Id"])
        listing = call("GET", "/containers/json?all=1")
        record = {"_source": "Recorded by record_containers.py from dockerd %s (API %s)" % (
                      call("GET", "/version")["Version"], call("GET", "/version")["ApiVersion"]),
                  "inspect": {}, "list": [c for c in listing if c["Id"] in ids]}
        for container_id in ids:
            record["inspect"][container_id] = call("GET", "/containers/%s/json" % container_id)
        with open(os.path.join(HERE, "containers.json"), "w", encoding="utf-8") as handle:
            json.dump(record, handle, indent=1, sort_keys=True)
            handle.write("\n")
    finally:
        for container_id in ids:
            call("DELETE", "/containers/%s?force=1" % container_id)


if __name__ == "__main__":
    main()
