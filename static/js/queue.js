// The moderation queue, with a keyboard: j/k move between comments, a/s/d
// approve, spam or trash the one in focus, u undoes the last action; and a
// "Select all" that ticks the boxes in place. Every key only presses a
// button of the page's own forms, which work the same without JavaScript.
(function () {
  "use strict";
  var list = document.getElementById("queue-list");
  if (!list) { return; }
  var hint = document.querySelector(".shortcuts-hint");
  if (hint) { hint.hidden = false; }

  var selectAll = document.getElementById("select-all");
  function boxes() { return Array.prototype.slice.call(list.querySelectorAll('input[name="comment_ids"]')); }
  function showSelection() {
    var all = boxes().every(function (box) { return box.checked; });
    // The page gives the words, in its language.
    selectAll.textContent = selectAll.getAttribute(all ? "data-deselect" : "data-select");
    selectAll.setAttribute("aria-pressed", all ? "true" : "false");
  }
  if (selectAll) {
    selectAll.addEventListener("click", function (event) {
      event.preventDefault();
      var tick = !boxes().every(function (box) { return box.checked; });
      boxes().forEach(function (box) { box.checked = tick; });
      showSelection();
    });
    list.addEventListener("change", showSelection);
    showSelection();
  }

  function entries() { return Array.prototype.slice.call(list.querySelectorAll(".queue-entry")); }
  var current = null;
  list.addEventListener("focusin", function (event) {
    current = event.target.closest(".queue-entry");
  });
  list.addEventListener("click", function (event) {
    current = event.target.closest(".queue-entry") || current;
  });

  function move(step) {
    var all = entries();
    if (!all.length) { return; }
    var index = current ? all.indexOf(current) + step : (step > 0 ? 0 : all.length - 1);
    var next = all[Math.max(0, Math.min(all.length - 1, index))];
    next.focus();
    next.scrollIntoView({ block: "nearest" });
  }

  function submit(button) {
    if (!button) { return false; }
    if (button.form.requestSubmit) { button.form.requestSubmit(button); } else { button.click(); }
    return true;
  }

  var ACTIONS = { a: "approve", s: "spam", d: "trash" };
  function typing(target) {
    if (target.isContentEditable) { return true; }
    if (target.matches("textarea, select")) { return true; }
    return target.matches("input") && !target.matches('[type="checkbox"], [type="radio"], [type="submit"], [type="button"]');
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) { return; }
    var key = event.key;
    var done = false;
    if (key === "j" || key === "k") {
      move(key === "j" ? 1 : -1);
      done = true;
    } else if (ACTIONS[key] && current) {
      done = submit(current.querySelector(".entry-actions button.action-" + ACTIONS[key]));
    } else if (key === "u") {
      done = submit(document.querySelector("#undo-form button"));
    }
    if (done) { event.preventDefault(); }
  });

  // After an action the queue comes back at the comment that followed.
  var target = window.location.hash.indexOf("#entry-") === 0 ? document.getElementById(window.location.hash.slice(1)) : null;
  if (target) { target.focus(); }
})();
