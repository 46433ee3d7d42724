"""Every route, error pages and 304s included, carries the security headers; and the app
is not an open proxy: nothing in a request chooses what is read from ThingSpeak."""

from __future__ import annotations

import pytest
import requests

from tests.conftest import feed_url, load_fixture

EXPECTED = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


def assert_secure(response) -> None:
    csp = response.headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert response.headers["Strict-Transport-Security"].startswith("max-age=63072000")
    for name, value in EXPECTED.items():
        assert response.headers[name] == value
    policy = response.headers["Permissions-Policy"]
    assert "camera=()" in policy and "geolocation=()" in policy


@pytest.mark.parametrize(
    ("path", "headers", "status"),
    [
        ("/", {}, 200),
        ("/api/latest", {}, 200),
        ("/manifest.webmanifest", {}, 200),
        ("/icon.svg", {}, 200),
        ("/icon-192.png", {"Accept": "image/png"}, 200),
        ("/apple-touch-icon.png", {"Accept": "image/png"}, 200),
        ("/robots.txt", {}, 200),
        ("/nope", {}, 404),
    ],
)
def test_every_route_carries_the_security_headers(path, headers, status, thingspeak, make_client):
    thingspeak.get(feed_url(9), json=load_fixture("channel_9.json"))
    response = make_client().http.get(path, headers=headers)
    assert response.status_code == status
    assert_secure(response)


@pytest.mark.parametrize("path", ["/", "/api/latest", "/icon.svg", "/manifest.webmanifest"])
def test_not_modified_answers_carry_them_too(path, thingspeak, make_client):
    thingspeak.get(feed_url(9), json=load_fixture("channel_9.json"))
    client = make_client()
    etag = client.http.get(path).headers["ETag"]
    response = client.http.get(path, headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert_secure(response)


@pytest.mark.parametrize(
    ("failure", "status"),
    [(requests.ReadTimeout("slow"), 504), (requests.ConnectionError("x"), 502)],
)
@pytest.mark.parametrize("path", ["/", "/api/latest"])
def test_error_answers_carry_them_too(path, failure, status, thingspeak, make_client):
    thingspeak.get(feed_url(9), body=failure)
    response = make_client().http.get(path)
    assert response.status_code == status
    assert_secure(response)


@pytest.mark.parametrize("path", ["/", "/api/latest"])
def test_channel_not_found_answers_carry_them_too(path, thingspeak, make_client):
    thingspeak.get(feed_url(9), status=404, json={"status": "404"})
    response = make_client().http.get(path)
    assert response.status_code == 404
    assert_secure(response)


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/?channel=1", 400),
        ("/?channel_id=2&api_key=XYZ", 400),
        ("/api/latest?channel=1&results=8000", 400),
        ("/api/latest?api_key=ABCDEFGH12345678", 400),
        ("/api/latest?api_key=XYZ&channel_id=2", 400),
        ("/?utm_source=x&channel=2", 400),
        ("/channels", 404),
        ("/..%2f", 404),
        ("/..%2f..%2fchannels%2f1%2ffeeds.json", 404),
        ("/%2e%2e", 404),
    ],
)
def test_nothing_in_the_request_chooses_what_is_read_from_thingspeak(
    path, status, thingspeak, make_client
):
    stub = thingspeak.get(feed_url(9), json=load_fixture("channel_9.json"))
    response = make_client().http.get(path)
    assert response.status_code == status
    assert stub.call_count == 0  # refused before ThingSpeak is asked anything
    assert_secure(response)
    if status == 400:
        body = response.body.decode()
        assert "takes no parameters" in body
        assert "XYZ" not in body and "ABCDEFGH12345678" not in body  # names only, no values


@pytest.mark.parametrize(
    "path",
    [
        "/channels/1/feeds.json",
        "/channels/1/feeds.json?api_key=XYZ",
        "/api/latest/channels/2",
        "/..%2f/channels/1",
    ],
)
def test_thingspeak_paths_are_not_passed_through(path, thingspeak, make_client):
    # No route has more than one segment: API Gateway answers these itself (403 "Missing
    # Authentication Token", which Chalice reproduces) and the function never runs.
    stub = thingspeak.get(feed_url(9), json=load_fixture("channel_9.json"))
    response = make_client().http.get(path)
    assert response.status_code in (403, 404)
    assert stub.call_count == 0
    assert "feeds" not in response.body.decode()


@pytest.mark.parametrize(
    "path", ["/?utm_source=chat&fbclid=abc123", "/api/latest?utm_channel=1&gclid=2&mc_eid=3"]
)
def test_link_decorations_are_ignored_and_never_passed_on(path, thingspeak, make_client):
    stub = thingspeak.get(feed_url(9), json=load_fixture("channel_9.json"))
    response = make_client().http.get(path)
    assert response.status_code == 200
    assert stub.call_count == 1  # the configured channel, with the app's own parameters
    assert [call.request.url for call in thingspeak.calls] == [
        feed_url(9) + "?results=8000&minutes=1445"
    ]
