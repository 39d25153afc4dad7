"""Text that code hands to users: validation errors and notices, in English,
translated when used (``blog/core/i18n.py``; catalogs in ``blog/translations/``).

Page text lives in the templates; this module holds what views and forms
produce, so that every sentence a reader can see has one home.
"""

from blog.core.i18n import counted
from blog.core.i18n import lazy_gettext as _l
from blog.core.i18n import lazy_pgettext as _lp
from blog.core.i18n import plural as _n

__all__ = ["counted"]


# Comment form
COMMENT_REQUIRED = _l("Please type your comment text.")
AUTHOR_REQUIRED = _l("Please enter your name.")
EMAIL_REQUIRED = _l("Please enter your email address.")
EMAIL_INVALID = _l("Please enter a valid email address.")
URL_INVALID = _l("Please enter a valid web address starting with http:// or https://.")
TOO_LONG = _l("This field can hold at most {max} characters.")
PARENT_INVALID = _l("The comment you want to reply to does not exist or is not approved yet.")
COMMENTS_CLOSED = _l("Comments are closed.")
#: Before a reply's text in the feeds, with the name of the comment it answers.
IN_REPLY_TO = _l("In reply to")
CONTROL_CHARACTERS = _l("The text contains control characters that are not allowed.")
NOT_ONE_LINE = _l("Write this field on one line, without line breaks.")
NONCHARACTERS = _l(
    "The text contains invalid Unicode characters (such as U+FFFE): remove them and try again."
)
TOO_MUCH_MARKUP = _l(
    "The comment contains too much HTML: at most {limit} tags, links, < and & characters and "
    "line breaks, and tags nested at most {depth} levels deep. Simplify the formatting and try "
    "again."
)

# An article's Markdown (blog/articles/markdown.py)
ARTICLE_TOO_DEEP = _l(
    "Quotations and lists are nested too deeply (at most 19 quotations or 9 lists inside each "
    "other). Simplify the structure and try again."
)
ARTICLE_TOO_MUCH_HTML = _l(
    "The HTML written in the article is too much: at most {limit} tags, < and & characters and "
    "line breaks in all, and tags nested at most {depth} levels deep. Simplify it and try again."
)
ARTICLE_TOO_MUCH_FORMATTING = _l(
    "The article has too much formatting: once rendered it would hold more than {limit} tags "
    'and special characters (such as < & "). Split it or simplify it and try again.'
)
FLOOD = _l("You are posting comments too quickly. Slow down.")
DUPLICATE = _l("Duplicate comment detected; it looks as though you’ve already said that!")
FORM_EXPIRED = _l(
    "The form is not valid or was left open for more than two hours: your text is still here, "
    "send it again."
)
RATE_LIMITED = _l(
    "You sent too many comments in a short time. Your text is still here: try again in a few "
    "minutes."
)
PREVIEW_RATE_LIMITED = _l(
    "You asked for too many previews in a short time. Your text is still here: try again in a "
    "few minutes."
)
# An author's own comment
OWN_EDIT_SAVED = _l("Change saved.")
OWN_EDIT_HELD = _l(
    "Change saved. The comment is awaiting moderation again: everyone will see it once it is "
    "approved."
)
OWN_WITHDRAWN = _l("Comment withdrawn: it is no longer visible.")
OWN_EDIT_WINDOW_OVER = _l(
    "This comment can no longer be changed or withdrawn: that is possible while it awaits "
    "moderation and for {minutes} minutes after it is approved."
)
#: Akismet's note in a comment's history.
AKISMET_REASON = _l("Akismet: spam")
#: The time trap's note in a comment's history: the rule, not the time measured.
TIME_TRAP_REASON = _l("sent less than {seconds} s after the form was opened")
#: The learning filter's note in a comment's history.
FILTER_REASON = _l("learning filter: score {score} ({words})")
WORD_LISTS_SAVED = _l("Word lists saved.")
ARTICLE_OPENED = _l("Comments opened on “{title}”.")
ARTICLE_CLOSED = _l("Comments closed on “{title}”.")
UNTRUSTED_HOST = _l(
    "This site does not answer at the address requested. Check the address in your browser's "
    "address bar."
)
CROSS_ORIGIN = _l(
    "Request refused: the form was sent from another site. Open the page on this site and try "
    "again from there."
)
CSRF_FAILED = _l("The form has expired or is not valid. Go back, reload the page and try again.")
FORM_HAS_ERRORS = _l("Your comment was not sent: please correct the fields marked.")
CSRF_EXPIRED = _l(
    "The page was left open too long or the form is not valid: your text is still here, send it "
    "again."
)

