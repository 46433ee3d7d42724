"""Web Push alerts reach a (stand-in) push service encrypted, signed, and only where allowed."""

from __future__ import annotations

import json
import logging
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid.jwt import sign  # type: ignore[import-untyped]

from chalicelib.alerts import webpush
from chalicelib.alerts.subscriptions import (
    AllowList,
    InvalidSubscription,
    PushConfigError,
    Subscription,
    parse_allowed_hosts,
    parse_subscription,
)
from chalicelib.alerts.webpush import Delivery, generate_vapid_keys, public_key, send
from tests.support.push_service import PushService, Refused, b64url, decrypt_push_message, unb64url
from tests.support.servers import loopback

ROOT = Path(__file__).resolve().parents[2]
SUBJECT = "mailto:alerts@example.com"
ALERT = "Garden: Temperature 31.6 °F, below 32 °F (at 06:42)".encode()


@pytest.fixture(scope="module")
def vapid() -> tuple[str, str]:
    return generate_vapid_keys()


def allow_for(service: PushService) -> AllowList:
    return parse_allowed_hosts(f"127.0.0.1:{service.port}")


def subscribe(service: PushService, **kwargs: Any) -> tuple[dict[str, Any], Subscription]:
    browser = service.subscribe(**kwargs)
    return browser, parse_subscription(browser, allow_for(service))


def deliver(service: PushService, sub: Subscription, vapid: tuple[str, str], **kw: Any) -> Delivery:
    return send(sub, ALERT, vapid[0], SUBJECT, allow_for(service), **kw)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- sending -------------------------------------------------------------------------------


def test_an_alert_arrives_verified_and_decrypted_to_exactly_the_payload(push, vapid):
    browser, sub = subscribe(push, application_server_key=vapid[1])

    delivery = deliver(push, sub, vapid, ttl=600)

    assert delivery == Delivery(201, "sent")
    [message] = push.messages
    assert message.plaintext == ALERT
    assert push.messages_for(browser) == [ALERT]
    assert message.subscription_id == push.requests[0].subscription_id
    assert message.vapid_key == vapid[1] == public_key(vapid[0])
    assert message.claims["aud"] == push.origin
    assert message.claims["sub"] == SUBJECT
    assert 11.9 * 3600 < message.claims["exp"] - time.time() <= 12 * 3600
    assert message.headers["TTL"] == "600"
    assert message.headers["Content-Encoding"] == "aes128gcm"


def test_each_subscription_gets_only_its_own_message(push, vapid):
    first, first_sub = subscribe(push)
    second, second_sub = subscribe(push)

    send(first_sub, b"one", vapid[0], SUBJECT, allow_for(push))
    send(second_sub, b"two", vapid[0], SUBJECT, allow_for(push))

    assert push.messages_for(first) == [b"one"]
    assert push.messages_for(second) == [b"two"]


def test_the_largest_payload_web_push_allows_is_delivered_and_a_larger_one_is_refused(push, vapid):
    _, sub = subscribe(push)
    largest = b"x" * webpush.MAX_PAYLOAD_BYTES

    assert send(sub, largest, vapid[0], SUBJECT, allow_for(push)).outcome == "sent"
    assert len(push.requests[0].body) == 4096
    with pytest.raises(ValueError, match="at most 3993"):
        send(sub, largest + b"x", vapid[0], SUBJECT, allow_for(push))
    assert len(push.requests) == 1


@pytest.mark.parametrize(
    ("status", "outcome"),
    [(202, "sent"), (410, "gone"), (404, "gone"), (500, "failed"), (429, "failed")],
)
def test_what_the_push_service_answers_decides_the_outcome(push, vapid, status, outcome):
    browser, sub = subscribe(push)
    push.answer(browser, status)

    assert deliver(push, sub, vapid) == Delivery(status, outcome)


@pytest.mark.parametrize(
    ("endpoint", "aud"),
    [
        ("https://FCM.googleapis.com:443/fcm/send/a", "https://fcm.googleapis.com"),
        ("https://push.example.com:8443/p?x=1", "https://push.example.com:8443"),
        ("http://[0:0::1]:8002/push/a", "http://[::1]:8002"),
    ],
)
def test_the_vapid_audience_is_the_endpoints_origin_as_push_services_compare_it(endpoint, aud):
    assert webpush._origin(endpoint) == aud


