"""Reasons for unknown facts come from the parsers in English; Chinese reports translate
their fixed words and keep paths, commands and codes' meaning."""

from hostcheck.judge import judge, load_catalogue
from hostcheck.judge.text import localise_reason
from hostcheck.facts import Facts


def test_reason_words_are_translated_paths_kept():
    text = "/proc/config.gz and /boot/config-4.19.90-89.11.v2401.ky10.aarch64: not captured"
    assert localise_reason(text, "zh") == "/proc/config.gz 和 /boot/config-4.19.90-89.11.v2401.ky10.aarch64：未采集"
    assert localise_reason("iptables-save: permission_denied (needs root)", "zh") == "iptables-save：权限不足（需要 root）"
    assert localise_reason("runc --version: not_found", "zh") == "runc --version：不存在"
    assert localise_reason(text, "en") == text


def test_a_chinese_skip_carries_no_english_code():
    facts = Facts(unknown={"kernel.version": "uname: not captured", "kernel.release": "uname: not captured"})
    findings = judge(load_catalogue(), facts, lang="zh", only=("kernel-emulation-floor",))
    assert [f["status"] for f in findings] == ["skip"]
    assert "未采集" in findings[0]["evidence"] and "not captured" not in findings[0]["evidence"]
