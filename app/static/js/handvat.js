// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";

  // Warn before leaving a form with unsaved typing (navigation buttons inside it save first).
  document.querySelectorAll("form[data-warn-unsaved]").forEach(function (form) {
    var dirty = false;
    form.addEventListener("input", function () { dirty = true; });
    form.addEventListener("submit", function () { dirty = false; });
    window.addEventListener("beforeunload", function (event) {
      if (dirty) { event.preventDefault(); event.returnValue = ""; }
    });
  });

  // A live character count under long text fields.
  document.querySelectorAll("textarea[data-count-limit]").forEach(function (area) {
    var limit = parseInt(area.getAttribute("data-count-limit"), 10);
    var counter = document.createElement("p");
    counter.className = "char-count";
    counter.id = area.id + "-teller";
    counter.setAttribute("aria-live", "polite");
    area.insertAdjacentElement("afterend", counter);
    function update() {
      var length = area.value.length;
      counter.textContent = length.toLocaleString("nl-NL") + " van " + limit.toLocaleString("nl-NL") + " tekens";
      counter.classList.toggle("char-count--over", length > limit);
    }
    area.addEventListener("input", update);
    update();
  });

  // Stop a second click on a submit button from sending the form twice.
  document.querySelectorAll("form").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (form.dataset.submitting === "1") { event.preventDefault(); return; }
      form.dataset.submitting = "1";
      window.setTimeout(function () { form.dataset.submitting = ""; }, 4000);
    });
  });

  // A wide table or chart scrolls sideways on a small screen. Say so above it while part of
  // it is out of view, or nobody notices the columns past the edge.
  document.querySelectorAll(".table-scroll, .chart-scroll").forEach(function (region) {
    var hint = document.createElement("p");
    hint.className = "scroll-hint";
    hint.hidden = true;
    hint.textContent = region.classList.contains("chart-scroll")
      ? "De grafiek is breder dan uw scherm. Schuif haar opzij om alles te zien."
      : "De tabel is breder dan uw scherm. Schuif haar opzij om alles te zien.";
    region.insertAdjacentElement("beforebegin", hint);
    function update() { hint.hidden = region.scrollWidth - region.clientWidth < 2; }
    window.addEventListener("resize", update);
    update();
  });

  // Move focus to the error summary so screen-reader users hear what to fix.
  var summary = document.getElementById("foutmeldingen");
  if (summary) { summary.focus(); }
})();
