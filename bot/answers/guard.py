"""Sensitive data and urgency in a member's message. Pure functions, no I/O.

Both read a folded copy of the text (lowercase, accents stripped) so one pattern covers
"Detenído" and "detenido". Patterns have bounded repeats only, so a 100,000-character comment
is scanned in linear time.
"""

from __future__ import annotations

import re
import unicodedata
from itertools import islice

MAX_SCAN_CHARS = 100_000
SHORT_WORDS = 3  # "detenido!!", "corte mañana": a comment this short is about the writer's case
MAX_EVENTS = 50  # detention words looked at per message: enough for any real comment
KINDS = (
    "a_number", "receipt_number", "ssn", "date_of_birth", "passport", "address", "phone",
    "case_details",
)


def _any(*alternatives: str) -> str:
    return "(?:" + "|".join(alternatives) + ")"


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_MONTH = _any(
    r"jan(?:uary)?", r"feb(?:ruary)?", r"mar(?:ch)?", r"apr(?:il)?", "may", "june?", "july?",
    r"aug(?:ust)?", r"sep(?:t(?:ember)?)?", r"oct(?:ober)?", r"nov(?:ember)?", r"dec(?:ember)?",
    "enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre",
    "setiembre", "octubre", "noviembre", "diciembre",
)
_DATE = _any(
    r"\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}",
    r"\d{4}[/.\-]\d{1,2}[/.\-]\d{1,2}",
    rf"\d{{1,2}}\s+(?:de\s+)?{_MONTH}\.?,?\s+(?:de\s+|del\s+)?\d{{4}}",
    rf"{_MONTH}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}",
    r"\b(?:19|20)\d{2}\b",
)
_DIGITS_8_9 = r"\d(?:[\s\-]?\d){7,8}(?!\d)"