# Readers' reports ("Segnala")
#: The reason in a comment's history when reports send it back to pending.
FLAG_REASON = _n("{count} report from readers", "{count} reports from readers")

# Moderators
USERNAME_REQUIRED = _l("Please enter your username.")
# Messages about passwords, not passwords: bandit's B105 misreads them.
PASSWORD_REQUIRED = _l("Please enter your password.")
LOGIN_FAILED = _l("Invalid username or password.")
#: Neither masculine nor feminine, and no "welcome back" on a first login.
LOGGED_IN_FIRST = _l("Hello, {name}: here are the comments to moderate.")
LOGGED_IN = _l("Hello again, {name}.")
LOGGED_OUT = _l("Signed out. See you soon!")
PASSWORD_TOO_SHORT = _l("The password must be at least {min} characters long.")
PASSWORDS_DIFFER = _l("The two passwords do not match.")
# The command line (flask create-moderator, set-password...).
PASSWORD_RULES = _l(
    "Choose a password of at least {min} characters (a phrase is fine). It is not shown as you "
    "type, and you type it twice."
)
PASSWORD_PROMPT = _l("Password")
PASSWORD_AGAIN_PROMPT = _l("Repeat the password")
CLI_ERROR = _l("Error: {message}")
CLI_CANCELLED = _l("Cancelled: nothing was changed.")

# Staff: roles, invitations, password reset
#: Each role's name, as WordPress's Italian names them.
ROLE_NAMES = {
    "administrator": _lp("role", "Administrator"),
    "editor": _lp("role", "Editor"),
    "author": _lp("role", "Author"),
    "moderator": _lp("role", "Moderator"),
}
LOGGED_IN_FIRST_STAFF = _l("Hello, {name}.")
LAST_ADMINISTRATOR = _l(
    "This is the only active administrator: give another account the administrator role "
    "first, or the site would be left without anyone to manage it."
)
ROLE_CHANGED = _l("{name} is now: {role}.")
ACCOUNT_DEACTIVATED = _l("{name} can no longer sign in; their sessions have ended.")
ACCOUNT_REACTIVATED = _l("{name} can sign in again.")
INVITE_SENT = _l("Invitation sent to {email}. The link works once, for {hours} hours.")
INVITE_REVOKED = _l("Invitation to {email} revoked: its link no longer works.")
INVITE_EMAIL_TAKEN = _l("An active account already has this email address.")
INVITE_LINK_UNKNOWN = _l("This invitation link is not valid. Ask an administrator for a new one.")
INVITE_LINK_EXPIRED = _l("This invitation has expired. Ask an administrator for a new one.")
INVITE_LINK_USED = _l(
    "This invitation has already been used. If the account is yours, log in or use "
    "“Lost your password?”."
)
INVITE_LINK_REVOKED = _l("This invitation was revoked. Ask an administrator for a new one.")
INVITE_LINK_TITLE = _l("Invitation not valid")
USERNAME_TAKEN = _l("This username is already taken: choose another.")
USERNAME_INVALID = _l("Use letters, digits, dots, hyphens and underscores only.")
ACCOUNT_CREATED = _l("Welcome, {name}: your account is ready.")
RESET_ASKED = _l(
    "If an account uses that address, a message with a link to choose a new password is on "
    "its way. The link works once, for {minutes} minutes."
)
RESET_LINK_INVALID = _l(
    "This link to choose a new password is not valid: it has expired, was already used, or "
    "the password has changed since. Ask for a new one."
)
PASSWORD_RESET_DONE = _l("New password saved. Every other session of this account has ended.")
RESET_RATE_LIMITED = _l("Too many requests for a new password in a short time. Try again later.")


