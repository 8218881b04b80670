"""Company names at national volume, drawn fast (no Faker per row) with a realistic spread.

What matters to the search is how often a word occurs: surnames follow a Zipf curve over Faker's
Danish list (in frequency order) plus more -gaard names, so "Østergaard" is in about 0.2% of the
names, as in the company register; brand-like words made of syllables give the long tail.
"""

import itertools
import random

from faker.providers.person.da_DK import Provider as DanishNames

# fmt: off
MORE_SURNAMES = [
    "Kirkegaard", "Bundgaard", "Damgaard", "Kjærgaard", "Nørregaard", "Lundgaard", "Højgaard",
    "Mølgaard", "Skovgaard", "Bjerregaard", "Westergaard", "Dalgaard", "Hedegaard", "Mogensen",
    "Abildgaard", "Kragh", "Bak", "Hviid", "Juhl", "Riis", "Borup", "Brøndum", "Hald", "Pallesen",
    "Ebbesen", "Vinther", "Bisgaard", "Fogh", "Svenningsen", "Vestergård", "Østergård",
]
TRADES = [
    "Tømrer", "Snedker", "Murer", "VVS", "El-service", "Maler", "Auto", "Transport", "Vognmand",
    "Smedie", "Maskinfabrik", "Byg", "Entreprise", "Consult", "Rådgivning", "Revision", "IT",
    "Data", "Software", "Design", "Kommunikation", "Ejendomme", "Invest", "Holding", "Handel",
    "Engros", "Import", "Café", "Bageri", "Kro", "Frisør", "Fysioterapi", "Klinik", "Tandlæge",
    "Landbrug", "Maskinstation", "Anlæg", "Rengøring", "Service", "Fitness", "Energi", "Solar",
    "Biler", "Cykler", "Møbler", "Tekstil", "Trykkeri", "Foto", "Event", "Catering", "Gartneri",
    "Wind", "Systems", "Technology", "Solutions", "Group", "Nordic", "Partners",
]
TOWNS = [
    "Aarhus", "Aalborg", "Odense", "Vejle", "Horsens", "Randers", "Kolding", "Esbjerg", "Viborg",
    "Silkeborg", "Herning", "Holstebro", "Skive", "Struer", "Lemvig", "Thisted", "Hjørring",
    "Frederikshavn", "Svendborg", "Nyborg", "Roskilde", "Køge", "Næstved", "Slagelse", "Holbæk",
    "Hillerød", "Helsingør", "Grenaa", "Ebeltoft", "Skanderborg", "Ikast", "Brande", "Ringkøbing",
    "Skjern", "Varde", "Ribe", "Tønder", "Sønderborg", "Aabenraa", "Haderslev", "Fredericia",
    "Middelfart", "Bogense", "Faaborg", "Rønne", "Nykøbing", "Maribo", "Nakskov", "Vordingborg",
]
PREFIXES = ["Nord", "Syd", "Øst", "Vest", "Midt", "Grøn", "Blå", "Ny", "Fjord", "Hede", "Kyst",
            "Sol", "Skov", "Eng", "Bakke", "Dansk", "Jysk", "Fyns", "Sjællands", "Pro", "Top"]
SUFFIXES = ["vind", "energi", "puls", "tech", "food", "byg", "design", "lab", "gruppen", "huset",
            "værket", "kraft", "linjen", "partner", "data", "invest", "agro", "service", "el"]
SYLLABLES = ["ka", "lo", "ve", "ri", "na", "to", "bi", "sa", "mo", "le", "da", "fi", "ru", "ne",
             "go", "ha", "vi", "tu", "pe", "ma", "ske", "bro", "dan", "nor", "mar", "lin", "sen",
             "tek", "vo", "gra", "stra", "kel", "ber", "mi", "ol", "ek", "us", "an", "in", "or"]
# fmt: on
FIRST_NAMES = list(DanishNames.first_names_male) + list(DanishNames.first_names_female)
SURNAMES = list(DanishNames.last_names) + MORE_SURNAMES
SURNAME_WEIGHTS = list(itertools.accumulate(1 / rank for rank in range(1, len(SURNAMES) + 1)))
FORMS = ["ApS"] * 11 + ["A/S"] * 3 + ["I/S"] * 2 + [""] * 5
# Well-known names the bench looks for, among the million.
KNOWN = ["Vestas Wind Systems A/S", "Vestas Wind Technology A/S", "Vestas Nacelles A/S"]


def brand(rng: random.Random) -> str:
    return "".join(rng.choices(SYLLABLES, k=rng.choice((2, 2, 3)))).capitalize()


def surname(rng: random.Random) -> str:
    return rng.choices(SURNAMES, cum_weights=SURNAME_WEIGHTS)[0]


def company_name(rng: random.Random) -> str:
    draw, form = rng.random(), rng.choice(FORMS)
    if draw < 0.35:
        base = f"{surname(rng)} {rng.choice(TRADES)}"
    elif draw < 0.5:
        base = f"{rng.choice(FIRST_NAMES)} {surname(rng)}"
        form = "" if rng.random() < 0.6 else form
    elif draw < 0.62:
        base = f"{rng.choice(TOWNS)} {rng.choice(TRADES)}"
    elif draw < 0.8:
        base = f"{rng.choice(PREFIXES)}{rng.choice(SUFFIXES)} {brand(rng)}"
    else:
        base = f"{brand(rng)} {rng.choice(TRADES)}"
    return f"{base} {form}".rstrip()
