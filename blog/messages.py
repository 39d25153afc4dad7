"""Italian text that code hands to users: validation errors and notices.

Page text lives in the templates; this module holds what views and forms
produce, so that every sentence a reader can see has one home.
"""

MONTHS = (
    "gennaio",
    "febbraio",
    "marzo",
    "aprile",
    "maggio",
    "giugno",
    "luglio",
    "agosto",
    "settembre",
    "ottobre",
    "novembre",
    "dicembre",
)

# Comment form
COMMENT_REQUIRED = "Scrivi il testo del commento."
AUTHOR_REQUIRED = "Inserisci il tuo nome."
EMAIL_REQUIRED = "Inserisci il tuo indirizzo email."
EMAIL_INVALID = "Inserisci un indirizzo email valido."
URL_INVALID = "Inserisci un indirizzo web valido che inizi con http:// o https://."
TOO_LONG = "Questo campo può contenere al massimo {max} caratteri."
PARENT_INVALID = "Il commento a cui vuoi rispondere non esiste o non è ancora approvato."
COMMENTS_CLOSED = "I commenti sono chiusi."
#: Before a reply's text in the feeds, with the name of the comment it answers.
IN_REPLY_TO = "In risposta a"
CONTROL_CHARACTERS = "Il testo contiene caratteri di controllo non ammessi."
NOT_ONE_LINE = "Scrivi questo campo su una sola riga, senza andare a capo."
NONCHARACTERS = "Il testo contiene caratteri Unicode non validi (come U+FFFE): eliminali e riprova."
TOO_MUCH_MARKUP = (
    "Il commento contiene troppo codice HTML: al massimo {limit} tra tag, link, "
    "caratteri < e & e a capo, e tag annidati al massimo {depth} livelli. "
    "Semplifica la formattazione e riprova."
)
FLOOD = "Stai commentando troppo velocemente. Rallenta."
DUPLICATE = "Commento duplicato: sembra che tu l'abbia già scritto!"
FORM_EXPIRED = (
    "Il modulo non è valido o è rimasto aperto più di due ore: "
    "il tuo testo è ancora qui, invialo di nuovo."
)
RATE_LIMITED = (
    "Hai inviato troppi commenti in poco tempo. Il tuo testo è ancora qui: "
    "riprova fra qualche minuto."
)
PREVIEW_RATE_LIMITED = (
    "Hai chiesto troppe anteprime in poco tempo. Il tuo testo è ancora qui: "
    "riprova fra qualche minuto."
)
# An author's own comment
OWN_EDIT_SAVED = "Modifica salvata."
OWN_EDIT_HELD = (
    "Modifica salvata. Il commento è di nuovo in attesa di moderazione: sarà visibile a tutti "
    "dopo essere stato approvato."
)
OWN_WITHDRAWN = "Commento ritirato: non è più visibile."
OWN_EDIT_WINDOW_OVER = (
    "Non è più possibile modificare o ritirare questo commento: si può farlo finché è in attesa "
    "di moderazione e per {minutes} minuti dopo l'approvazione."
)
#: Akismet's note in a comment's history.
AKISMET_REASON = "Akismet: spam"
#: The learning filter's note in a comment's history.
FILTER_REASON = "filtro che impara: punteggio {score} ({words})"
WORD_LISTS_SAVED = "Elenchi di parole salvati."
ARTICLE_OPENED = "Commenti aperti per «{title}»."
ARTICLE_CLOSED = "Commenti chiusi per «{title}»."
UNTRUSTED_HOST = (
    "Questo sito non risponde all'indirizzo richiesto. Controlla l'indirizzo nella barra del "
    "browser."
)
CROSS_ORIGIN = (
    "Richiesta rifiutata: il modulo è stato inviato da un altro sito. Apri la pagina "
    "su questo sito e riprova da lì."
)
CSRF_FAILED = "Il modulo è scaduto o non è valido. Torna indietro, ricarica la pagina e riprova."
FORM_HAS_ERRORS = "Il commento non è stato inviato: correggi i campi segnalati."
CSRF_EXPIRED = (
    "La pagina è rimasta aperta troppo a lungo o il modulo non è valido: "
    "il tuo testo è ancora qui, invialo di nuovo."
)

