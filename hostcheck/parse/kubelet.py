"""kubelet: its version, and whether its configuration lets it start on cgroup v1.

Kubernetes 1.35 sets the kubelet option failCgroupV1 to true by default (KEP-5573,
kubernetes/kubernetes#134298): on a cgroup v1 host the kubelet refuses to start with
"kubelet is configured to not run on a host using cgroup v1" unless its configuration
says `failCgroupV1: false`.

Sample output::

    $ kubelet --version
    Kubernetes v1.35.0
    $ grep -i cgroup /var/lib/kubelet/config.yaml       # written by kubeadm
    cgroupDriver: systemd
    failCgroupV1: false

>>> parse_version("Kubernetes v1.35.0\\n"), parse_version("Kubernetes v1.28.15+k3s1\\n"), parse_version("kubelet")
('1.35.0', '1.28.15+k3s1', None)
>>> fail_cgroup_v1("apiVersion: kubelet.config.k8s.io/v1beta1\\nkind: KubeletConfiguration\\nfailCgroupV1: false\\n")
False
>>> fail_cgroup_v1("kind: KubeletConfiguration\\ncgroupDriver: systemd\\n") is None
True
"""

import re

_VERSION = re.compile(r"Kubernetes v(\d+\.\d+\.\d+\S*)")
# A top-level key of the KubeletConfiguration YAML (no indentation), value true/false.
_FAIL_CGROUP_V1 = re.compile(r"^failCgroupV1:\s*[\"']?(true|false)[\"']?\s*(?:#.*)?$", re.M | re.I)


def parse_version(text):
    """`kubelet --version` -> "1.35.0" (distribution suffixes kept), None otherwise."""
    match = _VERSION.search(text) if isinstance(text, str) else None
    return match.group(1) if match else None


def fail_cgroup_v1(text):
    """failCgroupV1 as the kubelet configuration file sets it: True/False, None when unset."""
    match = _FAIL_CGROUP_V1.search(text) if isinstance(text, str) else None
    return None if match is None else match.group(1).lower() == "true"
