"""The fleet view's own words in English and Chinese.

Titles, evidence and remediation come from the reports, in the language each was judged
in, and are shown as they are; status and area names come from hostcheck.report.i18n.
"""

from hostcheck.report.i18n import counted, ui as report_ui

WORDS = {
    "en": {
        "title": "hostcheck fleet",
        "generated": "Generated",
        "hosts": "Hosts",
        "host": "Host",
        "os": "OS",
        "platform": "Platform",
        "kernel": "Kernel",
        "worst": "Worst",
        "matrix": "Hosts × areas (worst status per area)",
        "per_rule": "Rules that do not pass",
        "rule": "Rule",
        "area_col": "Area",
        "rule_title": "Title",
        "failing_hosts": "Hosts",
        "groups": "Hosts by OS and platform",
        "skipped": "Skipped inputs",
        "card_fail": "with a failure",
        "card_warn": "with warnings (worst)",
        "card_info": "info only",
        "card_ok": "all clear",
        "file": "File",
        "reason": "Reason",
        "details": "Findings per host",
        "passed_skipped": "$pass passed, $skip skipped (the reasons are in this host's report: $source)",
        "nothing_to_report": "Every check passed or was skipped.",
        "fix": "Fix",
        "more": "+$n more",
        "tree_title": "$tree tree: $verdict",
        "filter": "Filter hosts…",
        "show": "Show",
        "all_hosts": "all hosts",
        "at_least": "$status or worse",
        "no_rules": "No rule fails, warns or informs on any host.",
        "none": "none",
        "source": "Report",
        "duplicates": "Hostnames in more than one report (rows kept apart; see each row's report file): $names",
        # The text view's summary line (summary_line), with these counts:
        "summary": ("$hosts · $fail with a failure · $warn with warnings · $info info only · "
                    "$ok all clear · $skipped skipped"),
        "n_hosts": ("$n host", "$n hosts"),
        "n_inputs": ("$n input", "$n inputs"),
        "status_short": {"error": "ERR"},
        "area_legend": "Areas",
        "host_domain": "Host names below end in $domain",
        "exit_note": "$n hosts at or above --fail-on $fail_on",
    },
    "zh": {
        "title": "hostcheck 集群视图",
        "generated": "生成时间",
        "hosts": "主机",
        "host": "主机",
        "os": "操作系统",
        "platform": "平台",
        "kernel": "内核",
        "worst": "最差",
        "matrix": "主机 × 检查领域（每个领域的最差状态）",
        "per_rule": "未通过的规则",
        "rule": "规则",
        "area_col": "领域",
        "rule_title": "标题",
        "failing_hosts": "主机",
        "groups": "按操作系统和平台分组",
        "skipped": "跳过的输入文件",
        "card_fail": "有失败项",
        "card_warn": "最差为警告",
        "card_info": "仅有提示",
        "card_ok": "全部正常",
        "file": "文件",
        "reason": "原因",
        "details": "各主机的检查结果",
        "passed_skipped": "通过 $pass 项，跳过 $skip 项（跳过的原因见该主机的报告：$source）",
        "nothing_to_report": "所有检查均已通过或跳过。",
        "fix": "修复方法",
        "more": "另有 $n 台",
        "tree_title": "$tree 决策树：$verdict",
        "filter": "筛选主机…",
        "show": "显示",
        "all_hosts": "全部主机",
        "at_least": "$status 及更严重",
        "no_rules": "没有任何主机上有失败、警告或提示的规则。",
        "none": "无",
        "source": "报告文件",
        "duplicates": "以下主机名出现在多份报告中（各行分开显示，见每行的报告文件）：$names",
        "summary": ("共 $hosts · 有失败 $fail 台 · 有警告 $warn 台 · 仅提示 $info 台 · "
                    "全部正常 $ok 台 · 跳过输入 $skipped"),
        "n_hosts": "$n 台主机",
        "n_inputs": "$n 个",
        "status_short": {},
        "area_legend": "领域",
        "host_domain": "以下主机名均以 $domain 结尾",
        "exit_note": "达到 --fail-on $fail_on 的主机 $n 台",
    },
}


def words(lang):
    """The fleet's words merged over the report's (status and area names)."""
    merged = dict(report_ui(lang))
    merged.update(WORDS.get(lang, WORDS["en"]))
    return merged


def summary_values(fleet):
    """Numbers for the "summary" line: hosts by their worst status."""
    worst = fleet["summary"]["worst"]
    hosts = fleet["summary"]["hosts"]
    bad = worst["fail"] + worst["error"]
    return {"hosts": hosts, "fail": bad, "warn": worst["warn"], "info": worst["info"],
            "ok": hosts - bad - worst["warn"] - worst["info"], "skipped": fleet["summary"]["skipped"]}


def summary_line(fleet, text):
    """The text view's summary: "1 host · 1 with a failure · … · 2 inputs skipped"."""
    import string
    values = summary_values(fleet)
    values.update(hosts=counted(text["n_hosts"], values["hosts"]), skipped=counted(text["n_inputs"], values["skipped"]))
    return string.Template(text["summary"]).safe_substitute(values)
