"""The report's own words (headings, labels) in English and Chinese.

Rule text lives with the rules; this table holds only what the renderer itself says.
"""

import os

LANGS = ("en", "zh")

UI = {
    "en": {
        "title": "hostcheck report",
        "colon": ": ",
        "host": "Host",
        "os": "OS",
        "arch": "Platform",
        "kernel": "Kernel",
        "engine": "Docker",
        "captured": "Captured",
        "summary": "Summary",
        "fix": "Fix",
        "refs": "See",
        "passed": "passed",
        "no_findings": "No findings.",
        "trees": "Decision trees",
        "verdict": "Verdict",
        "status": {"pass": "PASS", "info": "INFO", "warn": "WARN", "fail": "FAIL",
                   "skip": "SKIP", "error": "ERROR"},
        "area": {"arch": "Architecture", "kernel": "Kernel", "binfmt": "binfmt_misc / QEMU",
                 "runtime": "Runtimes", "cgroup": "cgroups", "storage": "Storage",
                 "security": "Security", "firewall": "Firewall", "network": "Network",
                 "dns": "DNS", "docker": "Docker engine", "image": "Images"},
        "answer": {"yes": "yes", "no": "no", "unknown": "unknown"},
        # docker.state as the header says it (facts.py: the closed set of states)
        "engine_state": {"running": "running", "not_installed": "not installed",
                         "not_running": "not running", "permission_denied": "not readable: permission denied",
                         "timeout": "no answer in time", "error": "answered with an error"},
        "result_line": "$fail failed, $warn warnings, $info info, $pass passed, $skip skipped, $error errors",
    },
    "zh": {
        "title": "hostcheck 检查报告",
        "colon": "：",
        "host": "主机",
        "os": "操作系统",
        "arch": "平台",
        "kernel": "内核",
        "engine": "Docker",
        "captured": "采集时间",
        "summary": "汇总",
        "fix": "修复方法",
        "refs": "参考",
        "passed": "通过",
        "no_findings": "没有检查结果。",
        "trees": "决策树",
        "verdict": "结论",
        "status": {"pass": "通过", "info": "提示", "warn": "警告", "fail": "失败",
                   "skip": "跳过", "error": "出错"},
        "area": {"arch": "CPU 架构", "kernel": "内核", "binfmt": "binfmt_misc / QEMU 仿真",
                 "runtime": "容器运行时", "cgroup": "cgroup", "storage": "存储",
                 "security": "安全", "firewall": "防火墙", "network": "网络",
                 "dns": "DNS", "docker": "Docker 引擎", "image": "镜像"},
        "answer": {"yes": "是", "no": "否", "unknown": "未知"},
        "engine_state": {"running": "运行中", "not_installed": "未安装", "not_running": "未运行",
                         "permission_denied": "无权限读取", "timeout": "响应超时", "error": "返回错误"},
        "result_line": "失败 $fail 项，警告 $warn 项，提示 $info 项，通过 $pass 项，跳过 $skip 项，出错 $error 项",
    },
}


def lang_from_locale(environ=None):
    """SPEC: the default language comes from the locale; zh_* gives Chinese."""
    environ = os.environ if environ is None else environ
    for var in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = environ.get(var)
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def ui(lang):
    return UI.get(lang, UI["en"])
