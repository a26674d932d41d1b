"""The go.mod/go.work grammar: real-world shapes parse to the right records, bad input to diagnostics."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kubify.analyzers.go.gomod import ModFile, Replacement, parse_modfile

KUBERNETES_STYLE = """\
// This is a generated file. Do not edit directly.

module k8s.io/kubernetes

go 1.22.0

godebug default=go1.22

require (
\tgithub.com/Azure/go-ansiterm v0.0.0-20230124172434-306776ec8161
\tgithub.com/blang/semver/v4 v4.0.0
\tk8s.io/api v0.0.0
)

require (
\tcloud.google.com/go/compute/metadata v0.3.0 // indirect
\tgithub.com/google/cel-go v0.20.1 // indirect; pinned for CEL
)

replace (
\tk8s.io/api => ./staging/src/k8s.io/api
\tgithub.com/google/cel-go v0.20.1 => github.com/google/cel-go v0.20.0
)
"""


def parsed(text: str) -> ModFile:
    result = parse_modfile(text, "go.mod")
    assert result.diagnostics == (), [d.render() for d in result.diagnostics]
    return result


def test_kubernetes_style_file_keeps_every_requirement_with_its_line() -> None:
    mod = parsed(KUBERNETES_STYLE)
    assert mod.module is not None and mod.module.text == "k8s.io/kubernetes" and mod.module.line == 3
    assert mod.go is not None and (mod.go.text, mod.go.line) == ("1.22.0", 5)
    assert [(g.text, g.line) for g in mod.godebug] == [("default=go1.22", 7)]
    assert [(r.path, r.version, r.indirect, r.line) for r in mod.requires] == [
        ("github.com/Azure/go-ansiterm", "v0.0.0-20230124172434-306776ec8161", False, 10),
        ("github.com/blang/semver/v4", "v4.0.0", False, 11),
        ("k8s.io/api", "v0.0.0", False, 12),
        ("cloud.google.com/go/compute/metadata", "v0.3.0", True, 16),
        ("github.com/google/cel-go", "v0.20.1", True, 17),
    ]
    assert mod.replaces == (
        Replacement("k8s.io/api", None, "./staging/src/k8s.io/api", None, 21),
        Replacement("github.com/google/cel-go", "v0.20.1", "github.com/google/cel-go", "v0.20.0", 22),
    )
    assert [r.local for r in mod.replaces] == [True, False]


@pytest.mark.parametrize(("text", "check"), [
    pytest.param("module example.com/a\nrequire github.com/x/y v1.2.3\n",
                 lambda m: [(r.path, r.version, r.line) for r in m.requires] == [("github.com/x/y", "v1.2.3", 2)],
                 id="single-line-require"),
    pytest.param('module "example.com/quoted"\nrequire "github.com/x/y" v1.0.0\n',
                 lambda m: m.module.text == "example.com/quoted" and m.requires[0].path == "github.com/x/y",
                 id="quoted-paths"),
    pytest.param("module `example.com/raw`\n",
                 lambda m: m.module.text == "example.com/raw", id="raw-string-path"),
    pytest.param("module example.com/a\nexclude github.com/bad/mod v1.1.0\nexclude (\n\tgithub.com/b v0.1.0\n)\n",
                 lambda m: [(e.path, e.line) for e in m.excludes] == [("github.com/bad/mod", 2), ("github.com/b", 4)],
                 id="exclude-single-and-block"),
    pytest.param("module example.com/a\nretract v1.0.1 // published by mistake\n"
                 "retract [v1.2.0, v1.2.9] // data race\n",
                 lambda m: [(r.low, r.high, r.rationale, r.line) for r in m.retracts]
                 == [("v1.0.1", "v1.0.1", "published by mistake", 2), ("v1.2.0", "v1.2.9", "data race", 3)],
                 id="retract-version-and-range"),
    pytest.param("module example.com/a\nretract (\n\tv0.3.0 // oops\n\t[v0.4.0, v0.4.5]\n)\n",
                 lambda m: [(r.low, r.high, r.line) for r in m.retracts]
                 == [("v0.3.0", "v0.3.0", 3), ("v0.4.0", "v0.4.5", 4)],
                 id="retract-block"),
    pytest.param("module example.com/a\n\ngodebug (\n\tpanicnil=1\n\thttp2client=0\n)\n",
                 lambda m: [(g.text, g.line) for g in m.godebug] == [("panicnil=1", 4), ("http2client=0", 5)],
                 id="godebug-block"),
    pytest.param("module example.com/a\n\ngo 1.21\n\ntoolchain go1.21.4\n",
                 lambda m: m.go.text == "1.21" and (m.toolchain.text, m.toolchain.line) == ("go1.21.4", 5),
                 id="toolchain"),
    pytest.param("module example.com/a\nrequire ( // direct deps\n\t// the router\n\tgithub.com/go-chi/chi/v5 v5.0.12"
                 " // indirect\n\n) // end\n",
                 lambda m: [(r.path, r.indirect, r.line) for r in m.requires]
                 == [("github.com/go-chi/chi/v5", True, 4)],
                 id="comments-everywhere"),
    pytest.param("module example.com/a\nrequire ()\nrequire (\n)\n",
                 lambda m: m.requires == (), id="empty-blocks"),
    pytest.param("module example.com/a\r\n\r\ngo 1.22\r\nrequire github.com/x/y v1.0.0 // indirect\r\n",
                 lambda m: m.go.text == "1.22" and m.requires[0].indirect, id="crlf-line-endings"),
    pytest.param("module example.com/a\ngo 1.24\ntool (\n\tgolang.org/x/tools/cmd/stringer\n)\n"
                 "ignore ./node_modules\n",
                 lambda m: [t.text for t in m.tools] == ["golang.org/x/tools/cmd/stringer"], id="tool-and-ignore"),
    pytest.param("module example.com/a\nfuturedirective some args => here\nfuture (\n\tx y\n)\ngo 1.30\n",
                 lambda m: m.go.text == "1.30", id="unknown-directives-are-skipped"),
    pytest.param("module example.com/a\nreplace github.com/x/y => ../y\nreplace github.com/p/q v1.0.0 => "
                 "github.com/fork/q v1.0.1\n",
                 lambda m: [(r.old_path, r.new_path, r.local) for r in m.replaces]
                 == [("github.com/x/y", "../y", True), ("github.com/p/q", "github.com/fork/q", False)],
                 id="single-line-replaces"),
    pytest.param("go 1.22.4\n\nuse (\n\t./services/api\n\t./libs/common // shared\n)\nuse ./tools\n"
                 "replace example.com/x => ./x\n",
                 lambda m: [(u.text, u.line) for u in m.uses]
                 == [("./services/api", 4), ("./libs/common", 5), ("./tools", 7)] and len(m.replaces) == 1,
                 id="go-work"),
])
def test_real_world_shapes(text: str, check: object) -> None:
    assert callable(check)
    assert check(parsed(text))


@pytest.mark.parametrize(("text", "line", "message", "hint"), [
    ("module example.com/a\nrequire (\n\tgithub.com/x/y\n)\ngo 1.22\n", 3, "in 'require'", "a path and a version"),
    ("module example.com/a\nreplace github.com/x/y v1.0.0 github.com/z v1\ngo 1.22\n", 2, "in 'replace'", "=>"),
    ('module "example.com/a\ngo 1.22\n', 1, "unterminated string", None),
    ("module example.com/a\ngo 1.22\nrequire (\n\tgithub.com/x/y v1.0.0\n", 3, "never closed", ")"),
    ("module example.com/a\nretract [v1.0.0, v1.0.5\ngo 1.22\n", 2, "in 'retract'", "[v1.0.0, v1.0.5]"),
])
def test_syntax_errors_are_located_diagnostics_and_the_rest_still_parses(
        text: str, line: int, message: str, hint: str | None) -> None:
    mod = parse_modfile(text, "svc/go.mod")
    assert mod.diagnostics, "a syntax error must be reported"
    first = mod.diagnostics[0]
    assert (first.file, first.line, first.severity) == ("svc/go.mod", line, "warning")
    assert message in first.message
    assert first.hint and (hint is None or hint in first.hint)
    assert mod.go is not None and mod.go.text == "1.22"


def test_good_requirements_survive_a_bad_line_in_the_same_block() -> None:
    mod = parse_modfile("module m\nrequire (\n\ta v1\n\tbroken\n\tb v2\n)\n", "go.mod")
    assert [r.path for r in mod.requires] == ["a", "b"]
    assert [d.line for d in mod.diagnostics] == [4]


def test_repeated_directive_keeps_the_first() -> None:
    mod = parse_modfile("module a\nmodule b\n", "go.mod")
    assert mod.module is not None and mod.module.text == "a"
    assert [(d.code, d.line) for d in mod.diagnostics] == [("go.mod.repeated", 2)]


_PIECES = st.sampled_from(["module ", "go ", "require ", "replace ", "retract ", "use ", "godebug ", "toolchain ",
                           "(", ")", "[", "]", ",", "=>", "//", "\n", "\r\n", "\t", '"', "`", "\\", " x", " v1.2.3",
                           "{", "}", "\x00", "é", "/*"])


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(max_size=300), st.lists(_PIECES, max_size=60).map("".join)))
def test_arbitrary_text_never_raises_only_diagnoses(text: str) -> None:
    mod = parse_modfile(text, "go.mod")
    assert all(d.file == "go.mod" and d.severity == "warning" for d in mod.diagnostics)
    assert all(d.line is None or d.line >= 1 for d in mod.diagnostics)
