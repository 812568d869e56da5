"""Which language a member wrote in: English, Spanish, or both mixed."""

from __future__ import annotations

import re

from bot.answers.text import plain_words

# Common words of each language, folded (no accents). Words that are the same in both
# ("no", "me", "son", "he", "a") and loanwords Spanish speakers use as they are ("green card",
# "work permit", "DACA", "ICE", "ok", "info") count for neither.
SPANISH = frozenset("""
de la que el en y los del se las por un una para con mi mis su sus es lo le les como pero mas
esta estan este esto eso esa ese hay tengo tiene tienen tenemos tenia quiero quiere quisiera
necesito necesita necesitamos ocupo puedo puede pueden podria podrian hola gracias buenos buenas
dias tardes noches porfa favor donde cuando cuanto cuanta cuantos cual quien porque tambien muy
mucho muchas muchos ya si soy somos estoy estamos ella ellos ellas nosotros usted ustedes yo tu
ti te nos hijo hija hijos esposo esposa marido mama papa hermano hermana primo prima tio tia
trabajo trabajar permiso ciudadania ciudadano ciudadana residencia residente asilo abogado abogada
abogados consulta consultas cita citas cobran cobra cuesta cuestan precio ayuda ayudan ayudar
ayudame ayudenme informacion informes numero telefono llamar llamen oficina horario abren cierran
ubicados ubicada dios bendiga bendiciones migra migracion inmigracion detenido detenida corte
manana hoy ayer ahora ahorita aqui alla fue era ser estar hacer hago hace saber sobre entre sin
desde hasta todo todos toda todas nada algo alguien nadie bien bueno buena nuevo nueva ano anos
mes semana sabado sabados domingo domingos lunes martes miercoles jueves viernes pais casa familia
papeles tramite renovar sacar saco pedir arreglar espanol ingles habla hablan hablo mira ve asi
ojala jaja jajaja pues entonces al unos unas otro otra mismo van voy va vamos estas dice dicen
creo sabe saben sera seria han ha hemos todavia aun tiempo vez veces gente personas nuestro
nuestra vida solo tanto mejor peor cierto verdad mentira gobierno frontera ley derechos vivir vivo
vive naci llego llegue saludos licenciado licenciada senor senora ninos interesa interesada
interesado gustaria agendar tardan tarda vence vencio renuevo solicitar aplicar puedes vez
caso mio suya nada hacen atienden manejan llevan tramitan dan dar mandar manden mandenme cual
esposos padres hermanos hijas familiares vecino vecina novio novia amigo amiga cunado suegra
agarraron detuvieron llevaron deportar deportaron audiencia fianza oficinas direccion queda
estado estados unidos mexico sacar saque tenga quisieramos podemos debo debe deben tengan
q xq pq porq tmb uds ud xfa porfavor porfis
pedirlo pedirla pedirlos pedirlas preguntaba preguntar pregunto preguntando
""".split())

ENGLISH = frozenset("""
the and is are was were be been being to of in on at for with from by about my your our their
his her i you we they she it this that these those what where when why how who which can could
would should will do does did have has had not get got need needs want wants help please thanks
thank hello hi hey yes just so if or but any anyone someone there here much many more time long
still open new again know apply renew renewal case lawyer lawyers attorney attorneys office call
text number phone speak speaks spanish english husband wife son daughter mom dad mother father
brother sister family today tomorrow yesterday now citizenship asylum consultation consult
appointment fee fees cost costs price prices charge free located hours guys people like good great
god bless all everyone very really an am go going come came make take took detained arrested court
hearing tell said say see look check out up some one two first last next week month year years
after before because than then them him us only also too way back right wrong country border
government illegal illegals anybody does doing done find where whats getting still left your
yours myself apply applying application renewing expired expire expires lost card cards status
married citizen citizens residency immigration office weekend weekends saturday sunday monday
tuesday wednesday thursday friday morning night tonight would like able into over under news
share shared sharing trump whats im ive dont cant pls plz thx ur
following same question questions interesting article finally
""".split())

_SPANISH_MARKS = re.compile(r"[ñ¿¡áéíóú]", re.IGNORECASE)
DEFAULT_LANGUAGE = "es"  # no evidence either way: most members are Spanish speakers
MIXED_MIN_SHARE = 0.25


def detect_language(text: str) -> str:
    """'en', 'es' or 'mixed' from counts of common words; never raises.

    A message with no telling word ("DACA?", "🙏") counts as Spanish, the members' majority.
    """
    tokens = plain_words(text)
    english = sum(1 for t in tokens if t in ENGLISH)
    spanish = sum(1 for t in tokens if t in SPANISH)
    if _SPANISH_MARKS.search(str(text)[:2000]):
        spanish += 1
    return language_from_counts(english, spanish)


def language_from_counts(english: int, spanish: int) -> str:
    """The verdict for given word counts (split out so the matcher reuses its tokens)."""
    total = english + spanish
    if total == 0:
        return DEFAULT_LANGUAGE
    if min(english, spanish) >= 1 and min(english, spanish) / total >= MIXED_MIN_SHARE:
        return "mixed"
    return "en" if english > spanish else "es"
