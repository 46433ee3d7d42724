"""One cold view in this fresh interpreter, as a cold Lambda serves it; `make bench` runs it.

    python scripts/coldview.py floor URL CHANNEL   # the floor: import requests, jinja2 and
                                                   # chalice.app, fetch the newest 20 entries,
                                                   # render one value with Jinja2
    python scripts/coldview.py view PATH           # import app, one GET PATH through the
                                                   # Lambda handler (settings from the env)
    python scripts/coldview.py pieces PATH         # the same, timed piece by piece
    cd PACKAGE && python -B -I -S .../coldview.py view PATH   # from the unpacked zip

Prints one JSON line. Nothing is imported before the measured work but what it needs.
"""

import sys
import time

STARTED = (time.perf_counter(), time.process_time())
if sys.flags.isolated:
    # python -B -I -S, in the unpacked Lambda package (Lambda's read-only /var/task, the
    # working directory): the package and the standard library, nothing else.
    import os

    sys.path.insert(0, os.getcwd())
else:
    # The project root, where app.py is (Lambda's /var/task), not this script's folder.
    sys.path[0] = sys.path[0].removesuffix("/scripts") or "."


def since(mark: tuple[float, float]) -> dict[str, float]:
    return {
        "wall_ms": (time.perf_counter() - mark[0]) * 1000,
        "cpu_ms": (time.process_time() - mark[1]) * 1000,
    }


def now() -> tuple[float, float]:
    return (time.perf_counter(), time.process_time())


def event(path: str) -> dict[str, object]:
    """API Gateway's proxy event for GET `path` (a dashboard's path has a parameter)."""
    import os

    parts = path.strip("/").split("/")
    resource, parameters = path, None
    headers = {"Host": "weather.example.com", "Accept": "text/html"}
    if cookie := os.environ.get("COLDVIEW_COOKIE"):  # a signed-in phone's session
        headers["Cookie"] = cookie
    if len(parts) == 2 and parts[0] == "d":
        resource, parameters = "/d/{name}", {"name": parts[1]}
    return {
        "resource": resource,
        "path": path,
        "httpMethod": "GET",
        "headers": headers,
        "multiValueHeaders": {},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": parameters,
        "stageVariables": None,
        "requestContext": {"resourcePath": resource, "httpMethod": "GET", "stage": "api"},
        "body": None,
        "isBase64Encoded": False,
    }


class Context:
    aws_request_id = "bench"
    function_name = "bench"
    memory_limit_in_mb = 256

    def get_remaining_time_in_millis(self) -> int:
        return 15000


def floor(url: str, channel: str) -> dict[str, object]:
    import chalice.app  # noqa: F401
    import jinja2
    import requests

    body = requests.get(
        f"{url}/channels/{channel}/feeds.json", params={"results": "20"}, timeout=10
    ).json()
    html = jinja2.Environment(autoescape=True).from_string("<p>{{ v }}</p>")
    page = html.render(v=body["feeds"][-1]["field1"])
    return {"total": since(STARTED), "bytes": len(page)}


def view(path: str) -> dict[str, object]:
    import io
    from contextlib import redirect_stdout

    import app

    imported = since(STARTED)
    with redirect_stdout(io.StringIO()):  # the access-log line
        answer = app.app(event(path), Context())
    total = since(STARTED)
    if answer["statusCode"] != 200:
        raise SystemExit(f"{path} answered {answer['statusCode']}")
    import gzip

    body = answer["body"].encode()
    return {
        "import": imported,
        "total": total,
        "bytes": len(body),
        "gzip": len(gzip.compress(body, 6)),
    }


def pieces(path: str) -> dict[str, object]:
    """Import, fetch and parse, view model, render: the cold view's parts, one by one."""
    from datetime import UTC, datetime

    import app
    from chalicelib.display.reading import build_reading

    imported = since(STARTED)
    view = app.site.views[path.rsplit("/", 1)[-1]] if path.startswith("/d/") else app.site.first
    mark = now()
    snapshot = view.latest.get()
    fetched = since(mark)
    mark, moment = now(), datetime.now(UTC)
    reading = build_reading(snapshot.feed, view.dashboard, moment)
    modelled = since(mark)
    mark = now()
    page = view.renderer.page(reading, moment, view.api_path, False)
    rendered = since(mark)
    return {
        "import": imported,
        "fetch_parse": fetched,
        "view_model": modelled,
        "render": rendered,
        "total": since(STARTED),
        "entries": len(snapshot.feed.entries),
        "bytes": len(page),
    }


if __name__ == "__main__":
    import json
    import os

    kind, *args = sys.argv[1:]
    runs = {"floor": floor, "view": view, "pieces": pieces}
    print(json.dumps(runs[kind](*args)), flush=True)
    # A Lambda container is frozen after the view, not torn down: leave without the
    # interpreter's clean-up, on every side alike.
    os._exit(0)
