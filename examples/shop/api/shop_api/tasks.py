import os

from celery import Celery

celery = Celery("shop", broker=os.environ.get("REDIS_URL", "redis://localhost:6379/0"))


@celery.task
def send_receipt(order_id: str) -> str:
    return order_id
