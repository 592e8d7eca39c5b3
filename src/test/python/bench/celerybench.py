"""The Python side of scripts/bench --vs-celery: prints exactly one JSON object on stdout.

  send N PREFIX       sends N add(i, 1) tasks with the ids PREFIX-0 .. PREFIX-(N-1), as fast as one client sends:
                      {"n", "started_at" (the first send, epoch seconds), "seconds", "per_s",
                      "cpu_s" (this process's CPU time from its first send, its start-up left out)}
  roundtrip N         N sequential add(i, 1).delay().get() after 50 uncounted ones: {"n", "p50_ms", "p90_ms",
                      "p99_ms", "mean_ms"}
"""
import json
import statistics
import sys
import time

from flaskguide import add


def send(n, prefix):
    n = int(n)
    started_at, start, cpu_before = time.time(), time.perf_counter(), time.process_time()
    for i in range(n):
        add.apply_async((i, 1), task_id="%s-%d" % (prefix, i))
    seconds = time.perf_counter() - start
    return {"n": n, "started_at": started_at, "seconds": round(seconds, 3), "per_s": round(n / seconds, 1),
            "cpu_s": time.process_time() - cpu_before}


def roundtrip(n):
    n = int(n)
    times = []
    for i in range(50 + n):
        start = time.perf_counter()
        add.delay(i, 1).get(timeout=30)
        if i >= 50:
            times.append((time.perf_counter() - start) * 1000)
    cuts = statistics.quantiles(times, n=100, method="inclusive")
    return {"n": n, "p50_ms": round(cuts[49], 3), "p90_ms": round(cuts[89], 3), "p99_ms": round(cuts[98], 3),
            "mean_ms": round(statistics.fmean(times), 3)}


def main(argv):
    commands = {"send": (send, 2), "roundtrip": (roundtrip, 1)}
    if len(argv) < 1 or argv[0] not in commands or len(argv) - 1 != commands[argv[0]][1]:
        print(__doc__, file=sys.stderr)
        return 2
    command, _ = commands[argv[0]]
    print(json.dumps(command(*argv[1:])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
