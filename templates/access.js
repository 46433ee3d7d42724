/* ThingSpeak Glance: the passkey pages (/signin, /join, /signout). One button each. */
"use strict";
(function () {
  var main = document.querySelector("main[data-access]");
  var button = document.getElementById("access-go");
  var status = document.getElementById("access-status");
  if (!main || !button) return;
  var mode = main.getAttribute("data-access");
  // The invitation's token travels in the link's #fragment: never sent in a request line,
  // never in a log. Taken off the address bar at once.
  var token = location.hash.slice(1);
  if (token && history.replaceState) history.replaceState(null, "", location.pathname);

  function say(text) { status.textContent = text; }
  function bytes(text) {
    var s = atob(text.replace(/-/g, "+").replace(/_/g, "/")), out = new Uint8Array(s.length);
    for (var i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out.buffer;
  }
  function text(buffer) {
    var b = new Uint8Array(buffer), s = "";
    for (var i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function post(path, body) {
    return fetch(path, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json" }, body: JSON.stringify(body || {})
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) throw new Error((data.error && data.error.message) || "That did not work; try again.");
        return data;
      });
    });
  }
  function asJson(credential) {
    var r = credential.response;
    var out = { id: credential.id, rawId: text(credential.rawId), type: credential.type,
      response: { clientDataJSON: text(r.clientDataJSON) }, clientExtensionResults: {} };
    if (r.attestationObject) out.response.attestationObject = text(r.attestationObject);
    if (r.authenticatorData) {
      out.response.authenticatorData = text(r.authenticatorData);
      out.response.signature = text(r.signature);
      if (r.userHandle) out.response.userHandle = text(r.userHandle);
    }
    return out;
  }
  function ids(list) { (list || []).forEach(function (c) { c.id = bytes(c.id); }); }
  function signIn() {
    return post("/api/access/signin-options").then(function (data) {
      var options = data.publicKey;
      options.challenge = bytes(options.challenge);
      ids(options.allowCredentials);
      return navigator.credentials.get({ publicKey: options });
    }).then(function (credential) {
      return post("/api/access/signin", { credential: asJson(credential), next: main.getAttribute("data-next") });
    });
  }
  function register() {
    return post("/api/access/register-options", { token: token }).then(function (data) {
      var options = data.publicKey;
      options.challenge = bytes(options.challenge);
      options.user.id = bytes(options.user.id);
      ids(options.excludeCredentials);
      return navigator.credentials.create({ publicKey: options });
    }).then(function (credential) {
      return post("/api/access/register", { token: token, credential: asJson(credential) });
    });
  }
  // Signed out: no copy of a private page stays in this browser's offline cache.
  function signOut() {
    return post("/signout").then(function () {
      if (!window.caches) return null;
      return caches.keys().then(function (names) {
        return Promise.all(names.map(function (name) { return caches.delete(name); }));
      });
    }).then(function () { return { next: "/" }; });
  }
  button.addEventListener("click", function () {
    button.disabled = true;
    say(mode === "signout" ? "Signing out…" : "Waiting for your passkey…");
    var step = mode === "join" ? register() : mode === "signout" ? signOut() : signIn();
    step.then(function (data) {
      say("Done.");
      location.replace(data.next || "/");
    }, function (error) {
      button.disabled = false;
      say(error && error.name === "NotAllowedError"
        ? "Cancelled, or this device has no passkey for this site."
        : (error && error.message) || "That did not work; try again.");
    });
  });
  if (mode !== "signout" && !window.PublicKeyCredential) {
    button.disabled = true;
    say("This browser cannot use passkeys.");
  } else if (mode === "join" && !token) {
    button.disabled = true;
    say("This link is incomplete: open the whole link you were sent.");
  }
})();