# Readers' reports ("Segnala")
#: The reason in a comment's history when reports send it back to pending.
FLAG_REASON = "{count} segnalazioni dei lettori"

# Moderators
USERNAME_REQUIRED = "Inserisci il nome utente."
# Messages about passwords, not passwords: bandit's B105 misreads them.
PASSWORD_REQUIRED = "Inserisci la password."  # nosec B105
LOGIN_FAILED = "Nome utente o password non validi."
#: Neither masculine nor feminine, and no "welcome back" on a first login.
LOGGED_IN_FIRST = "Ciao, {name}: qui trovi i commenti da moderare."
LOGGED_IN = "Ciao di nuovo, {name}."
LOGGED_OUT = "Sessione chiusa. A presto!"
PASSWORD_TOO_SHORT = "La password deve contenere almeno {min} caratteri."  # nosec B105
PASSWORDS_DIFFER = "Le due password non coincidono."
# The command line (flask create-moderator, set-password...).
PASSWORD_RULES = (  # nosec B105
    "Scegli una password di almeno {min} caratteri (una frase va benissimo). "
    "Non si vede mentre la scrivi, e va scritta due volte."
)
PASSWORD_PROMPT = "Password"  # nosec B105
PASSWORD_AGAIN_PROMPT = "Ripeti la password"  # nosec B105
CLI_ERROR = "Errore: {message}"
CLI_CANCELLED = "Annullato: non è stato cambiato nulla."


def counted(count: int, forms: tuple[str, str]) -> str:
    """The singular or plural of ``forms``, with ``{count}`` filled in."""
    return (forms[0] if count == 1 else forms[1]).format(count=count)


BULK_NO_ACTION = "Scegli un'azione."
BULK_NO_SELECTION = "Seleziona almeno un commento."
ACTION_NOT_ALLOWED = "Questa azione non si applica al commento nel suo stato attuale."
COMMENT_EDITED = "Commento modificato."
REPLY_PUBLISHED = "Risposta pubblicata."
# Settings
MODERATION_SETTINGS_SAVED = "Impostazioni di moderazione salvate."
CHOICE_INVALID = "Scegli una delle opzioni."
NUMBER_INVALID = "Scrivi un numero, come 0,95."
WHOLE_NUMBER_INVALID = "Scrivi un numero intero, come 20."
SCORE_RANGE = "Scrivi un numero tra 0,5 e 1."
TRAINING_RANGE = "Scrivi un numero intero tra 0 e 100.000."
HOLD_ABOVE_SPAM = "La soglia per trattenere non può superare quella per lo spam."
SETTINGS_HAVE_ERRORS = "Le impostazioni non sono state salvate: correggi i campi segnalati."

