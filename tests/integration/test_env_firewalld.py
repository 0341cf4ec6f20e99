"""firewalld on this machine kind behaves as INTEGRATION-ENV.md recorded, and the
`firewalld` fixture gives dockerd its iptables chains back afterwards."""

import subprocess


def _state():
    # firewall-cmd prints "running" on stdout but "not running" on stderr.
    result = subprocess.run(["firewall-cmd", "--state"], capture_output=True, text=True)
    return result.returncode, (result.stdout + result.stderr).strip()


def _nat_rules():
    return subprocess.run(["iptables-save", "-t", "nat"], capture_output=True, text=True,
                          check=True).stdout


def test_dbus_without_firewalld_says_not_running(firewalld):
    firewalld(start=False)
    assert _state() == (252, "not running")


def test_firewalld_after_dockerd_takes_the_docker_chains(docker_engine, firewalld):
    assert ":DOCKER - " in _nat_rules()
    firewalld()
    assert _state() == (0, "running")
    # The very situation the firewall rules diagnose: dockerd's NAT is gone.
    assert ":DOCKER - " not in _nat_rules()


def test_docker_chains_are_back_after_the_fixture(docker_engine):
    # Runs after the test above (file order): its teardown must have restored them.
    assert ":DOCKER - " in _nat_rules()