def test_an_endpoint_the_push_service_does_not_know_is_gone(push, vapid):
    _, sub = subscribe(push)
    unknown = Subscription(f"{push.origin}/push/nobody", sub.p256dh, sub.auth)

    assert deliver(push, unknown, vapid) == Delivery(404, "gone")


def test_a_redirect_is_not_followed(push, vapid):
    browser, sub = subscribe(push)
    other = push.subscribe()
    push.answer(browser, 307, {"Location": other["endpoint"]})

    assert deliver(push, sub, vapid) == Delivery(307, "failed")
    assert len(push.requests) == 1


def test_a_refused_connection_fails_quickly(vapid):
    port = free_port()
    allow = parse_allowed_hosts(f"127.0.0.1:{port}")
    with loopback(PushService(), lambda p: p.origin, probe=False) as elsewhere:
        sub = parse_subscription(
            {**elsewhere.subscribe(), "endpoint": f"http://127.0.0.1:{port}/push/x"}, allow
        )

    started = time.monotonic()
    delivery = send(sub, ALERT, vapid[0], SUBJECT, allow, timeout=30.0)

    assert delivery == Delivery(None, "failed")
    assert time.monotonic() - started < 10.0  # refused, not timed out: 30 s never passed


def test_keys_encrypted_to_the_wrong_browser_are_refused_by_the_push_service(push, vapid):
    mine, _ = subscribe(push)
    _, theirs = subscribe(push)
    crossed = Subscription(mine["endpoint"], theirs.p256dh, theirs.auth)

    assert deliver(push, crossed, vapid) == Delivery(400, "failed")
    assert push.messages == []
    assert "decrypt" in push.requests[0].reason


def test_a_different_vapid_key_than_the_browser_subscribed_with_fails_but_is_not_gone(push, vapid):
    _, sub = subscribe(push, application_server_key=vapid[1])
    other_key, _ = generate_vapid_keys()

    assert send(sub, ALERT, other_key, SUBJECT, allow_for(push)) == Delivery(403, "failed")


def test_ipv6_loopback_endpoints_are_reachable_when_listed(vapid):
    with PushService(host="::1") as push6:
        allow = parse_allowed_hosts(f"[::1]:{push6.port}")
        browser = push6.subscribe()
        sub = parse_subscription(browser, allow)

        assert sub.endpoint.startswith("http://[::1]:")
        assert send(sub, ALERT, vapid[0], SUBJECT, allow) == Delivery(201, "sent")
        assert push6.messages_for(browser) == [ALERT]
        assert push6.messages[0].claims["aud"] == f"http://[::1]:{push6.port}"


# --- the allow-list ------------------------------------------------------------------------


def test_an_endpoint_off_the_allow_list_is_refused_without_any_connection(push, vapid):
    browser = push.subscribe()
    defaults = parse_allowed_hosts(None)
    with pytest.raises(InvalidSubscription, match="not a push service this app sends to"):
        parse_subscription(browser, defaults)
    sub = parse_subscription(browser, allow_for(push))

    assert send(sub, ALERT, vapid[0], SUBJECT, defaults) == Delivery(None, "failed")
    other_port = parse_allowed_hosts(f"127.0.0.1:{free_port()}")
    assert send(sub, ALERT, vapid[0], SUBJECT, other_port) == Delivery(None, "failed")
    assert push.connections == 0
    assert push.requests == []


@pytest.mark.parametrize(
    "url",
    [
        "https://fcm.googleapis.com/fcm/send/abc:APA91b",
        "https://updates.push.services.mozilla.com/wpush/v2/gAAAA",
        "https://web.push.apple.com/QGuQyavXutnMH",
        "https://db5p.notify.windows.com/w/?token=BQYAAAD",
        "https://FCM.googleapis.com:443/fcm/send/abc",
    ],
)
def test_the_default_allow_list_admits_the_big_push_services(url):
    assert parse_allowed_hosts(None).allows(url)
    assert parse_allowed_hosts("  ").allows(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://fcm.googleapis.com/fcm/send/abc",  # plain http off loopback
        "https://fcm.googleapis.com:8443/fcm/send/abc",  # a port nobody listed
        "https://notify.windows.com/w/?token=x",  # the wildcard needs a subdomain
        "https://fcm.googleapis.com.evil.example/x",
        "https://evil.example/fcm.googleapis.com",
        "https://fcm.googleapis.com@evil.example/x",
        "https://evil.example\\@fcm.googleapis.com/x",
        "https://fcm.googleapis.com/x#frag",
        "https://fcm.googleapis.com/x y",
        "ftp://fcm.googleapis.com/x",
        "https://fcm.googleapis.com:99999/x",
        "http://127.0.0.1:8080/push/x",  # loopback, but not listed
        "fcm.googleapis.com/fcm/send/abc",
    ],
)
def test_the_default_allow_list_refuses_everything_else(url):
    assert not parse_allowed_hosts(None).allows(url)