BULK_NO_ACTION = _l("Choose an action.")
BULK_NO_SELECTION = _l("Select at least one comment.")
ACTION_NOT_ALLOWED = _l("This action does not apply to the comment in its current status.")
COMMENT_EDITED = _l("Comment edited.")
REPLY_PUBLISHED = _l("Reply published.")
# Settings
MODERATION_SETTINGS_SAVED = _l("Moderation settings saved.")
CHOICE_INVALID = _l("Choose one of the options.")
NUMBER_INVALID = _l("Write a number, such as 0.95.")
WHOLE_NUMBER_INVALID = _l("Write a whole number, such as 20.")
SCORE_RANGE = _l("Write a number between 0.5 and 1.")
TRAINING_RANGE = _l("Write a whole number between 0 and 100,000.")
HOLD_ABOVE_SPAM = _l("The threshold for holding cannot be above the one for spam.")
DEPTH_RANGE = _l("Write a whole number between 1 and 10.")
PER_PAGE_RANGE = _l("Write a whole number between 1 and 1,000.")
CLOSE_DAYS_RANGE = _l("Write a whole number between 0 and 36,500.")
DISCUSSION_SETTINGS_SAVED = _l("Discussion settings saved.")
SETTINGS_HAVE_ERRORS = _l("The settings were not saved: please correct the fields marked.")

#: Queue tabs, by status.
STATUS_TABS = {
    "pending": _lp("queue tab", "Pending"),
    "approved": _lp("queue tab", "Approved"),
    "spam": _lp("queue tab", "Spam"),
    "trash": _lp("queue tab", "Trash"),
    # Not a status: approved comments readers reported (blog/moderation/views.py).
    "reported": _lp("queue tab", "Reported"),
}
#: A status as a word in a sentence.
STATUS_NAMES = {
    "pending": _lp("status", "pending"),
    "approved": _lp("status", "approved"),
    "spam": _lp("status", "spam"),
    "trash": _lp("status", "in the trash"),
}
#: Button labels, by moderation action.
ACTION_LABELS = {
    "approve": _lp("button", "Approve"),
    "unapprove": _lp("button", "Unapprove"),
    "spam": _lp("button", "Spam"),
    "not_spam": _lp("button", "Not spam"),
    "trash": _lp("button", "Trash"),
    "restore": _lp("button", "Restore"),
    "delete": _lp("button", "Delete permanently"),
}
#: What the audit trail says of each change.
EVENT_LABELS = {
    "approve": _lp("history", "Approved"),
    "unapprove": _lp("history", "Approval removed"),
    "spam": _lp("history", "Marked as spam"),
    "not_spam": _lp("history", "Marked as not spam"),
    "trash": _lp("history", "Moved to the trash"),
    "restore": _lp("history", "Restored"),
    "edit": _lp("history", "Edited"),
    "reply": _lp("history", "Moderator's reply"),
    "filter": _lp("history", "Held by the filters"),
    "anonymise": _lp("history", "Personal data anonymised"),
    "self_edit": _lp("history", "Edited by the author"),
    "withdraw": _lp("history", "Withdrawn by the author"),
    "flag": _lp("history", "Reported by readers"),
    "report": _lp("history", "Report"),
    "keep": _lp("history", "Kept despite the reports"),
    "block": _lp("history", "Moved to spam by a block"),
    "undo": _lp("history", "Undone"),
}
#: Flash message after an action, by action: singular and plural (see ``counted``).
ACTION_DONE = {
    "approve": _n("{count} comment approved.", "{count} comments approved."),
    "unapprove": _n(
        "Approval removed from {count} comment.", "Approval removed from {count} comments."
    ),
    "spam": _n("{count} comment marked as spam.", "{count} comments marked as spam."),
    "not_spam": _n("{count} comment taken out of spam.", "{count} comments taken out of spam."),
    "trash": _n("{count} comment moved to the trash.", "{count} comments moved to the trash."),
    "restore": _n("{count} comment restored.", "{count} comments restored."),
    "delete": _n("{count} comment permanently deleted.", "{count} comments permanently deleted."),
}
ACTION_APPLIED_TO_NONE = _l(
    "No comment changed: the action does not apply to the selected ones in their status."
)
#: "Annulla" after an action.
UNDONE = _n(
    "Undone: {count} comment is back as it was.", "Undone: {count} comments are back as they were."
)
UNDO_REFUSED = _n(
    "Not undone: {count} comment has changed in the meantime.",
    "Not undone: {count} comments have changed in the meantime.",
)
#: The badge of a comment the filters held or sent to Spam, by where they sent it.
FILTER_BADGES = {
    "pending": _lp("badge", "Held"),
    "spam": _lp("badge", "In spam"),
}
#: Readers' reports, as the queue counts them.
FLAG_COUNT = _n("{count} report", "{count} reports")
#: "Mantieni" on a reported comment.
REPORTS_ANSWERED = _l("Comment kept: its reports are answered, and it stays published.")
#: "Svuota spam", "Svuota cestino".
EMPTIED = _n("{count} comment permanently deleted.", "{count} comments permanently deleted.")
EMPTIED_NOTHING = _l("There was nothing to delete.")
#: "Blocca".
BLOCK_CHOOSE = _l("Choose what to block.")
BLOCK_CHOICES = {
    "email": _l("the email {value}"),
    "ip": _l("the IP addresses {value}"),
    "host": _l("the site {value}"),
    "domain": _l("every site of the domain {value}"),
}
BLOCKED = _l("“{word}” added to the disallowed words.")
BLOCK_NOTE = _l("disallowed word “{word}”")
#: "Blocca" on a site, and the check of the blocked sites (blog/spam/hosts.py).
BLOCKED_HOST = _l("“{word}” added to the blocked sites.")
BLOCKED_HOST_NOTE = _l("blocked site “{host}”")
#: "Annulla" after "Blocca": what it added is taken off its list.
UNBLOCKED = _l("“{word}” is no longer blocked.")
HOST_INVALID = _l("“{host}” is not the name of a site.")
HOST_WITHOUT_DOT = _l(
    "“{host}” cannot be blocked: the name of a site has at least one dot, as in example.com."
)
HOST_IS_ADDRESS = _l(
    "“{host}” cannot be blocked as a site: it is an IP address "
    "(block the comment's IP addresses instead)."
)
HOST_UNKNOWN_SUFFIX = _l(
    "“{host}” cannot be blocked: it does not end in a known top-level domain (such as .com or .it)."
)
HOST_PUBLIC_SUFFIX = _l(
    "“{host}” cannot be blocked: it is a public suffix, under which many different owners "
    "have their sites."
)
BLOCKED_HOSTS_SAVED = _l("Blocked sites saved.")
#: The page that asks before "Blocca" blocks.
BLOCK_WILL_MOVE = _n(
    "{count} pending comment matches: it will go to Spam.",
    "{count} pending comments match: they will go to Spam.",
)
BLOCK_WILL_MOVE_NONE = _l("No pending comment matches.")
BLOCK_MORE_MATCHES = _n("and {count} more", "and {count} more")
BLOCK_SCOPES = {
    "email": _l("Only the commenter's email is looked at, whole."),
    "ip": _l("Only the address a comment is sent from is looked at."),
    "host": _l(
        "Only a comment's website and the links in its text are looked at, "
        "on this site or its subdomains."
    ),
    "domain": _l(
        "Only a comment's website and the links in its text are looked at, "
        "on any site of this domain."
    ),
}
BLOCK_MOVED = _n(
    "{count} pending comment moved to Spam.", "{count} pending comments moved to Spam."
)
BLOCK_MOVED_NONE = _l("No pending comment to move.")

