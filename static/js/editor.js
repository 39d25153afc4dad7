// The editor's extras; the form works the same without them (preview is a
// POST that opens a new tab, "Salva bozza" saves).
// - "Pubblica" reads "Programma" while the date typed is still to come;
// - an optional side-by-side preview, asked of the server (the same
//   sanitizer as the published page) as the author types;
// - a draft is saved as it is typed (to the draft only: the form of a
//   published article has no autosave address, so its live text changes
//   only with "Aggiorna"); a new article's or a published article's unsaved
//   fields are kept in this browser (localStorage) and offered back;
// - "Aggiungi immagine": an image, its alternative text and caption sent to
//   the media page's JSON, its <figure> put in the text at the cursor.
(function () {
  "use strict";
  var form = document.getElementById("editor-form");
  if (!form) { return; }
  var editor = form.closest(".editor");
  var statusLine = document.getElementById("editor-status");
  var loadedAt = Date.now();
  // A page has no categories or tags: only the fields this form has.
  var FIELDS = ["title", "slug", "standfirst", "body", "categories", "tags", "publish_date", "publish_time"]
    .filter(function (name) { return form.elements[name]; });

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

  form.addEventListener("input", function (event) {
    if (event.target.closest && event.target.closest("#add-image-form")) { return; }
    refreshPreview();
    if (autosaveUrl) { autosave(); } else if (storage) { keep(); }
  });
  updatePublishLabel();

  // "Aggiungi immagine": without this script, a link to the media page.
  var imageForm = document.getElementById("add-image-form");
  if (imageForm && window.FormData) {
    var imageLink = document.getElementById("add-image-link");
    var imageError = document.getElementById("add-image-error");
    var imageStatus = document.getElementById("add-image-status");
    var fileInput = document.getElementById("add-image-file");
    var altInput = document.getElementById("add-image-alt");
    var captionInput = document.getElementById("add-image-caption");
    var body = form.elements.body;
    // Where the cursor was in the text before the author went to the image's fields.
    var cursor = null;
    body.addEventListener("blur", function () { cursor = body.selectionStart; });
    imageLink.addEventListener("click", function (event) {
      event.preventDefault();
      imageForm.hidden = !imageForm.hidden;
      imageLink.setAttribute("aria-expanded", imageForm.hidden ? "false" : "true");
      if (!imageForm.hidden) { fileInput.focus(); }
    });
    imageLink.setAttribute("aria-controls", "add-image-form");
    imageLink.setAttribute("aria-expanded", "false");
    imageLink.removeAttribute("target");
    function refuse(text, input) {
      imageError.textContent = text;
      imageStatus.textContent = "";
      if (input) { input.setAttribute("aria-invalid", "true"); input.focus(); }
    }
    function insertFigure(html) {
      var text = body.value;
      var at = cursor === null ? text.length : Math.min(cursor, text.length);
      var before = text.slice(0, at).trimEnd();
      var after = text.slice(at).trimStart();
      // On its own lines, between blank lines: Markdown keeps it as HTML.
      var inserted = (before ? "\n\n" : "") + html + "\n\n";
      body.value = before + inserted + after;
      cursor = before.length + inserted.length;
      body.dispatchEvent(new Event("input", { bubbles: true }));
    }
    document.getElementById("add-image-button").addEventListener("click", function () {
      fileInput.removeAttribute("aria-invalid");
      altInput.removeAttribute("aria-invalid");
      if (!fileInput.files.length) { refuse(imageForm.getAttribute("data-file-required"), fileInput); return; }
      if (!altInput.value.trim()) { refuse(imageForm.getAttribute("data-alt-required"), altInput); return; }
      var data = new FormData();
      data.append("file", fileInput.files[0]);
      data.append("alt", altInput.value);
      data.append("caption", captionInput.value);
      imageError.textContent = "";
      imageStatus.textContent = imageForm.getAttribute("data-uploading");
      window.fetch(imageForm.getAttribute("data-place-url"), {
        method: "POST",
        body: data,
        credentials: "same-origin",
        headers: { "Accept": "application/json", "X-CSRFToken": form.elements.csrf_token.value }
      }).then(function (response) {
        return response.json().then(function (json) { return { ok: response.ok, json: json }; });
      }).then(function (answer) {
        if (!answer.ok) {
          var field = answer.json.errors && answer.json.errors.alt ? altInput : fileInput;
          refuse(answer.json.error || imageForm.getAttribute("data-failed"), field);
          return;
        }
        insertFigure(answer.json.html);
        fileInput.value = "";
        altInput.value = "";
        captionInput.value = "";
        imageStatus.textContent = imageForm.getAttribute("data-placed");
      }).catch(function () { refuse(imageForm.getAttribute("data-failed"), null); });
    });
  }
})();
