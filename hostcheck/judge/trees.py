"""Walk a decision tree over host facts plus the subject's own facts (subject.*)."""

from hostcheck.judge.conditions import Scope, evaluate
from hostcheck.judge.rules import as_facts, _QUIET, _remedy, _lookup
from hostcheck.judge.text import pick, render

_STOPPED = {
    "en": "cannot tell: %s",
    "zh": "无法判断：%s",
}


def walk_tree(tree, facts, subject, lang="en", extra=None, root=None):
    """{"tree", "subject", "path": [...], "verdict": {...}}; never raises.

    `tree` is a tree of the catalogue (or its id); `extra` holds subject.* facts,
    merged over the host's facts; `root` is the node to start from when not the tree's
    root (the image tree starts a container's walk at its exit).
    """
    if isinstance(tree, str):
        from hostcheck.judge.catalogue import load_catalogue
        tree = load_catalogue().trees[tree]
    scope = Scope(as_facts(facts), extra=dict(extra or {}))
    path = []
    try:
        verdict = _walk(tree, scope, lang, path, root)
    except Exception as exc:    # a bug or bad data: this tree errs, the report goes on
        message = " ".join(str(exc).split()) or exc.__class__.__name__
        verdict = {"id": "error", "status": "error",
                   "text": "%s: %s" % (exc.__class__.__name__, message), "remediation": None}
    return {"tree": tree.get("id", "?"), "subject": subject, "path": path, "verdict": verdict}


def _walk(tree, scope, lang, path, root=None):
    nodes, verdicts = tree["nodes"], tree["verdicts"]
    current, why = root or tree["root"], ""
    # subject.unread: the questions on the way that could not be answered (node id and
    # reason), so that a verdict of "nothing blocks it" can say what it did not see.
    # A node marked `optional` only refines the verdict: its unknown is not counted.
    scope.extra["subject.unread"] = []
    for _ in range(len(nodes) + 1):
        if current in verdicts:
            return _verdict(current, verdicts[current], scope, lang, why)
        node = nodes.get(current)
        if node is None:
            raise ValueError("tree %s: no node or verdict %r" % (tree.get("id"), current))
        result, why = evaluate(node["when"], scope, lang)
        if result is None and not node.get("optional"):
            scope.extra["subject.unread"] = scope.extra["subject.unread"] + ["%s (%s)" % (current, why)]
        answer = "unknown" if result is None else ("yes" if result else "no")
        evidence = _evidence(node.get("evidence"), answer, scope, lang, why)
        path.append({"node": current, "question": pick(node.get("question"), lang),
                     "answer": answer, "evidence": evidence})
        following = node.get(answer)
        if following is None and answer == "unknown":
            following = "unknown" if "unknown" in verdicts else None
        if following is None:
            return {"id": "unknown", "status": "skip",
                    "text": _STOPPED.get(lang, _STOPPED["en"]) % why, "remediation": None}
        current = following
    raise ValueError("tree %s loops" % tree.get("id"))


def _verdict(verdict_id, verdict, scope, lang, why):
    status = verdict["status"]
    text = render(pick(verdict.get("text"), lang), _lookup(scope, why), lang)
    remediation = None if status in _QUIET else _remedy(_lines_that_hold(verdict.get("remediation"), scope, lang),
                                                        scope, lang)
    # `id` lets two verdicts report one public id with different text or status
    # (SPEC: `emulated` is info, or warn below the kernel floor).
    return {"id": verdict.get("id", verdict_id), "status": status, "text": text,
            "remediation": remediation}


def _evidence(texts, answer, scope, lang, why):
    """A step's evidence: the node's text for this answer, else the deciding condition's
    explanation (for an unknown answer, the reason).

    `texts` is {en, zh} (it explains yes and no), or alternatives [{text, answer?, when?}]:
    the first whose `answer` (yes and no when not given) and `when` both hold is used.
    """
    if not texts:
        return why
    if "en" in texts:
        texts = [{"text": texts}]
    for alternative in texts:
        answers = alternative.get("answer", ("yes", "no"))
        if answer not in ((answers,) if isinstance(answers, str) else answers):
            continue
        if "when" in alternative and evaluate(alternative["when"], scope, lang)[0] is not True:
            continue
        return render(pick(alternative["text"], lang), _lookup(scope, why), lang)
    return why


def _lines_that_hold(remediation, scope, lang):
    """The remediation with its conditional command lines ({when, run}) kept only where
    `when` holds (an unknown `when` leaves the line out)."""
    commands = (remediation or {}).get("commands")
    if not commands or all(isinstance(line, str) for lines in commands.values() for line in lines):
        return remediation
    kept = {}
    for family, lines in commands.items():
        kept[family] = [line if isinstance(line, str) else line["run"] for line in lines
                        if isinstance(line, str) or evaluate(line["when"], scope, lang)[0] is True]
    return dict(remediation, commands=kept)
