// A participant's phone in a live workshop. Progressive enhancement only: without this file every
// form posts, the page comes back at the question and says what happened, and "Pagina vernieuwen"
// shows what is new.
//
// With it:
// - the phone asks /w/<code>/stand every 2 seconds (If-None-Match: mostly a 304) and, when the room
//   changed, fetches the live part (/w/<code>/inhoud) and swaps it in. Never while the participant
//   is typing or has something not yet sent: then a small "Er is iets nieuw — Vernieuwen" appears;
// - the small forms are sent with fetch (header X-Handvat-Live). A contribution is answered with
//   the new live part, which is swapped in; an accepted scale choice or dot with a small JSON
//   object (the notice, the new state), from which this script updates the question itself, as
//   the server would have rendered it; a refusal with the page that explains it, whose live part
//   is swapped in;
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
  // Set when an answer updated the page in place while a fetch of the live part was under way.
  var patched = false;

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

  function hasTypedText() {
    var current = live();
    return !!current && Array.prototype.some.call(current.querySelectorAll("textarea"),
      function (area) { return area.value.trim() !== ""; });
  }

  // This phone is no longer in the workshop: load the page that says why, or, when there is
  // typed text on the page, say so and let the participant copy it first.
  function showGone() {
    if (!hasTypedText()) { window.location.reload(); return; }
    if (!news) { return; }
    news.textContent = "";
    var text = document.createElement("p");
    text.textContent = "U doet niet meer mee met deze workshop. Kopieer eerst uw tekst als u die wilt bewaren.";
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button button--primary";
    button.textContent = "Pagina vernieuwen";
    button.addEventListener("click", function () { window.location.reload(); });
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

  // What the server removes before it counts (app/core/text.py): control characters other
  // than tab and line feed, and the bidirectional overrides and isolates.
  var REMOVED = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
  // What Python's str.split() splits on (JavaScript's \s also splits on U+FEFF; Python keeps it).
  var SPACES = /[\t\n\u000b\u000c\r\u001c-\u001f \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/;

  // The length as the server counts it: the text cleaned, runs of white space as one space,
  // in characters (code points), so an emoji counts once, not as the two UTF-16 units that
  // String.length counts.
  function storedLength(text) {
    var words = text.replace(/\r\n?/g, "\n").replace(REMOVED, "").split(SPACES);
    var joined = words.filter(function (word) { return word !== ""; }).join(" ");
    var length = 0;
    for (var i = 0; i < joined.length; i++) {
      var unit = joined.charCodeAt(i);
      // A low surrogate after a high one is the second half of one character.
      if (!(unit >= 0xDC00 && unit <= 0xDFFF && i > 0 &&
            joined.charCodeAt(i - 1) >= 0xD800 && joined.charCodeAt(i - 1) <= 0xDBFF)) {
        length += 1;
      }
    }
    return length;
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

  // The button to focus after a tap: the one pressed, or, when a dot's "erbij" became
  // "eraf" (or back), its counterpart in the same place.
  function tappedButton(root, submitter, key) {
    var target = submitter ? document.getElementById(submitter) : null;
    if (!target && /^stip-/.test(key)) {
      var other = key.indexOf("stip-erbij-") === 0 ? key.replace("erbij", "eraf") : key.replace("eraf", "erbij");
      target = root.querySelector('form[data-phone-form="' + other + '"] button');
    }
    return target;
  }

  // After the participant's own form: focus where they were, and say what happened.
  function settle(fresh, submitter, key) {
    var notice = fresh.querySelector("[data-phone-notice]");
    if (notice && notice.id === "foutmeldingen") { notice.focus(); return; }
    var target = tappedButton(fresh, submitter, key);
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

  // --- an accepted scale choice or dot: update the question in place ----------------------------

  // Jinja's truncate(60): the button's text for screen readers, as the server writes it.
  function truncate(text) {
    if (text.length <= 65) { return text; }
    var cut = text.slice(0, 57);
    var space = cut.lastIndexOf(" ");
    return (space > 0 ? cut.slice(0, space) : cut) + "...";
  }

  function itemText(item) {
    var paragraph = item.querySelector(".phone-item__text");
    if (!paragraph) { return ""; }
    var badge = paragraph.querySelector(".badge");
    var text = paragraph.textContent;
    if (badge) { text = text.slice(text.indexOf(badge.textContent) + badge.textContent.length); }
    return text.trim();
  }

  function dotForm(template, id, had, change, label) {
    var form = document.createElement("form");
    form.method = "post";
    form.setAttribute("action", template.getAttribute("action"));
    form.setAttribute("data-phone-form", "stip-" + change + "-" + id);
    [["csrf_token", template.elements.csrf_token.value], ["contribution_id", id],
      ["had", String(had)], ["change", change]].forEach(function (field) {
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = field[0];
      input.value = field[1];
      form.appendChild(input);
    });
    var button = document.createElement("button");
    button.type = "submit";
    button.className = "button phone-dot-button" + (change === "eraf" ? " phone-dot-button--off" : "");
    button.id = "stip-" + id + "-" + change;
    button.textContent = change === "eraf" ? "Stip eraf" : "Stip erbij";
    var hidden = document.createElement("span");
    hidden.className = "visually-hidden";
    hidden.textContent = ": " + label;
    button.appendChild(hidden);
    form.appendChild(button);
    return form;
  }

  function applyDots(section, template, data) {
    var left = section.querySelector(".phone-dots-left strong");
    if (left) {
      left.textContent = "U heeft nog " + data.dotsLeft + " " + (data.dotsLeft === 1 ? "stip" : "stippen");
    }
    each(section.querySelectorAll("li.phone-item[id^='bijdrage-']"), function (item) {
      var id = item.id.slice("bijdrage-".length);
      // What counts for the item, the participant's dots on contributions merged into it
      // included (the server counts them there).
      var now = data.dots[id] || 0;
      var mine = item.querySelector(".phone-item__mine");
      var marks = mine ? mine.querySelector(".phone-dot-marks") : null;
      var total = now;
      if (mine && marks) {
        marks.textContent = new Array(total + 1).join("\u25CF");
        mine.lastChild.textContent = " Uw stippen hier: " + total;
      }
      item.classList.toggle("phone-item--dotted", total > 0);
      var buttons = item.querySelector(".phone-item__buttons");
      if (!buttons) { return; }
      var label = truncate(itemText(item));
      buttons.textContent = "";
      if (now < data.perItem && data.dotsLeft > 0) { buttons.appendChild(dotForm(template, id, now, "erbij", label)); }
      if (now > 0) { buttons.appendChild(dotForm(template, id, now, "eraf", label)); }
    });
  }

  function applyScale(section, data) {
    var form = section.querySelector('form[data-phone-form^="schaal-"]');
    if (!form) { return false; }
    each(form.querySelectorAll('input[name="assessment_id"]'), function (radio) {
      radio.checked = radio.value === data.chosen;
      radio.defaultChecked = radio.checked;
    });
    var button = form.querySelector('button[type="submit"]');
    var chosen = form.querySelector(".phone-chosen");
    if (!chosen) {
      chosen = document.createElement("p");
      chosen.className = "phone-chosen";
      form.insertBefore(chosen, button);
    }
    chosen.textContent = "Uw keuze nu: ";
    var strong = document.createElement("strong");
    strong.textContent = data.label;
    chosen.appendChild(strong);
    if (button) { button.textContent = "Keuze wijzigen"; }
    return true;
  }

  // The notice at the question, where the server puts it; the previous one goes.
  function placeNotice(section, data) {
    each(live().querySelectorAll("[data-phone-notice], [data-phone-problem]"), function (old) { old.remove(); });
    var box = document.createElement("div");
    box.className = "alert alert--" + data.category + " phone-notice";
    box.setAttribute("data-phone-notice", "");
    box.tabIndex = -1;
    var text = document.createElement("p");
    text.className = "phone-alert-text";
    text.textContent = data.notice;
    box.appendChild(text);
    var before = null;
    each(section.children, function (child) {
      if (!before && (child.tagName === "FORM" || child.classList.contains("phone-guidance"))) { before = child; }
    });
    section.insertBefore(box, before);
    return box;
  }

  // Returns false when the question is no longer on the page: then the caller fetches it all.
  function applyAnswer(form, key, submitter, data) {
    var current = live();
    var section = current ? byId(current, "vraag-" + data.question) : null;
    if (!section) { return false; }
    if (data.dots) {
      applyDots(section, form, data);
    } else if (!applyScale(section, data)) {
      return false;
    }
    // A live part fetched before this change must not undo it: fetch again instead.
    generation += 1;
    patched = true;
    var box = placeNotice(section, data);
    var target = tappedButton(current, submitter, key);
    if (target) {
      target.focus({ preventScroll: true });
      announce(data.notice);
    } else {
      box.focus();
    }
    return true;
  }

  function refresh(force) {
    if (!force && isBusy()) { showNews(); return; }
    lastFetch = Date.now();
    contributionsWaiting = false;
    var started = generation;
    fetch(liveUrl, { credentials: "same-origin", cache: "no-store", headers: { "Accept": "text/html" } })
      .then(function (response) {
        if (response.status === 403 || response.status === 404) {
          // No longer in (removed by the facilitator, or the cookie is gone): the page says
          // why; but never reload over text the participant typed.
          stopped = true;
          showGone();
          return null;
        }
        if (!response.ok) { throw new Error("status " + response.status); }
        return response.text();
      })
      .then(function (html) {
        if (html === null) { return; }
        var fresh = parseLive(html);
        if (!fresh) { throw new Error("no live part"); }
        if (generation !== started) {
          if (patched) { patched = false; refresh(false); }
          return;
        }
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
      // Answered: the form may be sent again (handvat.js holds a second click for 4 seconds; a
      // form that stays on the page, as the scale, must not ignore the next choice).
      form.removeAttribute("data-submitting");
      form.classList.remove("phone-busy");
    }
    fetch(form.action, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "Accept": "application/json, text/html", "X-Handvat-Live": "1" }
    })
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        return response.text().then(function (html) {
          return { status: response.status, html: html, json: response.ok && type.indexOf("application/json") === 0 };
        });
      })
      .then(function (result) {
        done();
        if (result.json) {
          var data = JSON.parse(result.html);
          if (!applyAnswer(form, key, submitter, data)) {
            announce(data.notice);
            refresh(true);
          }
          return;
        }
        var fresh = parseLive(result.html);
        if (fresh) {
          swap(fresh, key);
          hideNews();
          settle(fresh, submitter, key);
        } else if (result.status === 429) {
          showProblem(form, "U heeft veel tegelijk gestuurd. Wacht een minuut en probeer het dan opnieuw. Er is niets opgeslagen.");
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
