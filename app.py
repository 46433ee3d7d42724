"""ThingSpeak Glance: the routes. Everything else lives in chalicelib/."""

from chalice import Chalice, Response

from chalicelib.logs import access_log
from chalicelib.views import Glance
from chalicelib.web import add_security_headers

app = Chalice(app_name="thingspeak-glance")
glance = Glance.from_env()  # invalid settings stop the start-up with a one-line reason
app.register_middleware(add_security_headers(glance.renderer.assets.csp), "http")
app.register_middleware(access_log, "http")


@app.route("/")
def page() -> Response:
    request = app.current_request
    return glance.page(request.headers, request.query_params)


@app.route("/api/latest")
def api_latest() -> Response:
    request = app.current_request
    return glance.api_latest(request.headers, request.query_params)


@app.route("/{name}")
def static_file(name: str) -> Response:
    return glance.static_file(name, app.current_request.headers)
