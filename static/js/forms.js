// Move focus to the error summary so that screen readers announce it. After
// the load event: the browser's own scroll to a fragment would take it back.
(function () {
  "use strict";
  function focusNotice() {
    var notice = document.getElementById("form-notice");
    if (notice) { notice.focus(); }
  }
  window.addEventListener("load", function () { window.setTimeout(focusNotice, 0); });
})();
