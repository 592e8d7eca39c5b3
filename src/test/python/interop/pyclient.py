"""Command-line Celery client for the Java interop tests: prints exactly one JSON object on stdout.

  call NAME ARGS KWARGS OPTIONS TIMEOUT   send_task(...) then get(); OPTIONS: countdown, expires, time_limit,
                                          soft_time_limit, queue, priority, task_id, ignore_result, ...
  send NAME ARGS KWARGS OPTIONS           send only: {"id": ...}
  get ID TIMEOUT                          like call, for an existing id
  watch ID SECONDS                        the distinct (state, info) pairs seen, polling every 50 ms
  chain LINKS TIMEOUT                     chain(*[signature(name, args)]) from [[name, args], ...], then get()
  canvas EXPR TIMEOUT                     evaluates EXPR, a canvas written with chain, group, chord and s (Celery's
                                          signature by name: s('add', 2, 2)), applies it and waits for its result
  ping TIMEOUT                            control ping: {"replies": {...}}
  roundtrip NAME ARGS N                   N sequential send_task().get() after 20 warm-ups: p50/p90/mean in ms
  events SECONDS                          the Celery events received for SECONDS (at most 500, after waking the
                                          workers with a heartbeat broadcast): {"events": [{"type", "hostname",
                                          "uuid" (null for worker events), "fields": sorted keys}, ...]}

ARGS, KWARGS and OPTIONS are JSON. An error inside a command is reported in the JSON (exit 0); only a usage
error exits non-zero.
"""
import json
import socket
import statistics
import sys
import time

from celery import states
from celery.exceptions import TimeoutError as CeleryTimeout
from celery.result import AsyncResult

from pyapp import app


def safe(value):
    """value made JSON-safe: exceptions as {"exc_type", "message"}, anything unknown as its repr."""
    if isinstance(value, BaseException):
        return {"exc_type": type(value).__name__, "message": str(value)}
    return json.loads(json.dumps(value, default=repr))


def failure(result, e):
    out = {"id": result.id if result else None, "state": None, "exc_type": type(e).__name__,
           "exc_module": type(e).__module__, "message": str(e), "args": safe(list(e.args)), "traceback": None}
    if result is not None:
        try:
            out["state"], out["traceback"] = getattr(result, "state", None), getattr(result, "traceback", None)
        except Exception as read_error:  # the backend itself failed: keep the first error
            out["backend_error"] = repr(read_error)
    return out


def wait(result, timeout):
    try:
        value = result.get(timeout=timeout, propagate=True)
        # A GroupResult has no state of its own.
        return {"id": result.id, "state": getattr(result, "state", None), "result": safe(value)}
    except CeleryTimeout:
        return {"id": result.id, "state": getattr(result, "state", None), "timeout": True}
    except Exception as e:
        return failure(result, e)


def send(name, args, kwargs, options):
    return app.send_task(name, args=json.loads(args), kwargs=json.loads(kwargs), **json.loads(options))


def call(name, args, kwargs, options, timeout):
    try:
        result = send(name, args, kwargs, options)
    except Exception as e:
        return failure(None, e)
    return wait(result, float(timeout))


def send_only(name, args, kwargs, options):
    return {"id": send(name, args, kwargs, options).id}


def get(task_id, timeout):
    return wait(AsyncResult(task_id, app=app), float(timeout))


def watch(task_id, seconds):
    seen, meta = [], None
    deadline = time.monotonic() + float(seconds)
    while True:
        meta = app.backend.get_task_meta(task_id)  # one read: state and info always belong together
        pair = {"state": meta["status"], "info": safe(meta["result"])}
        if not seen or seen[-1] != pair:
            seen.append(pair)
        if meta["status"] in states.READY_STATES or time.monotonic() >= deadline:
            break
        time.sleep(0.05)
    final = {"state": meta["status"]}
    if isinstance(meta["result"], BaseException):
        e = meta["result"]
        final.update(exc_type=type(e).__name__, exc_module=type(e).__module__, message=str(e),
                     args=safe(list(e.args)), traceback=meta.get("traceback"))
    else:
        final["result"] = safe(meta["result"])
    return {"seen": seen, "final": final}


def chain_call(links, timeout):
    """links: [[name, args], ...]; each link's result is prepended to the next one's args, as Celery chains do."""
    from celery import chain
    try:
        result = chain(*[app.signature(name, args=args) for name, args in json.loads(links)]).apply_async()
    except Exception as e:
        return failure(None, e)
    return wait(result, float(timeout))


def canvas_call(expression, timeout):
    from celery import chain, chord, group
    names = {"chain": chain, "chord": chord, "group": group,
             "s": lambda name, *args, **kwargs: app.signature(name, args=args, kwargs=kwargs),
             "si": lambda name, *args, **kwargs: app.signature(name, args=args, kwargs=kwargs, immutable=True)}
    try:
        # Globals, not locals: a comprehension in the expression sees only globals.
        result = eval(expression, {"__builtins__": {"range": range}, **names}).apply_async()
    except Exception as e:
        return failure(None, e)
    return wait(result, float(timeout))


def ping(timeout):
    return {"replies": app.control.inspect(timeout=float(timeout)).ping() or {}}


def roundtrip(name, args, n):
    args, n = json.loads(args), int(n)
    times = []
    for i in range(20 + n):
        start = time.perf_counter()
        app.send_task(name, args=args).get(timeout=30)
        if i >= 20:
            times.append((time.perf_counter() - start) * 1000)
    deciles = statistics.quantiles(times, n=10, method="inclusive")
    return {"n": n, "p50_ms": round(deciles[4], 3), "p90_ms": round(deciles[8], 3),
            "mean_ms": round(statistics.fmean(times), 3)}


def events(seconds):
    seen, limit = [], 500
    deadline = time.monotonic() + float(seconds)

    def on_event(event):
        if len(seen) < limit:
            seen.append({"type": event.get("type"), "hostname": event.get("hostname"), "uuid": event.get("uuid"),
                         "fields": sorted(event)})

    with app.connection_for_read() as connection:
        receiver = app.events.Receiver(connection, handlers={"*": on_event})

        def stop_when_due():  # checked before each (at most 1 s) wait for a message; the timeout covers silence
            receiver.should_stop = len(seen) >= limit or time.monotonic() >= deadline

        receiver.on_iteration = stop_when_due
        try:
            receiver.capture(limit=None, timeout=float(seconds), wakeup=True)
        except socket.timeout:  # no event at all for SECONDS
            pass
    return {"events": seen}


COMMANDS = {"call": (call, 5), "chain": (chain_call, 2), "canvas": (canvas_call, 2), "send": (send_only, 4), "get": (get, 2), "watch": (watch, 2), "ping": (ping, 1),
            "roundtrip": (roundtrip, 3), "events": (events, 1)}


def main(argv):
    if len(argv) < 2 or argv[1] not in COMMANDS or len(argv) - 2 != COMMANDS[argv[1]][1]:
        print(json.dumps({"error": "usage", "argv": argv[1:], "help": __doc__}))
        return 2
    command = COMMANDS[argv[1]][0]
    try:
        out = command(*argv[2:])
    except Exception as e:
        out = {"error": repr(e), "exc_type": type(e).__name__, "exc_module": type(e).__module__, "message": str(e)}
    print(json.dumps(out))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