# The learning filter's commands
SPAM_TRAIN_LABEL_REQUIRED = _l("Say whether the messages are spam (--spam) or not (--ham).")
SPAM_KINDS = {
    "spam": _lp("learned as", "spam"),
    "ham": _lp("learned as", "not spam"),
}
SPAM_TRAINED = _l("Messages learned as {kind}: {count}.")
SPAM_TOTALS = _l("The filter has learned from {spam} spam messages and {ham} not spam.")
#: Messages ``flask spam-train`` could not read (broken, or nested too deep).
SPAM_SKIPPED = _n(
    "{count} message could not be read and was skipped.",
    "{count} messages could not be read and were skipped.",
)
SPAM_TOKENS_KNOWN = _l("Known terms: {count}.")
SPAM_ACTING = _l(
    "It has seen at least {min} decisions of each kind: it moves comments past the thresholds."
)
SPAM_ONLY_SCORING = _l(
    "Until it has seen {min} decisions of each kind it only gives a score, without moving comments."
)
SPAM_TOP_SPAM = _l("Terms that most often mean spam:")
SPAM_TOP_HAM = _l("Terms that most often mean a legitimate comment:")
SPAM_TERM_COUNTS = _l("(spam {spam}, not spam {ham})")
SPAM_RESET_CONFIRM = _l(
    "The filter will forget everything it has learned ({spam} spam messages, {ham} not spam). "
    "Continue?"
)
SPAM_RESET_DONE = _l("The filter has forgotten everything: {count} terms deleted.")