def test_plain_http_to_a_listed_host_is_refused_unless_it_is_loopback():
    allow = parse_allowed_hosts("push.example.com:8080, push.example.com, localhost:9000")

    assert allow.allows("https://push.example.com:8080/p")
    assert allow.allows("https://push.example.com/p")
    assert not allow.allows("http://push.example.com:8080/p")
    assert not allow.allows("http://push.example.com/p")
    assert allow.allows("http://localhost:9000/p")
    assert allow.allows("https://localhost:9000/p")
    with pytest.raises(InvalidSubscription):
        parse_subscription({"endpoint": "http://push.example.com:8080/p", "keys": {}}, allow)


def test_host_port_entries_admit_only_that_port():
    allow = parse_allowed_hosts("127.0.0.1:8001,[::1]:8002")

    assert allow.allows("http://127.0.0.1:8001/push/a")
    assert not allow.allows("http://127.0.0.1:8002/push/a")
    assert not allow.allows("http://127.0.0.1/push/a")
    assert allow.allows("http://[::1]:8002/push/a")
    assert allow.allows("http://[0:0:0:0:0:0:0:1]:8002/push/a")
    assert not allow.allows("http://[::1]:8001/push/a")


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("https://fcm.googleapis.com", "not a URL"),
        ("push.example.com:0", "port"),
        ("push.example.com:https", "port"),
        ("::1", "brackets"),
        ("[::1", "[IPv6 address]"),
        ("[not-ip]:80", "IPv6"),
        ("*.com", "too broad"),
        ("push_service.example.com", "host name"),
        ("fcm.googleapis.com, -bad.example", "host name"),
    ],
)
def test_a_bad_push_service_hosts_setting_is_one_line_naming_it(raw, problem):
    with pytest.raises(PushConfigError) as caught:
        parse_allowed_hosts(raw)

    text = str(caught.value)
    assert text.startswith("PUSH_SERVICE_HOSTS")
    assert problem in text
    assert "\n" not in text


# --- subscriptions -------------------------------------------------------------------------

GOOD_KEYS = {
    "p256dh": "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4"
    "bjyPjs7Vd8pZGH6SRpkNtoIAiw4",
    "auth": "BTBZMqHH6r4Tts7J_aSIgg",
}
FCM = "https://fcm.googleapis.com/fcm/send/abc"


def test_a_browser_subscription_round_trips():
    raw = {"endpoint": FCM, "expirationTime": None, "keys": dict(GOOD_KEYS)}

    sub = parse_subscription(raw, parse_allowed_hosts(None))

    assert sub == Subscription(FCM, GOOD_KEYS["p256dh"], GOOD_KEYS["auth"])
    assert parse_subscription(sub.to_json(), parse_allowed_hosts(None)) == sub
    assert GOOD_KEYS["auth"] not in repr(sub)


