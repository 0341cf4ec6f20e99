"""The Ansible collection end to end: ansible-playbook (ansible-core from PyPI) against an
inventory of hosts on this machine, all with the local connection:

  live     this machine, the python3 on PATH
  old36    this machine, ansible_python_interpreter = pyenv's 3.6 (CentOS 7's python3)
  kylin    judges the Kylin V10 SP3 arm64 fixture capture (hostcheck_capture)
  centos7  judges the CentOS 7 fixture capture, which has failing findings

The collection is built with `ansible-galaxy collection build` and installed into a temp
ANSIBLE_COLLECTIONS_PATH, as a user would. ansible-core 2.19 needs a 3.11 controller; on
the 3.9 venv pip installs 2.15, the last release for 3.9 controllers, and this runs there too.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO_ROOT, missing
from hostcheck.report import exit_code

COLLECTION = REPO_ROOT / "packaging" / "ansible"
SYSTEMS = REPO_ROOT / "tests" / "data" / "systems"
FIXTURE_HOSTS = {
    "kylin": SYSTEMS / "kylin-v10-sp3-arm64.json",
    "centos7": SYSTEMS / "centos7-docker24-firewalld.json",
}
RECAP_LINE = re.compile(r"^(\S+)\s+:\s+((?:\w+=\d+\s*)+)$", re.MULTILINE)


def ansible_tool(name):
    # The scripts of the ansible-core installed for this Python, not another one on PATH:
    # the action imports hostcheck from the Python that runs Ansible.
    path = Path(sys.executable).parent / name
    if not path.exists():
        missing("ansible-core is not installed for %s (pip install -e '.[test]')" % sys.executable)
    return str(path)


@pytest.fixture(scope="module")
def ansible_env(tmp_path_factory):
    """Environment with the collection installed from its built tarball, nothing read
    from or written to ~/.ansible, and a remote_tmp we can look into afterwards."""
    work = tmp_path_factory.mktemp("ansible")
    collections = work / "collections"
    (work / "ansible.cfg").write_text("[defaults]\n")  # no user or system configuration
    env = dict(os.environ)
    env.update({
        "ANSIBLE_CONFIG": str(work / "ansible.cfg"),
        "ANSIBLE_HOME": str(work / "ansible-home"),
        "ANSIBLE_COLLECTIONS_PATH": str(collections),
        "ANSIBLE_REMOTE_TMP": str(work / "remote-tmp"),
        "ANSIBLE_LOCAL_TEMP": str(work / "local-tmp"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        # What a shell sets after `cd WORK`: gather_reports anchors its reports there.
        "PWD": str(work),
    })

    def galaxy(*args):
        proc = subprocess.run([ansible_tool("ansible-galaxy"), "collection"] + list(args), env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                              timeout=120)
        assert proc.returncode == 0, proc.stdout

    galaxy("build", str(COLLECTION), "--output-path", str(work))
    tarball, = work.glob("hostcheck-hostcheck-*.tar.gz")
    galaxy("install", str(tarball), "-p", str(collections))
    return work, env


@pytest.fixture(scope="module")
def inventory(ansible_env, old_python):
    work, _env = ansible_env
    python36 = old_python("3.6")
    lines = ["[all:vars]", "ansible_connection=local", "", "[hosts]", "live",
             "old36 ansible_python_interpreter=%s" % python36]
    lines += ["%s hostcheck_capture=%s" % (host, path) for host, path in FIXTURE_HOSTS.items()]
    path = work / "inventory.ini"
    path.write_text("\n".join(lines) + "\n")
    return path, python36


def run_playbook(ansible_env, inventory, *args):
    work, env = ansible_env
    command = [ansible_tool("ansible-playbook"), "-i", str(inventory)] + list(args)
    proc = subprocess.run(command, cwd=str(work), env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, universal_newlines=True, timeout=300)
    recap = {host: {key: int(value) for key, value in (pair.split("=") for pair in counts.split())}
             for host, counts in RECAP_LINE.findall(proc.stdout.split("PLAY RECAP")[-1])}
    return proc, recap


def load(path):
    return json.loads(Path(path).read_text(encoding="utf-8"))


def check_reports(directory, hosts, recap, fail_on, python36, env):
    """The reports the playbook wrote, checked; the recap says a host failed exactly when its
    report reached fail_on (the last play), and nothing was ignored."""
    import jsonschema

    schema = load(REPO_ROOT / "hostcheck" / "data" / "schema" / "report.json")
    assert sorted(p.name for p in Path(directory).iterdir()) == sorted(h + ".json" for h in hosts)
    reports = {host: load(Path(directory) / (host + ".json")) for host in hosts}
    for host, report in reports.items():
        jsonschema.validate(report, schema)
        assert recap[host]["failed"] == exit_code(report, fail_on), host
        assert recap[host]["ignored"] == 0, host
    assert reports["live"]["host"]["kernel"]["release"] == os.uname().release
    # `live` has no ansible_python_interpreter: the python3 on PATH captured it.
    path_python3 = subprocess.run(
        ["python3", "-c", "import platform; print(platform.python_version())"],
        env=env, stdout=subprocess.PIPE, universal_newlines=True, check=True).stdout.strip()
    assert reports["live"]["captured_with"]["python"] == path_python3
    assert reports["old36"]["captured_with"]["python"].startswith("3.6.")
    assert reports["old36"]["captured_with"]["interpreter"] == str(python36)
    assert reports["old36"]["host"]["kernel"]["release"] == os.uname().release
    assert reports["kylin"]["host"]["os"]["id"] == "kylin"
    assert reports["kylin"]["captured_with"]["file"] == str(FIXTURE_HOSTS["kylin"])
    assert reports["centos7"]["host"]["os"]["id"] == "centos"
    for host, report in reports.items():
        assert report["captured_with"]["inventory_hostname"] == host
    return reports


def reached(reports, fail_on):
    return {host for host, report in reports.items() if exit_code(report, fail_on)}


def fleet_reads(directory):
    """`hostcheck fleet DIR` takes every report the playbook wrote (when the command exists)."""
    from hostcheck.cli import LAZY_COMMANDS

    if "fleet" not in LAZY_COMMANDS:
        return None
    proc = subprocess.run([sys.executable, "-m", "hostcheck", "fleet", str(directory), "--json"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=120)
    assert proc.returncode in (0, 1), proc.stderr
    view = json.loads(proc.stdout)
    assert view["skipped"] == []
    return sorted(Path(host["source"]).name for host in view["hosts"])


def test_gather_reports_playbook(ansible_env, inventory):
    work, env = ansible_env
    inventory, python36 = inventory
    hosts = ["live", "old36", "kylin", "centos7"]

    proc, recap = run_playbook(ansible_env, inventory, "hostcheck.hostcheck.gather_reports",
                               "-e", "hostcheck_reports_dir=reports")
    print(proc.stdout[proc.stdout.find("PLAY RECAP"):])
    assert sorted(recap) == sorted(hosts + ["localhost"]), proc.stdout
    reports = check_reports(work / "reports", hosts, recap, "fail", python36, env)
    # Every report is written first; the hosts that reached fail_on fail in the last play,
    # and the run ends failed with them (ansible-playbook's exit code 2: a host failed).
    failing = reached(reports, "fail")
    assert "centos7" in failing and "kylin" not in failing  # CentOS 7's fixture: runc CVEs
    assert proc.returncode == (2 if failing else 0), proc.stdout
    assert recap["centos7"] == dict(recap["centos7"], ok=1, changed=1, failed=1)
    assert recap["kylin"] == dict(recap["kylin"], ok=2, changed=1, failed=0)
    # The failing host's one-line summary, at the end of the run.
    centos7_ids = [f["id"] for f in reports["centos7"]["findings"] if f["status"] in ("fail", "error")]
    summary = "hostcheck: %d findings reach fail_on=fail: %s" % (len(centos7_ids), ", ".join(centos7_ids))
    assert re.search(r'fatal: \[centos7\]: FAILED! => \{[^}]*"msg": "%s"' % re.escape(summary), proc.stdout), \
        proc.stdout
    # The reports directory is where ansible-playbook ran (not inside the installed collection).
    assert "hostcheck fleet %s" % (work / "reports") in proc.stdout
    assert fleet_reads(work / "reports") in (None, sorted(h + ".json" for h in hosts))
    # The target is left as it was: not even Ansible's remote_tmp was needed.
    remote_tmp = work / "remote-tmp"
    assert not remote_tmp.exists() or list(remote_tmp.iterdir()) == []

    # Again into the same directory: a capture file judged again is no change (the file
    # stays as it was); a live capture is a new report (captured_at, free space...).
    written = {host: (work / "reports" / (host + ".json")).read_bytes() for host in ("kylin", "centos7")}
    proc, recap = run_playbook(ansible_env, inventory, "hostcheck.hostcheck.gather_reports",
                               "-e", "hostcheck_reports_dir=reports")
    assert {host: recap[host]["changed"] for host in hosts} == {"live": 1, "old36": 1, "kylin": 0, "centos7": 0}
    for host, content in written.items():
        assert (work / "reports" / (host + ".json")).read_bytes() == content

    # Check mode writes nothing: changed says what would change.
    proc, recap = run_playbook(ansible_env, inventory, "hostcheck.hostcheck.gather_reports", "--check",
                               "-e", "hostcheck_reports_dir=reports-check", "-e", "hostcheck_fail_on=warn")
    print(proc.stdout[proc.stdout.find("PLAY RECAP"):])
    assert not (work / "reports-check").exists(), proc.stdout
    assert {host: recap[host]["changed"] for host in hosts} == dict.fromkeys(hosts, 1)
    # fail_on=warn fails the Kylin fixture too (its warnings), in check mode as in a real run.
    assert recap["kylin"]["failed"] == 1 and recap["centos7"]["failed"] == 1
    assert proc.returncode == 2
    proc, recap = run_playbook(ansible_env, inventory, "hostcheck.hostcheck.gather_reports", "--check",
                               "--limit", "kylin,centos7", "-e", "hostcheck_reports_dir=reports")
    assert (recap["kylin"]["changed"], recap["centos7"]["changed"]) == (0, 0), proc.stdout

    # A host that does not reach fail_on: the run passes.
    proc, recap = run_playbook(ansible_env, inventory, "hostcheck.hostcheck.gather_reports",
                               "--limit", "kylin", "-e", "hostcheck_reports_dir=reports-kylin")
    assert proc.returncode == 0, proc.stdout
    assert recap["kylin"]["failed"] == 0

    # No report at all fails the host in the first play, with the reason in one line.
    proc, recap = run_playbook(ansible_env, inventory, "hostcheck.hostcheck.gather_reports",
                               "--limit", "kylin", "-e", "hostcheck_capture=%s" % (work / "absent.json"),
                               "-e", "hostcheck_reports_dir=reports-none")
    assert proc.returncode == 2, proc.stdout
    assert recap["kylin"]["failed"] == 1 and recap["kylin"]["ignored"] == 0
    assert "hostcheck: cannot read %s" % (work / "absent.json") in proc.stdout
    assert not (work / "reports-none").exists()


RELATIVE_DEST_PLAY = """
- name: A report beside the playbook
  hosts: kylin
  gather_facts: false
  tasks:
    - name: Judge the fixture, report into relative-reports/ (relative)
      hostcheck.hostcheck.hostcheck:
        capture: "{{ hostcheck_capture }}"
        dest: "relative-reports/{{ inventory_hostname }}.json"
        return_report: false
      register: result

    - name: The report is under the playbook's directory, like fetch's dest
      ansible.builtin.assert:
        that:
          - result.dest == playbook_dir ~ '/relative-reports/kylin.json'
          - result is changed
