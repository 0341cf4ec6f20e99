"""The image trees `check` and `analyze` walk on every host (HOST_TREES): one per local
image, and one per container that exited non-zero whose image is not native or whose log
lines (the capture keeps only those matching a failure pattern) explain the exit.

Labels only, from the capture: no archive is read here, and the cost per image is one
tree walk (microseconds), so a host with hundreds of containers stays fast.
"""

import re

from hostcheck.image.judge import image_tree
from hostcheck.image.local import image_name, image_platform
from hostcheck.image.platform import host_platform, kernel_runs_ia32, runs_natively

# Log line -> what it means for "will this image run here?" (the capture's LOG_PATTERNS).
_LOG_MEANINGS = (
    ("exec_format", re.compile(r"exec format error", re.I)),
    ("no_such_file", re.compile(r"exec.*no such file or directory|no such file or directory.*exec", re.I)),
    ("page_size", re.compile(r"unsupported system page size", re.I)),
    ("permission", re.compile(r"exec.*permission denied|permission denied.*exec", re.I)),
)

_TEXT = {
    "en": {
        "question": "Does the container's exit say why it failed?",
        "exited": "exited with code %s",
        "log": "log: %s",
        "exec_format": "the kernel has no handler for the binary's machine: no binfmt_misc entry serves it",
        "no_such_file": "exec could not find the interpreter: a binfmt_misc entry without F, or a "
                        "dynamic loader missing from the image",
        "page_size": "an allocator built for 4 KiB pages (jemalloc) on a kernel with %s-byte pages",
        "permission": "the entrypoint is not executable (mode, or a noexec mount)",
        "contradicts": "the label says the image runs natively, yet the log says exec format error: "
                       "it carries binaries for another machine (scan it: docker save %s | hostcheck image --archive -)",
        "contradicts_fix": "Scan the image's binaries, then rebuild it so that every executable is built for its platform.",
        "page_verdict": "exits at start: its allocator (jemalloc) was built for 4 KiB pages, and kernel "
                        "%s uses %s-byte pages (\"Unsupported system page size\")",
        "page_fix": "Use an image whose jemalloc was built with --with-lg-page=16 (64 KiB), or one "
                    "built without jemalloc; or run it on a 4 KiB-page kernel.",
        "page_commands": ["# rebuild with: ./configure --with-lg-page=16 (jemalloc), or e.g. make MALLOC=libc (redis)",
                          "getconf PAGESIZE"],
    },
    "zh": {
        "question": "容器的退出信息能否说明失败原因？",
        "exited": "退出码 %s",
        "log": "日志：%s",
        "exec_format": "内核没有该二进制架构的处理程序：没有 binfmt_misc 注册项为其服务",
        "no_such_file": "exec 找不到解释器：binfmt_misc 注册项缺少 F 标志，或镜像内缺少动态加载器",
        "page_size": "分配器按 4 KiB 页构建（jemalloc），而内核页大小为 %s 字节",
        "permission": "入口程序不可执行（权限位，或 noexec 挂载）",
        "contradicts": "标签表明镜像可原生运行，但日志报 exec format error：镜像内含其他架构的二进制文件"
                       "（可扫描：docker save %s | hostcheck image --archive -）",
        "contradicts_fix": "扫描镜像内的二进制文件，然后重新构建，使每个可执行文件都为其平台构建。",
        "page_verdict": "启动即退出：其分配器（jemalloc）按 4 KiB 页构建，而内核 %s 的页大小为 %s 字节"
                        "（“Unsupported system page size”）",
        "page_fix": "使用以 --with-lg-page=16（64 KiB）构建 jemalloc 的镜像，或不使用 jemalloc 的镜像；或在 4 KiB 页内核上运行。",
        "page_commands": ["# 重新构建：./configure --with-lg-page=16（jemalloc），或例如 make MALLOC=libc（redis）",
                          "getconf PAGESIZE"],
    },
}


def classify_log(lines):
    """The failure kinds the log lines show, in _LOG_MEANINGS order."""
    kinds = []
    for kind, pattern in _LOG_MEANINGS:
        if any(pattern.search(line) for line in lines):
            kinds.append(kind)
    return kinds


def host_image_trees(capture, facts, catalogue, lang):
    images = facts.get("docker.images") or []
    containers = facts.get("docker.containers") or []
    if not images and not containers:
        return []
    words = _TEXT.get(lang, _TEXT["en"])
    host = host_platform(facts)
    ia32 = kernel_runs_ia32(facts)
    logs = ((capture.get("docker") or {}).get("logs") or {}) if isinstance(capture, dict) else {}
    trees, by_id = [], {}
    for image in images:
        name = image_name(image)
        platform = image_platform(image)
        by_id[image.get("id")] = (name, platform)
        trees.append(image_tree(facts, name, [platform], ref=name, lang=lang, catalogue=catalogue,
                                unknown_reason=_why_no_platform(image)))
    for container in containers:
        if container.get("state") != "exited" or not container.get("exit_code"):
            continue
        lines = [line for line in logs.get(container.get("id")) or [] if isinstance(line, str)]
        kinds = classify_log(lines)
        name, platform = by_id.get(container.get("image_id"), (container.get("image") or "?", None))
        native = runs_natively(platform, host, ia32)
        if native is not False and not kinds:
            continue
        trees.append(container_tree(facts, container, name, platform, lines, kinds, words, catalogue, lang))
    return trees


def _why_no_platform(image):
    if not image.get("inspected"):
        return "image %s was not inspected in the capture" % image_name(image)
    return "image %s records no architecture" % image_name(image)


def container_tree(facts, container, image, platform, lines, kinds, words, catalogue, lang):
    subject = "container %s (%s)" % (container.get("name") or container.get("id", "?")[:12], image)
    tree = image_tree(facts, subject, [platform], ref=image, lang=lang, catalogue=catalogue,
                      unknown_reason="the image of this container is not in the capture")
    meanings = [words[k] % facts.get("arch.page_size", "?") if k == "page_size" else words[k] for k in kinds]
    evidence = [words["exited"] % container.get("exit_code")]
    if lines:
        evidence.append(words["log"] % " | ".join(lines[-3:]))
    evidence.extend(meanings)
    verdict = tree["verdict"]
    if verdict.get("id") == "native" and "exec_format" in kinds:
        evidence.append(words["contradicts"] % image)
        verdict.update({"id": "needs-remediation", "status": "fail", "text": words["contradicts"] % image,
                        "remediation": {"text": words["contradicts_fix"],
                                        "commands": ["docker save %s | hostcheck image --archive -" % image]}})
    elif verdict.get("id") == "native" and "page_size" in kinds:
        verdict.update({"id": "needs-remediation", "status": "fail",
                        "text": words["page_verdict"] % (facts.get("kernel.release", "?"), facts.get("arch.page_size", "?")),
                        "remediation": {"text": words["page_fix"], "commands": list(words["page_commands"])}})
    tree["path"].insert(0, {"node": "container-exit", "question": words["question"],
                            "answer": "yes" if kinds else "no",
                            "evidence": "; ".join(evidence)})
    return tree