def _off_curve() -> str:
    raw = bytearray(unb64url(GOOD_KEYS["p256dh"]))
    raw[-1] ^= 1
    return b64url(bytes(raw))


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("not an object", "JSON object"),
        (None, "JSON object"),
        ({"keys": GOOD_KEYS}, "endpoint is missing"),
        ({"endpoint": 7, "keys": GOOD_KEYS}, "endpoint is missing"),
        ({"endpoint": FCM + "x" * 1024, "keys": GOOD_KEYS}, "longer than 1024"),
        ({"endpoint": FCM}, "keys are missing"),
        ({"endpoint": FCM, "keys": "p256dh"}, "keys are missing"),
        ({"endpoint": FCM, "keys": {"auth": GOOD_KEYS["auth"]}}, "p256dh is missing"),
        ({"endpoint": FCM, "keys": {"p256dh": GOOD_KEYS["p256dh"]}}, "auth is missing"),
        ({"endpoint": FCM, "keys": {**GOOD_KEYS, "p256dh": "!!!junk!!!"}}, "not base64url"),
        ({"endpoint": FCM, "keys": {**GOOD_KEYS, "auth": "a+b/c"}}, "not base64url"),
        ({"endpoint": FCM, "keys": {**GOOD_KEYS, "auth": "abcde"}}, "not base64url"),
        ({"endpoint": FCM, "keys": {**GOOD_KEYS, "p256dh": b64url(b"\x04" * 64)}}, "65 bytes"),
        ({"endpoint": FCM, "keys": {**GOOD_KEYS, "auth": b64url(bytes(15))}}, "16 bytes"),
        ({"endpoint": FCM, "keys": {**GOOD_KEYS, "p256dh": b64url(b"\x03" * 65)}}, "P-256"),
        ({"endpoint": FCM, "keys": {**GOOD_KEYS, "p256dh": _off_curve()}}, "P-256"),
        ({"endpoint": FCM, "keys": {**GOOD_KEYS, "p256dh": b64url(bytes(65))}}, "P-256"),
    ],
)
def test_a_malformed_subscription_is_refused_with_one_line(raw, problem):
    with pytest.raises(InvalidSubscription) as caught:
        parse_subscription(raw, parse_allowed_hosts(None))

    text = str(caught.value)
    assert problem in text
    assert "\n" not in text
    assert GOOD_KEYS["auth"] not in text


# --- keys and secrecy ----------------------------------------------------------------------


def test_generated_vapid_keys_are_what_a_browser_wants():
    private, public = generate_vapid_keys()

    assert public_key(private) == public
    assert len(unb64url(private)) == 32
    assert unb64url(public)[0] == 4 and len(unb64url(public)) == 65
    assert "=" not in private + public
    assert generate_vapid_keys()[0] != private


@pytest.mark.parametrize("bad", ["", "not base64!", b64url(bytes(31)), b64url(bytes(32))])
def test_an_unusable_vapid_key_is_one_line_without_the_key(bad, push):
    _, sub = subscribe(push)
    with pytest.raises(PushConfigError) as caught:
        send(sub, ALERT, bad, SUBJECT, allow_for(push))
    with pytest.raises(PushConfigError):
        public_key(bad)

    assert "VAPID private key" in str(caught.value)
    # Nothing chained either: a lower layer's message could quote the key.
    assert caught.value.__cause__ is None
    assert caught.value.__context__ is None or caught.value.__suppress_context__
    assert push.requests == []


@pytest.mark.parametrize("subject", ["alerts@example.com", "http://example.com", "mailto:"])
def test_a_vapid_subject_that_is_not_mailto_or_https_is_refused(subject, push, vapid):
    _, sub = subscribe(push)
    with pytest.raises(PushConfigError, match="VAPID subject"):
        send(sub, ALERT, vapid[0], subject, allow_for(push))


def test_the_private_key_never_reaches_logs_or_errors(push, vapid, caplog):
    caplog.set_level(logging.DEBUG)
    browser, sub = subscribe(push)
    gone, gone_sub = subscribe(push)
    push.answer(gone, 410)
    near_miss = vapid[0][:-2] + "!!"
    dead_port = free_port()
    dead = Subscription(f"http://127.0.0.1:{dead_port}/push/x", sub.p256dh, sub.auth)
    texts: list[str] = []

    results = [
        deliver(push, sub, vapid),
        deliver(push, gone_sub, vapid),
        send(dead, ALERT, vapid[0], SUBJECT, parse_allowed_hosts(f"127.0.0.1:{dead_port}")),
        send(sub, ALERT, vapid[0], SUBJECT, parse_allowed_hosts(None)),
    ]
    for key in (near_miss, vapid[0] + "AAAA"):
        with pytest.raises(PushConfigError) as caught:
            send(sub, ALERT, key, SUBJECT, allow_for(push))
        texts.append(str(caught.value))

    texts += [repr(result) for result in results]
    texts += [record.getMessage() for record in caplog.records]
    texts += [request.headers.get("Authorization", "") for request in push.requests]
    assert [r.outcome for r in results] == ["sent", "gone", "failed", "failed"]
    assert caplog.records, "sending should say what happened"
    for secret in (vapid[0], vapid[0][:20], near_miss):
        assert not any(secret in text for text in texts)
    assert not any(browser["endpoint"] in r.getMessage() for r in caplog.records)


