// Move focus to the error summary so that screen readers announce it.
(function () {
  "use strict";
  var notice = document.getElementById("form-notice");
  if (notice) { notice.focus(); }
})();
