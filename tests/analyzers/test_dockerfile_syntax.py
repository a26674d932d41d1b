"""The Dockerfile parser and evaluator on tricky real-world snippets, and on arbitrary text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kubify.analyzers.dockerfile_model import ExposedPort, Value, parse_dockerfile
from kubify.analyzers.dockerfile_syntax import Heredoc, parse_syntax


def keywords_and_lines(text: str) -> list[tuple[str, int]]:
    return [(i.keyword, i.line) for i in parse_syntax(text).instructions]


# --- lexical layer: directives, comments, continuations, heredocs ---------------------------------

def test_escape_directive_makes_backtick_the_continuation_character() -> None:
    text = (
        "# escape=`\n"
        "FROM mcr.microsoft.com/windows/servercore:ltsc2022\n"
        "RUN New-Item -Path C:\\app `\n"
        "    -ItemType Directory\n"
        "WORKDIR C:\\app\n"
        'ENV APP_HOME=C:\\app `\n'
        '    MODE="a b"\n'
    )
    model = parse_dockerfile(text)
    assert model.escape == "`"
    assert dict(model.directives) == {"escape": "`"}
    run = model.instructions[1]
    assert run.args == ("New-Item -Path C:\\app     -ItemType Directory",)
    assert (run.line, run.end_line) == (3, 4)
    image = model.image()
    assert image is not None
    assert {s.name: (s.value, s.line) for s in image.env} == {"APP_HOME": ("C:\\app", 6), "MODE": ("a b", 7)}
    assert image.workdir == Value("C:\\app", 5)


def test_backslash_is_not_a_continuation_when_the_escape_is_a_backtick() -> None:
    text = "# escape=`\nFROM windows\nRUN dir c:\\\nCMD [\"x\"]\n"
    assert keywords_and_lines(text) == [("FROM", 2), ("RUN", 3), ("CMD", 4)]


def test_continuation_skips_comment_and_blank_lines_as_buildkit_does() -> None:
    text = (
        "FROM debian:12\n"
        "RUN apt-get update && \\\n"
        "    # install only what the app needs\n"
        "\n"
        "    apt-get install -y curl \\\n"
        "  # trailing comment line\n"
        "    && rm -rf /var/lib/apt/lists/*\n"
        "USER 1000\n"
    )
    syntax = parse_syntax(text)
    run = syntax.instructions[1]
    assert run.args == ("apt-get update &&     apt-get install -y curl     && rm -rf /var/lib/apt/lists/*",)
    assert (run.line, run.end_line) == (2, 7)
    assert keywords_and_lines(text)[-1] == ("USER", 8)


def test_escaped_escape_at_end_of_line_is_not_a_continuation() -> None:
    assert keywords_and_lines("FROM a\nRUN echo \\\\\nCMD x\n") == [("FROM", 1), ("RUN", 2), ("CMD", 3)]


def test_directives_only_count_at_the_very_top() -> None:
    syntax = parse_syntax("# syntax=docker/dockerfile:1.7\n# a comment\n# escape=`\nFROM a\n")
    assert syntax.directives == (("syntax", "docker/dockerfile:1.7"),)
    assert syntax.escape == "\\"


def test_invalid_escape_directive_is_reported_with_its_line() -> None:
    syntax = parse_syntax("# escape=x\nFROM a\n", "svc/Dockerfile")
    assert syntax.escape == "\\"
    assert [(d.code, d.file, d.line) for d in syntax.diagnostics] == [("dockerfile.directive", "svc/Dockerfile", 1)]


def test_heredocs_plain_chomped_quoted_multiple_and_copy() -> None:
    text = (
        "FROM alpine:3.20\n"             # 1
        "RUN <<EOF\n"                    # 2
        "apk add curl\n"
        "echo $HOME\n"
        "EOF\n"                          # 5
        'RUN <<-"SCRIPT" sh\n'           # 6
        "\tset -e\n"
        "\tSCRIPT\n"                     # 8
        "RUN cat <<A > /a && cat <<'B' > /b\n"  # 9
        "first\n"
        "A\n"
        "$second\n"
        "B\n"                            # 13
        "COPY <<EOF /etc/app.conf\n"     # 14
        "port=8080\n"
        "EOF\n"                          # 16
        "CMD [\"app\"]\n"                # 17
    )
    syntax = parse_syntax(text)
    assert [(i.keyword, i.line, i.end_line) for i in syntax.instructions] == [
        ("FROM", 1, 1), ("RUN", 2, 5), ("RUN", 6, 8), ("RUN", 9, 13), ("COPY", 14, 16), ("CMD", 17, 17)]
    assert syntax.instructions[1].heredocs == (Heredoc("EOF", "apk add curl\necho $HOME\n"),)
    assert syntax.instructions[2].heredocs == (Heredoc("SCRIPT", "set -e\n", expand=False, chomp=True),)
    assert syntax.instructions[3].heredocs == (Heredoc("A", "first\n"), Heredoc("B", "$second\n", expand=False))
    assert syntax.instructions[4].args == ("<<EOF", "/etc/app.conf")
    assert syntax.instructions[4].heredocs == (Heredoc("EOF", "port=8080\n"),)
    assert syntax.diagnostics == ()


def test_heredoc_markers_inside_quotes_or_exec_form_are_not_heredocs() -> None:
    syntax = parse_syntax('FROM a\nRUN echo "<<EOF"\nRUN ["sh", "-c", "cat <<EOF"]\nCMD x\n')
    assert [i.heredocs for i in syntax.instructions] == [(), (), (), ()]
    assert [i.line for i in syntax.instructions] == [1, 2, 3, 4]


def test_unterminated_heredoc_is_a_diagnostic_not_a_crash() -> None:
    syntax = parse_syntax("FROM a\nRUN <<EOF\necho hi\n")
    assert [(d.code, d.line) for d in syntax.diagnostics] == [("dockerfile.heredoc", 2)]
    assert syntax.instructions[1].heredocs[0].content == "echo hi\n"


# --- instruction grammar ----------------------------------------------------------------------------

def test_instructions_are_case_insensitive_and_keep_their_lines() -> None:
    text = ("from golang:1.22 as Build\n\nrun go build ./...\n"
            "From gcr.io/distroless/static\ncopy --from=build /out /app\n")
    model = parse_dockerfile(text)
    assert keywords_and_lines(text) == [("FROM", 1), ("RUN", 3), ("FROM", 4), ("COPY", 5)]
    assert [(s.name, s.image, s.line) for s in model.stages] == [
        ("build", "golang:1.22", 1), (None, "gcr.io/distroless/static", 4)]


def test_flags_of_from_copy_and_run() -> None:
    text = ("FROM --platform=$BUILDPLATFORM node:20 AS deps\n"
            "RUN --mount=type=cache,target=/root/.npm --network=none npm ci\n"
            "COPY --from=deps --chown=node:node --link /app/node_modules ./node_modules\n")
    instructions = parse_syntax(text).instructions
    assert instructions[0].flags == (("platform", "$BUILDPLATFORM"),)
    assert instructions[1].flags == (("mount", "type=cache,target=/root/.npm"), ("network", "none"))
    assert instructions[1].args == ("npm ci",)
    assert instructions[2].flag("from") == "deps"
    assert instructions[2].flag("chown") == "node:node"
    assert instructions[2].flag("link") == ""
    assert instructions[2].args == ("/app/node_modules", "./node_modules")
    assert parse_dockerfile(text).stages[0].platform == "linux/amd64"


@pytest.mark.parametrize(("line", "args", "exec_form"), [
    ('CMD ["python", "-m", "app"]', ("python", "-m", "app"), True),
    ("CMD [ \"a\", 'b' ]", ("[ \"a\", 'b' ]",), False),  # invalid JSON: Docker runs it as a shell command
    ("CMD [unquoted]", ("[unquoted]",), False),
    ("CMD gunicorn app:app --bind 0.0.0.0:$PORT", ("gunicorn app:app --bind 0.0.0.0:$PORT",), False),
    ("ENTRYPOINT []", (), True),
])
def test_exec_form_needs_valid_json_else_it_is_the_shell_form(line: str, args: tuple[str, ...],
                                                               exec_form: bool) -> None:
    instruction = parse_syntax(f"FROM a\n{line}\n").instructions[1]
    assert (instruction.args, instruction.json) == (args, exec_form)


def test_json_array_of_non_strings_is_rejected_like_docker_does() -> None:
    syntax = parse_syntax("FROM a\nCMD [1, 2]\nUSER app\n")
    assert [i.keyword for i in syntax.instructions] == ["FROM", "USER"]
    assert [(d.code, d.line) for d in syntax.diagnostics] == [("dockerfile.syntax", 2)]


def test_env_forms_new_legacy_and_quoted() -> None:
    text = ('FROM a\n'
            'ENV MODE=prod GREETING="hello world" SINGLE=\'$MODE\' ESCAPED=a\\ b\n'
            'ENV LEGACY hello   big world\n'
            'ENV REF=$MODE-${GREETING:+set}\n')
    image = parse_dockerfile(text).image()
    assert image is not None
    assert {s.name: s.value for s in image.env} == {
        "MODE": "prod", "GREETING": "hello world", "SINGLE": "$MODE", "ESCAPED": "a b",
        "LEGACY": "hello   big world", "REF": "prod-set"}


def test_env_pairs_expand_against_the_environment_before_the_instruction() -> None:
    image = parse_dockerfile("FROM a\nENV A=old\nENV A=new B=$A\n").image()
    assert image is not None
    assert {s.name: s.value for s in image.env} == {"A": "new", "B": "old"}


def test_bad_lines_are_diagnostics_and_parsing_goes_on() -> None:
    syntax = parse_syntax("FROM a\nFROBNICATE now\nENV A=1 B\nFROM a b c\nUSER app\n", "Dockerfile")
    assert [i.keyword for i in syntax.instructions] == ["FROM", "USER"]
    assert [(d.code, d.line) for d in syntax.diagnostics] == [
        ("dockerfile.unknown-instruction", 2), ("dockerfile.syntax", 3), ("dockerfile.syntax", 4)]
    assert all(d.file == "Dockerfile" and d.hint for d in syntax.diagnostics)


def test_keyword_must_be_a_whole_word() -> None:
    syntax = parse_syntax("FROM a\nRUNX echo\n")
    assert [d.code for d in syntax.diagnostics] == ["dockerfile.unknown-instruction"]


def test_healthcheck_options_and_none() -> None:
    text = ("FROM a AS base\n"
            "HEALTHCHECK --interval=30s --retries=3 CMD curl -f http://localhost/ || exit 1\n"
            "FROM base\nHEALTHCHECK NONE\n")
    model = parse_dockerfile(text)
    base = model.images[0].healthcheck
    assert base is not None and base.command is not None
    assert base.options == (("interval", "30s"), ("retries", "3"))
    assert base.command.argv() == ("/bin/sh", "-c", "curl -f http://localhost/ || exit 1")
    child = model.image()
    assert child is not None and child.healthcheck is not None
    assert child.healthcheck.command is None and child.healthcheck.line == 4


def test_volume_json_and_space_separated() -> None:
    image = parse_dockerfile('FROM a\nARG D=/data\nVOLUME ["/var/lib/app", "/cache"]\nVOLUME $D /logs\n').image()
    assert image is not None
    assert image.volumes == (Value("/var/lib/app", 3), Value("/cache", 3), Value("/data", 4), Value("/logs", 4))


def test_onbuild_triggers_parse_and_run_in_the_child_stage() -> None:
    model = parse_dockerfile("FROM a AS base\nONBUILD ENV BUILT=yes\nONBUILD COPY . /src\nFROM base\nUSER 1\n")
    assert model.instructions[1].child is not None
    assert model.instructions[1].child.keyword == "ENV"
    image = model.image()
    assert image is not None
    assert [(s.name, s.value, s.line) for s in image.env] == [("BUILT", "yes", 2)]
    assert [c.sources for c in image.copies] == [(".",)]


# --- semantics: ARG substitution, EXPOSE, stages ----------------------------------------------------

def test_arg_substitution_in_from_with_defaults_and_nesting() -> None:
    text = ("ARG PY=3.12\nARG BASE=python:${PY}-slim\nARG REGISTRY\n"
            "FROM ${REGISTRY:-docker.io}/library/${BASE#unused} AS app\nFROM ${BASE}\n")
    model = parse_dockerfile(text)
    assert [s.image for s in model.stages] == ["docker.io/library/python:3.12-slim", "python:3.12-slim"]
    assert dict(model.meta_args)["PY"] == "3.12"


def test_build_args_override_defaults() -> None:
    model = parse_dockerfile("ARG BASE=node:18\nFROM $BASE\nARG PORT=3000\nEXPOSE $PORT\n",
                             build_args={"BASE": "node:22-alpine", "PORT": "4000"})
    image = model.image()
    assert image is not None
    assert (model.stages[0].image, [p.port for p in image.ports]) == ("node:22-alpine", [4000])


def test_unresolvable_from_is_reported() -> None:
    model = parse_dockerfile("ARG IMAGE\nFROM $IMAGE\n", "Dockerfile")
    assert [(d.code, d.line) for d in model.diagnostics] == [("dockerfile.unresolved-base", 2)]


def test_global_args_are_visible_in_a_stage_only_when_redeclared() -> None:
    image = parse_dockerfile("ARG V=1.2\nFROM a\nENV BEFORE=$V\nARG V\nENV AFTER=$V\n").image()
    assert image is not None
    assert [(s.name, s.value, s.missing) for s in image.env] == [("BEFORE", "", ("V",)), ("AFTER", "1.2", ())]


def test_expose_ranges_protocols_and_variables() -> None:
    text = "FROM a\nARG METRICS=9100\nENV HTTP=8000\nEXPOSE ${HTTP}-8002 53/udp $METRICS/TCP\nEXPOSE 8000\n"
    image = parse_dockerfile(text).image()
    assert image is not None
    assert image.ports == (ExposedPort(53, "UDP", 4), ExposedPort(8000, "TCP", 4), ExposedPort(8001, "TCP", 4),
                           ExposedPort(8002, "TCP", 4), ExposedPort(9100, "TCP", 4))


def test_expose_problems_are_warnings_with_lines() -> None:
    image = parse_dockerfile("FROM a\nEXPOSE $PORT\nEXPOSE 70000 80/sctp\nEXPOSE 10000-20000\n", "D").image()
    assert image is not None
    assert [p.port for p in image.ports] == [10000]
    assert [(d.code, d.line) for d in image.diagnostics] == [
        ("dockerfile.unresolved-variable", 2), ("dockerfile.expose", 3), ("dockerfile.expose", 3),
        ("dockerfile.expose", 4)]


def test_workdir_is_relative_to_the_previous_one() -> None:
    image = parse_dockerfile("FROM a\nWORKDIR /app\nWORKDIR src\nENV D=bin\nWORKDIR ../$D\n").image()
    assert image is not None
    assert image.workdir == Value("/app/bin", 5)


def test_stage_inheritance_and_target_selection() -> None:
    text = ("FROM python:3.12-slim AS base\n"    # 1
            "ENV PYTHONUNBUFFERED=1\n"
            "WORKDIR /app\n"
            "USER app\n"
            "EXPOSE 8000\n"
            "CMD [\"gunicorn\", \"app:app\"]\n"  # 6
            "FROM base AS worker\n"              # 7
            "ENTRYPOINT [\"celery\"]\n"          # 8
            "FROM base AS web\n"                 # 9
            "CMD [\"uvicorn\", \"app:app\"]\n"   # 10
            "FROM node:20 AS unrelated\n")       # 11
    model = parse_dockerfile(text)
    web = model.image("WEB")
    assert web is not None
    assert web.chain == (0, 2) and web.base_image == "python:3.12-slim"
    assert (web.workdir, web.user) == (Value("/app", 3), Value("app", 4))
    assert [s.name for s in web.env] == ["PYTHONUNBUFFERED"] and [p.port for p in web.ports] == [8000]
    assert web.command() == (("uvicorn", "app:app"), False)
    worker = model.image("worker")
    assert worker is not None
    assert worker.cmd is None  # a new ENTRYPOINT drops the CMD inherited from the parent stage
    assert worker.command() == (("celery",), False)
    last = model.image()
    assert last is not None and last.stage.name == "unrelated" and last.env == ()
    assert model.image("missing") == last
    assert model.image("1") == worker


def test_entrypoint_and_cmd_merge_per_docker_rules() -> None:
    def command(body: str) -> tuple[tuple[str, ...], bool]:
        image = parse_dockerfile("FROM a\n" + body).image()
        assert image is not None
        return image.command()

    assert command('ENTRYPOINT ["app"]\nCMD ["--port", "80"]\n') == (("app", "--port", "80"), False)
    assert command('CMD ["--port", "80"]\nENTRYPOINT ["app"]\n') == (("app", "--port", "80"), False)
    assert command("ENTRYPOINT exec app\nCMD [\"ignored\"]\n") == (("/bin/sh", "-c", "exec app"), True)
    assert command('ENTRYPOINT ["tini", "--"]\nCMD node server.js\n') == (
        ("tini", "--", "/bin/sh", "-c", "node server.js"), True)
    assert command('SHELL ["/bin/bash", "-o", "pipefail", "-c"]\nCMD run.sh | tee log\n') == (
        ("/bin/bash", "-o", "pipefail", "-c", "run.sh | tee log"), True)
    assert command("RUN true\n") == ((), False)


def test_dependencies_follow_copy_from_and_run_mounts() -> None:
    text = ("FROM golang:1.22 AS deps\nFROM deps AS build\nFROM alpine AS certs\nFROM node:20 AS unused\n"
            "FROM scratch\nCOPY --from=build /out /app\nRUN --mount=type=bind,from=certs,target=/c true\n")
    model = parse_dockerfile(text)
    assert model.dependencies(4) == (0, 1, 2, 4)


def test_empty_or_comment_only_text_has_no_stages() -> None:
    for text in ("", "\n\n", "# just a comment\n", "ARG A=1\n"):
        model = parse_dockerfile(text)
        assert (model.stages, model.image(), model.starts_with_from) == ((), None, False)


@pytest.mark.parametrize(("text", "expected"), [
    ("# syntax=docker/dockerfile:1\nARG V=1\nFROM a:$V\n", True),
    ("FROM a\n", True),
    ("RUN echo\nFROM a\n", False),
    ("#!/bin/sh\necho FROM a\n", False),
    ("apiVersion: v1\nkind: Pod\n", False),
])
def test_starts_with_from_is_the_content_rule(text: str, expected: bool) -> None:
    assert parse_dockerfile(text).starts_with_from is expected


# --- properties -------------------------------------------------------------------------------------

DOCKERISH = st.lists(st.sampled_from([
    "FROM ", "from ", "ARG ", "ENV ", "RUN ", "CMD ", "EXPOSE ", "HEALTHCHECK ", "ONBUILD ", "COPY ", "AS ",
    "--from=", "--platform=", "<<EOF", "<<-'X'", "EOF", "X", "\\", "`", "\n", "\t", " ", "#", "# escape=`\n",
    "=", '"', "'", "$", "${", "}", ":-", "[", "]", ",", "a", "8080", "/udp", "-", "NONE", "\r\n", "\ufeff",
]), max_size=40).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=400), DOCKERISH))
def test_arbitrary_text_never_raises_and_lines_stay_in_range(text: str) -> None:
    model = parse_dockerfile(text, "Dockerfile")
    physical = text.count("\n") + 1
    lines = [i.line for i in model.instructions]
    assert lines == sorted(lines)
    assert all(1 <= i.line <= i.end_line <= physical for i in model.instructions)
    for stage in model.stages:
        image = model.image(str(stage.index))
        assert image is not None
        image.command()
    assert all(d.file == "Dockerfile" and d.line is not None and 1 <= d.line <= physical
               for d in model.diagnostics)


def test_problems_in_a_dockerfile_never_block_the_build() -> None:
    text = "# escape=x\n# escape=`\nFROM $NOPE\nFROBNICATE\nCMD [1]\nEXPOSE 99999 $X\nRUN <<EOF\n"
    model = parse_dockerfile(text, "Dockerfile")
    image = model.image()
    assert image is not None
    found = (*model.diagnostics, *image.diagnostics)
    assert len(found) >= 6
    assert {d.severity for d in found} == {"warning"}
