"""Does a message ask the firm for something? Cues for requests and for talk that wants no reply.

Each list holds comma-separated folded phrases (see ``text.phrase_tokens``; '*' ends a
prefix). They are short and literal on purpose: the matcher answers only when a request cue
is present and no veto applies, because a wrong answer costs more than none.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.answers.phrases import Hit, PhraseSet
from bot.answers.text import Normalized, normalize

CUES = {
    # A first-person need: makes a message a request, and outweighs opinion words.
    "need": """
        i need, we need, i am needing, necesito, necesitamos, ocupo, ocupamos, requiero,
        i want, we want, quiero, queremos, quisiera, quisieramos, me gustaria, nos gustaria,
        i would like, id like, looking for, busco, buscamos, estoy buscando, help me, help us,
        ayudenme, ayudame, ayudeme, me ayudan, me pueden, me podrian, me puede, nos pueden,
        nos ayudan, can i, could i, do i, should i, am i, puedo, podemos, how do i, how can i,
        how do we, how can we, what do i, what should i, what can i, que hago, que puedo,
        que debo, que hacemos, como le hago, como hago, como puedo, como lo saco, como la saco,
        como saco, como aplico, como solicito, como renuevo, me interesa, nos interesa,
        i am interested, estoy interesad*, call me, text me, llamenme, llameme, marquenme,
        escribanme, mandenme, mandeme, send me, tengo una pregunta, i have a question,
        me pasan, pasenme, me comparten, me mandan, me envian, i need to know, i really need,
        i just need, i also need, we really need""",
    # Clear asks that are not a first-person need: "info porfa", "what now?".
    "ask": """
        please, porfa, por favor, favor de, necesita, need, needs, ocupa, interested,
        interesad*, alguien sabe, anyone know, does anyone know, someone know, who can tell,
        quien sabe, quien me, quiero saber, want to know, i would like to know, what now,
        what are my options, que opciones tengo, que sigue, what next,
        me preguntaba, preguntaba, i was wondering, wondering, i wonder, queria saber,
        quisiera saber, queria preguntar, wanted to ask, want to ask, the difference,
        la diferencia, difference between, my question is, mi pregunta es, keep me posted,
        keep me informed, keep us posted, avisenme, me avisan, nos avisan""",
    # Question words that ask wherever they stand.
    "question": """
        how, where, como, donde, cuanto, cuanta, cuantos, cuantas, cual, cuales, quien,
        a que hora, hasta que hora, what time, at what time, until what time, till what time""",
    # Words that ask only as a heading or a tag, opening or closing a clause: "precio?",
    # "info sobre DACA", "DACA info"; "el precio de la gasolina ya no se aguanta" does not.
    "noun_ask": """
        precio, price, costo, cost, help, ayuda, info, informacion, informes, mas info,
        more info, mas informacion, more information, requisitos, requirements""",
    # Words that ask only when they open a clause: "tienen oficina?" asks, "mi hermano tiene
    # DACA" does not; "can you..." asks, "I will call you" does not.
    "opener": """
        what, when, which, who, can, could, is there, are there, are you, do you, does, is it,
        will, would, any, cuando, que, hay, se puede, pueden, puede, tienen, tiene, aceptan,
        hacen, ayudan, atienden, manejan, llevan, tramitan, trabajan, es, estan, sigue,
        is the, is my, is an, are the, are my, did you, have you""",
    # Thanks, blessings, praise of a post (a greeting is no veto: "hola, cuanto cobran").
    "social": """
        gracias, thank, thanks, ty, amen, dios, god, bless, blessed, blessing*, bendig*,
        bendicion*, pray*, oracion*, orando, rezando, virgen, jesus, lord, felicidades,
        congrats, congratulations, great info, good info, buena info, excelente info*,
        muy buena info*, buena informacion, muy util, useful, helpful, interesante,
        interesting, gran informacion, great information, compartan, comparto, share, shared,
        sharing, wow, que bueno, que buena, great news, good news, buena noticia,
        buenas noticias, ojala, hopefully, i hope, espero, esperemos, lol, lmao, jaja*,
        haha*, jeje*""",
    # Telling the firm something is done: "ya les mande mensaje", "I sent my info".
    "done": """
        i sent, i just sent, i already sent, already sent, i already called, i called you,
        ya mande, ya les mande, ya le mande, ya envie, ya les envie, ya les escribi,
        ya llame, ya les llame, ya le llame, done, listo""",
    # Talking with other members about a shared wait or question, not asking the firm.
    "peer": """
        who else, anyone else, anybody else, alguien mas, quien mas, same here, me too,
        yo tambien, same question, misma pregunta, same situation, mismo caso, igual yo,
        following, has anyone, has anybody, did anyone, did anybody, anyone here,
        is it just me, a alguien le, a alguien mas""",
    # How the firm helped them, or news about their own case.
    "testimonial": """
        me ayudaron, nos ayudaron, helped me, helped us, they helped, thanks to, gracias a,
        recomiendo, recomendad*, recommend*, excelente servicio, excellent service,
        muy profesionales, very professional, los mejores, best lawyers, best immigration,
        mejores abogados, ya tengo, ya tiene, ya me llego, ya nos llego, ya le llego,
        ya me dieron, i got my, we got my, got approved, finally, por fin, approved, aprobaron,
        aprobad*, received my, already have, just got, very good lawyers, muy buenos""",
    # Politics and opinions about immigration.
    "political": """
        illegal, illegals, illegally, ilegal, ilegales, indocumentados, close the border,
        secure the border, open border*, build the wall, the wall, trump, biden, kamala, harris,
        obama, democrat*, republican*, republicano*, democrata*, maga, vote, voting, votar,
        voto*, votes, taxpayer*, invasion, invader*, invading, criminals, criminales, go back,
        send them back, deport them, should be deported, abolish*, abolir, this country,
        our country, este pais, nuestro pais, politician*, politicos, scam, fake, abused,
        abuse, abusing, lies, mentiras, racist*, racista*, shame, verguenza, disgrace,
        disgusting, pathetic, ridiculous, free stuff, free lawyers, welfare, the right way,
        la manera correcta, legal way, waited in line, their turn, su turno, merecen,
        deserve*, promesas, promises, crueldad, cruel, inhumane, inhumano*, is broken,
        is a joke, es una burla, no es justo, not fair, unfair, privilege, earned,
        que se regresen, fuera, that is not how, not how it works, no es asi,
        are they serious, are you serious, are you kidding, kidding me, just kidding, en serio,
        so expensive, too expensive, tan caro, muy caro, que caro, bien caro, precio tan,
        precios tan""",
    # Spam, sales and offers.
    "spam": """
        bitcoin, crypto, cripto, forex, invest*, inversion*, invertir, earn, earning,
        ganar dinero, gana dinero, gane dinero, make money, making money, profit*, ganancias,
        work from home, working from your phone, trabajo desde casa, trabaja desde casa,
        gana desde casa, link in bio, my profile, mi perfil, visit my page, follow me,
        follow my, sigueme, siganme, followers, seguidores, prestamo*, loan, loans,
        100 guaranteed, guaranteed results, results guaranteed, guaranteed approval,
        100 garantizad*, resultados garantizados, sponsorship, patrocinio, send your cv,
        hiring, contratando, vacantes, vendo, vendemos, se vende, for sale, selling, compro,
        compramos, sugar daddy, giveaway, sorteo, spell caster, hechizo, for details,
        para mas detalles, apply now, aplica ya, fast approval, escribeme al whatsapp,
        whatsapp me, message me for, dm me for, inbox me for, my page, mi pagina""",
    "first_person": """
        i, me, my, mine, myself, we, us, our, ours, yo, mi, mis, nosotros, nosotras, nuestro,
        nuestra, nuestros, nuestras, tengo, necesito, quiero, soy, estoy, puedo, ocupo""",
    # Talking to a friend in the thread rather than to the firm.
    "informal_you": """
        tu, tus, ti, contigo, tienes, puedes, sabes, quieres, mira, ve esto, fijate, checa,
        look at this, check this, this is for you, para ti, para que veas, you should""",
}

# Words that may stand before an opener in its clause ("hola, buenas tardes, tienen...").
GREETING_WORDS = frozenset(
    "hola hi hello hey buenas buenos buen dia dias tarde tardes noches good morning afternoon "
    "evening saludos disculpe disculpen perdon excuse me oiga sorry y and also tambien "
    "ok okay si yes please porfa".split()
)

ASKING_CUES = frozenset({"need", "ask", "question", "opener", "noun_ask"})

_CUE_SET = PhraseSet(
    (phrase.strip(), name) for name, text in CUES.items() for phrase in text.split(",")
)


@dataclass(frozen=True)
class Signals:
    """What the wording says about a message, whatever its topic."""

    request: int  # 0 none, 1 a question word only, 2 a clear ask ("?", "necesito", "info porfa")
    need: bool  # a first-person need, strong enough to outweigh opinion words
    asking_clauses: frozenset[int]  # starts of the clauses that hold a request or a '?'
    social: bool  # thanks, blessings, praise, laughter, or news that something is done
    peer: bool
    testimonial: bool
    political: bool
    spam: bool
    first_person: bool
    informal_you: bool


# Cue words worth correcting typos towards ("nesesito" -> "necesito"). Kept short: most cue
# words are verbs whose other forms would be "corrected" into asks ("ayudaron" -> "ayudan").
TYPO_TARGETS = frozenset(
    "necesito necesitamos quisiera gustaria informacion interesada interesado please porfa "
    "ayudenme ayudeme llamenme consultation appointment".split()
)


def cue_words() -> set[str]:
    """Request words that misspellings are corrected towards."""
    return set(TYPO_TARGETS)


def _opens_clause(message: Normalized, start: int) -> bool:
    clause_start = max(i for i in message.clause_starts if i <= start)
    return all(t in GREETING_WORDS for t in message.tokens[clause_start:start])


def _closes_clause(message: Normalized, end: int) -> bool:
    return end == len(message.tokens) or end in message.clause_starts


def _counts(message: Normalized, hit: Hit[str]) -> bool:
    if hit.label == "opener":
        return _opens_clause(message, hit.start)
    if hit.label == "noun_ask":
        return _opens_clause(message, hit.start) or _closes_clause(message, hit.end)
    return True


def clause_of(message: Normalized, index: int) -> int:
    """The start index of the clause holding token ``index``."""
    return max(i for i in message.clause_starts if i <= index)


def read_signals(message: Normalized) -> Signals:
    """The request strength and the vetoes found in a normalised message."""
    hits = [hit for hit in _CUE_SET.find(message.tokens) if _counts(message, hit)]
    found = {hit.label for hit in hits}
    need = "need" in found
    if need or message.question or "ask" in found:
        request = 2
    elif found & {"question", "opener", "noun_ask"}:
        request = 1
    else:
        request = 0
    asking = {clause_of(message, h.start) for h in hits if h.label in ASKING_CUES}
    return Signals(
        request=request,
        need=need,
        asking_clauses=frozenset(asking | message.question_clauses),
        social="social" in found or "done" in found,
        peer="peer" in found,
        testimonial="testimonial" in found,
        political="political" in found,
        spam="spam" in found,
        first_person="first_person" in found or need,
        informal_you="informal_you" in found,
    )


def asks_something(text: str) -> bool:
    """Whether a message asks something of anyone (a question or a request), whatever its topic and whether or not
    the FAQ answers it: a question mark, a question word opening a clause, "alguien sabe", "necesito", "how do I"...

    Broader than the matcher's test on purpose: it decides what waits for a person, and a person can say "no reply
    needed" where the bot must stay silent. Spam and political talk never ask.
    """
    message = normalize(text if isinstance(text, str) else str(text))
    hits = [hit for hit in _CUE_SET.find(message.tokens) if _counts(message, hit)]
    found = {hit.label for hit in hits}
    if "spam" in found or ("political" in found and "need" not in found):
        return False
    if message.question or found & {"need", "ask"}:
        return True
    # A question word asks when it opens a clause ("donde queda la oficina"), not inside one ("I love how...") and
    # not as an exclamation ("que bonito", "como siempre").
    # A heading word ("info", "precio") asks nothing in praise or thanks: "gracias, muy buena informacion".
    praise = bool(found & {"social", "done", "testimonial"})
    return any(hit.label in ASKING_CUES and (hit.label == "noun_ask" and not praise or _opens_clause(message, hit.start))
               and not set(message.tokens[hit.end:hit.end + 1]) & EXCLAIMED for hit in hits)


# Words after "que", "como", "what", "how" that make an exclamation, not a question.
EXCLAIMED = frozenset(
    "bonito bonita bonitos bonitas bueno buena buenos buenas lindo linda lindos lindas bien mal triste tristeza "
    "horrible padre chido hermoso hermosa orgullo gusto alegria felicidad pena siempre great nice beautiful sad "
    "awesome amazing cool wonderful lovely true a an".split()
)