#: Queue tabs, by status.
STATUS_TABS = {
    "pending": "In attesa",
    "approved": "Approvati",
    "spam": "Spam",
    "trash": "Cestino",
}
#: A status as a word in a sentence.
STATUS_NAMES = {
    "pending": "in attesa",
    "approved": "approvato",
    "spam": "spam",
    "trash": "nel cestino",
}
#: Button labels, by moderation action.
ACTION_LABELS = {
    "approve": "Approva",
    "unapprove": "Rimuovi approvazione",
    "spam": "Spam",
    "not_spam": "Non è spam",
    "trash": "Cestina",
    "restore": "Ripristina",
    "delete": "Elimina definitivamente",
}
#: What the audit trail says of each change.
EVENT_LABELS = {
    "approve": "Approvato",
    "unapprove": "Approvazione rimossa",
    "spam": "Segnato come spam",
    "not_spam": "Segnato come non spam",
    "trash": "Cestinato",
    "restore": "Ripristinato",
    "edit": "Modificato",
    "reply": "Risposta del moderatore",
    "filter": "Trattenuto dai filtri",
    "anonymise": "Dati personali anonimizzati",
    "self_edit": "Modificato dall'autore",
    "withdraw": "Ritirato dall'autore",
    "flag": "Segnalato dai lettori",
    "block": "Spostato nello spam da un blocco",
    "undo": "Annullato",
}
#: Flash message after an action, by action: singular and plural (see ``counted``).
ACTION_DONE = {
    "approve": ("{count} commento approvato.", "{count} commenti approvati."),
    "unapprove": (
        "Approvazione rimossa da {count} commento.",
        "Approvazione rimossa da {count} commenti.",
    ),
    "spam": ("{count} commento segnato come spam.", "{count} commenti segnati come spam."),
    "not_spam": ("{count} commento tolto dallo spam.", "{count} commenti tolti dallo spam."),
    "trash": ("{count} commento spostato nel cestino.", "{count} commenti spostati nel cestino."),
    "restore": ("{count} commento ripristinato.", "{count} commenti ripristinati."),
    "delete": (
        "{count} commento eliminato definitivamente.",
        "{count} commenti eliminati definitivamente.",
    ),
}
ACTION_APPLIED_TO_NONE = (
    "Nessun commento cambiato: l'azione non si applica a quelli selezionati nel loro stato."
)
#: "Annulla" after an action.
UNDONE = (
    "Annullato: {count} commento è tornato com'era.",
    "Annullato: {count} commenti sono tornati com'erano.",
)
UNDO_REFUSED = (
    "Non annullato: {count} commento è cambiato nel frattempo.",
    "Non annullati: {count} commenti sono cambiati nel frattempo.",
)
#: The badge of a comment the filters held or sent to Spam, by where they sent it.
FILTER_BADGES = {"pending": "Trattenuto", "spam": "Nello spam"}
#: Readers' reports, as the queue counts them.
FLAG_COUNT = ("{count} segnalazione", "{count} segnalazioni")
#: "Svuota spam", "Svuota cestino".
EMPTIED = (
    "{count} commento eliminato definitivamente.",
    "{count} commenti eliminati definitivamente.",
)
EMPTIED_NOTHING = "Non c'era niente da eliminare."
#: "Blocca".
BLOCK_CHOOSE = "Scegli che cosa bloccare."
BLOCK_CHOICES = {
    "email": "l'email {value}",
    "ip": "gli indirizzi IP {value}",
    "host": "il sito {value}",
}
BLOCKED = "«{word}» aggiunto alle parole vietate."
BLOCK_NOTE = "parola vietata «{word}»"
BLOCK_MOVED = (
    "{count} commento in attesa spostato in Spam.",
    "{count} commenti in attesa spostati in Spam.",
)
BLOCK_MOVED_NONE = "Nessun commento in attesa da spostare."
SYSTEM_ACTOR = "sistema"

# The learning filter's commands
SPAM_TRAIN_LABEL_REQUIRED = "Indica se i messaggi sono spam (--spam) o no (--ham)."
SPAM_KINDS = {"spam": "spam", "ham": "non spam"}
SPAM_TRAINED = "Messaggi appresi come {kind}: {count}."
SPAM_TOTALS = "Il filtro ha imparato da {spam} messaggi di spam e {ham} non spam."
SPAM_TOKENS_KNOWN = "Termini conosciuti: {count}."
SPAM_ACTING = "Ha visto almeno {min} decisioni di ciascun tipo: sposta i commenti oltre le soglie."
SPAM_ONLY_SCORING = (
    "Finché non avrà visto {min} decisioni di ciascun tipo dà solo un punteggio, senza "
    "spostare commenti."
)
SPAM_TOP_SPAM = "Termini che indicano più spesso spam:"
SPAM_TOP_HAM = "Termini che indicano più spesso un commento legittimo:"
SPAM_TERM_COUNTS = "(spam {spam}, non spam {ham})"
SPAM_RESET_CONFIRM = (
    "Il filtro dimenticherà tutto ciò che ha imparato ({spam} messaggi di spam, {ham} non "
    "spam). Continuare?"
)
SPAM_RESET_DONE = "Il filtro ha dimenticato tutto: {count} termini eliminati."