# Order matters: each match is blanked before the next kind looks, so a receipt number's
# ten digits are not read again as a phone number, nor an SSN's nine as an A-number.
_SENSITIVE = tuple((kind, re.compile(pattern)) for kind, pattern in (
    ("receipt_number", r"\b(?:ioe|eac|wac|lin|src|msc|nbc|ysc)[\s#:\-]*\d(?:[\s\-]?\d){9}(?!\d)"),
    ("ssn", r"(?<![\d\-])\d{3}-\d{2}-\d{4}(?![\d\-])|(?<!\d)(?<!\d )\d{3} \d{2} \d{4}(?!\d)"),
    ("ssn", r"\b(?:ssn|s\.s\.n|social security|seguro social)[^\d\n]{0,20}"
            r"\d(?:[\s\-]?\d){8}(?!\d)"),
    ("a_number", r"\b(?:a-?number|alien (?:registration )?(?:number|no\.?|#)"
                 r"|numero (?:de )?(?:extranjero|alien|a)\b)[^\d\n]{0,12}" + _DIGITS_8_9),
    ("a_number", r"(?<![a-z0-9])a\s?(?:[#:.\-]\s?)?(?:number|numero|no\.?|num\.?)?\s?[#:\-]?\s?"
                 + _DIGITS_8_9),
    ("phone", r"(?<![\w\-])(?:\+?1[\s.\-]?)?(?:\(\d{3}\)|\d{3})[\s.\-]?\d{3}[\s.\-]?\d{4}(?!\d)"),
    ("phone", r"\+?52[\s.\-]?(?:1[\s.\-]?)?\d{2,3}[\s.\-]?\d{3,4}[\s.\-]?\d{4}(?!\d)"),
    ("phone", r"(?<![\w\-])\d{3}-\d{4}(?![\d\-])"),
    ("date_of_birth", _any(r"\bdob\b", r"\bd\.o\.b\b", "date of birth", r"birth ?date",
                           r"\bbirthday\b", r"\bborn\b", "fecha de nacimiento", r"\bf\.? de nac",
                           r"\bnaci\b", r"\bnacio\b", r"\bnacimiento\b", r"\bcumpleanos\b")
     + r"[^\n]{0,30}?" + _DATE),
    ("passport", r"\b(?:passport|pasaporte)\b[^\n]{0,30}?"
                 r"(?<![a-z0-9])[a-z]{0,2}\d{6,9}(?![a-z0-9])"),
    ("address", r"\b(?:ca|california|tx|texas|az|arizona|nv)\.?,?\s+9\d{4}(?:-\d{4})?\b"
                r"|\bp\.?\s?o\.?\s+box\s+\d+|\bc\.?\s?p\.?\s+\d{5}\b"),
))
_STREETS = (
    re.compile(r"\b\d{1,6}\s+((?:[a-z0-9]+\.?\s+){1,3}?)" + _any(
        "st", "street", "ave", "avenue", "av", "rd", "road", "blvd", "boulevard", "dr", "drive",
        "ln", "lane", "ct", "court", "pkwy", "parkway", "hwy", "highway", "cir", "circle", "ter",
        "terrace", "trl", "trail", "way", "pl", "place") + r"\b"),
    re.compile(_any("calle", "avenida", "av", "avda", "privada", "priv", "callejon", "boulevard",
                    "blvd", "andador", "cerrada", "carretera")
               + r"\.?\s+((?:[a-z0-9]+\.?\s+){1,4}?)"
               + r"(?:#\s?|no\.?\s?|num\.?\s?|numero\s)?\d{1,5}\b"),
)
# "5 years in court" and "la calle esta fea desde 2019" are not addresses.
_NOT_STREET_WORDS = frozenset(
    "in the a at for of to on and my your years days months times kids children people hours "
    "en y mi mis anos dias meses veces hijos personas horas esta estan desde que por para con es "
    "fue muy hace tiene son hay no se me ya".split()
)
_CASE_DETAILS = re.compile("|".join((
    r"\bcase (?:number|no\b|#)", r"\bmy (?:court|hearing) (?:date|is)\b",
    r"\bi (?:entered|came|crossed|came in)\b[^.!?\n]{0,30}\b(?:illegal(?:ly)?|undocumented"
    r"|without (?:papers|inspection|a visa|documents)|through the desert|by the river)",
    r"\bcrossed (?:the border )?illegally",
    r"\b(?:i|he|she|we|my \w+) (?:was|were|got|have been|has been) deported\b",
    r"\b(?:have|has|had) (?:a |an )?(?:criminal record|record|felony|misdemeanor|dui|conviction)",
    r"\b(?:removal|deportation) order\b", r"\border of (?:removal|deportation)\b",
    r"\boverstayed\b",
    r"\bmy (?:visa|status|green card|work permit|daca) "
    r"(?:expired|was denied|was revoked|got denied)",
    r"\bi(?: a|')?m undocumented\b", r"\bi am undocumented\b", r"\bi (?:have|got) no papers\b",
    r"\bi (?:do not|don'?t) have papers\b", r"\b(?:was|were|got) (?:arrested|convicted)\b",
    r"\bmy (?:case|asylum|petition|application)[^.!?\n]{0,20}\b(?:denied|rejected)",
    r"\b(?:my|his|her|a) (?:dui|felony)\b", r"\bnumero de caso\b", r"\bmi caso (?:numero|no\b|#)",
    r"\bentr[eo]\b[^.!?\n]{0,25}\b(?:sin papeles|ilegal(?:mente)?|por el cerro|por el rio"
    r"|sin visa|sin inspeccion|mojado)",
    r"\bcruce\b[^.!?\n]{0,20}\b(?:ilegal(?:mente)?|sin papeles|por el cerro|por el rio)",
    r"\b(?:me|lo|la|nos|los|le) deportaron\b", r"\b(?:fui|fue|fueron) deportad[oa]s?\b",
    r"\btengo (?:antecedentes|record|un dui|una orden)",
    r"\borden de (?:deportacion|remocion|expulsion)\b", r"\bme negaron (?:el|la|mi)\b",
    r"\b(?:negaron|rechazaron) (?:mi|el|la|su) (?:asilo|caso|peticion|visa|solicitud|residencia)",
    r"\b(?:estoy|soy) indocumentad[oa]\b", r"\bno tengo papeles\b",
    r"\bse me (?:vencio|expiro) (?:la|mi) visa\b", r"\bvisa vencida\b",
    r"\bmi (?:corte|audiencia) es\b", r"\bfecha de (?:corte|audiencia)\b",
    r"\b(?:fui|fue) arrestad[oa]\b", r"\bantecedentes penales\b", r"\b(?:un|una|mi) dui\b",
)))


