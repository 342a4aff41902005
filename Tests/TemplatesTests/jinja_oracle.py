#!/usr/bin/env python3
"""Reference oracle for the Swift template engine: renders cases with real Jinja2.

Usage (the Swift DifferentialTests drive it through stdin/stdout):

  render mode (default):   stdin  = JSON array of cases
                           stdout = JSON array of results, one per case
  generate mode:           --generate SEED COUNT
                           stdout = JSON array of random cases (deterministic per seed)
  combined mode:           --suite SEED COUNT
                           stdin  = JSON array of hand-written cases
                           stdout = {"cases": [...hand + generated...], "results": [...]}

A case is {"name", "template", "context", "options"?}; options keys: strict,
trim_blocks, lstrip_blocks, keep_trailing_newline. A result is {"output": str} or
{"error": "syntax"|"undefined"|"type"|"other", "message": str}.
"""

import json
import random
import sys

try:
    import jinja2
    from jinja2 import Environment, StrictUndefined, Undefined
    from jinja2.exceptions import TemplateSyntaxError, UndefinedError
except ImportError:  # pragma: no cover - reported to the Swift test
    sys.stderr.write("Jinja2 is not installed: pip install Jinja2==3.1.6\n")
    sys.exit(3)


def environment(options):
    return Environment(
        undefined=StrictUndefined if options.get("strict") else Undefined,
        trim_blocks=bool(options.get("trim_blocks")),
        lstrip_blocks=bool(options.get("lstrip_blocks")),
        keep_trailing_newline=bool(options.get("keep_trailing_newline")),
    )


def category(exc):
    if isinstance(exc, TemplateSyntaxError):
        return "syntax"
    if isinstance(exc, UndefinedError):
        return "undefined"
    if isinstance(exc, TypeError):
        return "type"
    return "other"


def render_case(case):
    env = environment(case.get("options") or {})
    try:
        template = env.from_string(case["template"])
    except Exception as e:  # noqa: BLE001 - every failure is data for the comparison
        return {"error": "syntax" if isinstance(e, TemplateSyntaxError) else category(e), "message": str(e)}
    try:
        return {"output": template.render(**(case.get("context") or {}))}
    except Exception as e:  # noqa: BLE001
        return {"error": category(e), "message": f"{type(e).__name__}: {e}"}


# ---------------------------------------------------------------------------
# Random case generator (grammar based). Deterministic for a given seed.
# ---------------------------------------------------------------------------

WORDS = ["alpha", "Beta", "gamma delta", "  padded  ", "", "x", "ÄÖü", "naïve café", "日本語", "emoji 😀",
         "it's", 'say "hi"', "a<b>&c", "tab\there", "new\nline", "MiXeD CaSe", "hello-world", "(paren) [br]",
         "back\\slash", "123", "4.5", "snake_case_word", "ǆungla", "ßtraße"]
FLOATS = [0.5, 1.0, 2.25, -3.75, 0.1, 1e-05, 1e17, 1.5e-07, 123456.789, -0.0, 3.3333333333333335, 100.0, 2.5, 0.125,
          9007199254740993.0, 1e16, 12345678901234567.0, 0.30000000000000004]
NAMES = ["ann", "Bob", "carl", "Dora", "eve", "Zed"]
ROLES = ["user", "assistant", "system", "tool"]


