// The notice after an action ("1 commento spostato nel cestino. Annulla")
// sticks to the top of the window (static/css/site.css). This script keeps
// the comment the page came back to below it rather than under it, says the
// notice to screen readers, and lets it be closed. Without JavaScript the
// notice is shown and works the same.
(function () {
  "use strict";
  var bar = document.getElementById("notice");
  if (!bar) { return; }
  var root = document.documentElement;

  function fit() { root.style.scrollPaddingTop = bar.hidden ? "" : bar.offsetHeight + 8 + "px"; }
  fit();
  window.addEventListener("resize", fit);
  var target = window.location.hash.length > 1 ? document.getElementById(window.location.hash.slice(1)) : null;
  if (target) { target.scrollIntoView({ block: "start", behavior: "instant" }); }

  // A live region is spoken when it changes, not when a page arrives with
  // it: say the message again, once, from a region of its own.
  var said = Array.prototype.map.call(bar.querySelectorAll(".flash"), function (p) { return p.textContent; }).join(" ");
  var announcer = document.createElement("p");
  announcer.className = "visually-hidden";
  announcer.setAttribute("role", "status");
  document.body.appendChild(announcer);
  window.setTimeout(function () { announcer.textContent = said; }, 250);

  var close = bar.querySelector(".notice-close");
  close.hidden = false;
  close.addEventListener("click", function () {
    bar.hidden = true;
    fit();
  });
})();
