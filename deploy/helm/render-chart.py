#!/usr/bin/env python3
"""render-chart.py CHART [--set key=value]... [--release NAME] [--namespace NS]

Renders a Helm chart's templates to YAML like `helm template`, for machines where helm cannot be installed (it is not
in Debian bookworm, and neither npm nor Maven Central carries it). NOT helm: it implements only the part of Go's
text/template and of Helm's functions that deploy/helm/dure-coordinator uses -- actions with {{- -}} trimming,
comments, define/include, if/else if/else/end, range over a list, variables are not supported; the functions include,
toYaml, nindent, indent, quote, default, trunc, trimSuffix, contains, printf (%s, %d) -- and fails on anything else,
naming it. deploy/images/check-chart uses real helm instead whenever `helm` is on PATH.
"""
import re
import sys

import yaml


class TemplateError(Exception):
    pass


TOKEN = re.compile(r"{{(-?)\s*(.*?)\s*(-?)}}", re.S)


def lex(src):
    """Text and action tokens, with Go's whitespace trimming applied."""
    out, pos = [], 0
    for m in TOKEN.finditer(src):
        text = src[pos:m.start()]
        if m.group(1) == "-":
            text = text.rstrip()
        out.append(("text", text))
        out.append(("action", m.group(2), m.group(3) == "-"))
        pos = m.end()
    out.append(("text", src[pos:]))
    # trim-right markers eat the whitespace at the start of the next text token
    for i, t in enumerate(out):
        if t[0] == "action" and t[2] and i + 1 < len(out) and out[i + 1][0] == "text":
            out[i + 1] = ("text", out[i + 1][1].lstrip())
    return [t for t in out if not (t[0] == "text" and t[1] == "")]


def parse(tokens, defines, stop=("end",)):
    """A list of nodes up to one of the stop keywords; returns (nodes, stop keyword, its argument)."""
    nodes = []
    while tokens:
        t = tokens.pop(0)
        if t[0] == "text":
            nodes.append(("text", t[1]))
            continue
        body = t[1]
        if body.startswith("/*"):
            if not body.endswith("*/"):
                raise TemplateError(f"unterminated comment: {body[:40]}")
            continue
        word = body.split(None, 1)[0] if body else ""
        rest = body[len(word):].strip()
        if word in ("end", "else"):
            if word not in stop and not (word == "else" and "else" in stop):
                raise TemplateError(f"unexpected {{{{ {body} }}}}")
            return nodes, word, rest
        if word == "define":
            name = yaml.safe_load(rest)
            defines[name], _, _ = parse(tokens, defines)
        elif word == "if":
            branches = []
            cond = rest
            while True:
                block, kw, arg = parse(tokens, defines, stop=("end", "else"))
                branches.append((cond, block))
                if kw == "end":
                    break
                if arg.startswith("if "):
                    cond = arg[3:].strip()
                elif arg == "":
                    cond = None
                else:
                    raise TemplateError(f"unsupported else clause: {arg}")
            nodes.append(("if", branches))
        elif word == "range":
            block, kw, _ = parse(tokens, defines)
            nodes.append(("range", rest, block))
        elif word in ("with", "template", "block", "tpl") or word.startswith("$"):
            raise TemplateError(f"render-chart.py does not implement {{{{ {word} }}}} (use helm)")
        else:
            nodes.append(("expr", body))
    if stop:
        raise TemplateError(f"missing {{{{ end }}}} (expected one of {stop})")
    return nodes, None, None


def split_args(s):
    """Words of a command: strings, parenthesised groups, other words."""
    out, i = [], 0
    while i < len(s):
        c = s[i]
        if c.isspace():
            i += 1
        elif c == '"':
            j = i + 1
            while s[j] != '"':
                j += 2 if s[j] == "\\" else 1
            out.append(s[i:j + 1]); i = j + 1
        elif c == "(":
            depth, j = 0, i
            while True:
                depth += {"(": 1, ")": -1}.get(s[j], 0)
                if depth == 0:
                    break
                j += 1
            out.append(s[i:j + 1]); i = j + 1
        else:
            j = i
            while j < len(s) and not s[j].isspace():
                j += 1
            out.append(s[i:j]); i = j
    return out


def split_pipeline(s):
    parts, depth, quote, cur = [], 0, False, ""
    for c in s:
        if c == '"' and not cur.endswith("\\"):
            quote = not quote
        if not quote:
            depth += {"(": 1, ")": -1}.get(c, 0)
            if c == "|" and depth == 0:
                parts.append(cur.strip()); cur = ""; continue
        cur += c
    parts.append(cur.strip())
    return parts


def to_yaml(v):
    if v in (None, {}, []):
        return "{}" if v == {} else ("[]" if v == [] else "null")
    return yaml.safe_dump(v, default_flow_style=False, sort_keys=True).rstrip("\n")


