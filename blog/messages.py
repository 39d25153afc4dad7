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
FORM_HAS_ERRORS = "Il commento non è stato inviato: correggi i campi segnalati."
CSRF_EXPIRED = (
    "La pagina è rimasta aperta troppo a lungo o il modulo non è valido: "
    "il tuo testo è ancora qui, invialo di nuovo."
)

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
