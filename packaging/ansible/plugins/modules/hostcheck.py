# Copyright: hostcheck contributors
# Apache License 2.0 (see the hostcheck project)
# The work is done by the action plugin of the same name (plugins/action/hostcheck.py);
# this file carries its documentation, as ansible-core does for its action-only plugins.

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: hostcheck
short_description: Read-only container-host diagnostics, captured on the target and judged on the controller
version_added: "0.1.0"
description:
  - Runs hostcheck's standard-library capture on the target with the target's own C(python3)
    (3.6 and newer - CentOS 7, Kylin V10 and UOS 20 included), brings the capture document back,
    and judges it on the controller with hostcheck's rules and decision trees.
  - It does not use Ansible's module machinery (which needs Python 3.8 or newer on the target
    since ansible-core 2.17); the capture script is piped into C(python3 -) over the
    connection's raw command channel, so nothing is written on the target. Only for a
    connection that cannot feed standard input is the script copied into the temporary
    directory Ansible creates for the task, and that directory is removed afterwards.
  - The capture reads files, runs an allow-list of read-only commands and asks the local
    Docker Engine API; it changes nothing on the host. The task is C(changed) only when the
    report file O(dest) on the controller changed.
  - Run it with C(become=true) for a complete capture (the iptables rulesets and some
    engine data need root); without it, what could not be read is judged C(skip) with the reason.
  - The controller needs the hostcheck Python package importable by the Python that runs
    Ansible (C(pip install hostcheck-containers) - the distribution C(hostcheck) on the package
    index is another project - or C(hostcheck.pyz) on C(PYTHONPATH)); the task fails with that
    hint otherwise.
  - The task fails when a finding or a tree verdict reaches O(fail_on), like the
    C(hostcheck check) command's exit code 1, with a one-line summary in RV(msg). The report
    is still returned and written to O(dest); RV(fail_on_reached) says it too, so a playbook
    can gather every host's report first and fail at the end (see the examples).