def test_importing_the_module_loads_no_crypto_or_http_library():
    probe = (
        "import sys, chalicelib.alerts.webpush; "
        "print([m for m in sys.modules if m.split('.')[0] in "
        "('cryptography', 'http_ece', 'py_vapid', 'requests', 'urllib3')])"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=30
    )

    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


# --- the stand-in itself: a message it accepts is one a real push service would -----------

RFC8291 = {
    "ua_private": "q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94",
    "auth": "BTBZMqHH6r4Tts7J_aSIgg",
    "body": "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocI"
    "nmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNW"
    "QexSgSxsj_Qulcy4a-fN",
}


def test_the_stand_in_decrypts_the_rfc8291_example():
    ua_key = ec.derive_private_key(
        int.from_bytes(unb64url(RFC8291["ua_private"]), "big"), ec.SECP256R1()
    )
    body = unb64url(RFC8291["body"])

    plaintext = decrypt_push_message(body, ua_key, unb64url(RFC8291["auth"]))

    assert plaintext == b"When I grow up, I want to be a watermelon"
    tampered = body[:-1] + bytes([body[-1] ^ 1])
    with pytest.raises(Refused, match="does not decrypt"):
        decrypt_push_message(tampered, ua_key, unb64url(RFC8291["auth"]))


def _vapid(private: str, k: str, **claims: Any) -> str:
    key = ec.derive_private_key(int.from_bytes(unb64url(private), "big"), ec.SECP256R1())
    return f"vapid t={sign(claims, key)}, k={k}"


def _mutations(origin: str, vapid: tuple[str, str]) -> dict[str, dict[str, str | None]]:
    private, k = vapid
    soon = int(time.time()) + 60
    other = generate_vapid_keys()[0]
    fcm = "https://fcm.googleapis.com"
    return {
        "no Authorization": {"Authorization": None},
        "Bearer scheme": {"Authorization": "Bearer abc"},
        "signed by another key": {
            "Authorization": _vapid(other, k, aud=origin, sub=SUBJECT, exp=soon)
        },
        "aud of another origin": {
            "Authorization": _vapid(private, k, aud=fcm, sub=SUBJECT, exp=soon)
        },
        "expired": {"Authorization": _vapid(private, k, aud=origin, sub=SUBJECT, exp=soon - 61)},
        "exp over 24 h": {
            "Authorization": _vapid(private, k, aud=origin, sub=SUBJECT, exp=soon + 86400)
        },
        "sub not a URL": {"Authorization": _vapid(private, k, aud=origin, sub="me", exp=soon)},
        "no TTL": {"TTL": None},
        "old aesgcm encoding": {"Content-Encoding": "aesgcm"},
    }


def test_the_stand_in_refuses_what_a_push_service_refuses(push, vapid):
    browser, sub = subscribe(push)
    assert deliver(push, sub, vapid).outcome == "sent"
    good = push.requests[0]
    expected = {"no TTL": 400, "old aesgcm encoding": 400}

    for name, changes in _mutations(push.origin, vapid).items():
        headers = {k: v for k, v in good.headers.items() if k.lower() != "content-length"}
        for header, value in changes.items():
            headers.pop(header, None)
            if value is not None:
                headers[header] = value
        answer = requests.post(browser["endpoint"], data=good.body, headers=headers, timeout=5)
        assert answer.status_code == expected.get(name, 401), name

    assert len(push.messages) == 1
    assert all(r.reason for r in push.requests[1:])


def test_the_stand_in_hands_out_browser_shaped_subscriptions(push):
    browser = push.subscribe()

    assert set(browser) == {"endpoint", "expirationTime", "keys"}
    assert browser["endpoint"].startswith(f"http://127.0.0.1:{push.port}/push/")
    assert len(unb64url(browser["keys"]["p256dh"])) == 65
    assert len(unb64url(browser["keys"]["auth"])) == 16
    json.dumps(browser)
