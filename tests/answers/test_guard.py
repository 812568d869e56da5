"""Sensitive data and urgency: what a member must not post publicly, and who needs help now."""

from __future__ import annotations

import pytest

from bot.answers.guard import KINDS, find_sensitive, is_urgent


@pytest.mark.parametrize(("text", "kinds"), [
    # A-numbers: "A" and 8 or 9 digits, written every which way
    ("my A# 123-456-789", ["a_number"]),
    ("a12345678", ["a_number"]),
    ("A-098765432 is on my notice", ["a_number"]),
    ("mi número A 098 765 432", ["a_number"]),
    ("alien number: 123456789", ["a_number"]),
    ("numero de extranjero 123456789", ["a_number"]),
    # USCIS receipt numbers
    ("my receipt IOE0912345678", ["receipt_number"]),
    ("EAC-21-123-45678 still pending", ["receipt_number"]),
    ("recibo WAC 2190012345", ["receipt_number"]),
    ("LIN2112345678, MSC2012345678, NBC9912345678, SRC1912345678, YSC2112345678",
     ["receipt_number"]),
    # Social Security numbers
    ("SSN 123-45-6789", ["ssn"]),
    ("mi seguro social es 123 45 6789", ["ssn"]),
    ("social security number: 123456789", ["ssn"]),
    # dates of birth: a birth word with a date
    ("DOB 03/04/1990", ["date_of_birth"]),
    ("naci el 3 de marzo de 1990", ["date_of_birth"]),
    ("Fecha de nacimiento: 12/05/1988", ["date_of_birth"]),
    ("I was born on May 5, 1985 in Tijuana", ["date_of_birth"]),
    # passports
    ("passport number G12345678", ["passport"]),
    ("mi pasaporte es el N° 87654321", ["passport"]),
    # street addresses
    ("I live at 1234 Main St, can you help?", ["address"]),
    ("4567 El Cajon Blvd apt 3", ["address"]),
    ("vivo en calle Juarez #123", ["address"]),
    ("Avenida Revolución 1450, Tijuana", ["address"]),
    ("San Diego, CA 92101", ["address"]),
    # phone numbers: any number a member posts, the firm's own included
    ("call me at 619-555-1234", ["phone"]),
    ("mi cel 664 123 4567", ["phone"]),
    ("(619) 819-9204", ["phone"]),
    ("+52 664 123 4567 whatsapp", ["phone"]),
    ("I texted 619-569-1768 and nobody answered", ["phone"]),
    # case details
    ("my case number is 12345", ["case_details"]),
    ("I entered illegally in 2005, can I fix my papers?", ["case_details"]),
    ("me deportaron en 2010", ["case_details"]),
    ("tengo una orden de deportacion", ["case_details"]),
    ("I have a DUI from 2012", ["case_details"]),
    ("entre por el cerro hace 10 años", ["case_details"]),
    ("me negaron el asilo", ["case_details"]),
    ("I overstayed my visa", ["case_details"]),
    # several at once, sorted and unique
    ("A# 123456789, DOB 1/2/1980, call 619-555-0000, call 619-555-0001",
     ["a_number", "date_of_birth", "phone"]),
])
def test_personal_data_is_found(text, kinds):
    assert find_sensitive(text) == kinds


@pytest.mark.parametrize("text", [
    "cuanto cobran por la consulta?",
    "I need a work permit, I-765",
    "do you help with I-485 and I-130 forms? N-400 too",
    "I have 3 kids in court",
    "la calle esta fea desde 2019",
    "I waited 5 years for my interview",
    "born in Mexico, living here since forever",
    "my passport expired in 2020",
    "fecha de nacimiento, que pongo en el formulario?",
    "visa H-1B for 2025",
    "call 911",
    "a 12 años de mi llegada",
    "",
    "\x00" * 50,
])
def test_ordinary_messages_carry_no_personal_data(text):
    assert find_sensitive(text) == []


def test_kinds_are_the_documented_ones():
    assert set(KINDS) == {
        "a_number", "receipt_number", "ssn", "date_of_birth", "passport", "address", "phone",
        "case_details",
    }


@pytest.mark.parametrize("text", [
    "my husband was detained by ICE yesterday what do I do",
    "ICE just took my dad from his job, please help",
    "My son was picked up by ICE this morning",
    "my son is in ICE custody",
    "immigration officers arrested my mom outside the school",
    "ICE is outside my house right now",
    "I have immigration court tomorrow and my lawyer quit",
    "my hearing is next week",
    "they're deporting my uncle tomorrow",
    "the judge ordered my removal, I have to leave Friday",
    "Mi esposo fue detenido por migración esta mañana",
    "lo agarró ICE a mi hermano saliendo del trabajo",
    "la migra se llevó a mi vecino ayer",
    "la migra esta afuera de mi casa",
    "ayuda!! la migra está tocando la puerta",
    "detuvieron a mi hijo en la garita",
    "tengo corte mañana y no tengo abogado",
    "Mi audiencia es el lunes",
    "me llego una orden de deportacion",
    "lo van a deportar mañana a mi primo",
    "detenido",
    "corte mañana!!",
    "DETENIDA MI MAMÁ",
    "my dad was just taken by ICE agents outside his job",
    "mi primo fue ya llevado por la migra",
    "agarraron a mi esposo en un reten anoche",
    "se llevaron a mi tio en el checkpoint de la 5",
    "the migra outside my door, what do I do",
    "la migra afuera del departamento ahorita",
    "they took my sister at the courthouse this morning. ICE was waiting for her",
])
def test_someone_detained_or_facing_a_hearing_now_is_urgent(text):
    assert is_urgent(text)


@pytest.mark.parametrize("text", [
    # opinions and news: nobody the member knows is detained
    "detention centers are inhumane",
    "los centros de detención son una crueldad",
    "ICE should be abolished",
    "la migra es lo peor",
    "la migra",
    "ICE arrested 200 people yesterday in raids",
    "la corte suprema decide mañana sobre DACA",
    "Amen, libertad para todos los detenidos",
    # "what if" questions
    "what happens if ICE detains me?",
    "what should I do if I get detained",
    "si me van a deportar que hago",
    # history, not an emergency
    "my brother was deported in 2012",
    "I was arrested for DUI, can I still apply for citizenship?",
    "mi hermano estuvo detenido en 2015, puede sacar la residencia?",
    "they took my fingerprints at immigration",
    "I had my hearing yesterday, it went well",
    "mi cita de huellas es mañana",
    "they took my brother's truck at the garita",
    "my dad was taken by ICE back in 2012, he is home now",
    "there is a checkpoint on the 15 today, is my route affected",
    "",
    "x" * 100_000,
])
def test_opinions_history_and_what_ifs_are_not_urgent(text):
    assert not is_urgent(text)


@pytest.mark.parametrize(
    "text", ["\x00" * 10, "\ud800", "🙏" * 1000, "A# " * 30_000, "1-" * 50_000]
)
def test_weird_input_never_raises(text):
    assert isinstance(find_sensitive(text), list)
    assert isinstance(is_urgent(text), bool)