options:
  fail_on:
    description:
      - Fail the task when a finding or tree verdict reaches this status
        (statuses rank C(pass) < C(skip) < C(info) < C(warn) < C(fail); C(error) counts as C(fail)).
    type: str
    choices: [info, warn, fail]
    default: fail
  lang:
    description: Language of the human text in the report (titles, evidence, remediation).
    type: str
    choices: [en, zh]
    default: en
  only:
    description: Judge only these rule ids or areas.
    type: list
    elements: str
    default: []
  skip:
    description: Leave out these rule ids or areas.
    type: list
    elements: str
    default: []
  timeout:
    description:
      - Seconds each probe of the capture may take; the whole capture has a deadline of a few
        times this, and what did not answer in time is recorded as C(timeout).
    type: float
    default: 5.0
  redact:
    description:
      - Pseudonymise hostnames, IP and MAC addresses, consistently within the document.
        On the target (before the capture leaves it), or on the controller for O(capture).
      - Secrets (container environment values, passwords, tokens, keys) are always redacted
        on the target, with or without this option.
    type: bool
    default: false
  dest:
    description:
      - Write the report document (JSON, C(hostcheck.report/v1)) to this path on the controller,
        e.g. C(reports/{{ inventory_hostname }}.json); missing directories are created.
      - Like the C(dest) of M(ansible.builtin.fetch), a relative path is relative to the
        playbook's directory.
      - The task is C(changed) when the file changed. A report that differs from the file only
        in C(generated_at) (the same capture judged again) leaves the file as it is; a live
        capture differs every time (C(captured_at), free space, processes).
      - In check mode nothing is written; C(changed) says whether the file would change.
      - The file is written also when the task fails on O(fail_on).
      - A directory of these files is what C(hostcheck fleet DIR) reads.
    type: path
  capture:
    description:
      - Judge this existing capture document (C(hostcheck capture -o FILE)) on the controller
        instead of capturing the target. Looked up like C(copy)'s C(src) when relative
        (the C(files/) directory, then the playbook directory).
    type: path
  return_report:
    description:
      - Return the whole report document as RV(report). Set to C(false) to keep the task
        output short (the default callback prints a failed task's whole result) when O(dest) keeps the report.
    type: bool
    default: true
notes:
  - The interpreter is C(ansible_python_interpreter) when it is set to a path, else the
    first C(python3) on the target's C(PATH). Ansible's own interpreter discovery is not used,
    because it only accepts interpreters that its modules support.
  - The task's C(environment) applies to the capture, e.g. C(DOCKER_HOST) for a rootless
    engine's socket (a remote C(DOCKER_HOST) is recorded, never captured).
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: The capture only reads the target and runs the same in check mode; O(dest) is not written.
  diff_mode:
    support: none
  platform:
    platforms: posix
requirements:
  - On the controller, the hostcheck Python package (Python 3.9 or newer).
  - On the target, C(python3) 3.6 or newer (standard library only; psutil is used when present).
author:
  - hostcheck contributors (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Judge every host, fail on failing checks
  hostcheck.hostcheck.hostcheck:
  become: true

- name: Keep each host's report on the controller (beside the playbook), for `hostcheck fleet reports/`
  hostcheck.hostcheck.hostcheck:
    dest: "reports/{{ inventory_hostname }}.json"
    fail_on: warn
    return_report: false
  become: true
  register: hostcheck_result
  # Every host's report first: reaching fail_on fails the host in the last task instead.
  failed_when: hostcheck_result.fail_on_reached is not defined

- name: Fail the hosts whose report reached fail_on, once every report is written
  ansible.builtin.assert:
    that: not hostcheck_result.fail_on_reached
    fail_msg: "{{ hostcheck_result.msg }}"
    quiet: true

- name: Only the kernel and runtime checks, in Chinese
  hostcheck.hostcheck.hostcheck:
    only: [kernel, runtime]
    lang: zh

- name: Judge a capture a customer sent (no connection to their host)
  hostcheck.hostcheck.hostcheck:
    capture: captures/customer-node1.json
  delegate_to: localhost
"""

RETURN = r"""
report:
  description: The report document (C(hostcheck.report/v1), as C(hostcheck check --json) prints it).
  returned: when O(return_report) is true
  type: dict
summary:
  description: Counts of findings per status.
  returned: always
  type: dict
  sample: {"pass": 12, "info": 2, "warn": 3, "fail": 3, "skip": 35, "error": 0}
worst:
  description: The highest-ranked status among findings and tree verdicts (null when there are none).
  returned: always
  type: str
  sample: fail
failed_findings:
  description: The findings that reach O(fail_on) (id, area, status, title, subject).
  returned: always
  type: list
  elements: dict
failed_trees:
  description: The tree verdicts that reach O(fail_on) (tree, subject, verdict, status).
  returned: always
  type: list
  elements: dict
host:
  description: The report's host section (hostname, os, arch, kernel).
  returned: always
  type: dict
python:
  description: The Python version that ran the capture.
  returned: always
  type: str
  sample: 3.6.15
interpreter:
  description: The target's interpreter that ran the capture.
  returned: when the target was captured
  type: str
captured_from:
  description: C(target), or the path of the capture file judged (O(capture)).
  returned: always
  type: str
fail_on_reached:
  description: Whether a finding or tree verdict reached O(fail_on) (the task then fails).
  returned: when a report was made
  type: bool
  sample: false
dest:
  description: The absolute path of the report on the controller (also in check mode, where it is not written).
  returned: when O(dest) is set
  type: str
msg:
  description:
    - One line - what reaches O(fail_on) (up to 8 ids, then how many more), or that nothing does and the worst status;
      or why no report could be made.
  returned: always
  type: str
  sample: "hostcheck: 2 findings reach fail_on=fail: runtime-runc-cve-2024-21626, runtime-runc-cve-2025-31133"
"""
