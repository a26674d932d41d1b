from fastapi import FastAPI
from prometheus_fastapi_instrumentator import Instrumentator

from shop_api.settings import settings

app = FastAPI(title="shop")
Instrumentator().instrument(app).expose(app)


@app.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/orders")
def orders() -> list[dict[str, str]]:
    return [{"id": "1", "db": settings.database_url.split("@")[-1]}]