"""


def test_relative_dest_is_relative_to_the_playbook_like_fetch(ansible_env, inventory):
    work, _env = ansible_env
    inventory, _python36 = inventory
    site = work / "site"
    site.mkdir()
    (site / "play.yml").write_text(RELATIVE_DEST_PLAY)
    proc, recap = run_playbook(ansible_env, inventory, str(site / "play.yml"))  # run from `work`
    assert proc.returncode == 0, proc.stdout
    assert load(site / "relative-reports" / "kylin.json")["host"]["os"]["id"] == "kylin"
    assert not (work / "relative-reports").exists()
    assert recap["kylin"]["changed"] == 1


TASK_OUTPUT_PLAY = """
- hosts: all
  gather_facts: false
  tasks:
    - name: hostcheck with the report as task output
      hostcheck.hostcheck.hostcheck:
        capture: "{{ hostcheck_capture | default(omit) }}"
      register: result
      ignore_errors: true

    - name: the result is the report, never changed, failed exactly when fail_on is reached
      ansible.builtin.assert:
        that:
          - result.report.format == 'hostcheck.report/v1'
          - result is not changed
          - result.summary == result.report.summary
          - (result is failed) == ((result.failed_findings | length + result.failed_trees | length) > 0)
          - (result is failed) == (result.worst in ['fail', 'error'])

    - name: redact pseudonymises the hostname on the target
      hostcheck.hostcheck.hostcheck:
        redact: true
        fail_on: fail
        return_report: false
      register: redacted
      ignore_errors: true
      when: inventory_hostname == 'live'

    - ansible.builtin.assert:
        that:
          - redacted.host.hostname != lookup('pipe', 'uname -n')
          - redacted.python is string
      when: inventory_hostname == 'live'

    - name: the task's environment reaches the capture (DOCKER_HOST of a rootless engine)
      hostcheck.hostcheck.hostcheck:
        only: [docker]
        fail_on: fail
      environment:
        DOCKER_HOST: unix:///nonexistent/hostcheck-test.sock
      register: rootless
      ignore_errors: true
      when: inventory_hostname == 'live'

    - ansible.builtin.assert:
        that:
          - rootless.report.facts['values']['docker.endpoint'] == 'unix:///nonexistent/hostcheck-test.sock'
      when: inventory_hostname == 'live'

    - name: a capture file that is a report, not a capture, fails with one line
      hostcheck.hostcheck.hostcheck:
        capture: "{{ playbook_dir }}/reports/kylin.json"
      register: wrong
      ignore_errors: true
      when: inventory_hostname == 'kylin'

    - ansible.builtin.assert:
        that:
          - wrong is failed
          - "'is a hostcheck report, not a capture' in wrong.msg"
      when: inventory_hostname == 'kylin'
