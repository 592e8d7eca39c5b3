"""A small Python Celery app (Debian's celery 5.2.6) for the Java interop tests.

Configured from the environment:
  CELERY_BROKER_URL      e.g. amqp://guest:guest@127.0.0.1:5672//
  CELERY_RESULT_BACKEND  e.g. redis://127.0.0.1:6379/0
Its tasks are routed to the queue "py", so a Java worker on "celery" never sees them.
Run a worker with:  python3 -m celery -A pyapp worker -Q py -P threads
"""
import os
import time

from celery import Celery

app = Celery("pyapp", broker=os.environ["CELERY_BROKER_URL"], backend=os.environ["CELERY_RESULT_BACKEND"])
app.conf.update(
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    result_accept_content=["json"],
    task_routes={"py.*": {"queue": "py"}},
    worker_prefetch_multiplier=1,
    task_acks_late=True,
    # A 5.3+ setting; 5.2 ignores it and retries on startup anyway (broker_connection_retry).
    broker_connection_retry_on_startup=True,
)


@app.task(name="py.mul")
def mul(a, b):
    return a * b


@app.task(name="py.fail")
def fail(message):
    raise ValueError(message)


@app.task(name="py.echo")
def echo(*args, **kwargs):
    return {"args": args, "kwargs": kwargs}


@app.task(name="py.sleep")
def sleep(seconds):
    time.sleep(seconds)
    return seconds


@app.task(name="py.xsum")
def xsum(numbers):
    return sum(numbers)
