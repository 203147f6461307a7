/*! Accord first-party tag. Keeps the partner click id on the brand's own site and reports
 * conversions and events to Accord.
 *
 *   <script async src="https://TRACK.HOST/accord.js" data-program="prg_..."></script>
 *   <script>
 *     window.accord = window.accord || function () { (accord.q = accord.q || []).push(arguments); };
 *     accord('track', 'sale', { order_id: '1001', amount: '129.90', currency: 'USD' });
 *   </script>
 *
 * Attributes: data-program (required), data-click-param (default accord_click),
 * data-window-days (how long the click id is kept, default 30).
 *
 * Leads (with data-leads): the browser gets a first-party id (cookie _accord_vid, two
 * years), each page view is sent, and so are
 *   accord('event', 'pricing_view', { plan: 'pro' });     a custom event
 *   accord('identify', { email: 'li@example.com', name: 'Li Wei' });   who this is
 * Until the browser's person is known (identify, or a form Accord hosts framed in the
 * page), what it did waits under its id; then it becomes the person's history. Accord's
 * hosted forms framed in the page are given the id, so that sending one names the person.
 */
(function (window, document) {
  "use strict";
  var script = document.currentScript ||
    document.querySelector("script[src*='accord.js'][data-program]");
  if (!script) { return; }
  var base = script.src.replace(/\/accord\.js(\?.*)?$/, "");
  var settings = {
    program: script.getAttribute("data-program"),
    param: script.getAttribute("data-click-param") || "accord_click",
    windowDays: parseInt(script.getAttribute("data-window-days") || "30", 10)
  };
  var KEY = "_accord_click";
  var VID = "_accord_vid";
  var leads = script.hasAttribute("data-leads");

  function readCookie(name) {
    var parts = document.cookie ? document.cookie.split("; ") : [];
    for (var i = 0; i < parts.length; i++) {
      var eq = parts[i].indexOf("=");
      if (parts[i].slice(0, eq) === name) { return decodeURIComponent(parts[i].slice(eq + 1)); }
    }
    return null;
  }

  function remember(clickId) {
    var maxAge = Math.max(1, settings.windowDays) * 86400;
    var secure = window.location.protocol === "https:" ? "; Secure" : "";
    document.cookie = KEY + "=" + encodeURIComponent(clickId) + "; Max-Age=" + maxAge +
      "; Path=/; SameSite=Lax" + secure;
    try {
      window.localStorage.setItem(KEY, JSON.stringify({ id: clickId, until: Date.now() + maxAge * 1000 }));
    } catch (e) { /* storage may be disabled */ }
  }

  function clickId() {
    var fromCookie = readCookie(KEY);
    if (fromCookie) { return fromCookie; }
    try {
      var stored = JSON.parse(window.localStorage.getItem(KEY) || "null");
      if (stored && stored.until > Date.now()) { return stored.id; }
    } catch (e) { /* ignore */ }
    return null;
  }

  function capture() {
    var match = new RegExp("[?&]" + settings.param + "=([^&#]+)").exec(window.location.search);
    if (match) { remember(decodeURIComponent(match[1])); }
  }

  function send(body) {
    var payload = JSON.stringify(body);
    var url = base + "/t/events";
    if (window.navigator.sendBeacon &&
        window.navigator.sendBeacon(url, new Blob([payload], { type: "text/plain" }))) {
      return;
    }
    if (window.fetch) {
      window.fetch(url, { method: "POST", body: payload, keepalive: true, mode: "cors",
        headers: { "content-type": "text/plain" } });
    }
  }

  function track(event, props) {
    props = props || {};
    var body = { program_id: settings.program, event_type: event };
    for (var key in props) {
      if (Object.prototype.hasOwnProperty.call(props, key)) { body[key] = props[key]; }
    }
    if (!body.click_id) {
      var id = clickId();
      if (id) { body.click_id = id; }
    }
    send(body);
  }

  function visitorId() {
    var id = readCookie(VID);
    if (!id) {
      var bytes = new Uint8Array(16);
      (window.crypto || window.msCrypto).getRandomValues(bytes);
      id = Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
    }
    var secure = window.location.protocol === "https:" ? "; Secure" : "";
    document.cookie = VID + "=" + id + "; Max-Age=" + (730 * 86400) + "; Path=/; SameSite=Lax" + secure;
    return id;
  }

  function utm() {
    var out = {}, any = false, names = ["source", "medium", "campaign", "term", "content"];
    for (var i = 0; i < names.length; i++) {
      var m = new RegExp("[?&]utm_" + names[i] + "=([^&#]+)").exec(window.location.search);
      if (m) { out[names[i]] = decodeURIComponent(m[1].replace(/\+/g, " ")).slice(0, 200); any = true; }
    }
    return any ? out : null;
  }

  function visit(type, extra) {
    var body = { program_id: settings.program, vid: visitorId(), type: type,
      url: window.location.href.slice(0, 2000), title: (document.title || "").slice(0, 500),
      referrer: (document.referrer || "").slice(0, 2000) || null, utm: utm() };
    for (var key in (extra || {})) {
      if (Object.prototype.hasOwnProperty.call(extra, key)) { body[key] = extra[key]; }
    }
    var payload = JSON.stringify(body);
    var url = base + "/t/leads";
    if (window.navigator.sendBeacon &&
        window.navigator.sendBeacon(url, new Blob([payload], { type: "text/plain" }))) {
      return;
    }
    if (window.fetch) {
      window.fetch(url, { method: "POST", body: payload, keepalive: true, mode: "cors",
        headers: { "content-type": "text/plain" } });
    }
  }

  function passToForms() {
    var frames = document.querySelectorAll("iframe[src^='" + base + "/f/']");
    for (var i = 0; i < frames.length; i++) {
      var src = frames[i].getAttribute("src");
      if (src.indexOf("vid=") < 0) {
        frames[i].setAttribute("src", src + (src.indexOf("?") < 0 ? "?" : "&") + "vid=" + visitorId());
      }
    }
  }

  function api(command, a, b) {
    if (command === "track") { track(a, b); }
    else if (command === "page") { visit("page_view"); }
    else if (command === "event" && a) { visit(String(a), b ? { data: b } : null); }
    else if (command === "identify" && a) { visit("identified", { identify: a }); }
    else if (command === "visitorId") { return visitorId(); }
    else if (command === "config" && a) {
      for (var key in a) { if (key in settings) { settings[key] = a[key]; } }
    } else if (command === "clickId") { return clickId(); }
    return undefined;
  }

  capture();
  var queued = (window.accord && window.accord.q) || [];
  window.accord = api;
  for (var i = 0; i < queued.length; i++) { api.apply(null, queued[i]); }
  if (leads) {
    visit("page_view");
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", passToForms);
    } else { passToForms(); }
  }
})(window, document);
