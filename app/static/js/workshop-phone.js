// A participant's phone in a live workshop. Progressive enhancement only: without this file every
// form posts, the page comes back at the question and says what happened, and "Pagina vernieuwen"
// shows what is new.
//
// With it:
// - the phone asks /w/<code>/stand every 2 seconds (If-None-Match: mostly a 304) and, when the room
//   changed, fetches the live part (/w/<code>/inhoud) and swaps it in. Never while the participant
//   is typing or has something not yet sent: then a small "Er is iets nieuw — Vernieuwen" appears;
// - the small forms are sent with fetch; the page that comes back (the phone page after the
//   redirect, or the page with the refusal) gives the new live part, which is swapped in;
// - text typed in another form is carried over into the new live part, focus and scroll position
//   stay where they were, and only the answer to the participant's own action and a new question
//   are announced to screen readers (not every poll).
(function () {
  "use strict";

  var root = document.querySelector("[data-phone]");
  if (!root || !window.fetch || !window.DOMParser || !window.URLSearchParams) { return; }

  var POLL_MS = 2000;
  // Other people's contributions are fetched at most this often: a room of 300 writing at once
  // must not make every phone fetch its page every 2 seconds.
  var CONTRIBUTIONS_MS = 15000;
  var lastFetch = Date.now();
  var contributionsWaiting = false;
  var MAX_DELAY_MS = 30000;
  var stateUrl = root.getAttribute("data-state-url");
  var liveUrl = root.getAttribute("data-live-url");
  var news = root.querySelector("[data-phone-news]");
  var announcer = root.querySelector("[data-phone-announcer]");
  var etag = "";
  var delay = POLL_MS;
  var timer = null;
  var stopped = false;
  var sending = 0;
  // Goes up with every swap, so an answer that arrives after a newer one is dropped.
  var generation = 0;

  function live() { return document.getElementById("live"); }

  function each(list, callback) { Array.prototype.forEach.call(list, callback); }

  // --- is the participant busy? -------------------------------------------------------------------

  function isTextField(element) {
    return element && (element.tagName === "TEXTAREA" ||
      (element.tagName === "INPUT" && (element.type === "text" || element.type === "search")));
  }

  // A form holds something not sent: text, or a choice other than the one stored.
  function isDirty(form) {
    var dirty = false;
    each(form.elements, function (element) {
      if (element.type === "radio" || element.type === "checkbox") {
        if (element.checked !== element.defaultChecked) { dirty = true; }
      } else if (isTextField(element) && element.value.trim() !== "") {
        dirty = true;
      }
    });
    return dirty;
  }

  function isBusy() {
    var current = live();
    if (!current) { return false; }
    if (sending > 0) { return true; }
    if (isTextField(document.activeElement) && current.contains(document.activeElement)) { return true; }
    return Array.prototype.some.call(current.querySelectorAll("form[data-phone-form]"), isDirty);
  }

  // --- telling --------------------------------------------------------------------------------

  function announce(text) {
    if (!announcer || !text) { return; }
    announcer.textContent = "";
    window.setTimeout(function () { announcer.textContent = text; }, 50);
  }

  function showNews() {
    if (!news || news.firstChild) { return; }
    var text = document.createElement("p");
    text.textContent = "Er is iets nieuw.";
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button button--primary";
    button.textContent = "Vernieuwen";
    button.addEventListener("click", function () { refresh(true); });
    news.appendChild(text);
    news.appendChild(button);
  }

  function hideNews() {
    if (news) { news.textContent = ""; }
  }

  function showProblem(form, text) {
    var box = form.querySelector("[data-phone-problem]");
    if (!box) {
      box = document.createElement("div");
      box.className = "alert alert--warning phone-notice";
      box.setAttribute("data-phone-problem", "");
      box.tabIndex = -1;
      form.insertBefore(box, form.firstChild);
    }
    box.textContent = text;
    box.focus();
  }

  // --- character counter ----------------------------------------------------------------------

  function storedLength(text) {
    var trimmed = text.trim();
    return trimmed ? trimmed.split(/\s+/).join(" ").length : 0;
  }

  function updateCounter(area) {
    var counter = document.getElementById(area.id + "-teller");
    if (!counter) { return; }
    var limit = parseInt(area.getAttribute("data-phone-limit"), 10);
    var length = storedLength(area.value);
    var over = length > limit;
    counter.textContent = length.toLocaleString("nl-NL") + " van " + limit.toLocaleString("nl-NL") + " tekens";
    if (over && !counter.classList.contains("char-count--over")) {
      announce("Uw tekst is langer dan " + limit + " tekens. Maak hem korter.");
    }
    counter.classList.toggle("char-count--over", over);
  }

  function addCounters(container) {
    each(container.querySelectorAll("textarea[data-phone-limit]"), function (area) {
      if (document.getElementById(area.id + "-teller")) { return; }
      var counter = document.createElement("p");
      counter.className = "char-count";
      counter.id = area.id + "-teller";
      area.insertAdjacentElement("afterend", counter);
      var described = area.getAttribute("aria-describedby");
      area.setAttribute("aria-describedby", (described ? described + " " : "") + counter.id);
      updateCounter(area);
    });
  }

  document.addEventListener("input", function (event) {
    var target = event.target;
    if (target && target.matches && target.matches("textarea[data-phone-limit]")) { updateCounter(target); }
  });

  // --- swapping the live part ------------------------------------------------------------------

  function parseLive(html) {
    return new DOMParser().parseFromString(html, "text/html").getElementById("live");
  }

  function byId(container, id) {
    return id ? container.querySelector("#" + (window.CSS && CSS.escape ? CSS.escape(id) : id)) : null;
  }

  // Copy what was typed or chosen in ``from`` (a form of the old live part) into ``to``.
  function carryOver(from, to) {
    each(from.elements, function (element) {
      var twin = byId(to, element.id);
      if (!twin) { return; }
      if (element.type === "radio" || element.type === "checkbox") {
        twin.checked = element.checked;
      } else if (isTextField(element)) {
        twin.value = element.value;
      }
    });
  }

  // Text of a form whose question was closed meanwhile (or that the server gave back, marked
  // data-phone-kept): shown above the questions, never silently dropped by a swap.
  function keepOrphan(fresh, text) {
    var already = Array.prototype.some.call(fresh.querySelectorAll("textarea[data-phone-kept]"),
      function (area) { return area.value === text; });
    if (already) { return; }
    var box = document.createElement("div");
    box.className = "phone-card preserved";
    var id = "niet-verstuurd-" + Math.random().toString(36).slice(2, 8);
    var label = document.createElement("label");
    label.className = "field__label";
    label.htmlFor = id;
    label.textContent = "Uw tekst (niet verstuurd: de vraag is gesloten)";
    var hint = document.createElement("p");
    hint.className = "field__hint";
    hint.textContent = "Kopieer de tekst als u hem wilt bewaren.";
    var area = document.createElement("textarea");
    area.className = "input phone-textarea";
    area.id = id;
    area.readOnly = true;
    area.rows = 3;
    area.value = text;
    area.setAttribute("data-phone-kept", "");
    box.appendChild(label);
    box.appendChild(hint);
    box.appendChild(area);
    fresh.insertBefore(box, fresh.firstChild);
  }

  // The topmost element on screen, to keep it where it is when the content above it changes.
  function scrollAnchor(container) {
    var candidates = container.querySelectorAll("[id]");
    for (var i = 0; i < candidates.length; i += 1) {
      var top = candidates[i].getBoundingClientRect().top;
      if (top >= 0) { return { id: candidates[i].id, top: top }; }
    }
    return null;
  }

  function swap(fresh, submittedKey) {
    var old = live();
    if (!old) { return; }
    generation += 1;
    fresh = document.adoptNode(fresh);
    var anchor = scrollAnchor(old);
    var focusedId = old.contains(document.activeElement) ? document.activeElement.id : "";
    var oldCurrent = old.getAttribute("data-current");
    var unsent = [];
    each(old.querySelectorAll("form[data-phone-form]"), function (form) {
      var key = form.getAttribute("data-phone-form");
      if (key !== submittedKey && isDirty(form)) { unsent.push(form); }
    });
    each(unsent, function (form) {
      var twin = fresh.querySelector('form[data-phone-form="' + form.getAttribute("data-phone-form") + '"]');
      if (twin) {
        carryOver(form, twin);
      } else {
        each(form.querySelectorAll("textarea"), function (area) {
          if (area.value.trim()) { keepOrphan(fresh, area.value); }
        });
      }
    });
    each(old.querySelectorAll("textarea[data-phone-kept]"), function (area) {
      keepOrphan(fresh, area.value);
    });
    old.replaceWith(fresh);
    addCounters(fresh);
    if (anchor) {
      var moved = document.getElementById(anchor.id);
      if (moved) { window.scrollBy(0, moved.getBoundingClientRect().top - anchor.top); }
    }
    var focused = document.getElementById(focusedId);
    if (focused && submittedKey === null) { focused.focus({ preventScroll: true }); }
    if (fresh.getAttribute("data-open") !== "ja") {
      stopped = true;
      if (submittedKey === null) { announce("De workshop is afgelopen."); }
    } else if (submittedKey === null && fresh.getAttribute("data-current") &&
               fresh.getAttribute("data-current") !== oldCurrent) {
      var heading = fresh.querySelector(".phone-question__title");
      announce("Er staat een nieuwe vraag open: " + (heading ? heading.textContent.trim() : ""));
    }
  }

  // After the participant's own form: focus where they were, and say what happened.
  function settle(fresh, submitter, key) {
    var notice = fresh.querySelector("[data-phone-notice]");
    if (notice && notice.id === "foutmeldingen") { notice.focus(); return; }
    var target = submitter ? document.getElementById(submitter) : null;
    if (!target && /^stip-/.test(key)) {
      var other = key.indexOf("stip-erbij-") === 0 ? key.replace("erbij", "eraf") : key.replace("eraf", "erbij");
      target = fresh.querySelector('form[data-phone-form="' + other + '"] button');
    }
    if (target) {
      target.focus({ preventScroll: true });
      if (notice) { announce(notice.textContent.trim()); }
    } else if (notice) {
      notice.focus();
    }
  }

  // The "Vernieuwen" button is gone after the swap: go on where the participant was writing,
  // or at the first question.
  function focusAfterNews(fresh) {
    var typed = Array.prototype.filter.call(fresh.querySelectorAll("form[data-phone-form] textarea"),
      function (area) { return area.value.trim() !== ""; })[0];
    var target = typed || fresh.querySelector(".phone-question__title, .phone-message h2");
    if (!target) { return; }
    if (!typed) { target.setAttribute("tabindex", "-1"); }
    target.focus();
  }

  function refresh(force) {
    if (!force && isBusy()) { showNews(); return; }
    lastFetch = Date.now();
    contributionsWaiting = false;
    var started = generation;
    fetch(liveUrl, { credentials: "same-origin", cache: "no-store", headers: { "Accept": "text/html" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("status " + response.status); }
        return response.text();
      })
      .then(function (html) {
        var fresh = parseLive(html);
        if (!fresh) { throw new Error("no live part"); }
        if (generation !== started) { return; }
        if (!force && isBusy()) { showNews(); return; }
        var fromNews = news && news.contains(document.activeElement);
        swap(fresh, null);
        hideNews();
        if (fromNews) { focusAfterNews(fresh); }
      })
      .catch(function () { showNews(); });
  }

  // --- polling --------------------------------------------------------------------------------

  function schedule(ms) {
    window.clearTimeout(timer);
    if (!stopped) { timer = window.setTimeout(poll, ms); }
  }

  function poll() {
    if (stopped || document.hidden) { return; }
    var headers = { "Accept": "application/json" };
    if (etag) { headers["If-None-Match"] = etag; }
    fetch(stateUrl, { credentials: "same-origin", cache: "no-store", headers: headers })
      .then(function (response) {
        if (response.status === 304) { return null; }
        if (response.status === 404) { stopped = true; return null; }
        if (!response.ok) { throw new Error("status " + response.status); }
        etag = response.headers.get("ETag") || "";
        return response.json();
      })
      .then(function (state) {
        delay = POLL_MS;
        var current = live();
        if (current && state && String(state.contributions) !== current.getAttribute("data-contributions")) {
          contributionsWaiting = true;
        }
        if (current && (
          (state && String(state.revision) !== current.getAttribute("data-revision")) ||
          (state && !state.open && current.getAttribute("data-open") === "ja") ||
          (contributionsWaiting && Date.now() - lastFetch >= CONTRIBUTIONS_MS) ||
          (news && news.firstChild && !isBusy()))) {
          refresh(false);
        }
        schedule(delay);
      })
      .catch(function () {
        delay = Math.min(delay * 2, MAX_DELAY_MS);
        schedule(delay);
      });
  }

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) { schedule(0); }
  });
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) { schedule(0); }
  });

  // --- sending the small forms -------------------------------------------------------------------

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var current = live();
    if (!form || !form.hasAttribute || !form.hasAttribute("data-phone-form") || !current || !current.contains(form)) { return; }
    if (event.defaultPrevented) { return; } // handvat.js stopped a second click
    event.preventDefault();
    if (form.getAttribute("data-sending") === "1") { return; }
    form.setAttribute("data-sending", "1");
    form.classList.add("phone-busy");
    sending += 1;
    var key = form.getAttribute("data-phone-form");
    var submitter = event.submitter && event.submitter.id ? event.submitter.id : "";
    var body = new URLSearchParams(new FormData(form));
    function done() {
      sending -= 1;
      form.removeAttribute("data-sending");
      form.classList.remove("phone-busy");
    }
    fetch(form.action, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "Accept": "text/html", "X-Handvat-Live": "1" }
    })
      .then(function (response) {
        return response.text().then(function (html) { return { status: response.status, html: html }; });
      })
      .then(function (result) {
        done();
        var fresh = parseLive(result.html);
        if (fresh) {
          swap(fresh, key);
          hideNews();
          settle(fresh, submitter, key);
        } else if (result.status === 429) {
          showProblem(form, "U hebt veel tegelijk gestuurd. Wacht een minuut en probeer het dan opnieuw. Er is niets opgeslagen.");
        } else {
          form.submit(); // the page that explains it (not joined, gone): as without JavaScript
        }
      })
      .catch(function () {
        done();
        showProblem(form, "Het versturen lukte niet. Controleer de verbinding en probeer het opnieuw.");
      });
  });

  var first = live();
  if (first) {
    addCounters(first);
    // The ETag the poll answers with for this revision: the first poll is already a 304.
    etag = '"r' + first.getAttribute("data-revision") + "-c" + first.getAttribute("data-contributions") + '"';
  }
  if (first && first.getAttribute("data-open") === "ja") {
    schedule(POLL_MS);
  }
})();
