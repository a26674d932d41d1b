"""Which Go import paths mean what: web frameworks, backing services, CLIs, consumers, cgo."""

from __future__ import annotations

import re

ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

#: Import path prefix → framework name (web frameworks first: they win over net/http and grpc).
FRAMEWORKS: tuple[tuple[str, str], ...] = (
    ("github.com/gin-gonic/gin", "gin"),
    ("github.com/labstack/echo", "echo"),
    ("github.com/gofiber/fiber", "fiber"),
    ("github.com/go-chi/chi", "chi"),
    ("github.com/gorilla/mux", "gorilla/mux"),
    ("github.com/beego/beego", "beego"),
    ("github.com/astaxie/beego", "beego"),
    ("github.com/kataras/iris", "iris"),
    ("github.com/cloudwego/hertz", "hertz"),
    ("github.com/julienschmidt/httprouter", "httprouter"),
    ("github.com/valyala/fasthttp", "fasthttp"),
    ("github.com/zeromicro/go-zero/rest", "go-zero"),
    ("github.com/zeromicro/go-zero/zrpc", "go-zero"),
    ("github.com/go-kratos/kratos", "kratos"),
    ("github.com/gobuffalo/buffalo", "buffalo"),
    ("github.com/urfave/negroni", "negroni"),
    ("github.com/go-martini/martini", "martini"),
)
#: Routers that mount on net/http: an ``http.ListenAndServe`` is their listener.
NET_HTTP_ROUTERS = frozenset({"chi", "gorilla/mux", "httprouter"})
#: Import path prefix → backing service the code talks to.
SERVICES: tuple[tuple[str, str], ...] = (
    ("github.com/lib/pq", "postgres"), ("github.com/jackc/pgx", "postgres"), ("github.com/jackc/pgconn", "postgres"),
    ("gorm.io/driver/postgres", "postgres"), ("github.com/go-pg/pg", "postgres"),
    ("github.com/uptrace/bun/driver/pgdriver", "postgres"), ("github.com/uptrace/bun/dialect/pgdialect", "postgres"),
    ("github.com/go-sql-driver/mysql", "mysql"), ("gorm.io/driver/mysql", "mysql"),
    ("github.com/go-redis/redis", "redis"), ("github.com/redis/go-redis", "redis"),
    ("github.com/gomodule/redigo", "redis"), ("github.com/garyburd/redigo", "redis"),
    ("github.com/redis/rueidis", "redis"), ("github.com/hibiken/asynq", "redis"),
    ("go.mongodb.org/mongo-driver", "mongodb"), ("gopkg.in/mgo.v2", "mongodb"),
    ("github.com/globalsign/mgo", "mongodb"),
    ("github.com/segmentio/kafka-go", "kafka"), ("github.com/IBM/sarama", "kafka"),
    ("github.com/Shopify/sarama", "kafka"),
    ("github.com/confluentinc/confluent-kafka-go", "kafka"), ("github.com/twmb/franz-go", "kafka"),
    ("github.com/rabbitmq/amqp091-go", "rabbitmq"), ("github.com/streadway/amqp", "rabbitmq"),
    ("github.com/elastic/go-elasticsearch", "elasticsearch"), ("github.com/olivere/elastic", "elasticsearch"),
    ("gopkg.in/olivere/elastic", "elasticsearch"),
    ("github.com/aws/aws-sdk-go-v2/service/s3", "s3"), ("github.com/aws/aws-sdk-go/service/s3", "s3"),
    ("github.com/minio/minio-go", "s3"),
    ("github.com/nats-io/nats.go", "nats"), ("github.com/nats-io/go-nats", "nats"),
    ("github.com/bradfitz/gomemcache", "memcached"),
)
#: Libraries whose programs are command-line tools unless something else says otherwise.
CLI_LIBRARIES: tuple[str, ...] = (
    "github.com/spf13/cobra", "github.com/urfave/cli", "github.com/alecthomas/kong", "github.com/peterbourgon/ff",
    "github.com/jessevdk/go-flags", "github.com/alecthomas/kingpin", "gopkg.in/alecthomas/kingpin.v2",
)
#: Libraries that make a long-running consumer (a worker) when their receive loop is called.
MESSAGING_LIBRARIES: tuple[str, ...] = (
    "github.com/segmentio/kafka-go", "github.com/IBM/sarama", "github.com/Shopify/sarama",
    "github.com/confluentinc/confluent-kafka-go", "github.com/twmb/franz-go", "github.com/nats-io/nats.go",
    "github.com/rabbitmq/amqp091-go", "github.com/streadway/amqp", "github.com/aws/aws-sdk-go-v2/service/sqs",
    "github.com/aws/aws-sdk-go/service/sqs", "cloud.google.com/go/pubsub", "github.com/hibiken/asynq",
    "go.temporal.io/sdk/worker", "github.com/robfig/cron", "github.com/go-co-op/gocron",
    "github.com/ThreeDotsLabs/watermill", "github.com/RichardKnop/machinery", "github.com/redis/go-redis",
    "github.com/go-redis/redis",
)
#: Imports that need cgo (the generated build must not set CGO_ENABLED=0).
CGO_LIBRARIES: tuple[str, ...] = ("C", "github.com/mattn/go-sqlite3", "github.com/confluentinc/confluent-kafka-go")
GRPC = "google.golang.org/grpc"
CONTROLLER_RUNTIME = "sigs.k8s.io/controller-runtime"
GRPC_HEALTH = ("google.golang.org/grpc/health/grpc_health_v1", "google.golang.org/grpc/health")

#: Last path segments that name a health endpoint, most specific first.
HEALTH_NAMES: tuple[str, ...] = ("healthz", "health", "_healthz", "_health", "livez", "healthcheck", "health-check",
                                 "health_check", "readyz", "ready", "liveness", "readiness", "live", "alive", "ping")