def fold(text: str) -> str:
    """Lowercase and strip accents, keeping punctuation and digits; never raises."""
    text = _CONTROL.sub(" ", str(text)[:MAX_SCAN_CHARS])
    text = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def find_sensitive(text: str) -> list[str]:
    """Sorted kinds of personal data in a message (see KINDS); [] when none; never raises.

    Any phone number counts, the firm's own included: the check is about what a member
    posts publicly, and a number in a comment is usually their own.
    """
    folded = fold(text)
    kinds: set[str] = set()
    for kind, pattern in _SENSITIVE:
        blanked, count = pattern.subn(lambda found: "_" * len(found.group()), folded)
        if count:
            kinds.add(kind)
            folded = blanked
    if any(_is_street(found) for pattern in _STREETS for found in pattern.finditer(folded)):
        kinds.add("address")
    if _CASE_DETAILS.search(folded):
        kinds.add("case_details")
    return sorted(kinds)


def _is_street(found: re.Match[str]) -> bool:
    words = {word.rstrip(".") for word in found.group(1).split()}
    return not words & _NOT_STREET_WORDS


# --- urgency ------------------------------------------------------------------------------
_FAMILY = _any(
    "husband", "wife", "son", "daughter", "kid", "child", "children", "brother", "sister", "mom",
    "mother", "mum", "dad", "father", "parents?", "cousin", "uncle", "aunt", "tia", "tio",
    "nephew", "niece", r"grand(?:ma|pa|mother|father)", "boyfriend", "girlfriend", "fiance",
    "partner", "friend", r"neighbou?r", "roommate", "coworker", "esposo", "esposa", "marido",
    "hijo", "hija", "hermano", "hermana", "mama", "papa", "madre", "padre", "primo", "prima",
    r"sobrin[oa]", r"abuel[oa]", r"suegr[oa]", r"cunad[oa]", r"novi[oa]", r"amig[oa]",
    r"vecin[oa]", "compadre", "comadre", "pareja", "familiar", "yerno", "nuera",
) + "s?"
_PERSON = re.compile(
    r"\b(?:my|our|mi|mis|nuestr[oa]s?|i|im|we|me|us|him|her|he|she|yo|tengo|tenemos|"
    + _FAMILY + r")\b"
)
_CLITIC_VERB = re.compile(
    r"\b(?:se )?(?:lo|la|los|las|me|nos|le|les) (?:agarr|llev|detuv|arrest|levant|recog)\w*"
)
_PERSON_OBJECT = re.compile(
    r"^[\s,]*(?:away\s+)?(?:(?:a |al |a la |a su |a mi |a mis |my |our |his |her |a )?"
    + _FAMILY + r"\b(?!['’]s\b)|him\b|her\b|me\b|us\b|a (?:mi|mis|su|nuestr[oa])\b|al\b)"
)
_AGENT_NAMES = _any(
    "ice", "la migra", "migra", "migracion", "inmigracion", r"immigration(?: agents?| officers?)?",
    "border patrol", "la patrulla", "patrulla fronteriza", "cbp")
_AGENT_AT_HOME = re.compile(r"\b" + _AGENT_NAMES + r"\b")
# Whoever is taken at a checkpoint or the port of entry is taken by immigration.
_AGENT = re.compile(r"\b" + _any(
    _AGENT_NAMES, r"checkpoints?", r"reten(?:es)?", "garita", "port of entry") + r"\b")
_DETAINED = re.compile(r"\b" + _any(
    "detained", "arrested", "locked up", "in (?:ice |immigration )?custody",
    "in (?:a |the )?detention(?: center| facility)?", "detenid[oa]s?", "detuvieron", "detuvo",
    "arrestad[oa]s?", "arrestaron", "encerrad[oa]s?", r"en custodia(?: de \w+)?",
    "en (?:el |un )?centro de detencion", "en detencion") + r"\b")
# One adverb may stand inside the passive: "was just taken", "fue ya llevado".
_ADVERB = _any(r"\w+ly", "just", "already", "also", "ya", "tambien", "recien") + r"\s+"
_TAKEN_PASSIVE = re.compile(
    rf"\b(?:was|were|got|been|being|fue|fueron)\s+(?:{_ADVERB})?" + _any(
        "picked up", "taken", "grabbed", "caught", "held", "stopped", "agarrad[oa]s?",
        "llevad[oa]s?", "levantad[oa]s?") + r"\b")
