"""The words and weights the demo records are drawn from: towns, trades, company names,
session texts, channels, projects and programmes."""

from crm.models import Network, Theme

# Per municipality code: population (thousands, 2024) that weights its share of the records, and
# postcodes with towns, the main town first.
# fmt: off
TOWNS: dict[str, tuple[int, list[tuple[str, str]]]] = {
    "615": (99, [("8700", "Horsens"), ("8740", "Brædstrup"), ("8752", "Østbirk")]),
    "657": (90, [("7400", "Herning"), ("7490", "Aulum"), ("7451", "Sunds"),
                 ("7480", "Vildbjerg")]),
    "661": (59, [("7500", "Holstebro"), ("7570", "Vemb"), ("7830", "Vinderup")]),
    "665": (19, [("7620", "Lemvig"), ("7673", "Harboøre"), ("7680", "Thyborøn")]),
    "671": (21, [("7600", "Struer"), ("7790", "Thyholm"), ("7560", "Hjerm")]),
    "706": (43, [("8400", "Ebeltoft"), ("8410", "Rønde"), ("8550", "Ryomgård"),
                 ("8560", "Kolind")]),
    "707": (37, [("8500", "Grenaa"), ("8963", "Auning"), ("8961", "Allingåbro"),
                 ("8585", "Glesborg")]),
    "710": (50, [("8450", "Hammel"), ("8370", "Hadsten"), ("8382", "Hinnerup"),
                 ("8860", "Ulstrup")]),
    "727": (24, [("8300", "Odder"), ("8350", "Hundslund")]),
    "730": (100, [("8900", "Randers C"), ("8920", "Randers NV"), ("8870", "Langå"),
                  ("8981", "Spentrup")]),
    "740": (101, [("8600", "Silkeborg"), ("8620", "Kjellerup"), ("8653", "Them"),
                  ("8654", "Bryrup")]),
    "741": (4, [("8305", "Samsø")]),
    "746": (65, [("8660", "Skanderborg"), ("8680", "Ry"), ("8362", "Hørning"),
                 ("8464", "Galten")]),
    "751": (370, [("8000", "Aarhus C"), ("8200", "Aarhus N"), ("8210", "Aarhus V"),
                  ("8260", "Viby J"), ("8270", "Højbjerg"), ("8381", "Tilst"),
                  ("8520", "Lystrup")]),
    "756": (42, [("7430", "Ikast"), ("7330", "Brande"), ("7441", "Bording"),
                 ("7442", "Engesvang")]),
    "760": (56, [("6950", "Ringkøbing"), ("6900", "Skjern"), ("6960", "Hvide Sande"),
                 ("6880", "Tarm")]),
    "766": (48, [("8722", "Hedensted"), ("7130", "Juelsminde"), ("7160", "Tørring"),
                 ("8783", "Hornsyld")]),
    "779": (46, [("7800", "Skive"), ("7860", "Spøttrup"), ("7870", "Roslev"), ("7884", "Fur")]),
    "791": (98, [("8800", "Viborg"), ("8850", "Bjerringbro"), ("8830", "Tjele"),
                 ("7470", "Karup J"), ("9632", "Møldrup")]),
}

# Trade words by DB07 division (first two digits of the code); these divisions are also
# drawn more often, as they are where the local business services meet most companies.
TRADES = {
    "01": "Landbrug", "10": "Bageri", "16": "Træindustri", "25": "Smedie", "28": "Maskinfabrik",
    "31": "Møbler", "33": "Service", "41": "Byg", "42": "Entreprenør", "43": "Tømrer & Snedker",
    "45": "Auto", "46": "Engros", "47": "Butik", "49": "Transport", "55": "Kro", "56": "Café",
    "62": "IT", "68": "Ejendomme", "69": "Revision", "70": "Consult", "71": "Rådgivning",
    "73": "Kommunikation", "74": "Design", "81": "Rengøring", "86": "Fysioterapi",
    "93": "Fitness", "96": "Frisør",
}
INVENTED = (["Nord", "Midt", "Vest", "Grøn", "Fjord", "Hede", "Kyst", "Ny"],
            ["vind", "energi", "puls", "tech", "food", "solutions", "byg", "design", "lab"])
LEGAL_FORMS = (["ApS", "A/S", "I/S", ""], [55, 12, 8, 25])
EMPLOYEES = ([(1, 4), (5, 9), (10, 19), (20, 49), (50, 99), (100, 249), (250, 900)],
             [45, 25, 13, 10, 4, 2, 1])
EDUCATIONS = ["Erhvervsuddannelse", "Gymnasial uddannelse", "Kort videregående uddannelse",
              "Professionsbachelor", "Kandidatuddannelse", "Folkeskole", "Ph.d."]
ROLES = ["Indehaver", "Direktør", "Økonomichef", "Salgschef", "Produktionschef", "Partner"]
CONTENT = {
    Theme.START_UP: "Gennemgang af forretningsplan, budget og valg af selskabsform.",
    Theme.FINANCING: "Drøftelse af finansiering: bank, Vækstfonden og fonde.",
    Theme.GREEN: "Muligheder for energibesparelser og cirkulære forretningsmodeller.",
    Theme.DIGITAL: "Kortlægning af digitaliseringsbehov: ERP, webshop og automatisering.",
    Theme.EXPORT: "Eksportmodenhed og de første markeder i Tyskland og Norden.",
    Theme.WORKFORCE: "Rekruttering og fastholdelse af faglærte medarbejdere.",
    Theme.DESIGN: "Introduktion til designtænkning; mulig henvisning til designøkosystemet.",
    Theme.MANAGEMENT: "Sparring om ledelse, organisering og etablering af bestyrelse.",
    Theme.OWNERSHIP: "Forberedelse af generationsskifte og ejerskifte.",
    Theme.OTHER: "Generel sparring om virksomhedens situation.",
}
CLOSINGS = ["Aftalt opfølgning.", "Virksomheden vender tilbage.", "Materiale sendt pr. mail.",
            "Kontakt til ekstern rådgiver formidlet."]
LOCAL_CLOSINGS = [*CLOSINGS, "Henvist til Erhvervshus Midtjylland."]
FOUNDER_THEMES = [Theme.FINANCING, Theme.DIGITAL, Theme.GREEN]
COMPANY_THEMES = [t for t in Theme.values if t != Theme.START_UP]
# Channel weights (outreach, visit, phone, e-mail) of the local services and of the hub.
LOCAL_CHANNELS, HUB_CHANNELS = [25, 35, 30, 10], [5, 60, 25, 10]
PROJECT_TITLES = ["Gårdbutik og lokale fødevarer", "Ny produktionshal", "Energirenovering",
                  "Oplevelsesturisme ved fjorden", "Webshop og digital booking",
                  "Shelterplads og naturformidling", "Fælles showroom", "Mikrobryggeri"]
PROGRAMMES = ["Vækstforløb", "SMV:Grøn", "SMV:Digital", "Eksportforløb", "Bestyrelse i vækst"]
FOUNDER_PROGRAMME = "Iværksætterforløb"
SPANNING_NETWORKS = [
    ("Fødevarenetværk Vestjylland", Network.Kind.INDUSTRY, ["657", "661", "665", "671", "760"]),
    ("Djurslands Turismenetværk", Network.Kind.INDUSTRY, ["706", "707"]),
]
# fmt: on
