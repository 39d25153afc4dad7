// Progressive enhancement: "Reply" moves the form under the comment
// instead of reloading the page. Without JavaScript the link's own
// ?replytocom= URL does the same on the server.
(function () {
  "use strict";
  var respond = document.getElementById("respond");
  var form = document.getElementById("commentform");
  if (!respond || !form) { return; }
  var parentField = document.getElementById("comment_parent");
  var title = respond.querySelector(".reply-title-text");
  var cancel = document.getElementById("cancel-comment-reply-link");
  var home = document.createElement("div");
  home.id = "respond-home";
  home.hidden = true;
  respond.parentNode.insertBefore(home, respond);

  function moveTo(commentId, replyTitle) {
    var target = document.getElementById("comment-" + commentId);
    if (!target) { return false; }
    var body = target.querySelector(".comment-body");
    body.parentNode.insertBefore(respond, body.nextSibling);
    parentField.value = commentId;
    title.textContent = replyTitle;
    cancel.hidden = false;
    document.getElementById("comment").focus();
    return true;
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest(".comment-reply-link") : null;
    if (link && moveTo(link.getAttribute("data-commentid"), link.getAttribute("data-replyto"))) {
      event.preventDefault();
    }
  });

  cancel.addEventListener("click", function (event) {
    event.preventDefault();
    home.parentNode.insertBefore(respond, home);
    parentField.value = "0";
    title.textContent = respond.getAttribute("data-default-title");
    cancel.hidden = true;
    if (window.history.replaceState && window.location.search.indexOf("replytocom") !== -1) {
      window.history.replaceState(null, "", window.location.pathname + "#respond");
    }
    document.getElementById("comment").focus();
  });

  focusNoticeAfterLoad();
})();

// Move focus to the error summary so that screen readers announce it. After
// the load event: the browser's own scroll to #respond would take it back.
function focusNoticeAfterLoad() {
  "use strict";
  function focusNotice() {
    var notice = document.getElementById("form-notice");
    if (notice) { notice.focus(); }
  }
  window.addEventListener("load", function () { window.setTimeout(focusNotice, 0); });
}