# Error pages: (title, explanation) by status code
ERRORS: dict[int, tuple[str, str]] = {
    400: (_l("Bad request"), _l("The request sent is not valid or is incomplete.")),
    403: (_l("Access denied"), _l("You are not allowed to do this.")),
    404: (_l("Page not found"), _l("The page you are looking for does not exist or has moved.")),
    405: (_l("Method not allowed"), _l("This page does not accept this kind of request.")),
    410: (_l("Link not valid"), _l("This link has expired or was already used.")),
    413: (
        _l("Request too large"),
        _l("The text sent is over the largest size allowed. Shorten it and try again."),
    ),
    422: (_l("Invalid data"), _l("Some of the data sent is not valid.")),
    429: (_l("Too many requests"), _l("You sent too many requests. Wait a moment and try again.")),
    500: (_l("Server error"), _l("An unexpected error occurred. Try again in a few minutes.")),
}

# Privacy
PRIVACY_EMAIL_INVALID = _l("Write a valid email address.")
PRIVACY_ANONYMISED = _l("Comments anonymised for {email}: {count}.")
PRIVACY_DELETED = _l("Comments deleted for {email}: {count}.")
PRIVACY_CONFIRM_REQUIRED = _l("Tick the confirmation to go ahead.")

# Images (blog/media/)
MEDIA_NOT_AN_IMAGE = _l(
    "This file is not an image the site accepts: upload a JPEG, PNG, WebP or GIF image."
)
MEDIA_DAMAGED = _l("The image could not be read to the end: the file is damaged or incomplete.")
MEDIA_HAS_CODE = _l(
    "The file holds code (HTML or a script) besides the image: it was refused. "
    "Save the picture again from an image editor and upload that."
)
MEDIA_TOO_MANY_PIXELS = _l(
    "The image is too large: {width} × {height} pixels, over the {limit} megapixels allowed. "
    "Reduce it and try again."
)
MEDIA_TOO_MANY_PIXELS_UNKNOWN = _l(
    "The image declares more pixels than the site accepts. Reduce it and try again."
)
MEDIA_ANIMATED = _l("Animated images are not accepted: upload a still image.")
MEDIA_TOO_BIG = _l("The file is too large: at most {limit} MB.")
MEDIA_NO_FILE = _l("Choose an image to upload.")
MEDIA_ALT_REQUIRED = _l(
    "Describe the image in the alternative text: readers who cannot see it hear this instead."
)
MEDIA_UPLOADED = _l("Image uploaded: {name}.")
MEDIA_DELETED = _l("Image deleted: {name}.")

# Links in mail
LINK_INVALID_TITLE = _l("Invalid link")
LINK_INVALID = _l("The link is not valid or has expired (it lasts seven days).")
LINK_DONE_TITLE = _l("Done")
#: What a moderator's mail link did, by action: a sentence, not the button's name.
LINK_DONE = {
    "approve": _l("Comment approved."),
    "spam": _l("Comment marked as spam."),
    "trash": _l("Comment moved to the trash."),
}
LINK_ALREADY_USED = _l("A link of this message has already been used: each message works once.")
LINK_STATUS_CHANGED = _l(
    "The comment's status changed after this message was sent: open it from the moderation queue."
)
LINK_ALREADY_IN_STATE = _l("The comment was already in that status: nothing changed.")
LINK_COMMENT_GONE = _l("The comment is no longer there: it was deleted.")
UNSUBSCRIBE_TITLE = _l("Stop receiving messages")
UNSUBSCRIBE_QUESTION = _l(
    "Do you want to stop receiving messages from this site (approvals, replies to your comments, "
    "discussions you follow)?"
)
UNSUBSCRIBED_TITLE = _l("Unsubscribed")
UNSUBSCRIBED = _l(
    "You will no longer receive messages from this site, not even requests for confirmation. "
    "Changed your mind? You can subscribe again."
)
SUBSCRIBE_AGAIN = _l("Subscribe me again")
CONFIRMATION_SENT_TITLE = _l("Check your mail")
CONFIRMATION_SENT = _l(
    "We have written to you: open the link in the message to confirm. If you cannot find it, try "
    "again tomorrow (we send one a day)."
)
CONFIRM_SUBSCRIPTION_TITLE = _l("Confirm your subscription")
CONFIRM_SUBSCRIPTION_QUESTION = _l(
    "Do you confirm that you want to receive by email the comments you asked to follow? Every "
    "message will have a link to stop."
)
SUBSCRIBED_TITLE = _l("Subscription confirmed")
SUBSCRIBED = _l("Thank you: from now on we will write to you when the comments you follow arrive.")
FOLLOW_SENT = _l(
    "Done: we are writing to you to confirm. Open the link in the message; until you confirm you "
    "will receive nothing else."
)
PROFILE_SAVED = _l("Profile saved.")
LINK_NOT_ALLOWED_TITLE = _l("Not possible")
LINK_NOT_ALLOWED = _l(
    "Since the message arrived the comment has changed status, and this action no longer "
    "applies. Decide from the moderation queue."
)