# Error pages: (title, explanation) by status code
ERRORS: dict[int, tuple[str, str]] = {
    400: ("Richiesta non valida", "La richiesta inviata non è valida o è incompleta."),
    403: ("Accesso negato", "Non hai il permesso di fare questa operazione."),
    404: ("Pagina non trovata", "La pagina che cerchi non esiste o è stata spostata."),
    405: ("Metodo non consentito", "Questa pagina non accetta questo tipo di richiesta."),
    413: (
        "Richiesta troppo grande",
        "Il testo inviato supera la dimensione massima consentita. Accorcialo e riprova.",
    ),
    422: ("Dati non validi", "Alcuni dati inviati non sono validi."),
    429: ("Troppe richieste", "Hai inviato troppe richieste. Attendi qualche istante e riprova."),
    500: (
        "Errore del server",
        "Si è verificato un errore imprevisto. Riprova fra qualche minuto.",
    ),
}

# Privacy
PRIVACY_EMAIL_INVALID = "Scrivi un indirizzo email valido."
PRIVACY_ANONYMISED = "Commenti anonimizzati per {email}: {count}."
PRIVACY_DELETED = "Commenti eliminati per {email}: {count}."
PRIVACY_CONFIRM_REQUIRED = "Spunta la conferma per procedere."

# Links in mail
LINK_INVALID_TITLE = "Collegamento non valido"
LINK_INVALID = "Il collegamento non è valido o è scaduto (vale sette giorni)."
LINK_DONE_TITLE = "Fatto"
LINK_DONE = "Fatto: {action}."
LINK_ALREADY_USED = (
    "Un collegamento di questo messaggio è già stato usato: ciascun messaggio vale una volta sola."
)
LINK_STATUS_CHANGED = (
    "Lo stato del commento è cambiato dopo l'invio di questo messaggio: "
    "aprilo dalla coda di moderazione."
)
LINK_ALREADY_IN_STATE = "Il commento era già in quello stato: nessun cambiamento."
LINK_COMMENT_GONE = "Il commento non c'è più: è stato eliminato."
UNSUBSCRIBE_TITLE = "Non ricevere più messaggi"
UNSUBSCRIBE_QUESTION = (
    "Vuoi smettere di ricevere messaggi da questo sito "
    "(approvazioni, risposte ai tuoi commenti, discussioni che segui)?"
)
UNSUBSCRIBED_TITLE = "Iscrizione annullata"
UNSUBSCRIBED = (
    "Non riceverai più messaggi da questo sito, nemmeno richieste di conferma. "
    "Hai cambiato idea? Puoi iscriverti di nuovo."
)
SUBSCRIBE_AGAIN = "Iscrivimi di nuovo"
CONFIRMATION_SENT_TITLE = "Controlla la posta"
CONFIRMATION_SENT = (
    "Ti abbiamo scritto: apri il collegamento nel messaggio per confermare. "
    "Se non lo trovi, riprova domani (ne mandiamo uno al giorno)."
)
CONFIRM_SUBSCRIPTION_TITLE = "Conferma l'iscrizione"
CONFIRM_SUBSCRIPTION_QUESTION = (
    "Confermi di voler ricevere per email i commenti che hai chiesto di seguire? "
    "Ogni messaggio avrà un collegamento per smettere."
)
SUBSCRIBED_TITLE = "Iscrizione confermata"
SUBSCRIBED = "Grazie: da ora ti scriveremo quando arrivano i commenti che segui."
FOLLOW_SENT = (
    "Fatto: ti scriviamo per confermare. Apri il collegamento nel messaggio; "
    "finché non confermi non riceverai altro."
)
PROFILE_SAVED = "Profilo salvato."
LINK_NOT_ALLOWED_TITLE = "Operazione non possibile"
LINK_NOT_ALLOWED = (
    "Da quando è arrivato il messaggio il commento ha cambiato stato, e questa operazione "
    "non si applica più. Decidi dalla coda di moderazione."
)

# Imports (flask import-wxr, import-disqus, import-isso)
IMPORT_STOPPED = (
    "Importazione interrotta: quanto già salvato resta, e rilanciare lo stesso comando "
    "completa il lavoro senza duplicare nulla."
)
