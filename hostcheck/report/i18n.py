"""The report's own words (headings, labels) in English and Chinese.

Rule text lives with the rules; this table holds only what the renderer itself says.
"""

import os
import string

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
                         "timeout": "no answer in time", "error": "answered with an error",
                         "socket_missing": "no socket there", "refused": "connection refused",
                         "unreachable": "unreachable", "tls_error": "TLS failed", "ssh_error": "ssh failed",
                         "unsupported": "not readable by hostcheck", "bad_endpoint": "no such engine"},
        # The report header's engine line: where the engine was asked, and why there.
        "endpoint": "Engine",
        "remote_engine": "on another machine: the checks that would compare it with this host are skipped",
        "result_line": "$fail failed, $warn warnings, $info info, $pass passed, $skip skipped, $error errors",
        # Counts: a string, or (singular, plural) where English needs both (see counted()).
        "counts": {"fail": "$n failed", "warn": ("$n warning", "$n warnings"), "info": "$n info",
                   "pass": "$n passed", "skip": "$n skipped", "error": ("$n error", "$n errors")},
        "findings_part": "findings $counts",
        "trees_part": "trees $counts",
        "list_sep": ", ",
        "part_sep": " · ",
        "not_shown": "Not shown (-q): $what.",
        "passed_findings": ("$n passed finding", "$n passed findings"),
        "passed_trees": ("$n passed tree verdict", "$n passed tree verdicts"),
        "nothing_wrong": "Nothing failed, warned or was skipped.",
        # --html: the page's own words
        "page": {
            "problems": "Problems",
            "no_problems": "No problems: every check passed or does not apply to this host.",
            "passes": "Passed",
            "skips": "Skipped: not applicable here, or not readable (the evidence says which)",
            "copy": "Copy",
            "copy_all": "Copy all",
            "copied": "Copied",
            "copy_failed": "Select the text and copy it by hand",
            "advice": "advice, not a command",
            "path": "How hostcheck decided",
            "generated": "Generated",
            "rules": "rules",
            "tree": {"image": "Will this image run here?", "net-egress": "Container egress and DNS",
                     "net-port": "Published port", "net-reach": "Container to container",
                     "preflight": "Will this project come up here?"},
            "fix_script_hint": "A reviewed shell script of these commands: hostcheck --fix-script FILE",
        },
        # --fix-script: comments and messages of the script
        "script": {
            "title": "hostcheck fix script for host %s",
            "family": "family %s",
            "made": "made by hostcheck %s (rules %s) from the report of %s",
            "intro": [
                "Review every block before you run it: hostcheck wrote this file and never runs it.",
                "Run it as root on that host: bash FILE [--yes] [--any-host]",
                "  --yes       run every block without asking (after you have read them)",
                "  --any-host  run it although this host's name is not the one above",
                "Blocks run in order: packages, configuration, service restarts (once), containers",
                "and networks, reboot. Lines that only look, advice and commands with a placeholder",
                "for you (IMAGE, CONTAINER ...) stay comments.",
            ],
            "usage_line": "usage: bash FILE [--yes] [--any-host]",
            "other_host": "this script was made for host %s, but this is %s: run it there, or add --any-host",
            "not_root": "these commands change the system: run this script as root (sudo bash FILE)",
            "failed": "a command failed: the script stopped there, and nothing after it ran",
            "ask": "Run these commands?",
            "no_tty": "no terminal to ask on: read the script, then run it with --yes",
            "done": "hostcheck fix script: done",
            "phase": {"packages": "1. Packages", "config": "2. Configuration",
                      "services": "3. Services (restarted once, after every change above)",
                      "containers": "4. Containers and networks", "reboot": "5. Reboot (last)"},
            "advice": "Advice: nothing below runs; read it and act by hand",
            "nothing": "Nothing to fix: no finding or verdict has a remedy.",
            "evidence": "evidence: ",
            "fix": "fix: ",
            "look": "to look:",
            "usage": "then, to run or fetch it:",
            "placeholder": "fill in the placeholder first:",
            "info": "informational, not run:",
            "after_manual": "held back (this fix has a step for a person; do it, then run):",
            "above": " (see above)",
            "held_data": "held back (a value from the host is not a plain word; check it, run by hand):",
            "held_unknown": "held back (not a command hostcheck knows; check it, run by hand):",
            "held_family": "held back (this host's distribution family is unknown; keep your family's lines):",
        },
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
                         "permission_denied": "无权限读取", "timeout": "响应超时", "error": "返回错误",
                         "socket_missing": "该处没有套接字", "refused": "连接被拒绝", "unreachable": "无法到达",
                         "tls_error": "TLS 失败", "ssh_error": "ssh 失败", "unsupported": "hostcheck 无法读取",
                         "bad_endpoint": "引擎不存在"},
        "endpoint": "引擎地址",
        "remote_engine": "在另一台机器上：需要把它与本机对照的检查已跳过",
        "result_line": "失败 $fail 项，警告 $warn 项，提示 $info 项，通过 $pass 项，跳过 $skip 项，出错 $error 项",
        "counts": {"fail": "失败 $n", "warn": "警告 $n", "info": "提示 $n", "pass": "通过 $n",
                   "skip": "跳过 $n", "error": "出错 $n"},
        "findings_part": "检查项 $counts",
        "trees_part": "决策树结论 $counts",
        "list_sep": "，",
        "part_sep": " · ",
        "not_shown": "未显示（-q）：$what。",
        "passed_findings": "通过的检查项 $n 项",
        "passed_trees": "通过的决策树结论 $n 个",
        "nothing_wrong": "没有失败、警告或跳过的检查。",
        "page": {
            "problems": "问题",
            "no_problems": "没有问题：所有检查均已通过或不适用于本机。",
            "passes": "通过",
            "skips": "跳过：不适用于本机，或无法读取（证据中有说明）",
            "copy": "复制",
            "copy_all": "全部复制",
            "copied": "已复制",
            "copy_failed": "请手动选中文字并复制",
            "advice": "说明，不是命令",
            "path": "hostcheck 的判断过程",
            "generated": "生成时间",
            "rules": "规则",
            "tree": {"image": "该镜像能否在本机运行？", "net-egress": "容器访问外网与 DNS",
                     "net-port": "映射端口", "net-reach": "容器之间的连通性",
                     "preflight": "该项目能否在本机启动？"},
            "fix_script_hint": "将这些命令生成为可审阅的脚本：hostcheck --fix-script FILE",
        },
        "script": {
            "title": "hostcheck 修复脚本，适用于主机 %s",
            "family": "发行版系列 %s",
            "made": "由 hostcheck %s（规则 %s）根据 %s 的报告生成",
            "intro": [
                "运行前请逐段审阅：本文件由 hostcheck 生成，hostcheck 不会执行它。",
                "请在该主机上以 root 运行：bash FILE [--yes] [--any-host]",
                "  --yes       不再逐段询问，全部执行（请先读完）",
                "  --any-host  即使本机主机名与上面不同也执行",
                "各段按顺序执行：软件包、配置、服务重启（只重启一次）、容器与网络、重启系统。",
                "只用于查看的命令、说明，以及含有需要您填写的占位符（IMAGE、CONTAINER 等）的命令都保留为注释。",
            ],
            "usage_line": "用法：bash FILE [--yes] [--any-host]",
            "other_host": "本脚本为主机 %s 生成，而本机是 %s：请在该主机上运行，或加上 --any-host",
            "not_root": "这些命令会修改系统：请以 root 运行本脚本（sudo bash FILE）",
            "failed": "有命令执行失败：脚本已在此停止，其后的命令均未执行",
            "ask": "执行这些命令？",
            "no_tty": "没有可用于询问的终端：请先阅读脚本，再加 --yes 运行",
            "done": "hostcheck 修复脚本：完成",
            "phase": {"packages": "1. 软件包", "config": "2. 配置",
                      "services": "3. 服务（在以上修改全部完成后只重启一次）",
                      "containers": "4. 容器与网络", "reboot": "5. 重启系统（最后）"},
            "advice": "建议：以下内容不会执行，请阅读后手动处理",
            "nothing": "无需修复：没有任何检查结果或结论给出修复方法。",
            "evidence": "证据：",
            "fix": "修复方法：",
            "look": "查看：",
            "usage": "随后运行或拉取：",
            "placeholder": "请先填写占位符：",
            "info": "仅供参考，不执行：",
            "after_manual": "未执行（此修复中有需要人工完成的步骤；完成后再运行）：",
            "above": "（见上文）",
            "held_data": "未执行（其中来自主机的值不是普通单词；请核对后手动运行）：",
            "held_unknown": "未执行（hostcheck 不认识此命令；请核对后手动运行）：",
            "held_family": "未执行（无法确定本机的发行版系列；请保留适用于您系列的命令）：",
        },
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


def counted(template, n):
    """`template` ("$n info", or ("$n warning", "$n warnings") where English has a plural) for n.

    >>> counted(("$n warning", "$n warnings"), 1), counted(("$n host", "$n hosts"), 2), counted("警告 $n", 1)
    ('1 warning', '2 hosts', '警告 1')
    """
    if isinstance(template, (tuple, list)):
        template = template[0] if n == 1 else template[1]
    return string.Template(template).safe_substitute(n=n)