# Imports (flask import-wxr, import-disqus, import-isso)
IMPORT_STOPPED = _l(
    "Import stopped: what was already saved stays, and running the same command again finishes "
    "the job without duplicating anything."
)

# Articles (blog/articles/authoring.py and the editor)
TITLE_REQUIRED = _l("Please enter a title.")
SLUG_INVALID = _l(
    "Write the address with letters, digits and hyphens, such as “my-first-article”, or leave it "
    "empty to make it from the title."
)
SLUG_RESERVED = _l("The address “{slug}” is used by the site itself: choose another one.")
SLUG_TAKEN = _l(
    "The address “{slug}” already belongs to another article (now or in the past): choose "
    "another one."
)
SCHEDULE_IN_PAST = _l(
    "To schedule the article choose a date and time in the future, or publish it now."
)
ARTICLE_NOT_PUBLISHED = _l("Only a published or scheduled article can be updated.")
AUTOSAVE_DRAFTS_ONLY = _l("Only drafts are saved automatically.")
REVISION_NOT_OF_ARTICLE = _l("This version belongs to another article.")
SCHEDULE_NEEDS_DATE = _l("To schedule the article choose the date and time it appears.")
ARTICLE_NOT_SAVED = _l("The article was not saved: please correct the fields marked.")
DRAFT_SAVED = _l("Draft saved.")
ARTICLE_PUBLISHED = _l("Article published.")
ARTICLE_SCHEDULED = _l("Article scheduled.")
ARTICLE_UPDATED = _l("Article updated.")
ARTICLE_TRASHED = _l("“{title}” moved to the Trash.")
ARTICLE_RESTORED = _l("“{title}” restored from the Trash.")
AUTOSAVED = _l("Draft saved automatically at {time}.")
PREVIEW_NOTE = _l(
    "Preview: this is how readers will see the article. Nothing has been saved yet; close this "
    "page to go back to the editor."
)
REVISION_PREVIEW_NOTE = _l("Preview of an earlier version of the article.")
REVISION_RESTORED = _l("Version restored: it is now the current one, and the earlier text is kept.")
TAB_ALL = _lp("articles tab", "All")
TAB_PUBLISHED = _lp("articles tab", "Published")
TAB_SCHEDULED = _lp("articles tab", "Scheduled")
TAB_DRAFTS = _lp("articles tab", "Drafts")
TAB_TRASH = _lp("articles tab", "Trash")
FEATURED_IMAGE_GONE = _l("The chosen featured image no longer exists: choose another one, or none.")
PAGE_PUBLISHED = _l("Page published.")
PAGE_SCHEDULED = _l("Page scheduled.")
PAGE_UPDATED = _l("Page updated.")
MENU_SAVED = _l("Menu saved.")
MENU_NOT_SAVED = _l("The menu was not saved: please correct the positions marked.")
MENU_POSITION_INVALID = _l("Write a whole number from 1 to {max}, or leave it empty.")
MENU_TOO_LONG = _l("The menu can hold at most {max} entries.")
MENU_STATE_DRAFT = _l("Draft")
MENU_STATE_SCHEDULED = _l("Scheduled")
PAGE_TAKES_NO_COMMENTS = _l("This page does not take comments.")
FIELD_TITLE = _l("Title")
FIELD_ADDRESS = _l("Address")
FIELD_SUMMARY = _l("Summary")
FIELD_TEXT = _l("Text")

# Readers' search (/cerca/)
SEARCH_EMPTY = _l("Type one or more words to search the articles.")
SEARCH_TOO_LONG = _l("The search is too long: type at most {count} characters.")
SEARCH_NO_WORDS = _l("The search has no words to look for: type letters or digits.")
#: Said when a search had more words than SEARCH_MAX_WORDS.
SEARCH_FIRST_WORDS = _l("Only the first {count} words were searched for.")
SEARCH_RATE_LIMITED = _l("Too many searches in a short time: try again in a minute.")

FORM_EXPIRED_SAVE_AGAIN = _l(
    "The form had expired, so nothing was saved. Everything you typed is still here: save again."
)
