"""ThingSpeak Glance: the routes. Everything else lives in chalicelib/."""

import gc
import os

# A cold start creates tens of thousands of objects, none of them garbage: without this,
# the collector would walk them all again and again while the app loads (about a tenth of
# a cold first view). What start-up made is frozen below, for the container's life.
gc.disable()

from chalicelib.web.start import begin

# The configuration first (a mistake stops here with one line); on Lambda's web function the
# first view's read of ThingSpeak starts now, while Chalice, Jinja2 and the routes load.
started = begin()

from chalice.app import Chalice, CloudWatchEvent, Rate, Request, Response

from chalicelib.access.routes import access_routes, serve_site
from chalicelib.alerts.routes import alert_routes, serve_config
from chalicelib.logs import access_log
from chalicelib.web.responses import add_security_headers, head_like_get, keep_head_length
from chalicelib.web.root import Site

app = Chalice(app_name="thingspeak-glance")
app.api.binary_types.append("image/x-icon")  # /favicon.ico, as bytes (see responses.py)
site = Site.from_env(started)
app.register_middleware(add_security_headers(site.renderer.assets.csp), "http")
app.register_middleware(access_log, "http")
app.register_middleware(head_like_get, "http")
if os.environ.get("AWS_CHALICE_CLI_MODE"):  # `chalice local` (or deploy): not in Lambda
    keep_head_length()
# Uptime monitors and link previews ask with HEAD: the same answer without the body.
READ = ["GET", "HEAD"]


@app.route("/", methods=READ)
def home() -> Response:
    request = _request()
    return site.home(request.headers, request.query_params)


@app.route("/d/{name}", methods=READ)
def dashboard(name: str) -> Response:
    request = _request()
    return site.dashboard_page(name, request.headers, request.query_params)


@app.route("/api/latest", methods=READ)
def api_latest() -> Response:
    request = _request()
    return site.latest_api(request.headers, request.query_params)


@app.route("/api/d/{name}", methods=READ)
def api_dashboard(name: str) -> Response:
    request = _request()
    return site.dashboard_api(name, request.headers, request.query_params)


@app.route("/d/{name}/field/{field}", methods=READ)
def dashboard_field(name: str, field: str) -> Response:
    """A field's own page over ?range=24h|7d|30d; `4.csv` is the same as CSV."""
    request = _request()
    return site.field(name, field, request.headers, request.query_params)


@app.route("/field/{field}", methods=READ)
def first_field(field: str) -> Response:
    request = _request()
    return site.field(None, field, request.headers, request.query_params)


@app.route("/api/d/{name}/field/{field}", methods=READ)
def api_dashboard_field(name: str, field: str) -> Response:
    request = _request()
    return site.field(name, field, request.headers, request.query_params, api=True)


@app.route("/api/dashboards", methods=READ)
def api_dashboards() -> Response:
    request = _request()
    return site.dashboards_api(request.headers, request.query_params)


@app.route("/{name}", methods=READ)
def static_file(name: str) -> Response:
    return site.static_file(name, _request().headers)


def _request() -> Request:
    request = app.current_request
    assert request is not None  # Chalice sets it before calling any view
    return request


# Sign-in (chalicelib/access/routes.py): the pages load no WebAuthn code; the ceremonies do.
app.register_blueprint(access_routes)
serve_site(lambda: site)

# Alerts: the push routes (a Blueprint), and the scheduled check. The alert code is
# imported inside each function, so the page's cold start never loads it.
app.register_blueprint(alert_routes)
serve_config(lambda: site.config, lambda: site)


@app.schedule(Rate(5, unit=Rate.MINUTES))
def check_alerts(event: CloudWatchEvent) -> dict[str, object]:
    from chalicelib.alerts import scheduled

    return scheduled.run(site.config, site.client, context=event.context)


# Start-up is over: keep what it made out of every later collection, and collect again.
gc.freeze()
gc.enable()
