// The editor's extras; the form works the same without them (preview is a
// POST that opens a new tab, "Salva bozza" saves).
// - "Pubblica" reads "Programma" while the date typed is still to come;
// - an optional side-by-side preview, asked of the server (the same
//   sanitizer as the published page) as the author types;
// - a draft is saved as it is typed (to the draft only: the form of a
//   published article has no autosave address, so its live text changes
//   only with "Aggiorna"); a new article's or a published article's unsaved
//   fields are kept in this browser (localStorage) and offered back.
(function () {
  "use strict";
  var form = document.getElementById("editor-form");
  if (!form) { return; }
  var editor = form.closest(".editor");
  var statusLine = document.getElementById("editor-status");
  var loadedAt = Date.now();
  var FIELDS = ["title", "slug", "standfirst", "body", "categories", "tags", "publish_date", "publish_time"];

  function debounce(fn, ms) {
    var timer = null;
    return function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(fn, ms);
    };
  }

  function say(text) { if (statusLine) { statusLine.textContent = text; } }

  function post(url) {
    var data = new FormData(form);
    data.delete("action");
    return window.fetch(url, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      return response.json().then(function (json) { return { ok: response.ok, json: json }; });
    });
  }

  // "Pubblica" / "Programma", by the date typed, in the site's time zone:
  // the page says what time it was there when it was made.
  var publishButton = document.getElementById("publish-button");
  function siteNow() {
    var made = form.getAttribute("data-now-local");
    var parsed = made ? Date.parse(made + "Z") : NaN;
    return isNaN(parsed) ? null : parsed + (Date.now() - loadedAt);
  }
  function updatePublishLabel() {
    if (!publishButton) { return; }
    var day = form.elements.publish_date.value;
    var time = form.elements.publish_time.value || "00:00";
    if (time.length === 5) { time += ":00"; }  // seconds are optional
    var now = siteNow();
    var later = day && now !== null && Date.parse(day + "T" + time + "Z") > now;
    publishButton.value = later ? "schedule" : "publish";
    publishButton.textContent = form.getAttribute(later ? "data-label-schedule" : "data-label-publish");
  }
  form.elements.publish_date.addEventListener("input", updatePublishLabel);
  form.elements.publish_time.addEventListener("input", updatePublishLabel);

  // The side-by-side preview.
  var pane = document.getElementById("live-preview");
  var previewUrl = form.getAttribute("data-preview-url");
  var refreshPreview = debounce(function () {
    if (pane.hidden) { return; }
    post(previewUrl).then(function (answer) {
      if (!answer.ok) { return; }
      pane.querySelector("[data-preview=title]").textContent = answer.json.title;
      pane.querySelector("[data-preview=standfirst]").textContent = answer.json.standfirst;
      // Sanitized by the server with the article allowlist, as on the site.
      pane.querySelector("[data-preview=html]").innerHTML = answer.json.html;
    }).catch(function () {});
  }, 500);
  var toggle = document.createElement("button");
  toggle.type = "button";
  toggle.className = "button-secondary";
  toggle.id = "side-by-side";
  toggle.setAttribute("aria-pressed", "false");
  toggle.setAttribute("aria-controls", "live-preview");
  toggle.textContent = form.getAttribute("data-label-side-by-side");
  toggle.addEventListener("click", function () {
    var on = pane.hidden;
    pane.hidden = !on;
    editor.classList.toggle("side-by-side", on);
    toggle.setAttribute("aria-pressed", on ? "true" : "false");
    if (on) { refreshPreview(); }
  });
  var previewButton = document.getElementById("preview-button");
  previewButton.parentNode.insertBefore(toggle, previewButton.nextSibling);

  // A draft saved as it is typed.
  var autosaveUrl = form.getAttribute("data-autosave-url");
  var autosave = debounce(function () {
    if (!form.elements.title.value.trim()) { return; }
    post(autosaveUrl).then(function (answer) {
      say(answer.json.message || answer.json.error || "");
    }).catch(function () {});
  }, 3000);

  // Everything else: kept in this browser until the form is sent.
  var key = form.getAttribute("data-storage-key");
  var storage = null;
  try { storage = window.localStorage; } catch (error) { storage = null; }
  function values() {
    var kept = {};
    FIELDS.forEach(function (name) { kept[name] = form.elements[name].value; });
    return kept;
  }
  var keep = debounce(function () {
    try { storage.setItem(key, JSON.stringify(values())); } catch (error) {}
  }, 1000);
  if (!autosaveUrl && storage) {
    var saved = null;
    try { saved = JSON.parse(storage.getItem(key) || "null"); } catch (error) { saved = null; }
    var now = values();
    var differs = saved && FIELDS.some(function (name) { return (saved[name] || "") !== now[name]; });
    if (differs) {
      var offer = document.createElement("button");
      offer.type = "button";
      offer.className = "button-secondary";
      offer.textContent = form.getAttribute("data-label-restore-local");
      offer.addEventListener("click", function () {
        FIELDS.forEach(function (name) { form.elements[name].value = saved[name] || ""; });
        offer.remove();
        updatePublishLabel();
        refreshPreview();
      });
      statusLine.appendChild(offer);
    } else if (saved) {
      storage.removeItem(key);
    }
  }
  form.addEventListener("submit", function (event) {
    var submitter = event.submitter;
    if (storage && !(submitter && submitter.id === "preview-button")) {
      try { storage.removeItem(key); } catch (error) {}
    }
  });

  form.addEventListener("input", function () {
    refreshPreview();
    if (autosaveUrl) { autosave(); } else if (storage) { keep(); }
  });
  updatePublishLabel();
})();