_TAKEN = re.compile(r"\b" + _any(
    "took", "taken", "grabbed", "caught", "picked up", "came for", "(?:is|are) holding", "held",
    "se (?:lo |la |los |las |le )?llev(?:o|aron)", "llevaron", "agarr(?:o|aron)",
    "levant(?:o|aron)", "recogi(?:o|eron)") + r"\b")
_HYPOTHETICAL = re.compile(
    r"\b(?:if|in case|what if|whether|en caso de)\b"
    r"|\bsi (?:me|te|lo|la|nos|los|les|le|ice|la migra) "
    r"|\bsi\s*$"  # "si me van a deportar": the "si" sits just before the match
)
_NOW = _any(
    "today", "tonight", "right now", "now", "just", "yesterday", "last night", "this morning",
    "this afternoon", "hoy", "ahorita", "ahora", "ayer", "anoche", "esta manana", "esta tarde",
    "hace (?:rato|un rato|unas horas|poco)",
    "desde (?:el )?(?:lunes|martes|miercoles|jueves|viernes|sabado|domingo|ayer)",
)
_OLD_PAST = re.compile(
    r"\b(?:19|20)\d{2}\b|\b(?:years|months) ago\b|\bhace (?:\w+ )?(?:anos?|meses?)\b"
    r"|\blast year\b|\bano pasado\b"
)
_DAY = _any("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
            "lunes", "martes", "miercoles", "jueves", "viernes", "sabado", "domingo")
_SOON = _any(
    "tomorrow", "today", "tonight", f"this (?:{_DAY}|week|weekend)", f"next (?:{_DAY}|week)",
    f"on {_DAY}", "in (?:\\d|one|two|three|four|five|six|seven|a few|a couple(?: of)?) days?",
    "manana", "pasado manana", "hoy", f"el {_DAY}", f"este {_DAY}", "esta semana",
    "la proxima semana", "la semana que viene",
    "en (?:\\d|un|dos|tres|cuatro|cinco|seis|siete|unos|pocos) dias?",
)
_NOW_OR_SOON = re.compile(rf"\b(?:{_NOW}|{_SOON})\b")
_RECENT = re.compile(rf"\b{_NOW}\b")
VAGUE_NOW = frozenset({"now", "ahora"})
_HEARING = _any(
    "court", "hearing", "corte", "audiencia", "juicio", "immigration judge", "ante el juez"
)
_HEARING_SOON = re.compile(
    rf"\b{_HEARING}\b[^.!?\n]{{0,40}}?\b{_SOON}\b|\b{_SOON}\b[^.!?\n]{{0,25}}?\b{_HEARING}\b"
)
_AGENT_AT_DOOR = re.compile(
    # within one clause: "taken by ICE in 2015, he is home now" is not ICE at the door
    _AGENT_AT_HOME.pattern + r"[^.,;!?\n]{0,25}?\b" + _any(
        "is", "are", "esta", "estan", "anda", "andan", "came", "come", "llego", "llegaron", "vino",
        "vinieron", "knocking", "tocando") + r"\b[^.,;!?\n]{0,30}?\b" + _any(
        "my", "mi", "la puerta", "the door", "door", "casa", "house", "home", "outside", "afuera",
        "right now", "ahorita") + r"\b"
    # the verb is often left out: "migra afuera de mi casa ahorita"
    + "|" + _AGENT_AT_HOME.pattern + r"\s+" + _any(
        "afuera del?", "outside", "at (?:my|the) door", "en (?:mi|la) puerta", "tocando",
        "knocking")
    + r"\b"
)
_REMOVAL_NOW = re.compile(_any(
    r"\b(?:being|getting) deported\b", r"\b(?:are|is|they're|theyre) deporting\b",
    r"\bestan deportando\b", r"\b(?:me|lo|la|los|nos|le|les) (?:van|va) a deportar\b",
    r"\b(?:are|is) going to deport (?:me|him|her|us|my)\b",
    r"\bordered (?:my|his|her|our) (?:removal|deportation)\b",
    r"\bordeno (?:mi|su) (?:deportacion|salida)\b",
    r"\b(?:got|received|recibi|recibio|recibimos|me llego|le llego|nos llego)\b[^.!?\n]{0,20}?"
    r"(?:deportation order|removal order|orden de (?:deportacion|remocion))",
))
_REMOVAL_SOON = re.compile(
    r"\b(?:going to|gonna|about to|want to|will|van a|va a|quieren)\s+"
    r"(?:deport|be deported|get deported|deportar\w*|sacar del pais)\b"
)