_C1 = ['"floor"', '"ceil"', '"common"']
_C2 = ['', '", "', '"-"', '" | "']
_C3 = ['', ', true', ', false, "~"', ', leeway=0']
_C4 = ['2', '"> "', '', 'first=true', '3, true, true']
_C5 = ['strip()', 'upper()', 'lower()', 'split()|join("_")', 'startswith("a")', 'endswith("a")', 'replace("a", "4")', 'title()', 'split(" ", 1)|first', 'lstrip()', 'rstrip("d ")']
_C6 = ['d', 'users[0]', 'messages|last', '{"b": 1, "a": [1, 2.5, none]}']
_C7 = ['', ', "gt", 30', ', "equalto", "user"', ', "defined"']
_C8 = ['', ', 0', ', "x"']
_C9 = ['', '(by="value")', '(reverse=true)']


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def choice(self, xs):
        return self.r.choice(xs)

    def chance(self, p):
        return self.r.random() < p

    def int_lit(self):
        return self.choice([0, 1, 2, 3, 5, 7, 10, 12, 42, -1, -4, 100, 255])

    def str_lit(self):
        w = self.choice(WORDS + ["a", "b", ", ", "-", " "])
        quote = self.choice(["'", '"'])
        esc = w.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t").replace(quote, "\\" + quote)
        return quote + esc + quote

    def context(self):
        r = self.r
        users = []
        for i in range(r.randint(0, 5)):
            u = {"name": self.choice(NAMES), "age": r.randint(1, 90), "role": self.choice(ROLES)}
            if self.chance(0.3):
                u["tags"] = [self.choice(WORDS) for _ in range(r.randint(0, 3))]
            if self.chance(0.2):
                del u["age"]
            users.append(u)
        ctx = {
            "a": r.randint(-10, 50),
            "b": self.choice([0, 1, 2, 3, 7, -2, 13]),
            "f": self.choice(FLOATS),
            "s": self.choice(WORDS),
            "t": self.choice(WORDS),
            "flag": self.chance(0.5),
            "nothing": None,
            "items": [r.randint(-5, 20) for _ in range(r.randint(0, 7))],
            "floats": [self.choice(FLOATS) for _ in range(r.randint(0, 4))],
            "words": [self.choice(WORDS) for _ in range(r.randint(0, 5))],
            "users": users,
            "d": {self.choice(["k1", "k2", "Key", "z", "a b", "ümlaut"]): self.choice([1, "v", 2.5, None, True, [1, 2]])
                  for _ in range(r.randint(0, 4))},
            "messages": [{"role": self.choice(ROLES), "content": self.choice(WORDS)} for _ in range(r.randint(0, 4))],
        }
        if self.chance(0.3):
            del ctx["t"]  # exercise undefined variables
        return ctx

    # --- expressions, loosely typed so most cases render but errors still occur ---

    def int_expr(self, d):
        if d <= 0:
            return self.choice([str(self.int_lit()), "a", "b", "items|length", "words|length", "users|length"])
        k = self.r.randint(0, 13)
        if k == 0:
            return f"({self.int_expr(d-1)} {self.choice(['+', '-', '*'])} {self.int_expr(d-1)})"
        if k == 1:
            return f"({self.int_expr(d-1)} {self.choice(['//', '%'])} {self.choice(['2', '3', '7', 'b', '-4'])})"
        if k == 2:
            return f"{self.int_expr(d-1)}|abs"
        if k == 3:
            return self.choice(["items|sum", "items|max", "items|min", "items|first", "items|last", "items[0]", "items[-1]",
                                "users|sum(attribute='age')", "items|sum(start=10)"])
        if k == 4:
            return f"({self.int_expr(d-1)} if {self.bool_expr(d-1)} else {self.int_expr(d-1)})"
        if k == 5:
            return f"{self.str_expr(d-1)}|length"
        if k == 6:
            return f"{self.float_expr(d-1)}|int"
        if k == 7:
            return f"{self.choice(['s', 't', self.str_lit()])}|int({self.int_lit()})"
        if k == 8:
            return f"{self.str_expr(d-1)}|wordcount"
        if k == 9:
            return f"(2 ** {self.choice(['0', '1', '3', '10', 'b'])})"
        if k == 10:
            return f"-{self.int_expr(d-1)}"
        if k == 11:
            return self.choice(["d|length", "(d.keys()|list)|length", "messages|length", "range(b)|sum"])
        if k == 12:
            return f"{self.list_expr(d-1)}|length"
        return str(self.int_lit())

    def float_expr(self, d):
        if d <= 0:
            return self.choice(["f", "0.5", "1.0", "2.5e3", "1e-3", "1.0e17", "3.14159", "-0.25"])
        k = self.r.randint(0, 8)
        if k == 0:
            return f"({self.num_expr(d-1)} / {self.choice(['2', '3', '4.0', 'b', '0.1'])})"
        if k == 1:
            return f"{self.float_expr(d-1)}|round({self.choice(['', '1', '2', '0', '3'])})"
        if k == 2:
            return f"{self.float_expr(d-1)}|round({self.int_lit() % 4}, {self.choice(_C1)})"
        if k == 3:
            return f"({self.float_expr(d-1)} {self.choice(['+', '-', '*'])} {self.num_expr(d-1)})"
        if k == 4:
            return f"{self.choice(['s', 't', self.str_lit(), 'a', 'nothing'])}|float"
        if k == 5:
            return self.choice(["floats|sum", "floats|max", "floats|first", "f * f", "f // 1", "f % 1.5", "f ** 2"])
        if k == 6:
            return f"{self.int_expr(d-1)}|float"
        return self.float_expr(0)

    def num_expr(self, d):
        return self.int_expr(d) if self.chance(0.5) else self.float_expr(d)

    def str_expr(self, d):
        if d <= 0:
            return self.choice(["s", "t", self.str_lit(), "words|first", "messages[0].content", "d.k1", "users[0].name"])
        k = self.r.randint(0, 24)
        if k == 0:
            return f"({self.str_expr(d-1)})|{self.choice(['upper', 'lower', 'title', 'capitalize', 'trim', 'string', 'e', 'striptags'])}"
        if k == 1:
            return f"{self.str_expr(d-1)} ~ {self.any_expr(d-1)}"
        if k == 2:
            return f"{self.list_expr(d-1)}|join({self.choice(_C2)})"
        if k == 3:
            return f"{self.str_expr(d-1)}|replace({self.str_lit()}, {self.str_lit()})"
        if k == 4:
            return f"{self.str_expr(d-1)}|truncate({self.choice(['3', '5', '9', '12', '20'])}{self.choice(_C3)})"
        if k == 5:
            return f"{self.str_expr(d-1)}|center({self.choice(['9', '10', '3'])})"
        if k == 6:
            return f"{self.str_expr(d-1)}[{self.choice(['1:3', ':2', '::-1', '-2:', '0', '1::2'])}]"
        if k == 7:
            return f"{self.any_expr(d-1)}|tojson{self.choice(['', '(2)', '(indent=1)'])}"
        if k == 8:
            return f"{self.str_expr(d-1)}|indent({self.choice(_C4)})"
        if k == 9:
            return '"%s|%d|%.2f"|format(' + f"{self.str_expr(d-1)}, {self.int_expr(d-1)}, {self.float_expr(d-1)})"
        if k == 10:
            return f"users|map(attribute='name')|join('/')"
        if k == 11:
            return f"{self.str_expr(d-1)}.{self.choice(_C5)}"
        if k == 12:
            return f"({self.str_expr(d-1)} if {self.bool_expr(d-1)} else {self.str_expr(d-1)})"
        if k == 13:
            return f"{self.str_expr(d-1)} * {self.choice(['0', '2', '3'])}"
        if k == 14:
            return f"{self.str_expr(d-1)} + {self.str_expr(d-1)}"
        if k == 15:
            return f"{self.any_expr(d-1)}|string"
        if k == 16:
            return f"{self.choice(_C6)}|dictsort|map('join', '=')|join(';')"
        if k == 17:
            return f"{self.choice(['t', 'nothing', 'd.zz', 'users[9]'])}|default({self.str_lit()}{self.choice(['', ', true'])})"
        if k == 18:
            return f"{self.num_expr(d-1)}|filesizeformat{self.choice(['', '(true)'])}"
        if k == 19:
            return f"{self.str_expr(d-1)}|urlencode"
        if k == 20:
            return f"words|{self.choice(['first', 'last', 'min', 'max'])}"
        if k == 21:
            return f"'{self.choice(['{}', '{:>6}', '{0}-{0}', '{x}', '{:.3f}', '{!r}'])}'.format({self.any_expr(d-1)}{', x=1' if self.chance(0.5) else ''})"
        if k == 22:
            return f"{self.str_expr(d-1)}|wordcount ~ ''"
        return self.str_expr(0)

    def list_expr(self, d):
        if d <= 0:
            return self.choice(["items", "words", "floats", "[1, 2, 3]", "['b', 'A', 'c']", "[]", "users", "range(4)|list"])
        k = self.r.randint(0, 17)
        if k == 0:
            return f"{self.list_expr(d-1)}|sort{self.choice(['', '(reverse=true)', '(case_sensitive=true)'])}"
        if k == 1:
            return f"{self.list_expr(d-1)}|reverse|list"
        if k == 2:
            return f"{self.list_expr(d-1)}|unique|list"
        if k == 3:
            return f"items|select('{self.choice(['odd', 'even', 'defined', 'number'])}')|list"
        if k == 4:
            return f"items|reject('{self.choice(['odd', 'even'])}')|list"
        if k == 5:
            return f"[{self.any_expr(d-1)}, {self.any_expr(d-1)}]"
        if k == 6:
            return f"({self.list_expr(d-1)} + {self.list_expr(d-1)})"
        if k == 7:
            return f"users|selectattr('{self.choice(['age', 'role', 'name'])}'{self.choice(_C7)})|list"
        if k == 8:
            return f"{self.list_expr(d-1)}[{self.choice(['::2', '1:', ':-1', '::-1', '5:1:-2'])}]"
        if k == 9:
            return f"range({self.choice(['3', 'b', '2, 9, 3', '10, 0, -3', '-2'])})|list"
        if k == 10:
            return f"{self.list_expr(d-1)}|batch({self.choice(['2', '3'])}{self.choice(_C8)})|list"
        if k == 11:
            return f"{self.list_expr(d-1)}|slice({self.choice(['2', '3'])})|list"
        if k == 12:
            return f"users|map(attribute='{self.choice(['name', 'age', 'tags', 'age'])}'{self.choice(['', ', default=0'])})|list"
        if k == 13:
            return f"{self.str_expr(d-1)}|list"
        if k == 14:
            return f"{self.list_expr(d-1)}|map('{self.choice(['string', 'upper', 'int', 'abs', 'length'])}')|list"
        if k == 15:
            return f"d|dictsort{self.choice(_C9)}"
        if k == 16:
            return f"users|sort(attribute='{self.choice(['age', 'name', 'role'])}')|map(attribute='name')|list"
        return self.list_expr(0)

    def bool_expr(self, d):
        if d <= 0:
            return self.choice(["flag", "true", "false", "nothing", "t", "items", "a > b"])
        k = self.r.randint(0, 10)
        if k == 0:
            return f"{self.num_expr(d-1)} {self.choice(['==', '!=', '<', '>', '<=', '>='])} {self.num_expr(d-1)}"
        if k == 1:
            return f"{self.any_expr(d-1)} is {self.choice(['defined', 'undefined', 'none', 'string', 'number', 'integer', 'float', 'mapping', 'sequence', 'iterable', 'boolean', 'true', 'false', 'not none', 'lower', 'upper'])}"
        if k == 2:
            return f"{self.int_expr(d-1)} is {self.choice(['even', 'odd', 'divisibleby 3', 'divisibleby(2)', 'eq 3', 'gt 2', 'in items', 'lt(b)'])}"
        if k == 3:
            return f"{self.int_expr(d-1)} {self.choice(['in', 'not in'])} {self.list_expr(d-1)}"
        if k == 4:
            return f"{self.str_expr(d-1)} in {self.str_expr(d-1)}"
        if k == 5:
            return f"not {self.bool_expr(d-1)}"
        if k == 6:
            return f"({self.bool_expr(d-1)} {self.choice(['and', 'or'])} {self.bool_expr(d-1)})"
        if k == 7:
            return f"{self.str_expr(d-1)} {self.choice(['==', '<', '>='])} {self.str_lit()}"
        if k == 8:
            return f"{self.int_expr(d-1)} < {self.int_expr(d-1)} < {self.int_expr(d-1)}"
        return self.bool_expr(0)

    def any_expr(self, d):
        return self.choice([self.int_expr, self.float_expr, self.str_expr, self.list_expr, self.bool_expr,
                            lambda d: self.choice(["d", "users[0]", "nothing", "t", "(1, 'a')", "messages", "{'x': f}"])])(d)

    # --- template structure ---

    def ws(self):
        return self.choice(["", "", " ", "\n", "  \n", "\n\n", " x ", "\n  ", "\t", "text", "line\n"])

    def open_(self, kind):
        return kind + self.choice(["", "", "", "-", "+"] if kind == "{%" else ["", "", "-"])

    def close_(self, kind):
        return self.choice(["", "", "", "-"] + (["+"] if kind == "%}" else [])) + kind

    def out(self, d):
        return f"{self.open_('{{')} {self.any_expr(d)} {self.close_('}}')}"

    def tag(self, body):
        return f"{self.open_('{%')} {body} {self.close_('%}')}"

    def block(self, d, in_loop=False):
        parts = [self.ws()]
        for _ in range(self.r.randint(1, 3)):
            k = self.r.randint(0, 11)
            if d <= 0 or k <= 3:
                parts.append(self.out(self.r.randint(0, 2)))
            elif k == 4:
                var = self.choice(["x", "item", "w"])
                src = self.choice(["items", "words", "users", "range(3)", "messages", "d", "floats", "s", "[]", self.list_expr(1)])
                cond = f" if {var} is not none" if self.chance(0.2) else ""
                body = self.block(d - 1, True) + self.out_loop(var)
                els = (self.tag("else") + self.block(d - 1)) if self.chance(0.3) else ""
                parts.append(f"{self.tag(f'for {var} in {src}{cond}')}{body}{els}{self.tag('endfor')}")
            elif k == 5:
                parts.append(f"{self.tag(f'for k, v in d.items()')}{self.ws()}{{{{ k }}}}={{{{ v }}}}{self.ws()}{self.tag('endfor')}")
            elif k == 6:
                elifs = "".join(self.tag(f"elif {self.bool_expr(1)}") + self.block(d - 1) for _ in range(self.r.randint(0, 2)))
                els = (self.tag("else") + self.block(d - 1)) if self.chance(0.5) else ""
                parts.append(f"{self.tag(f'if {self.bool_expr(2)}')}{self.block(d - 1)}{elifs}{els}{self.tag('endif')}")
            elif k == 7:
                var = self.choice(["x", "y", "a", "s"])
                parts.append(f"{self.tag(f'set {var} = {self.any_expr(1)}')}{self.ws()}{{{{ {var} }}}}")
            elif k == 8:
                parts.append(f"{self.tag('set ns = namespace(n=0, seen=false)')}{self.tag('for m in messages')}"
                             f"{self.tag('set ns.n = ns.n + 1')}{self.tag('if m.role == ' + repr(self.choice(ROLES)))}"
                             f"{self.tag('set ns.seen = true')}{self.tag('endif')}{self.tag('endfor')}{{{{ ns.n }}}}/{{{{ ns.seen }}}}")
            elif k == 9:
                parts.append(f"{self.tag('macro m(p, q=' + self.str_lit() + ')')}[{{{{ p }}}}|{{{{ q }}}}]{self.tag('endmacro')}"
                             f"{{{{ m({self.any_expr(1)}) }}}}{{{{ m(1, q=2) }}}}")
            elif k == 10:
                parts.append(self.extra_stmt(d))
            else:
                parts.append(f"{{# {self.choice(WORDS)} #}}" if self.chance(0.5) else "{% raw %}{{ raw }}{% endraw %}")
            parts.append(self.ws())
        return "".join(parts)

    def extra_stmt(self, d):
        k = self.r.randint(0, 7)
        if k == 0:
            return f"{self.tag(f'with x = {self.any_expr(1)}, y = {self.int_expr(1)}')}{{{{ x }}}}/{{{{ y }}}}{self.block(d - 1)}{self.tag('endwith')}"
        if k == 1:
            filt = self.choice(["upper", "trim", "title", "replace('a', '@')", "indent(2)", "center(30)", "striptags", "wordcount"])
            return f"{self.tag('filter ' + filt)}{self.block(d - 1)}{self.tag('endfilter')}"
        if k == 2:
            filt = self.choice(["", " | trim", " | upper | length"])
            return f"{self.tag('set blk' + filt)}{self.block(d - 1)}{self.tag('endset')}[{{{{ blk }}}}]"
        if k == 3:
            return (f"{self.tag('macro wrap(tag, n=1)')}<{{{{ tag }}}}>{{{{ caller(n) }}}}{{{{ varargs }}}}{{{{ kwargs }}}}</{{{{ tag }}}}>{self.tag('endmacro')}"
                    f"{self.tag('call(v) wrap(' + self.str_lit() + ', ' + self.int_expr(1) + self.choice(['', ', 3', ', k=2']) + ')')}{{{{ v }}}}{self.block(d - 1)}{self.tag('endcall')}")
        if k == 4:
            return ("{% set tree = [{'n': 'a', 'c': [{'n': 'b', 'c': []}, {'n': 'c', 'c': [{'n': 'd', 'c': []}]}]}, {'n': 'e', 'c': []}] %}"
                    f"{self.tag('for node in tree recursive')}{{{{ node.n }}}}{{{{ loop.depth }}}}{{{{ loop.depth0 }}}}"
                    f"{{% if node.c %}}({{{{ loop(node.c) }}}}){{% endif %}}{self.tag('endfor')}")
        if k == 5:
            return f"{self.tag('for x in ' + self.list_expr(1))}{{% if loop.changed(x) %}}{{{{ x }}}}{{% endif %}}{{{{ loop.cycle('a', 'b', 'c') }}}}{self.tag('endfor')}"
        if k == 6:
            fmt = self.choice(["'%5.2f|%-6s|%03d'", "'%x/%o/%e'", "'%(a)s-%(b)s'", "'%s'", "'%+.1e %g %G'", "'%c%c'"])
            args = self.choice(["(f, s, a)", "(a, a, f)", "{'a': a, 'b': s}", "(f,)", "(f, f, f)", "(65, 97)", "s", "items"])
            return f"{{{{ {fmt} % {args} }}}}"
        return f"{{{{ {self.choice(['f / 3', '1 / 7 * f', '(f|abs) ** 0.5', 'f * 1e-10', 'f * 1e10', 'f + 0.1', '-f / 1e5', '(a * f) // 3', 'f % 0.7', 'a / (b or 1)', '2 ** 0.5 * f', 'floats|sum / 3'])} }}}}"

    def out_loop(self, var):
        attr = self.choice(["index", "index0", "revindex", "revindex0", "first", "last", "length", "previtem",
                            "nextitem", "cycle('odd', 'even')", "depth"])
        sep = self.choice(["{% if not loop.last %}, {% endif %}", "", "\n", "{{ ',' if not loop.last }}"])
        return f"{{{{ {var} }}}}:{{{{ loop.{attr} }}}}{sep}"

    def case(self, i):
        options = {}
        if self.chance(0.25):
            options["trim_blocks"] = True
        if self.chance(0.25):
            options["lstrip_blocks"] = True
        if self.chance(0.1):
            options["keep_trailing_newline"] = True
        if self.chance(0.1):
            options["strict"] = True
        template = self.block(self.r.randint(1, 3))
        if self.chance(0.3):
            template += "\n"
        return {"name": f"gen-{i:04d}", "template": template, "context": self.context(), "options": options}


def generate(seed, count):
    g = Gen(seed)
    return [g.case(i) for i in range(count)]


def main(argv):
    if len(argv) >= 2 and argv[1] == "--generate":
        seed, count = int(argv[2]), int(argv[3])
        json.dump(generate(seed, count), sys.stdout, ensure_ascii=False, indent=1)
        return 0
    if len(argv) >= 2 and argv[1] == "--suite":
        seed, count = int(argv[2]), int(argv[3])
        cases = json.load(sys.stdin) + generate(seed, count)
        results = [render_case(c) for c in cases]
        for c in cases:  # contexts as JSON text so the Swift side can keep key order
            c["context_json"] = json.dumps(c.pop("context", None) or {}, ensure_ascii=False)
        json.dump({"jinja2": jinja2.__version__, "cases": cases, "results": results}, sys.stdout, ensure_ascii=False)
        return 0
    cases = json.load(sys.stdin)
    json.dump([render_case(c) for c in cases], sys.stdout, ensure_ascii=False)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