"""


def test_task_output(ansible_env, inventory):
    work, _env = ansible_env
    inventory, _python36 = inventory
    if not (work / "reports" / "kylin.json").exists():
        pytest.skip("needs the reports of test_gather_reports_playbook")
    playbook = work / "task-output.yml"
    playbook.write_text(TASK_OUTPUT_PLAY)
    proc, recap = run_playbook(ansible_env, inventory, str(playbook))
    assert proc.returncode == 0, proc.stdout
    for host, counts in recap.items():
        assert counts["failed"] == 0 and counts["changed"] == 0, (host, proc.stdout)
    assert recap["centos7"]["ignored"] == 1


def test_connection_without_stdin_uses_ansibles_tmp_and_removes_it(ansible_env, inventory):
    """A connection plugin that cannot feed stdin (has_pipelining False; here the local
    connection pretending so) gets the script through Ansible's temporary directory."""
    from ansible.plugins.connection import local

    work, env = ansible_env
    _inventory, python36 = inventory
    plugins = work / "nopipe" / "connection_plugins"
    plugins.mkdir(parents=True)
    (plugins / "nopipe.py").write_text(
        "from ansible.plugins.connection.local import Connection as LocalConnection\n\n"
        "DOCUMENTATION = %r\n\n\n"
        "class Connection(LocalConnection):\n"
        "    transport = 'nopipe'\n"
        "    has_pipelining = False\n" % local.DOCUMENTATION.replace("name: local", "name: nopipe"))
    playbook = work / "nopipe" / "play.yml"
    playbook.write_text(
        "- hosts: all\n  gather_facts: false\n  tasks:\n"
        "    - hostcheck.hostcheck.hostcheck:\n        return_report: false\n"
        "      register: result\n      ignore_errors: true\n"
        "    - ansible.builtin.assert:\n        that: [\"result.python.startswith('3.6.')\", 'result is not changed']\n")
    remote_tmp = work / "nopipe" / "remote-tmp"
    proc = subprocess.run(
        [ansible_tool("ansible-playbook"), "-vvv", "-i", "old36,", "-e", "ansible_connection=nopipe",
         "-e", "ansible_python_interpreter=%s" % python36, str(playbook)],
        cwd=str(work), env=dict(env, ANSIBLE_REMOTE_TMP=str(remote_tmp)), stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, universal_newlines=True, timeout=300)
    assert proc.returncode == 0, proc.stdout
    assert "hostcheck_capture.py" in proc.stdout  # it really went the file way
    # Ansible's own remote_tmp base stays (as after any module); the task's directory is gone.
    assert list(remote_tmp.iterdir()) == []


def test_become_pipes_the_script_through_the_become_wrapper(ansible_env, inventory):
    """`become` wraps the command (here su to nobody; root cannot become root, Ansible skips
    that): the script still reaches python3's stdin and the capture runs as that user."""
    import pwd

    work, env = ansible_env
    inventory, _python36 = inventory
    nobody = pwd.getpwnam("nobody").pw_uid
    proc, recap = run_playbook(
        ansible_env, inventory, "hostcheck.hostcheck.gather_reports", "--limit", "live",
        "--become", "--become-method", "su", "--become-user", "nobody",
        "-e", 'ansible_become_flags="-s /bin/sh"',
        # /root/.pyenv is not readable by nobody; Debian's own python3 is.
        "-e", "ansible_python_interpreter=/usr/bin/python3",
        "-e", "hostcheck_reports_dir=reports-become")
    report = load(work / "reports-become" / "live.json")
    assert proc.returncode == (2 if exit_code(report, "fail") else 0), proc.stdout
    assert recap["live"]["changed"] == 1  # a new report file
    assert report["facts"]["values"]["privileges.uid"] == nobody
    assert report["captured_with"]["interpreter"] == "/usr/bin/python3"