def is_urgent(text: str) -> bool:
    """True when someone is or was just detained or arrested, ICE is at the door, or a hearing
    or a removal is days away. Opinions, news and "what if" questions are not urgent; never raises.
    """
    folded = fold(text)
    return (
        _someone_detained(folded)
        or bool(_AGENT_AT_DOOR.search(folded))
        or _hearing_soon(folded)
        or _removal_soon(folded)
    )


def _removal_soon(folded: str) -> bool:
    """Being deported, or told of a removal order or date, as a fact about a close person."""
    if not _personal(folded):
        return False
    if any(_is_fact(folded, found) for found in islice(_REMOVAL_NOW.finditer(folded), MAX_EVENTS)):
        return True
    return bool(_NOW_OR_SOON.search(folded)) and any(
        _is_fact(folded, found) for found in islice(_REMOVAL_SOON.finditer(folded), MAX_EVENTS)
    )


def _hearing_soon(folded: str) -> bool:
    if "suprem" in folded:  # "la corte suprema decide mañana": news, not the member's hearing
        return False
    return bool(_HEARING_SOON.search(folded)) and (_personal(folded) or _is_short(folded))


def _is_short(folded: str) -> bool:
    return len(folded.split()) <= SHORT_WORDS


def _personal(folded: str) -> bool:
    return bool(_PERSON.search(folded) or _CLITIC_VERB.search(folded))


def _is_fact(folded: str, found: re.Match[str]) -> bool:
    """Not introduced by "if", "what if", "en caso de", "si me..." just before."""
    return not _HYPOTHETICAL.search(folded[max(found.start() - 30, 0) : found.start()])


def _someone_detained(folded: str) -> bool:
    """A close person's detention told as a fact, recent or with no date ('mi hijo detenido')."""
    short = _is_short(folded)
    for found in islice(_DETAINED.finditer(folded), MAX_EVENTS):
        word = found.group()
        plural = word.endswith(("os", "as"))
        if _recent_and_personal(folded, found, short and not plural, arrest="arrest" in word):
            return True
    for found in islice(_TAKEN_PASSIVE.finditer(folded), MAX_EVENTS):
        around = folded[max(found.start() - 60, 0) : found.end() + 40]
        if _AGENT.search(around) and _recent_and_personal(folded, found, short):
            return True
    for found in islice(_TAKEN.finditer(folded), MAX_EVENTS):
        # the agent is often named in the next sentence: "they took my son today, ICE was..."
        around = folded[max(found.start() - 40, 0) : found.end() + 80]
        taken_person = _PERSON_OBJECT.search(folded[found.end() : found.end() + 30]) or (
            _CLITIC_VERB.search(folded[max(found.start() - 8, 0) : found.end()])
        )
        if _AGENT.search(around) and taken_person and _is_fact(folded, found):
            return True
    return False


def _recent_and_personal(
    folded: str, found: re.Match[str], implied_person: bool, *, arrest: bool = False
) -> bool:
    """Told as fact, about a close person (implied in a very short comment), and not old."""
    window = folded[max(found.start() - 60, 0) : found.end() + 60]
    if not _is_fact(folded, found):
        return False
    if not (implied_person or _PERSON.search(window) or _CLITIC_VERB.search(window)):
        return False
    # "now" beside an old year is the present of a story ("taken in 2015, he is home now")
    old = bool(_OLD_PAST.search(window))
    recent = any(m.group() not in VAGUE_NOW or not old for m in _RECENT.finditer(window))
    # A police arrest with no immigration agent and no date is criminal history ("arrested for
    # a DUI"), not an emergency; a detention years ago is history too.
    if arrest and not (recent or _AGENT.search(window)):
        return False
    return recent or not old
