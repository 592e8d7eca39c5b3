"""Celery configured as Flask's guide "Background Tasks with Celery" configures it, for scripts/bench --vs-celery.

The guide's settings: JSON, results in Redis, task_ignore_result=True with the task that returns a value keeping its
result (ignore_result=False). Everything else is Celery 5.2's default, as a user who follows the guide gets it: early
acks (before the task runs), a prefetch multiplier of 4, no STARTED state (task_track_started is off).
Run a worker with:  python3 -m celery -A flaskguide worker --concurrency 2   (prefork, the default pool)
Configured from the environment: CELERY_BROKER_URL, CELERY_RESULT_BACKEND.
"""
import os

from celery import Celery

app = Celery("flaskguide")
app.conf.update(
    broker_url=os.environ["CELERY_BROKER_URL"],
    result_backend=os.environ["CELERY_RESULT_BACKEND"],
    task_ignore_result=True,
)


# The guide's add_together, under the name Celeriac's example gives the same task.
@app.task(name="add", ignore_result=False)
def add(a, b):
    return a + b
