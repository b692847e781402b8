// Keeps the projector and the control page of a workshop up to date without a reload.
// Progressive enhancement: without this file the projector refreshes itself (<noscript> meta
// refresh) and the control page shows the state of its last load.
//
// Every second it asks /workshops/<id>/stand for the workshop's revision (If-None-Match: a
// 304 costs next to nothing). When the revision changed, it fetches the live part
// (data-live-fragment) and puts it in place only when it differs, so nothing flickers. It never
// replaces the part while the facilitator is choosing in one of its forms. A fragment may carry
// copies of other parts of the page (<template data-live-extra>): the control page's list of
// questions follows the room that way, with the same polling.
(function () {
  "use strict";

  var POLL_MS = 1000;
  // Connected counts and the like also change without a new revision.
  var REFRESH_MS = 15000;

  // --- timers: count down between two fetches ---------------------------------------------

  var timers = [];

  function startTimers() {
    var now = Date.now();
    timers = Array.prototype.map.call(document.querySelectorAll("[data-timer-remaining]"), function (el) {
      var seconds = parseInt(el.getAttribute("data-timer-remaining"), 10) || 0;
      return { el: el, ends: now + seconds * 1000 };
    });
    tick();
  }

  function tick() {
    var now = Date.now();
    timers.forEach(function (timer) {
      var left = Math.max(0, Math.ceil((timer.ends - now) / 1000));
      var text = left > 0
        ? "nog " + Math.floor(left / 60) + ":" + ("0" + (left % 60)).slice(-2)
        : "de tijd is om";
      if (timer.el.textContent !== text) { timer.el.textContent = text; }
      timer.el.classList.toggle("timer--done", left === 0);
    });
  }

  startTimers();
  window.setInterval(tick, 250);

  // --- the live part ---------------------------------------------------------------------------

  var live = document.querySelector("[data-live-fragment]");
  if (!live || !window.fetch) { return; }
  var stateUrl = live.getAttribute("data-live-state");
  var fragmentUrl = live.getAttribute("data-live-fragment");
  var revision = live.getAttribute("data-live-revision");
  var etag = '"' + revision + '"';
  var lastHtml = null;
  var lastFetch = Date.now();
  var busy = false;
  var stale = false;
  var stopped = false;

  // A choice made in a form of the live part but not sent yet, or focus in one of its fields.
  function isBusyHere() {
    var active = document.activeElement;
    if (active && live.contains(active) && /^(INPUT|SELECT|TEXTAREA)$/.test(active.tagName)) {
      return true;
    }
    var fields = live.querySelectorAll("select, textarea, input:not([type=hidden])");
    for (var i = 0; i < fields.length; i++) {
      var field = fields[i];
      if (field.tagName === "SELECT") {
        // Without a "selected" attribute a single select starts at its first option.
        var initial = 0;
        for (var j = 0; j < field.options.length; j++) {
          if (field.options[j].defaultSelected) { initial = j; break; }
        }
        if (field.selectedIndex !== initial) { return true; }
      } else if (field.type === "checkbox" || field.type === "radio") {
        if (field.checked !== field.defaultChecked) { return true; }
      } else if (field.value !== field.defaultValue) {
        return true;
      }
    }
    return false;
  }

  // Which button had focus, to give it back after the swap (keyboard users keep their place).
  function focusKey(el) {
    if (!el || !live.contains(el)) { return null; }
    if (el.id) { return "#" + el.id; }
    var form = el.form || el.closest("form");
    if (!form) { return null; }
    var index = Array.prototype.indexOf.call(form.elements, el);
    var owner = form.querySelector("input[name=contribution_id]");
    return { action: form.getAttribute("action"), owner: owner ? owner.value : "", index: index };
  }

  function refocus(key) {
    if (!key) { return; }
    var target = null;
    if (typeof key === "string") {
      target = live.querySelector(key);
    } else {
      Array.prototype.some.call(live.querySelectorAll("form"), function (form) {
        var owner = form.querySelector("input[name=contribution_id]");
        if (form.getAttribute("action") === key.action && (owner ? owner.value : "") === key.owner) {
          target = form.elements[key.index] || null;
          return true;
        }
        return false;
      });
    }
    if (target && target.focus) { target.focus({ preventScroll: true }); }
  }

  // Parts of the page outside the live part that the fragment carries a copy of
  // (<template data-live-extra="id">, as the control page's list of questions): put in place
  // of the element with that id when they changed, focus kept on the button that had it.
  function swapExtras(holder) {
    Array.prototype.forEach.call(holder.querySelectorAll("template[data-live-extra]"), function (template) {
      template.parentNode.removeChild(template);
      var target = document.getElementById(template.getAttribute("data-live-extra"));
      if (!target || target.innerHTML === template.innerHTML) { return; }
      var active = document.activeElement;
      var focusedId = active && target.contains(active) ? active.id : "";
      target.innerHTML = template.innerHTML;
      var again = focusedId ? document.getElementById(focusedId) : null;
      if (again && again.focus) { again.focus({ preventScroll: true }); }
    });
  }

  function swap(html) {
    var key = focusKey(document.activeElement);
    var holder = document.createElement("div");
    holder.innerHTML = html;
    swapExtras(holder);
    live.innerHTML = holder.innerHTML;
    refocus(key);
    startTimers();
  }

  function refresh(newRevision) {
    if (isBusyHere()) { stale = true; return null; }
    return fetch(fragmentUrl, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (!response.ok) { throw new Error("fragment " + response.status); }
        return response.text();
      })
      .then(function (html) {
        lastFetch = Date.now();
        if (isBusyHere()) { stale = true; return; }
        stale = false;
        revision = newRevision;
        if (html !== lastHtml) {
          lastHtml = html;
          swap(html);
        }
      });
  }

  function poll() {
    if (busy || stopped || document.hidden) { return; }
    busy = true;
    fetch(stateUrl, {
      credentials: "same-origin",
      cache: "no-store",
      redirect: "manual",
      headers: { "Accept": "application/json", "If-None-Match": etag }
    })
      .then(function (response) {
        if (response.status === 304) { return null; }
        if (response.type === "opaqueredirect") {
          // Signed out meanwhile: show the page again, which asks to sign in.
          stopped = true;
          window.location.reload();
          return null;
        }
        if (response.status === 403 || response.status === 404) { stopped = true; return null; }
        if (!response.ok) { throw new Error("state " + response.status); }
        etag = response.headers.get("ETag") || etag;
        return response.json();
      })
      .then(function (state) {
        var newRevision = state ? String(state.revision) : revision;
        if (newRevision !== revision || stale || Date.now() - lastFetch > REFRESH_MS) {
          return refresh(newRevision);
        }
        return null;
      })
      .catch(function () { /* the network hiccupped: the next poll tries again */ })
      .then(function () { busy = false; });
  }

  window.setInterval(poll, POLL_MS);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) { poll(); } });
})();