class Renderer:
    def __init__(self, defines):
        self.defines = defines

    def value(self, word, dot):
        if word == ".":
            return dot
        if word.startswith('"'):
            return yaml.safe_load(word)
        if word.startswith("("):
            return self.pipeline(word[1:-1], dot)
        if re.fullmatch(r"-?\d+", word):
            return int(word)
        if word in ("true", "false"):
            return word == "true"
        if word.startswith("."):
            v = dot
            for key in word[1:].split("."):
                if not isinstance(v, dict):
                    raise TemplateError(f"{word}: {key} of a non-map")
                v = v.get(key)
            return v
        raise TemplateError(f"unknown term {word!r}")

    def call(self, fn, args, dot, piped):
        vals = [self.value(a, dot) for a in args] + piped
        if fn == "include":
            name, ctx = vals
            if name not in self.defines:
                raise TemplateError(f"include of undefined template {name!r}")
            return self.render(self.defines[name], ctx)
        if fn == "toYaml":
            return to_yaml(vals[0])
        if fn in ("nindent", "indent"):
            n, s = vals
            pad = " " * n
            body = "\n".join(pad + line if line else line for line in str(s).split("\n"))
            return ("\n" if fn == "nindent" else "") + body
        if fn == "quote":
            return '"' + str("" if vals[0] is None else vals[0]).replace("\\", "\\\\").replace('"', '\\"') + '"'
        if fn == "default":
            d, v = vals
            return v if v not in (None, "", [], {}, False, 0) else d
        if fn == "trunc":
            return str(vals[1])[:vals[0]]
        if fn == "trimSuffix":
            suf, s = vals
            return s[: -len(suf)] if suf and s.endswith(suf) else s
        if fn == "contains":
            sub, s = vals
            return sub in s
        if fn == "printf":
            fmt, *rest = vals
            return re.sub(r"%[sd]", lambda _: str(rest.pop(0)), fmt)
        raise TemplateError(f"render-chart.py does not implement the function {fn!r} (use helm)")

    def pipeline(self, expr, dot):
        result = None
        for i, cmd in enumerate(split_pipeline(expr)):
            words = split_args(cmd)
            piped = [] if i == 0 else [result]
            first = words[0]
            if first[0] in '."(' or re.fullmatch(r"-?\d+|true|false", first):
                if len(words) > 1 or piped:
                    raise TemplateError(f"cannot call a value: {cmd}")
                result = self.value(first, dot)
            else:
                result = self.call(first, words[1:], dot, piped)
        return result

    def render(self, nodes, dot):
        out = []
        for n in nodes:
            if n[0] == "text":
                out.append(n[1])
            elif n[0] == "expr":
                v = self.pipeline(n[1], dot)
                out.append("" if v is None else ("true" if v is True else "false" if v is False else str(v)))
            elif n[0] == "if":
                for cond, block in n[1]:
                    if cond is None or self.pipeline(cond, dot) not in (None, "", [], {}, False, 0):
                        out.append(self.render(block, dot))
                        break
            elif n[0] == "range":
                seq = self.pipeline(n[1], dot) or []
                if not isinstance(seq, list):
                    raise TemplateError(f"range over a non-list: {n[1]}")
                for item in seq:
                    out.append(self.render(n[2], item))
        return "".join(out)


def deep_set(d, dotted, value):
    keys = dotted.split(".")
    for k in keys[:-1]:
        d = d.setdefault(k, {})
    d[keys[-1]] = yaml.safe_load(value)


def main(argv):
    import os
    chart, release, namespace, sets = None, "dure", "default", []
    it = iter(argv)
    for a in it:
        if a == "--set":
            sets.append(next(it))
        elif a == "--release":
            release = next(it)
        elif a == "--namespace":
            namespace = next(it)
        else:
            chart = a
    meta = yaml.safe_load(open(os.path.join(chart, "Chart.yaml")))
    values = yaml.safe_load(open(os.path.join(chart, "values.yaml"))) or {}
    for s in sets:
        k, v = s.split("=", 1)
        deep_set(values, k, v)
    ctx = {"Values": values, "Release": {"Name": release, "Namespace": namespace, "Service": "Helm"},
           "Chart": {"Name": meta["name"], "Version": meta["version"], "AppVersion": meta.get("appVersion", "")}}
    tdir = os.path.join(chart, "templates")
    defines, docs = {}, []
    files = sorted(os.listdir(tdir))
    for f in files:  # helpers first: every file's defines are visible to every template
        if f.endswith(".tpl"):
            parse(lex(open(os.path.join(tdir, f)).read()), defines, stop=())
    r = Renderer(defines)
    for f in files:
        if not f.endswith((".yaml", ".yml")):
            continue
        try:
            nodes, _, _ = parse(lex(open(os.path.join(tdir, f)).read()), defines, stop=())
            text = r.render(nodes, ctx)
        except (TemplateError, IndexError, ValueError, KeyError) as e:
            raise SystemExit(f"render-chart.py: {chart}/templates/{f}: {e}")
        docs.append(f"---\n# Source: {meta['name']}/templates/{f}\n{text.strip()}\n")
    sys.stdout.write("".join(docs))


if __name__ == "__main__":
    main(sys.argv[1:])
