"""The Go analyzer on realistic fixture repositories and on small generated ones."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kubify.analyzers.base import Analysis
from kubify.analyzers.draft import Site
from kubify.analyzers.go import ANALYZER
from kubify.analyzers.go.facts import package_facts
from kubify.analyzers.go.resolve import Resolver, port_in
from kubify.analyzers.go.source import parse_go
from kubify.ir import Component, Dependency, EnvVar, Health, Migration, Port
from kubify.scan import Inventory, scan

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def analyze(root: Path) -> tuple[Inventory, list[Analysis]]:
    inventory = scan(root)
    return inventory, [ANALYZER.analyze(inventory, d) for d in ANALYZER.detect(inventory)]


def components(root: Path) -> dict[str, Component]:
    _inventory, analyses = analyze(root)
    return {c.name: c for a in analyses for c in a.components}


def line_of(root: Path, rel: str, needle: str) -> int:
    """The 1-based line of the first line of ``rel`` containing ``needle``."""
    for number, line in enumerate((root / rel).read_text().splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {rel}")


def evidence(component: Component, field: str, rule: str | None = None) -> list[tuple[str, str | None, int | None]]:
    return [(e.value, e.file, e.line) for e in component.evidence_for(field) if rule is None or e.rule == rule]


def make_repo(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "repo"
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


# --- fixtures -------------------------------------------------------------------------------

def test_gin_api_fields_and_where_they_came_from() -> None:
    root = FIXTURES / "go-gin-api"
    found = components(root)
    assert list(found) == ["go-gin-api"]
    api = found["go-gin-api"]
    assert (api.kind, api.path, api.language, api.framework, api.package_manager) == (
        "service", ".", "go", "gin", "go modules")
    assert api.language_version == "1.22"
    assert evidence(api, "language_version") == [("1.22", "go.mod", line_of(root, "go.mod", "go 1.22")),
                                                   ("go1.22.5", "go.mod", line_of(root, "go.mod", "toolchain"))]
    assert api.ports == (Port(port=8080, name="http"),)
    assert ("8080", "main.go", line_of(root, "main.go", "err := router.Run(")) in evidence(api, "ports")
    assert ("8080", "main.go", line_of(root, "main.go", 'port = "8080"')) in evidence(api, "ports")
    env = {e.name: e for e in api.env}
    assert env["PORT"] == EnvVar(name="PORT", default="8080")
    assert env["JWT_SECRET"].secret and env["JWT_SECRET"].default is None
    assert env["DATABASE_URL"].secret and env["DATABASE_URL"].default is None
    assert "TEST_ONLY_VAR" not in env, "_test.go files are not the program"
    assert ("PORT", "main.go", line_of(root, "main.go", 'os.Getenv("PORT")')) in evidence(api, "env")
    assert api.health == Health(type="http", path="/healthz", port=8080)
    assert evidence(api, "health") == [("/healthz", "internal/handlers/handlers.go",
                                        line_of(root, "internal/handlers/handlers.go", '"/healthz"'))]
    assert api.depends_on == (Dependency(service="postgres"),)
    assert api.migrations == (Migration(tool="golang-migrate",
                                        command=("migrate", "-path", "migrations", "-database", "$(DATABASE_URL)",
                                                 "up")),)
    assert evidence(api, "migrations") == [("golang-migrate", "go.mod",
                                            line_of(root, "go.mod", "golang-migrate/migrate"))]
    assert api.build is not None and api.build.generated
    assert (api.build.base_image, api.build.context) == ("golang:1.24", ".")
    assert api.build.args == {"MAIN_PACKAGE": ".", "CGO_ENABLED": "0"}
    assert api.build.build == ("go build -trimpath -ldflags='-s -w' -o /out/go-gin-api .",)
    assert api.run is not None and api.run.command == ("/app/go-gin-api",)
    assert evidence(api, "run") == [("/app/go-gin-api", "main.go", line_of(root, "main.go", "func main()"))]


def test_commented_out_and_test_only_listeners_are_not_ports() -> None:
    api = components(FIXTURES / "go-gin-api")["go-gin-api"]
    assert {p.port for p in api.ports} == {8080}, "9999 is in a comment, 7777 in a _test.go file"


def test_multi_cmd_module_has_one_component_per_main_package() -> None:
    root = FIXTURES / "go-multi-cmd"
    found = components(root)
    assert sorted(found) == ["api", "migrate-tool", "worker"], "hack/, examples/, tools/ and build-ignored mains"
    assert {c.path for c in found.values()} == {"."}
    assert {n: c.kind for n, c in found.items()} == {"api": "service", "worker": "worker", "migrate-tool": "cli"}
    assert {n: c.build.args["MAIN_PACKAGE"] for n, c in found.items() if c.build} == {
        "api": "./cmd/api", "worker": "./cmd/worker", "migrate-tool": "./cmd/migrate-tool"}
    assert found["worker"].build is not None
    assert found["worker"].build.build == (
        "go build -trimpath -ldflags='-s -w' -o /out/worker ./cmd/worker",)
    assert found["worker"].run is not None and found["worker"].run.command == ("/app/worker",)


def test_multi_cmd_api_resolves_a_flag_default_constant_and_imported_router() -> None:
    root = FIXTURES / "go-multi-cmd"
    api = components(root)["api"]
    assert api.framework == "chi"
    assert api.ports == (Port(port=8080, name="http"),)
    assert ("8080", "cmd/api/main.go", line_of(root, "cmd/api/main.go", 'defaultAddr = ":8080"')) in evidence(
        api, "ports")
    assert api.health == Health(type="http", path="/healthz", port=8080), "/healthz preferred over /readyz"
    assert api.metrics is not None and (api.metrics.path, api.metrics.port) == ("/metrics", 8080)
    assert evidence(api, "metrics") == [("/metrics", "internal/server/router.go",
                                         line_of(root, "internal/server/router.go", "promhttp.Handler()"))]
    assert api.depends_on == (Dependency(service="postgres"),)
    env = {e.name: e for e in api.env}
    assert env["LOG_LEVEL"] == EnvVar(name="LOG_LEVEL", default="info")
    assert env["DATABASE_URL"].required and env["DATABASE_URL"].secret
    assert ("LOG_LEVEL", "internal/config/config.go",
            line_of(root, "internal/config/config.go", "LOG_LEVEL")) in evidence(api, "env")
    assert [m.tool for m in api.migrations] == ["golang-migrate"]
    assert api.migrations[0].command[:3] == ("migrate", "-path", "db/migrations")


def test_multi_cmd_worker_and_cli() -> None:
    root = FIXTURES / "go-multi-cmd"
    found = components(root)
    worker, tool = found["worker"], found["migrate-tool"]
    assert worker.ports == () and worker.health is None
    assert worker.depends_on == (Dependency(service="kafka"), Dependency(service="postgres"))
    assert evidence(worker, "kind") == [("worker", "internal/events/consumer.go",
                                         line_of(root, "internal/events/consumer.go", "kafka.NewReader"))]
    assert worker.migrations == (), "migrations run once, from the API's component"
    assert tool.kind == "cli" and tool.ports == () and tool.depends_on == ()
    assert evidence(tool, "kind") == [("cli", "cmd/migrate-tool/main.go",
                                       line_of(root, "cmd/migrate-tool/main.go", "spf13/cobra"))]


def test_grpc_server_port_from_flag_and_grpc_health() -> None:
    root = FIXTURES / "go-grpc"
    found = components(root)
    assert list(found) == ["greeter"]
    greeter = found["greeter"]
    assert (greeter.kind, greeter.framework) == ("service", "grpc")
    assert greeter.ports == (Port(port=50051, name="grpc"),)
    assert ("50051", "cmd/greeter/main.go", line_of(root, "cmd/greeter/main.go", "net.Listen")) in evidence(
        greeter, "ports")
    assert greeter.health == Health(type="grpc", port=50051)
    assert evidence(greeter, "health") == [("grpc:50051", "cmd/greeter/main.go",
                                            line_of(root, "cmd/greeter/main.go", "RegisterHealthServer"))]
    assert greeter.build is not None and greeter.build.base_image == "golang:1.24", "go 1.21 is a minimum"


def test_workspace_service_builds_from_the_workspace_root_and_library_is_not_deployable() -> None:
    root = FIXTURES / "go-workspace"
    inventory, analyses = analyze(root)
    assert [d.root for d in ANALYZER.detect(inventory)] == ["libs/common", "services/users"]
    found = {c.name: c for a in analyses for c in a.components}
    assert sorted(found) == ["common", "users"]
    common, users = found["common"], found["users"]
    assert (common.kind, common.path, common.build, common.run) == ("library", "libs/common", None, None)
    assert (users.kind, users.path, users.framework) == ("service", "services/users", "echo")
    assert users.build is not None
    assert users.build.context == ".", "the go.work root: libs/common must be in the context"
    assert users.build.args == {"MAIN_PACKAGE": ".", "CGO_ENABLED": "0"}, "built from services/users"
    assert users.ports == (Port(port=1323, name="http"),), "resolved through common.GetEnv's fallback"
    env = {e.name: e for e in users.env}
    assert env["PORT"].default == "1323" and env["REDIS_ADDR"].default == "localhost:6379"
    assert "LOG_LEVEL" in env, "read by the imported workspace module"
    assert users.depends_on == (Dependency(service="redis"),)
    assert users.health == Health(type="http", path="/health", port=1323)
    assert all(not a.diagnostics for a in analyses)


@pytest.mark.parametrize("fixture", ["go-gin-api", "go-multi-cmd", "go-grpc", "go-workspace"])
def test_every_field_set_has_evidence_with_a_real_location(fixture: str) -> None:
    root = FIXTURES / fixture
    for component in components(root).values():
        for field in ("kind", "language", "language_version", "framework", "package_manager", "build", "run",
                      "ports", "env", "health", "depends_on", "migrations", "metrics"):
            value = getattr(component, field)
            if value in (None, ()):
                continue
            found = component.evidence_for(field)
            assert found, f"{component.name}.{field} has no evidence"
            for item in found:
                assert item.file is not None and (root / item.file).is_file(), item
                assert item.line is not None and item.line <= len((root / item.file).read_text().splitlines())
        assert {e.value for e in component.evidence_for("env")} >= {e.name for e in component.env}


# --- generated repositories ------------------------------------------------------------------

GO_MOD = "module example.com/shop/{name}\n\ngo 1.22\n"


def single(tmp_path: Path, main: str, extra: dict[str, str] | None = None, name: str = "svc") -> Component:
    root = make_repo(tmp_path, {"go.mod": GO_MOD.format(name=name), "main.go": main, **(extra or {})})
    found = components(root)
    assert len(found) == 1, found
    return next(iter(found.values()))


def test_module_without_main_package_is_a_library(tmp_path: Path) -> None:
    root = make_repo(tmp_path, {"go.mod": "module github.com/acme/retry/v3\n\ngo 1.21\n",
                                "retry.go": "package retry\n\nfunc Do(f func() error) error { return f() }\n"})
    (lib,) = components(root).values()
    assert (lib.name, lib.kind, lib.build, lib.depends_on) == ("retry", "library", None, ())


@pytest.mark.parametrize(("main", "port", "env"), [
    pytest.param('package main\nimport "net/http"\nfunc main() { http.ListenAndServe("0.0.0.0:9000", nil) }\n',
                 9000, None, id="literal-host-port"),
    pytest.param('package main\nimport (\n"fmt"\n"net/http"\n"os"\n)\nfunc main() {\n'
                 'addr := fmt.Sprintf(":%s", getEnv("HTTP_PORT", "8081"))\nhttp.ListenAndServe(addr, nil)\n}\n'
                 'func getEnv(k, d string) string { if v := os.Getenv(k); v != "" { return v }; return d }\n',
                 8081, ("HTTP_PORT", "8081"), id="sprintf-env-helper"),
    pytest.param('package main\nimport (\n"net/http"\n"cmp"\n"os"\n)\nfunc main() {\n'
                 'srv := &http.Server{Addr: ":" + cmp.Or(os.Getenv("PORT"), "3000")}\nsrv.ListenAndServe()\n}\n',
                 3000, ("PORT", "3000"), id="server-literal-cmp-or"),
    pytest.param('package main\nimport (\n"net"\n"net/http"\n"os"\n)\nfunc main() {\n'
                 'port, ok := os.LookupEnv("PORT")\nif !ok {\nport = "7000"\n}\n'
                 'http.ListenAndServe(net.JoinHostPort("", port), nil)\n}\n', 7000, ("PORT", "7000"),
                 id="lookupenv-joinhostport"),
    pytest.param('package main\nimport "github.com/gofiber/fiber/v2"\nfunc main() {\napp := fiber.New()\n'
                 'app.Listen(":3000")\n}\n', 3000, None, id="fiber"),
    pytest.param('package main\nimport "github.com/gin-gonic/gin"\nfunc main() {\nr := gin.Default()\nr.Run()\n}\n',
                 8080, ("PORT", "8080"), id="gin-default-reads-PORT"),
    pytest.param('package main\nimport (\n"net/http"\n"strconv"\n"github.com/spf13/viper"\n)\nfunc main() {\n'
                 'viper.SetDefault("port", 8099)\nviper.AutomaticEnv()\n'
                 'http.ListenAndServe(":"+strconv.Itoa(viper.GetInt("port")), nil)\n}\n', 8099, ("PORT", None),
                 id="viper-default-automatic-env"),
])
def test_listen_address_resolution(tmp_path: Path, main: str, port: int, env: tuple[str, str | None] | None) -> None:
    component = single(tmp_path, main)
    assert component.kind == "service"
    assert component.ports[0].port == port
    if env is not None:
        name, default = env
        assert EnvVar(name=name, default=default or str(port)) in component.env


def test_env_struct_tags_caarlos0_and_envconfig_prefix(tmp_path: Path) -> None:
    config = ('package main\nimport (\n"net/http"\n"github.com/caarlos0/env/v11"\n'
              '"github.com/kelseyhightower/envconfig"\n)\n'
              'type Config struct {\n\tPort int `env:"PORT" envDefault:"8088"`\n'
              '\tAPIKey string `env:"API_KEY,required"`\n}\n'
              'type Legacy struct {\n\tRegion string `envconfig:"REGION" default:"eu"`\n}\n'
              'func main() {\nvar c Config\nenv.Parse(&c)\nvar l Legacy\nenvconfig.Process("shop", &l)\n'
              'http.ListenAndServe(fmt.Sprintf(":%d", c.Port), nil)\n}\n')
    component = single(tmp_path, config)
    env = {e.name: e for e in component.env}
    assert env["PORT"] == EnvVar(name="PORT", default="8088")
    assert env["API_KEY"] == EnvVar(name="API_KEY", secret=True, required=True)
    assert env["SHOP_REGION"].default == "eu"
    assert component.ports[0].port == 8088


def test_cobra_serve_subcommand_is_part_of_the_run_command(tmp_path: Path) -> None:
    component = single(tmp_path, 'package main\nimport "example.com/shop/svc/cmd"\nfunc main() { cmd.Execute() }\n', {
        "cmd/root.go": 'package cmd\nimport "github.com/spf13/cobra"\nvar root = &cobra.Command{Use: "svc"}\n'
                       'func Execute() { root.Execute() }\n',
        "cmd/serve.go": 'package cmd\nimport (\n"net/http"\n"github.com/spf13/cobra"\n)\n'
                        'var serve = &cobra.Command{Use: "serve", RunE: func(*cobra.Command, []string) error {\n'
                        'return http.ListenAndServe(":8000", nil)\n}}\n'})
    assert component.kind == "service" and component.ports == (Port(port=8000, name="http"),)
    assert component.run is not None and component.run.command == ("/app/svc", "serve")


def test_cobra_serve_command_defined_next_to_main(tmp_path: Path) -> None:
    main = ('package main\nimport (\n"net/http"\n"github.com/spf13/cobra"\n)\nfunc main() {\n'
            'root := &cobra.Command{Use: "app"}\nroot.AddCommand(&cobra.Command{Use: "serve", Run: func(*cobra.Command,'
            ' []string) {\nhttp.ListenAndServe(":8000", nil)\n}})\nroot.Execute()\n}\n')
    component = single(tmp_path, main)
    assert component.run is not None and component.run.command == ("/app/svc", "serve")


def test_cgo_keeps_cgo_enabled(tmp_path: Path) -> None:
    component = single(tmp_path, 'package main\nimport (\n"database/sql"\n"net/http"\n'
                                 '_ "github.com/mattn/go-sqlite3"\n)\n'
                                 'func main() { sql.Open("sqlite3", "x.db"); http.ListenAndServe(":8080", nil) }\n')
    assert component.build is not None
    assert component.build.args["CGO_ENABLED"] == "1"
    assert [(e.value, e.file) for e in component.evidence if e.rule == "go.build.cgo-required"] == [("cgo", "main.go")]


def test_procfile_web_overrides_the_run_command(tmp_path: Path) -> None:
    component = single(tmp_path, 'package main\nimport "net/http"\nfunc main() { http.ListenAndServe(":80", nil) }\n',
                       {"Procfile": "web: bin/svc -addr :$PORT\n"})
    assert component.run is not None and component.run.command == ("bin/svc -addr :$PORT",) and component.run.shell
    assert [(e.confidence, e.file, e.line) for e in component.evidence_for("run")] == [(0.95, "Procfile", 1)]


def test_plain_program_without_listener_is_a_cli_and_a_consumer_is_a_worker(tmp_path: Path) -> None:
    assert single(tmp_path / "a", 'package main\nimport "fmt"\nfunc main() { fmt.Println("hi") }\n').kind == "cli"
    worker = single(tmp_path / "b", 'package main\nimport "github.com/nats-io/nats.go"\nfunc main() {\n'
                                    'nc, _ := nats.Connect(nats.DefaultURL)\n'
                                    'nc.Subscribe("jobs", handle)\nselect {}\n}\n')
    assert worker.kind == "worker" and worker.depends_on == (Dependency(service="nats"),)


def test_single_main_with_a_generic_directory_name_is_named_after_the_module(tmp_path: Path) -> None:
    root = make_repo(tmp_path, {"go.mod": "module github.com/acme/billing\n\ngo 1.22\n",
                                "cmd/server/main.go": 'package main\nimport "net/http"\n'
                                                      'func main() { http.ListenAndServe(":8080", nil) }\n'})
    assert list(components(root)) == ["billing"]


def test_broken_go_mod_is_a_diagnostic_and_the_analysis_goes_on(tmp_path: Path) -> None:
    root = make_repo(tmp_path, {"go.mod": "module example.com/x\n\ngo 1.22\n\nrequire (\n\tgithub.com/a/b\n)\n",
                                "main.go": 'package main\nimport "net/http"\n'
                                           'func main() { http.ListenAndServe(":8080", nil) }\n'})
    _inventory, (analysis,) = analyze(root)
    assert [(d.code, d.file, d.line) for d in analysis.diagnostics] == [("go.mod.syntax", "go.mod", 6)]
    (component,) = analysis.components
    assert component.language_version == "1.22" and component.ports[0].port == 8080


def test_missing_go_sum_is_warned_about(tmp_path: Path) -> None:
    root = make_repo(tmp_path, {"go.mod": "module example.com/x\n\ngo 1.22\n\nrequire github.com/a/b v1.0.0\n",
                                "main.go": "package main\nfunc main() {}\n"})
    _inventory, (analysis,) = analyze(root)
    assert [(d.code, d.line) for d in analysis.diagnostics] == [("go.sum.missing", 5)]


def test_code_without_go_mod_is_still_go(tmp_path: Path) -> None:
    root = make_repo(tmp_path, {"server.go": 'package main\nimport "net/http"\n'
                                             'func main() { http.ListenAndServe(":5000", nil) }\n'})
    (component,) = components(root).values()
    assert (component.language, component.package_manager, component.ports[0].port) == ("go", None, 5000)


def test_tooling_modules_are_not_detected(tmp_path: Path) -> None:
    root = make_repo(tmp_path, {"go.mod": GO_MOD.format(name="x"), "x.go": "package x\n",
                                "examples/demo/go.mod": "module demo\n", "tools/go.mod": "module tools\n",
                                "_archive/go.mod": "module old\n"})
    assert [d.root for d in ANALYZER.detect(scan(root))] == ["."]


def test_controller_runtime_manager_is_a_worker_with_probe_and_metrics_ports(tmp_path: Path) -> None:
    main = ('package main\nimport (\n"flag"\nctrl "sigs.k8s.io/controller-runtime"\n'
            'metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"\n)\nfunc main() {\n'
            'var metricsAddr, probeAddr string\n'
            'flag.StringVar(&metricsAddr, "metrics-bind-address", ":8080", "metrics")\n'
            'flag.StringVar(&probeAddr, "health-probe-bind-address", ":8081", "probes")\nflag.Parse()\n'
            'mgr, _ := ctrl.NewManager(ctrl.GetConfigOrDie(), ctrl.Options{\n'
            '\tMetrics: metricsserver.Options{BindAddress: metricsAddr},\n\tHealthProbeBindAddress: probeAddr,\n})\n'
            'mgr.Start(ctrl.SetupSignalHandler())\n}\n')
    operator = single(tmp_path, main)
    assert operator.kind == "worker"
    assert operator.ports == (Port(port=8080, name="metrics"), Port(port=8081, name="probe"))
    assert operator.health == Health(type="http", path="/healthz", port=8081)
    assert operator.metrics is not None and operator.metrics.port == 8080


def test_consumer_with_a_metrics_endpoint_stays_a_worker(tmp_path: Path) -> None:
    main = ('package main\nimport (\n"net/http"\n"github.com/prometheus/client_golang/prometheus/promhttp"\n'
            '"github.com/segmentio/kafka-go"\n)\nfunc main() {\n'
            'go http.ListenAndServe(":2112", promhttp.Handler())\n'
            'r := kafka.NewReader(kafka.ReaderConfig{Topic: "t"})\nfor {\nr.ReadMessage(ctx)\n}\n}\n')
    worker = single(tmp_path, main)
    assert worker.kind == "worker"
    assert worker.ports == (Port(port=2112, name="metrics"),)
    assert worker.metrics is not None and worker.metrics.port == 2112


def test_exporter_listen_address_comes_from_the_flag_default(tmp_path: Path) -> None:
    main = ('package main\nimport (\n"net/http"\n"github.com/alecthomas/kingpin/v2"\n'
            '"github.com/prometheus/exporter-toolkit/web"\n"github.com/prometheus/exporter-toolkit/web/kingpinflag"\n'
            ')\nfunc main() {\nflags := kingpinflag.AddFlags(kingpin.CommandLine, ":9100")\nkingpin.Parse()\n'
            'web.ListenAndServe(&http.Server{}, flags, nil)\n}\n')
    exporter = single(tmp_path, main)
    assert exporter.kind == "service" and exporter.ports == (Port(port=9100, name="http"),)
    assert exporter.evidence_for("ports")[0].rule == "go.flag.listen-default"


def test_go_zero_port_comes_from_the_service_config(tmp_path: Path) -> None:
    main = ('package main\nimport (\n"flag"\n"github.com/zeromicro/go-zero/core/conf"\n'
            '"github.com/zeromicro/go-zero/rest"\n)\nvar configFile = flag.String("f", "etc/greet.yaml", "config")\n'
            'func main() {\nvar c rest.RestConf\nconf.MustLoad(*configFile, &c)\n'
            'server := rest.MustNewServer(c)\nserver.Start()\n}\n')
    service = single(tmp_path, main, {"etc/greet.yaml": "Name: greet\nHost: 0.0.0.0\nPort: 8888\nDB:\n  Port: 5432\n"})
    assert (service.kind, service.framework, service.ports) == ("service", "go-zero", (Port(port=8888, name="http"),))
    assert ("8888", "etc/greet.yaml", 3) in evidence(service, "ports")


def test_concatenated_address_takes_the_env_var_of_the_port_part(tmp_path: Path) -> None:
    main = ('package main\nimport (\n"net/http"\n"os"\n)\nconst port = "8080"\nconst envPort = "PORT"\n'
            'func main() {\nsrvPort := port\nif os.Getenv(envPort) != "" {\nsrvPort = os.Getenv(envPort)\n}\n'
            'addr := os.Getenv("LISTEN_ADDR")\nmustMapEnv(&target, "CATALOG_ADDR")\n'
            'http.ListenAndServe(addr+":"+srvPort, nil)\n}\n')
    frontend = single(tmp_path, main)
    env = {e.name: e for e in frontend.env}
    assert frontend.ports == (Port(port=8080, name="http"),)
    assert env["LISTEN_ADDR"].default is None, "the host part is not the port"
    assert env["PORT"].default == "8080" and "CATALOG_ADDR" in env


def test_local_replace_outside_the_module_widens_the_build_context(tmp_path: Path) -> None:
    root = make_repo(tmp_path, {
        "services/api/go.mod": "module example.com/api\n\ngo 1.22\n\nrequire example.com/shared v0.0.0\n\n"
                               "replace example.com/shared => ../../shared\n",
        "services/api/go.sum": "",
        "services/api/cmd/api/main.go": 'package main\nimport (\n"net/http"\n"example.com/shared"\n)\n'
                                        'func main() { http.ListenAndServe(shared.Addr, nil) }\n',
        "shared/go.mod": "module example.com/shared\n\ngo 1.22\n",
        "shared/addr.go": 'package shared\n\n// Addr is where every service listens.\nconst Addr = ":9000"\n',
    })
    found = components(root)
    api = found["api"]
    assert api.build is not None and api.build.context == "."
    assert api.build.build[0] == "go build -trimpath -ldflags='-s -w' -o /out/api ./cmd/api"
    assert api.build.args == {"MAIN_PACKAGE": "./cmd/api", "CGO_ENABLED": "0"}
    assert api.ports == (Port(port=9000, name="http"),), "resolved in the replaced module"
    assert found["shared"].kind == "library"


def test_config_struct_port_is_read_from_the_config_file_at_the_same_key(tmp_path: Path) -> None:
    main = ('package main\nimport (\n"fmt"\n"net/http"\n)\ntype Config struct {\n\tServer struct{ HTTPPort int }\n}\n'
            'func main() {\nvar cfg Config\nload("config/config.yaml", &cfg)\n'
            'http.ListenAndServe(fmt.Sprintf(":%d", cfg.Server.HTTPPort), nil)\n}\n')
    service = single(tmp_path, main, {"config/config.yaml": "database:\n  port: 5432\nserver:\n  http_port: 8090\n"})
    assert service.ports == (Port(port=8090, name="http"),), "server.http_port, not database.port"
    assert ("8090", "config/config.yaml", 4) in evidence(service, "ports")


def test_config_struct_port_unmarshalled_by_viper_uses_its_default(tmp_path: Path) -> None:
    main = ('package main\nimport (\n"fmt"\n"net/http"\n"github.com/spf13/viper"\n)\n'
            'func main() {\nviper.SetDefault("server.port", 7001)\nvar cfg Config\nviper.Unmarshal(&cfg)\n'
            'http.ListenAndServe(fmt.Sprintf(":%d", cfg.Server.Port), nil)\n}\n')
    assert single(tmp_path, main).ports == (Port(port=7001, name="http"),)


def test_kratos_servers_take_their_addresses_from_the_nested_config(tmp_path: Path) -> None:
    main = ('package main\nimport (\n"github.com/go-kratos/kratos/v2/transport/grpc"\n'
            '"github.com/go-kratos/kratos/v2/transport/http"\n)\nfunc newServers(c *conf.Server) {\n'
            'http.NewServer(http.Address(c.Http.Addr))\ngrpc.NewServer(grpc.Address(c.Grpc.Addr))\n}\n'
            'func main() { newServers(nil) }\n')
    config = "server:\n  http:\n    addr: 0.0.0.0:8000\n  grpc:\n    addr: 0.0.0.0:9000\ndata:\n  port: 1\n"
    service = single(tmp_path, main, {"configs/config.yaml": config})
    assert service.framework == "kratos"
    assert service.ports == (Port(port=8000, name="http"), Port(port=9000, name="grpc"))
    assert ("9000", "configs/config.yaml", 5) in evidence(service, "ports")


def test_graceful_restart_wrappers_listen_like_net_http(tmp_path: Path) -> None:
    main = ('package main\nimport (\n"fmt"\n"github.com/fvbock/endless"\n)\n'
            'func main() { endless.ListenAndServe(fmt.Sprintf(":%d", 4242), router()) }\n')
    assert single(tmp_path, main).ports == (Port(port=4242, name="http"),)


def test_go_mod_without_go_code_is_no_component(tmp_path: Path) -> None:
    root = make_repo(tmp_path, {"go.mod": "module github.com/acme/site\n\ngo 1.22\n",
                                "hugo.toml": "title = 'site'\n", "content/_index.md": "# hi\n"})
    _inventory, (analysis,) = analyze(root)
    assert analysis.components == []


def test_samples_and_generators_are_not_components(tmp_path: Path) -> None:
    listen = 'package main\nimport "net/http"\nfunc main() { http.ListenAndServe(":8080", nil) }\n'
    root = make_repo(tmp_path, {"go.mod": GO_MOD.format(name="lib"), "lib.go": "package lib\n",
                                "samples/server/main.go": listen, "internal/gen/main.go": listen,
                                "cmd/lib/main.go": 'package main\nimport "fmt"\nfunc main() { fmt.Println(1) }\n'})
    assert {n: c.kind for n, c in components(root).items()} == {"lib": "cli"}


SERVER_WITH_PG = ('package main\nimport (\n"net/http"\n_ "github.com/lib/pq"\n)\n'
                  'func main() { http.ListenAndServe(":8080", nil) }\n')


@pytest.mark.parametrize(("files", "command"), [
    pytest.param({"db/migrations/00001_init.sql": "-- +goose Up\nCREATE TABLE t (id int);\n"},
                 ("goose", "-dir", "db/migrations", "postgres", "$(DATABASE_URL)", "up"), id="goose-annotations"),
    pytest.param({"atlas.hcl": 'env "prod" {}\n', "migrations/20240101_init.sql": "CREATE TABLE t (id int);\n",
                  "migrations/atlas.sum": "h1:abc=\n"},
                 ("atlas", "migrate", "apply", "--dir", "file://migrations", "--url", "$(DATABASE_URL)"), id="atlas"),
    pytest.param({"sql/migration/1_init.up.sql": "CREATE TABLE t (id int);\n"},
                 ("migrate", "-path", "sql/migration", "-database", "$(DATABASE_URL)", "up"),
                 id="golang-migrate-files"),
])
def test_migration_tools(tmp_path: Path, files: dict[str, str], command: tuple[str, ...]) -> None:
    service = single(tmp_path, SERVER_WITH_PG, files)
    assert [m.command for m in service.migrations] == [command]
    assert evidence(service, "migrations")[0][1] in files


def test_direct_requirements_used_outside_the_import_walk_still_count(tmp_path: Path) -> None:
    go_mod = ("module example.com/shop/svc\n\ngo 1.22\n\nrequire (\n\tgithub.com/jackc/pgx/v5 v5.6.0\n"
              "\tgithub.com/redis/go-redis/v9 v9.5.1\n)\n")
    root = make_repo(tmp_path, {
        "go.mod": go_mod, "go.sum": "",
        "main.go": 'package main\nimport "net/http"\nfunc main() { http.ListenAndServe(":8080", nil) }\n',
        "internal/db/db.go": 'package db\nimport _ "github.com/jackc/pgx/v5/stdlib"\n',
        "internal/cache/cache_test.go": 'package cache\nimport _ "github.com/redis/go-redis/v9"\n',
    })
    (service,) = components(root).values()
    assert service.depends_on == (Dependency(service="postgres"),), "redis is only imported by a test"
    assert evidence(service, "depends_on") == [("postgres", "go.mod", 6)]


def test_web_framework_without_a_visible_listener_gets_the_conventional_port(tmp_path: Path) -> None:
    main = ('package main\nimport (\n"github.com/labstack/echo/v4"\n"github.com/acme/platform/boot"\n)\n'
            'func main() {\ne := echo.New()\nboot.Serve(e)\n}\n')
    service = single(tmp_path, main)
    assert (service.kind, service.framework, service.ports) == ("service", "echo", (Port(port=8080, name="http"),))
    assert [(e.rule, e.confidence) for e in service.evidence_for("ports")] == [("go.port.conventional-default", 0.3)]


def test_address_env_var_falls_back_to_a_constant(tmp_path: Path) -> None:
    main = ('package main\nimport (\n"os"\n"github.com/labstack/echo/v4"\n)\nconst defaultAddress = ":9090"\n'
            'func main() {\ne := echo.New()\naddress := os.Getenv("SERVER_ADDRESS")\nif address == "" {\n'
            'address = defaultAddress\n}\ne.Start(os.Getenv("SERVER_ADDRESS"))\n}\n')
    service = single(tmp_path, main)
    assert service.ports == (Port(port=9090, name="http"),)
    assert EnvVar(name="SERVER_ADDRESS", default=":9090") in service.env


def test_address_env_var_without_fallback_gets_an_address_shaped_default(tmp_path: Path) -> None:
    main = ('package main\nimport (\n"net/http"\n"os"\n)\n'
            'func main() { http.ListenAndServe(os.Getenv("LISTEN_ADDR"), nil) }\n')
    service = single(tmp_path, main)
    assert service.ports == (Port(port=8080, name="http"),)
    assert EnvVar(name="LISTEN_ADDR", default=":8080") in service.env


def test_distinctive_config_key_is_found_in_an_ini_section(tmp_path: Path) -> None:
    main = ('package main\nimport (\n"fmt"\n"net/http"\n"github.com/gin-gonic/gin"\n)\nfunc main() {\n'
            'router := gin.New()\nendPoint := fmt.Sprintf(":%d", setting.ServerSetting.HttpPort)\n'
            'server := &http.Server{Addr: endPoint, Handler: router}\nserver.ListenAndServe()\n}\n')
    ini = "[app]\nPageSize = 10\n\n[server]\nRunMode = debug\nHttpPort = 8000\n\n[database]\nPort = 3306\n"
    service = single(tmp_path, main, {"conf/app.ini": ini})
    assert service.ports == (Port(port=8000, name="http"),)
    assert ("8000", "conf/app.ini", 6) in evidence(service, "ports")


# --- units ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "port"), [(":8080", 8080), ("0.0.0.0:80", 80), ("[::]:9090", 9090),
                                            ("localhost:3000", 3000), ("8443", 8443), (":0", None),
                                            (":99999", None), ("localhost", None), ("", None)])
def test_port_in_address_literals(text: str, port: int | None) -> None:
    assert port_in(text) == port


def test_resolver_prefers_the_nearest_assignment_before_the_use() -> None:
    code = ('package main\nfunc db() { addr := "db:5432"; use(addr) }\n'
            'func main() {\naddr := ":8080"\nhttp.ListenAndServe(addr, nil)\n}\n')
    go = parse_go(code, "main.go")
    assert go is not None
    facts = package_facts(".", [go])
    resolved = Resolver(facts, [facts]).resolve("addr", Site("main.go", 5))
    assert (resolved.port, resolved.port_site) == (8080, Site("main.go", 4))


def test_resolver_survives_self_reference() -> None:
    go = parse_go("package main\nvar a = b\nvar b = fmt.Sprint(a)\n", "main.go")
    assert go is not None
    facts = package_facts(".", [go])
    assert Resolver(facts, [facts]).resolve("a", Site("main.go", 2)).port is None


_GO_PIECES = st.sampled_from([
    "package main\n", "func main() {", "}", "import (", ")", '"net/http"', "http.ListenAndServe(", ":8080", '":80"',
    "os.Getenv(", '"PORT"', "fmt.Sprintf(", ",", "+", "port", ":=", "=", "`", '"', "//", "/*", "*/", "\n", "{",
    "r.Run(", "cfg.Port", "Addr:", "&http.Server{", "flag.Int(", "env:\"X\"", "getEnv(", "\\",
])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=400), st.lists(_GO_PIECES, max_size=80).map("".join)))
def test_go_source_scans_never_raise(text: str) -> None:
    go = parse_go(text, "main.go")
    if go is None:
        return
    facts = package_facts(".", [go])
    resolver = Resolver(facts, [facts])
    for listener in facts.listeners:
        if listener.address:
            resolver.resolve(listener.address, listener.site)


_TREE_FILES = ("go.mod", "go.work", "main.go", "server.go", "Procfile", ".env.example", "config.yaml", "app.conf",
               "0001.up.sql", "go.sum")
_TREE_DIRS = ("", "cmd/api", "internal/x", "services/a", "etc", "conf", "migrations", "tools/t", "_x")
_TREE_TEXTS = (
    "module example.com/x\n\ngo 1.22\nrequire (\n\tgithub.com/gin-gonic/gin v1\n)\nreplace a => ../b\n",
    "go 1.22\nuse (\n ./services/a\n ../../etc\n /abs\n)\n",
    'package main\nimport (\n"net/http"\n"os"\n"github.com/gin-gonic/gin"\n)\nfunc main() {\n'
    'port := os.Getenv("PORT")\nif port == "" { port = "8080" }\nr := gin.Default()\nr.GET("/healthz", nil)\n'
    'r.Run(":" + port)\nhttp.ListenAndServe(fmt.Sprintf(":%d", cfg.Server.Port), nil)\n}\n',
    "server:\n  port: 99999\n  http:\n    addr: x:1\n", "Port: 8888\n", "web: ./bin/x\n", "httpport = 8080\n",
    'package main\nimport "github.com/zeromicro/go-zero/rest"\nfunc main() { rest.MustNewServer(c) }\n',
)


def _contents() -> st.SearchStrategy[bytes]:
    cut = st.sampled_from(_TREE_TEXTS).flatmap(lambda s: st.integers(0, len(s)).map(lambda n: s[:n].encode()))
    return st.one_of(cut, st.text(max_size=200).map(str.encode), st.binary(max_size=100))


@settings(max_examples=120, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.dictionaries(st.tuples(st.sampled_from(_TREE_DIRS), st.sampled_from(_TREE_FILES)), _contents(), max_size=10))
def test_arbitrary_go_trees_analyze_without_raising(tmp_path_factory: pytest.TempPathFactory,
                                                    tree: dict[tuple[str, str], bytes]) -> None:
    root = tmp_path_factory.mktemp("repo")
    for (folder, name), data in tree.items():
        (root / folder).mkdir(parents=True, exist_ok=True)
        (root / folder / name).write_bytes(data)
    inventory = scan(root)
    for detection in ANALYZER.detect(inventory):
        analysis = ANALYZER.analyze(inventory, detection)
        assert all(c.analyzer == "go" and c.path == detection.root for c in analysis.components)
        assert len({c.name for c in analysis.components}) == len(analysis.components)
