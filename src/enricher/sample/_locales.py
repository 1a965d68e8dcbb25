"""Local word stock per country: names, legal forms, cities with postcodes and area codes, streets.

Kept as plain data so a reviewer can check it against reality at a glance. Name patterns use the
placeholders ``{S}``/``{S2}`` (surnames), ``{F}`` (first name), ``{T}`` (trade word), ``{C}`` (a coined
brand from two syllables), ``{P}`` (city), ``{X}`` (a trade phrase) and ``{L}`` (legal form; appended
when the pattern does not place it). A pattern starting with ``!`` is a sole trader: no legal form.
"""

from __future__ import annotations

from dataclasses import dataclass

from enricher.sample._phones import PhonePlan, PhoneTemplate
from enricher.sample._taxids import TAX_SCHEMES, TaxScheme

__all__ = ["LOCALES", "City", "LegalForm", "Locale", "NamePattern"]


@dataclass(frozen=True, slots=True)
class LegalForm:
    """A legal form as usually written, and the other ways people write the same form."""

    canonical: str
    variants: tuple[str, ...]
    weight: float


@dataclass(frozen=True, slots=True)
class City:
    name: str
    postcode: str  # pattern: '#' a digit, '@' a letter, '{a-c}' one of a set; other chars literal
    landline: PhoneTemplate


@dataclass(frozen=True, slots=True)
class NamePattern:
    weight: float
    name: str
    brand: str  # the short name a website and a displayName use


@dataclass(frozen=True, slots=True)
class Locale:
    """Everything the generator needs to make a plausible company of one country."""

    country: str
    weight: float
    tax: TaxScheme
    tld: str
    alt_tlds: tuple[str, ...]
    surnames: tuple[str, ...]
    first_names: tuple[str, ...]
    trades: tuple[str, ...]
    heads: tuple[str, ...]
    tails: tuple[str, ...]
    phrases: tuple[str, ...]
    patterns: tuple[NamePattern, ...]
    legal_forms: tuple[LegalForm, ...]
    cities: tuple[City, ...]
    streets: tuple[str, ...]
    street_abbreviations: tuple[tuple[str, str], ...]  # (as written in the base record, a variant)
    mobiles: tuple[PhoneTemplate, ...]
    mailboxes: tuple[str, ...]
    free_mail: tuple[str, ...]
    site_paths: tuple[str, ...]
    franchises: tuple[tuple[str, str], ...]  # (brand, the brand's own domain)
    postcode_prefix: str  # "PL-00-950", "D-10115": how postcodes are sometimes written abroad
    and_word: str = "and"  # what "&" becomes when a clerk spells it out
    name_abbreviations: tuple[tuple[str, tuple[str, ...]], ...] = ()  # ("P.H.U.", ("PHU", "Przedsię..."))


def _w(text: str) -> tuple[str, ...]:
    """Split a '|'-separated word list (entries may contain spaces)."""
    return tuple(part.strip() for part in text.split("|") if part.strip())


def _lf(spec: str, weight: float) -> LegalForm:
    canonical, *variants = _w(spec)
    return LegalForm(canonical, tuple(variants), weight)


def _pats(*items: tuple[float, str, str]) -> tuple[NamePattern, ...]:
    return tuple(NamePattern(w, n, b) for w, n, b in items)


def _cities(plan: PhonePlan, spec: str, groups: dict[int, tuple[int, ...]], first: str) -> tuple[City, ...]:
    """Parse ``name; postcode pattern; area code[; digit grouping]`` lines.

    Without an explicit grouping (``2 4 4``) the grouping is chosen by the area code's length.
    """
    cities = []
    for line in spec.strip().splitlines():
        name, postcode, area, *explicit = (part.strip() for part in line.split(";"))
        grouping = tuple(int(g) for g in explicit[0].split()) if explicit else groups[len(area)]
        cities.append(City(name, postcode, PhoneTemplate(plan, area, grouping, first)))
    return tuple(cities)


def _mobiles(
    plan: PhonePlan, prefixes: str, groups: tuple[int, ...], first: str = "0123456789"
) -> tuple[PhoneTemplate, ...]:
    return tuple(PhoneTemplate(plan, p, groups, first) for p in prefixes.split())


_PL = PhonePlan("PL", "48", "")
_DE = PhonePlan("DE", "49", "0")
_NL = PhonePlan("NL", "31", "0")
_GB = PhonePlan("GB", "44", "0")
_FR = PhonePlan("FR", "33", "0")
_CZ = PhonePlan("CZ", "420", "")
_AT = PhonePlan("AT", "43", "0")
_ES = PhonePlan("ES", "34", "")
_IT = PhonePlan("IT", "39", "")
_SE = PhonePlan("SE", "46", "0", area_sep="-")

_DE_STREET_ABBR = (("straße", "str."), ("Straße", "Str."), ("straße", "strasse"), ("Straße", "Strasse"))

LOCALES: tuple[Locale, ...] = (
    Locale(
        country="PL",
        weight=0.34,
        tax=TAX_SCHEMES["PL"],
        tld=".pl",
        alt_tlds=(".com.pl", ".eu", ".com", ".net.pl"),
        surnames=_w(
            "Nowak|Kowalski|Wiśniewski|Wójcik|Kowalczyk|Kamiński|Lewandowski|Zieliński|Szymański|Woźniak|"
            "Dąbrowski|Kozłowski|Jankowski|Mazur|Wojciechowski|Kwiatkowski|Krawczyk|Kaczmarek|Piotrowski|"
            "Grabowski|Zając|Pawłowski|Michalski|Król|Wieczorek|Jabłoński|Wróbel|Nowakowski|Majewski|"
            "Olszewski|Stępień|Malinowski|Jaworski|Adamczyk|Dudek|Nowicki|Pawlak|Górski|Witkowski|Walczak|"
            "Sikora|Baran|Rutkowski|Michalak|Szewczyk|Ostrowski|Tomaszewski|Pietrzak|Zalewski|Wróblewski|"
            "Marciniak|Jasiński|Zawadzki|Bąk|Jakubowski|Sadowski|Duda|Włodarczyk|Chmielewski|Borkowski|"
            "Sokołowski|Szczepański|Sawicki|Lis|Kubiak|Maciejewski|Kucharski|Kalinowski|Mazurek|Wysocki|"
            "Kaźmierczak|Wasilewski|Sobczak|Czarnecki|Konieczny|Cieślak|Głowacki|Kołodziej|Sikorski|"
            "Krajewski|Szulc|Baranowski|Laskowski|Brzeziński|Makowski|Ziółkowski|Przybylski|Żak|Śliwa"
        ),
        first_names=_w(
            "Jan|Piotr|Krzysztof|Andrzej|Tomasz|Paweł|Marcin|Michał|Marek|Grzegorz|Łukasz|Adam|Zbigniew|"
            "Jerzy|Mateusz|Dariusz|Wojciech|Jakub|Robert|Jacek|Maciej|Kamil|Sławomir|Rafał|Anna|Katarzyna|"
            "Małgorzata|Agnieszka|Ewa|Magdalena|Joanna|Monika|Beata|Dorota|Grażyna|Iwona|Renata"
        ),
        trades=_w(
            "Trans|Bud|Budownictwo|Transport|Logistyka|Serwis|Instalacje|Elektro|Metal|Stal|Meble|Okna|Dach|"
            "Auto|Med|Farm|Agro|Eko|Tech|Soft|IT|Consulting|Finanse|Doradztwo|Projekt|Druk|Spedycja|Hurt|"
            "Energia|Gaz|Clean|Service|Systemy|Media|Design|Invest|Development|Nieruchomości|Solar|Plast"
        ),
        heads=_w(
            "Pol|Inter|Euro|Mega|Trans|Bud|Agro|Eko|Tech|Med|Max|Hydro|Termo|Elektro|Geo|Auto|Info|Dom|"
            "Stal|Drew|Kom|Rol|Bio|Nova|Tel|Pro|Mar|Wist|Mazow|Śląsk|Bałt|Wart|Karpat|Podhal"
        ),
        tails=_w(
            "pol|ex|max|mex|bud|met|trans|tech|sped|plast|tex|net|system|med|kom|star|gaz|rol|drew|pak|lux|"
            "soft|mar|tel|bis|projekt|land|hurt|serwis|gum|mat|tor"
        ),
        phrases=_w(
            "P.H.U.|F.H.U.|P.P.H.U.|Usługi Transportowe|Zakład Usług Remontowych|Firma Handlowo-Usługowa|"
            "Zakład Stolarski|Warsztat Samochodowy|Biuro Rachunkowe|Gabinet Stomatologiczny|Sklep Spożywczy|"
            "Usługi Budowlane|Kancelaria Radcy Prawnego|Przedsiębiorstwo Handlowe|Hurtownia Budowlana|"
            "Pracownia Projektowa|Usługi Ogólnobudowlane|Transport Ciężarowy"
        ),
        patterns=_pats(
            (3, "{C} {L}", "{C}"),
            (2, "{C}-{T} {L}", "{C}-{T}"),
            (2, "{S} {T} {L}", "{S} {T}"),
            (1, "{T}-{S} {L}", "{T}-{S}"),
            (2.5, '!{X} "{C}" {F} {S}', "{C}"),
            (2, "!{X} {F} {S}", "{X} {S}"),
            (1, "{S} i {S2} {L}", "{S} i {S2}"),
            (1, "{C} {P} {L}", "{C} {P}"),
            (1, "{T} {P} {L}", "{T} {P}"),
        ),
        legal_forms=(
            _lf(
                "Sp. z o.o.|sp. z o.o.|Sp. z o. o.|spółka z ograniczoną odpowiedzialnością|Spółka z o.o.|"
                "SP. Z O.O.|sp.z o.o.|Sp.z o.o.",
                6,
            ),
            _lf("S.A.|SA|Spółka Akcyjna|S.A", 1),
            _lf("sp.j.|Sp. J.|spółka jawna|s.j.|Sp.j.", 1.5),
            _lf("sp.k.|Sp. k.|spółka komandytowa|Sp.k.", 1),
            _lf("s.c.|S.C.|spółka cywilna|s. c.", 1),
            _lf("Sp. z o.o. sp.k.|sp. z o.o. sp. k.|Spółka z ograniczoną odpowiedzialnością Sp. k.", 0.5),
        ),
        cities=_cities(
            _PL,
            """
            Warszawa; 0{0-4}-###; 22
            Kraków; 3{01}-###; 12
            Łódź; 9{0-4}-###; 42
            Wrocław; 5{0-4}-###; 71
            Poznań; 6{01}-###; 61
            Gdańsk; 80-###; 58
            Szczecin; 7{01}-###; 91
            Bydgoszcz; 85-###; 52
            Lublin; 20-###; 81
            Białystok; 15-###; 85
            Katowice; 40-###; 32
            Gdynia; 81-###; 58
            Częstochowa; 42-2##; 34
            Radom; 26-6##; 48
            Rzeszów; 35-###; 17
            Toruń; 87-1##; 56
            Kielce; 25-###; 41
            Olsztyn; 10-###; 89
            Opole; 45-###; 77
            Zielona Góra; 65-###; 68
            Bielsko-Biała; 43-3##; 33
            Gliwice; 44-1##; 32
            Tarnów; 33-1##; 14
            Nowy Sącz; 33-3##; 18
            Piotrków Trybunalski; 97-300; 44
            Zakopane; 34-500; 18
            Płock; 09-4##; 24
            Elbląg; 82-300; 55
            Gorzów Wielkopolski; 66-400; 95
            Włocławek; 87-800; 54
            Legnica; 59-220; 76
            Koszalin; 75-###; 94
            Słupsk; 76-200; 59
            Łomża; 18-400; 86
            Suwałki; 16-400; 87
            Świdnica; 58-100; 74
            Pruszków; 05-800; 22
            Piaseczno; 05-500; 22
            """,
            {2: (2, 3, 2, 2)},
            "2345678",
        ),
        streets=_w(
            "ul. Marszałkowska|ul. Piłsudskiego|ul. Mickiewicza|ul. Słowackiego|ul. Kościuszki|"
            "ul. Sienkiewicza|ul. Kolejowa|ul. Polna|ul. Leśna|ul. Słoneczna|ul. Krótka|ul. Szkolna|"
            "ul. Ogrodowa|ul. Lipowa|ul. Brzozowa|ul. Kwiatowa|ul. Przemysłowa|ul. Fabryczna|ul. Składowa|"
            "ul. Wojska Polskiego|ul. 3 Maja|ul. Jana Pawła II|ul. Grunwaldzka|ul. Długa|ul. Żeromskiego|"
            "ul. Kopernika|ul. Chopina|ul. Reymonta|ul. Wiejska|ul. Zielona|ul. Główna|ul. Targowa|"
            "ul. Hutnicza|ul. Magazynowa|al. Jerozolimskie|al. Niepodległości|al. Solidarności|"
            "pl. Wolności|pl. Grunwaldzki"
        ),
        street_abbreviations=(
            ("ul. ", "ulica "),
            ("ul. ", ""),
            ("ul. ", "UL. "),
            ("ul. ", "ul."),
            ("al. ", "aleja "),
            ("al. ", "Al. "),
            ("pl. ", "plac "),
        ),
        mobiles=_mobiles(
            _PL,
            " ".join(
                f"{a}{b}"
                for a in ("50", "51", "53", "57", "60", "66", "69", "72", "73", "78", "79", "88")
                for b in "0123456789"
            ),
            (3, 3, 3),
        ),
        mailboxes=_w("biuro|kontakt|info|faktury|ksiegowosc|sekretariat|office|handlowy"),
        free_mail=_w("gmail.com|wp.pl|onet.pl|o2.pl|interia.pl|op.pl"),
        site_paths=_w("kontakt|o-nas|oferta"),
        franchises=(
            ("Żabka", "zabka.pl"),
            ("Lewiatan", "lewiatan.pl"),
            ("Orlen", "orlen.pl"),
            ("Groszek", "groszek.com.pl"),
            ("Carrefour Express", "carrefour.pl"),
        ),
        postcode_prefix="PL",
        and_word="i",
        name_abbreviations=(
            ("P.H.U.", ("PHU", "Przedsiębiorstwo Handlowo-Usługowe")),
            ("F.H.U.", ("FHU", "Firma Handlowo-Usługowa")),
            ("P.P.H.U.", ("PPHU", "Przedsiębiorstwo Produkcyjno-Handlowo-Usługowe")),
            ("Zakład Usług Remontowych", ("Z.U.R.", "ZUR")),
            ("Firma Handlowo-Usługowa", ("F.H.U.", "FHU")),
            ("Przedsiębiorstwo Handlowe", ("P.H.", "PH")),
        ),
    ),
    Locale(
        country="DE",
        weight=0.15,
        tax=TAX_SCHEMES["DE"],
        tld=".de",
        alt_tlds=(".com", ".eu", ".info", ".net"),
        surnames=_w(
            "Müller|Schmidt|Schneider|Fischer|Weber|Meyer|Wagner|Becker|Schulz|Hoffmann|Schäfer|Koch|Bauer|"
            "Richter|Klein|Wolf|Schröder|Neumann|Schwarz|Zimmermann|Braun|Krüger|Hofmann|Hartmann|Lange|"
            "Schmitt|Werner|Schmitz|Krause|Meier|Lehmann|Schmid|Schulze|Maier|Köhler|Herrmann|König|Walter|"
            "Mayer|Huber|Kaiser|Fuchs|Peters|Lang|Scholz|Möller|Weiß|Jung|Hahn|Schubert|Vogel|Friedrich|"
            "Keller|Günther|Frank|Berger|Winkler|Roth|Beck|Lorenz|Baumann|Franke|Albrecht|Schuster|Simon|"
            "Ludwig|Böhm|Winter|Kraus|Schumacher|Krämer|Vogt|Stein|Jäger|Otto|Sommer|Groß|Seidel|Heinrich|"
            "Brandt|Haas|Schreiber|Graf|Schulte|Dietrich|Ziegler|Kuhn|Kühn|Pohl|Engel|Horn|Busch|Bergmann"
        ),
        first_names=_w(
            "Thomas|Michael|Andreas|Stefan|Peter|Klaus|Jürgen|Frank|Uwe|Wolfgang|Markus|Christian|Matthias|"
            "Jörg|Sabine|Petra|Monika|Ursula|Claudia|Birgit"
        ),
        trades=_w(
            "Bau|Logistik|Transporte|Elektro|Haustechnik|Metallbau|Holzbau|Dachtechnik|Sanitär|Immobilien|"
            "Consulting|Software|Systemtechnik|Service|Handel|Werkzeugbau|Maschinenbau|Druck|Medien|"
            "Reinigung|Spedition|Automobile|Energie|Solartechnik|Kunststofftechnik|Gebäudetechnik|"
            "Steuerberatung|IT-Service|Personalservice|Gartenbau"
        ),
        heads=_w(
            "Inno|Tech|Euro|Inter|Bau|Elektro|Hydro|Nord|Süd|West|Ost|Rhein|Alpen|Main|Elb|Data|Pro|Medi|"
            "Agri|Metall|Holz|Auto|Multi|Prima|Solar|Therm|Weser|Isar"
        ),
        tails=_w(
            "tec|tronic|plan|bau|log|med|soft|data|kraft|werk|form|haus|team|net|line|sys|therm|mont|star|"
            "cura|trans|fix|wert|kon"
        ),
        phrases=_w(
            "Autohaus|Bäckerei|Metzgerei|Malerbetrieb|Elektro|Dachdeckerei|Schreinerei|Tischlerei|"
            "Steuerkanzlei|Zahnarztpraxis|Gartenbau|Fliesenleger|Sanitär|Heizungsbau|Getränkehandel"
        ),
        patterns=_pats(
            (3, "{C} {L}", "{C}"),
            (2.5, "{S} {T} {L}", "{S} {T}"),
            (2, "{X} {S} {L}", "{X} {S}"),
            (1, "{S} & {S2} {L}", "{S} {S2}"),
            (1, "{T} {P} {L}", "{T} {P}"),
            (1, "{C} {T} {L}", "{C} {T}"),
            (1, "!{X} {F} {S}", "{X} {S}"),
        ),
        legal_forms=(
            _lf("GmbH|Gmbh|G.m.b.H.|Gesellschaft mit beschränkter Haftung|GMBH|GmbH.", 6),
            _lf("AG|Aktiengesellschaft|A.G.", 1),
            _lf("KG|Kommanditgesellschaft|K.G.", 1),
            _lf("GmbH & Co. KG|GmbH & Co KG|GmbH u. Co. KG|GmbH + Co. KG|Gmbh & Co. Kg", 2),
            _lf("e.K.|e. K.|eingetragener Kaufmann|e.Kfm.", 1),
            _lf(
                "UG (haftungsbeschränkt)|UG|UG (haftungsbeschraenkt)|"
                "Unternehmergesellschaft (haftungsbeschränkt)",
                1,
            ),
            _lf("OHG|oHG|Offene Handelsgesellschaft", 0.5),
        ),
        cities=_cities(
            _DE,
            """
            Berlin; 1{0-3}###; 30
            Hamburg; 2{0-2}###; 40
            München; 8{01}###; 89
            Köln; 50###; 221
            Frankfurt am Main; 60###; 69
            Stuttgart; 70###; 711
            Düsseldorf; 40###; 211
            Leipzig; 04###; 341
            Dortmund; 44###; 231
            Essen; 45###; 201
            Bremen; 28###; 421
            Dresden; 01###; 351
            Hannover; 30###; 511
            Nürnberg; 90###; 911
            Duisburg; 47###; 203
            Bochum; 44###; 234
            Wuppertal; 42###; 202
            Bielefeld; 33###; 521
            Bonn; 53###; 228
            Münster; 48###; 251
            Mannheim; 68###; 621
            Karlsruhe; 76###; 721
            Augsburg; 86###; 821
            Wiesbaden; 65###; 611
            Kiel; 24###; 431
            Freiburg im Breisgau; 79###; 761
            Regensburg; 93###; 941
            Würzburg; 97###; 931
            Göttingen; 37###; 551
            Lübeck; 23###; 451
            Saarbrücken; 66###; 681
            Erfurt; 99###; 361
            Rostock; 18###; 381
            Potsdam; 14###; 331
            """,
            {2: (2, 8), 3: (3, 7)},
            "23456789",
        ),
        streets=_w(
            "Hauptstraße|Bahnhofstraße|Gartenstraße|Schulstraße|Dorfstraße|Bergstraße|Lindenstraße|"
            "Industriestraße|Gewerbestraße|Friedrichstraße|Goethestraße|Schillerstraße|Mozartstraße|"
            "Ringstraße|Hafenstraße|Parkstraße|Waldstraße|Feldstraße|Poststraße|Kaiserstraße|"
            "Wilhelmstraße|Berliner Straße|Münchner Straße|Frankfurter Straße|Kirchweg|Mühlenweg|Rosenweg|"
            "Birkenweg|Am Markt|Marktplatz|Königsallee|Im Gewerbepark|Max-Planck-Straße|Carl-Benz-Straße|"
            "Robert-Bosch-Straße"
        ),
        street_abbreviations=(*_DE_STREET_ABBR, ("platz", "pl.")),
        mobiles=_mobiles(_DE, "151 152 157 159 160 162 163 170 171 172 173 174 175 176 177 178 179", (3, 8)),
        mailboxes=_w("info|kontakt|buchhaltung|rechnung|office|service|verwaltung"),
        free_mail=_w("web.de|gmx.de|t-online.de|gmail.com|freenet.de"),
        site_paths=_w("kontakt|impressum|ueber-uns"),
        franchises=(
            ("EDEKA", "edeka.de"),
            ("REWE", "rewe.de"),
            ("Aral", "aral.de"),
            ("Fressnapf", "fressnapf.de"),
        ),
        postcode_prefix="D",
        and_word="und",
    ),
    Locale(
        country="NL",
        weight=0.07,
        tax=TAX_SCHEMES["NL"],
        tld=".nl",
        alt_tlds=(".com", ".eu", ".net"),
        surnames=_w(
            "de Jong|Jansen|de Vries|van den Berg|van Dijk|Bakker|Janssen|Visser|Smit|Meijer|de Boer|Mulder|"
            "de Groot|Bos|Vos|Peters|Hendriks|van Leeuwen|Dekker|Brouwer|de Wit|Dijkstra|Smits|de Graaf|"
            "van der Meer|van der Linden|Kok|Jacobs|de Haan|Vermeulen|van den Heuvel|van der Veen|"
            "van den Broek|de Bruijn|van der Heijden|Schouten|van Beek|Willems|van Vliet|van de Ven|"
            "Hoekstra|Maas|Verhoeven|Koster|van Dam|van der Wal|Prins|Blom|Huisman|de Lange|Kuipers|"
            "van Wijk|Postma|Kuiper|Veenstra|Kramer|van den Brink|Scholten|Post|Martens|Vink|de Ruiter"
        ),
        first_names=_w(
            "Jan|Pieter|Henk|Kees|Willem|Johan|Gerrit|Dirk|Bas|Sander|Marieke|Ingrid|Sanne|Linda|Esther"
        ),
        trades=_w(
            "Installatie|Bouw|Transport|Logistiek|Techniek|Elektro|Schilders|Advies|Consultancy|Vastgoed|"
            "Groep|Holding|Service|Onderhoud|Metaal|Infra|Energie|Automatisering|Schoonmaak|Verhuur|Handel|"
            "Bouwmaterialen|Zonnepanelen|Dakwerken|Tuinen"
        ),
        heads=_w(
            "Euro|Holland|Neder|Dutch|Delta|Noord|Zuid|West|Oost|Rijn|Maas|Polder|Flevo|Tech|Inno|Prima|"
            "Multi|Bouw|Agri|Medi|Green|Smart"
        ),
        tails=_w(
            "tech|bouw|com|net|plan|data|lux|flex|pro|line|vast|trans|med|soft|stad|land|port|werk|form"
        ),
        phrases=_w(
            "Bouwbedrijf|Installatiebedrijf|Schildersbedrijf|Transportbedrijf|Loodgietersbedrijf|"
            "Hoveniersbedrijf|Administratiekantoor|Autobedrijf|Bakkerij|Tandartspraktijk|Aannemersbedrijf|"
            "Klusbedrijf|Dakdekkersbedrijf"
        ),
        patterns=_pats(
            (3, "{C} {L}", "{C}"),
            (2.5, "{S} {T} {L}", "{S} {T}"),
            (2, "{X} {S} {L}", "{X} {S}"),
            (1, "{T} {P} {L}", "{T} {P}"),
            (1, "{S} & {S2} {L}", "{S} {S2}"),
            (1, "!{X} {S}", "{X} {S}"),
            (1, "{C} {T} {L}", "{C} {T}"),
        ),
        legal_forms=(
            _lf("B.V.|BV|B.V|b.v.|Besloten Vennootschap|bv", 7),
            _lf("N.V.|NV|Naamloze Vennootschap|n.v.", 0.7),
            _lf("V.O.F.|VOF|vof|v.o.f.|Vennootschap onder firma", 1.5),
            _lf("C.V.|CV|Commanditaire Vennootschap", 0.3),
        ),
        cities=_cities(
            _NL,
            """
            Amsterdam; 10## @@; 20
            Rotterdam; 30## @@; 10
            Den Haag; 25## @@; 70
            Utrecht; 35## @@; 30
            Eindhoven; 56## @@; 40
            Groningen; 97## @@; 50
            Tilburg; 50## @@; 13
            Almere; 13## @@; 36
            Breda; 48## @@; 76
            Nijmegen; 65## @@; 24
            Arnhem; 68## @@; 26
            Haarlem; 20## @@; 23
            Enschede; 75## @@; 53
            Amersfoort; 38## @@; 33
            Apeldoorn; 73## @@; 55
            Zwolle; 80## @@; 38
            Leiden; 23## @@; 71
            Maastricht; 62## @@; 43
            Dordrecht; 33## @@; 78
            Zoetermeer; 27## @@; 79
            Delft; 26## @@; 15
            Alkmaar; 18## @@; 72
            Leeuwarden; 89## @@; 58
            's-Hertogenbosch; 52## @@; 73
            Venlo; 59## @@; 77
            """,
            {2: (2, 3, 4)},
            "23456789",
        ),
        streets=_w(
            "Hoofdstraat|Kerkstraat|Dorpsstraat|Stationsweg|Molenweg|Industrieweg|Nieuwe Binnenweg|"
            "Keizersgracht|Herengracht|Prinsengracht|Damrak|Coolsingel|Lange Voorhout|Oudegracht|Marktplein|"
            "Schoolstraat|Julianalaan|Beatrixlaan|Wilhelminastraat|Parallelweg|Handelsweg|Nijverheidsweg|"
            "Spoorlaan|Kanaalweg|Vondelstraat|Zuidplein"
        ),
        street_abbreviations=(("straat", "str."), ("laan", "ln."), ("Nieuwe ", "Nw. "), ("weg", "wg.")),
        mobiles=_mobiles(_NL, "61 62 63 64 65 68", (1, 8)),
        mailboxes=_w("info|administratie|facturen|contact|sales|post"),
        free_mail=_w("gmail.com|hotmail.nl|ziggo.nl|kpnmail.nl|outlook.com"),
        site_paths=_w("contact|over-ons"),
        franchises=(
            ("Albert Heijn", "ah.nl"),
            ("Jumbo", "jumbo.com"),
            ("Gall & Gall", "gall.nl"),
            ("Spar", "spar.nl"),
        ),
        postcode_prefix="NL",
        and_word="en",
    ),
    Locale(
        country="GB",
        weight=0.10,
        tax=TAX_SCHEMES["GB"],
        tld=".co.uk",
        alt_tlds=(".com", ".uk", ".net"),
        surnames=_w(
            "Smith|Jones|Williams|Taylor|Brown|Davies|Evans|Wilson|Thomas|Johnson|Roberts|Robinson|Thompson|"
            "Wright|Walker|White|Edwards|Hughes|Green|Hall|Lewis|Harris|Clarke|Patel|Jackson|Wood|Turner|"
            "Martin|Cooper|Hill|Ward|Morris|Moore|Clark|Lee|King|Baker|Harrison|Morgan|Allen|James|Scott|"
            "Phillips|Watson|Davis|Parker|Price|Bennett|Young|Griffiths|Mitchell|Kelly|Cook|Carter|"
            "Richardson|Bailey|Collins|Bell|Shaw|Murphy|Miller|Cox|Richards|Khan|Marshall|Anderson|Simpson|"
            "Ellis|Adams|Singh|Wilkinson|Foster|Chapman|Powell|Webb|Rogers|Gray|Mason|Hunt|Hussain|Campbell|"
            "Matthews|Owen|Palmer|Holmes|Mills|Barnes|Knight|Lloyd|Butler|Russell|O'Brien|McDonald|MacLeod"
        ),
        first_names=_w(
            "John|David|Michael|Paul|Andrew|Mark|James|Richard|Peter|Steven|Sarah|Emma|Claire|Helen|Rachel"
        ),
        trades=_w(
            "Logistics|Construction|Engineering|Consulting|Solutions|Services|Systems|Electrical|Plumbing|"
            "Haulage|Joinery|Roofing|Property|Developments|Cleaning|Catering|Motors|Print|Media|Design|"
            "Software|Recruitment|Security|Scaffolding|Landscapes|Builders|Trading|Supplies|Holdings"
        ),
        heads=_w(
            "Brit|Albion|Thames|Pennine|Anglo|Crown|Royal|Kingdom|Northern|Euro|Inter|Tech|Apex|Summit|"
            "Vertex|Meridian|Pinnacle|Oak|Ash|Willow|Bright|Clear|Swift"
        ),
        tails=_w(
            "tec|wise|line|point|gate|field|bridge|way|net|soft|ware|works|serve|core|mark|star|well|ford|wood|flow"
        ),
        phrases=_w(
            "Builders|Plumbing & Heating|Carpentry|Accountants|Solicitors|Dental Practice|Motors|"
            "Electrical Contractors|Removals|Tree Surgery"
        ),
        patterns=_pats(
            (3, "{C} {L}", "{C}"),
            (2.5, "{S} {T} {L}", "{S} {T}"),
            (2, "{P} {T} {L}", "{P} {T}"),
            (1, "{S} & Sons {L}", "{S} and Sons"),
            (1, "{S} & {S2} {L}", "{S} {S2}"),
            (1, "{C} {T} {L}", "{C} {T}"),
            (1, "!{F} {S} {X}", "{S} {X}"),
        ),
        legal_forms=(
            _lf("Ltd|Ltd.|Limited|LTD|ltd", 7),
            _lf("Limited|Ltd|Ltd.|LIMITED", 2),
            _lf("PLC|plc|Public Limited Company|P.L.C.|Plc", 0.7),
            _lf("LLP|L.L.P.|Limited Liability Partnership", 0.5),
        ),
        cities=_cities(
            _GB,
            """
            London; {NEW}{1-9} #@@; 207; 2 4 4
            London; SW{1-9} #@@; 203; 2 4 4
            London; EC{1-4}A #@@; 208; 2 4 4
            Manchester; M{1-9} #@@; 161
            Birmingham; B{1-9} #@@; 121
            Leeds; LS{1-9} #@@; 113
            Glasgow; G{1-9} #@@; 141
            Edinburgh; EH{1-9} #@@; 131
            Liverpool; L{1-9} #@@; 151
            Bristol; BS{1-9} #@@; 117
            Sheffield; S{1-9} #@@; 114
            Nottingham; NG{1-9} #@@; 115
            Cardiff; CF1{0-9} #@@; 2920; 2 4 4
            Belfast; BT{1-9} #@@; 2890; 2 4 4
            Newcastle upon Tyne; NE{1-9} #@@; 191
            Leicester; LE{1-9} #@@; 116
            Southampton; SO1{4-9} #@@; 2380; 2 4 4
            Cambridge; CB{1-5} #@@; 1223
            Oxford; OX{1-4} #@@; 1865
            Reading; RG{1-9} #@@; 118
            Aberdeen; AB1{0-6} #@@; 1224
            Brighton; BN{1-3} #@@; 1273
            York; YO{1-9} #@@; 1904
            Norwich; NR{1-9} #@@; 1603
            """,
            {3: (3, 3, 4), 4: (4, 6)},
            "2",  # 0115 3..., 0116 5... and the like are unallocated
        ),
        streets=_w(
            "High Street|Station Road|Church Lane|Park Road|Victoria Road|Mill Lane|London Road|King Street|"
            "Queen Street|New Road|Market Street|Bridge Street|Green Lane|Manor Road|Albert Road|"
            "Castle Street|York Road|North Street|Chapel Street|Commercial Road|Wharf Road|Kingsway|"
            "Oxford Road|Church Street|Springfield Avenue|Grange Avenue|Riverside Drive|Orchard Close|"
            "Meadow Way"
        ),
        street_abbreviations=(
            ("Street", "St"),
            ("Street", "St."),
            ("Road", "Rd"),
            ("Road", "Rd."),
            ("Lane", "Ln"),
            ("Avenue", "Ave"),
            ("Drive", "Dr"),
            ("Close", "Cl"),
        ),
        mobiles=_mobiles(
            _GB, "7400 7412 7480 7512 7534 7711 7723 7745 7812 7846 7900 7920 7956 7971 7983", (4, 6)
        ),
        mailboxes=_w("info|accounts|hello|sales|enquiries|office|admin"),
        free_mail=_w("gmail.com|btinternet.com|outlook.com|hotmail.co.uk|yahoo.co.uk|sky.com"),
        site_paths=_w("contact|contact-us|about-us"),
        franchises=(
            ("Costa Coffee", "costa.co.uk"),
            ("Subway", "subway.com"),
            ("Spar", "spar.co.uk"),
            ("Domino's Pizza", "dominos.co.uk"),
        ),
        postcode_prefix="",
        and_word="and",
        name_abbreviations=(("& Sons", ("and Sons", "& Son")),),
    ),
    Locale(
        country="FR",
        weight=0.08,
        tax=TAX_SCHEMES["FR"],
        tld=".fr",
        alt_tlds=(".com", ".eu", ".net"),
        surnames=_w(
            "Martin|Bernard|Thomas|Petit|Robert|Richard|Durand|Dubois|Moreau|Laurent|Simon|Michel|Lefèvre|"
            "Leroy|Roux|David|Bertrand|Morel|Fournier|Girard|Bonnet|Dupont|Lambert|Fontaine|Rousseau|"
            "Vincent|Muller|Lefebvre|Faure|André|Mercier|Blanc|Guérin|Boyer|Garnier|Chevalier|François|"
            "Legrand|Gauthier|Garcia|Perrin|Robin|Clément|Morin|Nicolas|Henry|Roussel|Mathieu|Gautier|"
            "Masson|Marchand|Duval|Denis|Dumont|Lemaire|Noël|Meyer|Dufour|Meunier|Brun|Blanchard|Giraud|Joly|"
            "Rivière|Lucas|Brunet|Gaillard|Barbier|Arnaud|Gérard|Roche|Renard|Leroux|Colin|Vidal|Caron|"
            "Picard|Fabre|Aubert|Lemoine|Renaud|Dumas|Lacroix|Ménard|Prévost|Lévêque|Bénard|Maréchal|Le Gall"
        ),
        first_names=_w(
            "Jean|Pierre|Michel|Philippe|Alain|Nicolas|Christophe|Patrick|Laurent|Éric|Marie|Nathalie|"
            "Isabelle|Sylvie|Céline|Sophie"
        ),
        trades=_w(
            "Bâtiment|Transports|Logistique|Électricité|Plomberie|Menuiserie|Peinture|Immobilier|Conseil|"
            "Informatique|Services|Nettoyage|Travaux Publics|Rénovation|Charpente|Couverture|Chauffage|"
            "Distribution|Négoce|Ingénierie|Automobiles|Imprimerie|Paysage|Énergie|Solutions"
        ),
        heads=_w(
            "Euro|Inter|France|Gallia|Loire|Rhône|Alp|Atlant|Méditer|Proven|Breizh|Norman|Tech|Pro|Ora|"
            "Véga|Aqua|Agri|Bio|Néo|Omni|Vita"
        ),
        tails=_w("tech|lec|bat|log|ys|ia|ium|com|net|ance|ence|iris|is|ora|trans|sol|med|pro|ic|éo"),
        phrases=_w(
            "Boulangerie|Garage|Menuiserie|Plomberie|Cabinet|Pharmacie|Transports|Établissements|Boucherie|"
            "Pâtisserie|Entreprise|Atelier"
        ),
        patterns=_pats(
            (3, "{C} {L}", "{C}"),
            (2, "{L} {X} {S}", "{X} {S}"),
            (2, "{T} {S} {L}", "{T} {S}"),
            (1.5, "{X} {S} {L}", "{X} {S}"),
            (1, "{S} et Fils {L}", "{S} et Fils"),
            (1, "{T} {P} {L}", "{T} {P}"),
            (1, "!{X} {S} {F}", "{X} {S}"),
        ),
        legal_forms=(
            _lf("SARL|S.A.R.L.|Sarl|Société à responsabilité limitée|S.A.R.L", 5),
            _lf("SAS|S.A.S.|Sas|Société par actions simplifiée|S.A.S", 5),
            _lf("SA|S.A.|Société anonyme", 1),
            _lf("EURL|E.U.R.L.|Eurl|Entreprise unipersonnelle à responsabilité limitée", 1),
            _lf("SASU|S.A.S.U.|Sasu|Société par actions simplifiée unipersonnelle", 1.5),
            _lf("SNC|S.N.C.|Société en nom collectif", 0.4),
        ),
        cities=_cities(
            _FR,
            """
            Paris; 750{01}#; 1
            Marseille; 130##; 4
            Lyon; 6900#; 4
            Toulouse; 31###; 5
            Nice; 06###; 4
            Nantes; 44###; 2
            Strasbourg; 67###; 3
            Montpellier; 34###; 4
            Bordeaux; 33###; 5
            Lille; 59###; 3
            Rennes; 35###; 2
            Reims; 51###; 3
            Le Havre; 76###; 2
            Saint-Étienne; 42###; 4
            Toulon; 83###; 4
            Grenoble; 38###; 4
            Dijon; 21###; 3
            Angers; 49###; 2
            Nîmes; 30###; 4
            Clermont-Ferrand; 63###; 4
            Le Mans; 72###; 2
            Aix-en-Provence; 13###; 4
            Brest; 29###; 2
            Tours; 37###; 2
            Amiens; 80###; 3
            Limoges; 87###; 5
            Annecy; 74###; 4
            Metz; 57###; 3
            Besançon; 25###; 3
            Orléans; 45###; 2
            Caen; 14###; 2
            Nancy; 54###; 3
            Versailles; 78###; 1
            Boulogne-Billancourt; 92100; 1
            """,
            {1: (1, 2, 2, 2, 2)},
            "1234578",
        ),
        streets=_w(
            "rue de la République|rue Victor Hugo|avenue Jean Jaurès|boulevard Gambetta|rue de la Paix|"
            "rue du Commerce|place de la Gare|rue Pasteur|rue de l'Église|rue Nationale|"
            "avenue de la Libération|rue Saint-Honoré|chemin des Vignes|allée des Tilleuls|rue des Écoles|"
            "rue du Moulin|boulevard Haussmann|avenue Foch|rue Jean Moulin|rue du Général de Gaulle|"
            "avenue du Maréchal Foch|rue des Lilas|impasse des Acacias|route de Paris"
        ),
        street_abbreviations=(
            ("avenue", "av."),
            ("boulevard", "bd"),
            ("rue ", "r. "),
            ("place", "pl."),
            ("Général", "Gén."),
            ("Saint-", "St-"),
            ("chemin", "ch."),
            ("route", "rte"),
            ("Maréchal", "Mal"),
        ),
        mobiles=_mobiles(_FR, "6", (1, 2, 2, 2, 2), "0124578")
        + _mobiles(_FR, "7", (1, 2, 2, 2, 2), "3456789"),
        mailboxes=_w("contact|info|compta|facturation|accueil|commercial"),
        free_mail=_w("orange.fr|free.fr|wanadoo.fr|gmail.com|sfr.fr|laposte.net"),
        site_paths=_w("contact|nous-contacter|qui-sommes-nous"),
        franchises=(
            ("Carrefour Market", "carrefour.fr"),
            ("Intermarché", "intermarche.com"),
            ("Century 21", "century21.fr"),
            ("Franprix", "franprix.fr"),
        ),
        postcode_prefix="F",
        and_word="et",
        name_abbreviations=(("Établissements", ("Ets", "Ets.", "Etablissements")), ("et Fils", ("& Fils",))),
    ),
    Locale(
        country="CZ",
        weight=0.07,
        tax=TAX_SCHEMES["CZ"],
        tld=".cz",
        alt_tlds=(".com", ".eu", ".net"),
        surnames=_w(
            "Novák|Svoboda|Novotný|Dvořák|Černý|Procházka|Kučera|Veselý|Horák|Němec|Marek|Pokorný|Pospíšil|"
            "Hájek|Jelínek|Král|Růžička|Beneš|Fiala|Sedláček|Doležal|Zeman|Kolář|Navrátil|Čermák|Vaněk|"
            "Urban|Blažek|Kříž|Kovář|Kratochvíl|Bartoš|Vlček|Polák|Musil|Kopecký|Šimek|Konečný|Malý|Holub|"
            "Čech|Štěpánek|Staněk|Kadlec|Dostál|Soukup|Šťastný|Mareš|Moravec|Sýkora|Tichý|Valenta|Vávra|"
            "Matoušek|Bláha|Říha|Ševčík|Bureš|Hruška|Mašek|Pavlík|Janda|Hrubý|Dušek|Havlíček|Mach|Skála"
        ),
        first_names=_w(
            "Jan|Petr|Josef|Pavel|Martin|Tomáš|Jaroslav|Miroslav|Zdeněk|Václav|Jiří|Karel|Milan|Michal|Lukáš"
        ),
        trades=_w(
            "Stavby|Doprava|Logistika|Elektro|Servis|Montáže|Technika|Strojírna|Reality|Obchod|Instalace|"
            "Kovo|Dřevo|Plast|Energie|Systémy|Software|Consulting|Projekt|Trans|Agro|Tisk|Úklid|Auto"
        ),
        heads=_w(
            "Čes|Morav|Bohem|Vltav|Labe|Šumav|Krkon|Euro|Inter|Agro|Tech|Stav|Elektro|Kovo|Auto|Pro|Mega|Bio"
        ),
        tails=_w(
            "stav|tech|plast|trans|mont|servis|kov|met|ex|ia|on|tex|lux|com|net|soft|therm|data|profi|med"
        ),
        phrases=_w(
            "Stavebniny|Autoservis|Truhlářství|Zámečnictví|Elektroinstalace|Instalatérství|Pekařství|"
            "Účetnictví|Autodoprava|Kovovýroba|Zahradnictví|Malířství"
        ),
        patterns=_pats(
            (3, "{C} {L}", "{C}"),
            (2, "{X} {S} {L}", "{X} {S}"),
            (1.5, "{T} {S} {L}", "{T} {S}"),
            (1, "{T} {P} {L}", "{T} {P}"),
            (1.5, "!{X} {F} {S}", "{X} {S}"),
            (1, "{C} {T} {L}", "{C} {T}"),
        ),
        legal_forms=(
            _lf("s.r.o.|spol. s r.o.|s. r. o.|S.R.O.|společnost s ručením omezeným|sro|s.r.o", 7),
            _lf("a.s.|a. s.|A.S.|akciová společnost", 1),
            _lf("v.o.s.|veřejná obchodní společnost|v. o. s.", 0.5),
            _lf("k.s.|komanditní společnost|k. s.", 0.3),
        ),
        cities=_cities(
            _CZ,
            """
            Praha; 1{0-9}0 00; 2
            Brno; 6{0-3}# 00; 54
            Ostrava; 70# 00; 59
            Plzeň; 30# 00; 37
            Liberec; 460 0#; 48
            Olomouc; 779 00; 58
            České Budějovice; 370 0#; 38
            Hradec Králové; 500 0#; 49
            Pardubice; 530 0#; 46
            Ústí nad Labem; 400 0#; 47
            Zlín; 760 0#; 57
            Kladno; 272 0#; 31
            Jihlava; 586 0#; 56
            Karlovy Vary; 360 0#; 35
            Opava; 746 0#; 55
            Teplice; 415 0#; 41
            Mladá Boleslav; 293 0#; 32
            """,
            {1: (3, 3, 3), 2: (3, 3, 3)},
            "23456789",
        ),
        streets=_w(
            "Václavské náměstí|Národní|Vinohradská|Na Příkopě|Husova|Masarykova|Palackého|Nádražní|Školní|"
            "Komenského|Smetanova|Tyršova|Žižkova|Jiráskova|Sokolská|Průmyslová|Havlíčkova|Lidická|Údolní|"
            "Karlovo náměstí|třída Svobody|Revoluční|Zahradní|Polní|Krátká|Dlouhá|Nová|Pražská|Brněnská|"
            "Hlavní"
        ),
        street_abbreviations=(("náměstí", "nám."), ("třída", "tř.")),
        mobiles=_mobiles(_CZ, "601 602 603 604 605 606 607 608 72 73 77 79", (3, 3, 3)),
        mailboxes=_w("info|kancelar|fakturace|obchod|ucetni|podatelna"),
        free_mail=_w("seznam.cz|email.cz|centrum.cz|gmail.com|volny.cz|post.cz"),
        site_paths=_w("kontakt|o-nas"),
        franchises=(
            ("Hruška", "hruska.cz"),
            ("COOP", "coop.cz"),
            ("Benzina", "benzina.cz"),
            ("Žabka", "zabka.cz"),
        ),
        postcode_prefix="CZ",
        and_word="a",
    ),
    Locale(
        country="AT",
        weight=0.05,
        tax=TAX_SCHEMES["AT"],
        tld=".at",
        alt_tlds=(".com", ".eu", ".co.at"),
        surnames=_w(
            "Gruber|Huber|Bauer|Wagner|Müller|Pichler|Steiner|Moser|Mayer|Hofer|Leitner|Berger|Fuchs|Eder|"
            "Fischer|Schmid|Winkler|Weber|Schwarz|Maier|Schneider|Reiter|Mayr|Schmidt|Wimmer|Egger|Brunner|"
            "Lang|Baumgartner|Auer|Binder|Lechner|Wolf|Wallner|Aigner|Ebner|Koller|Lehner|Haas|Schuster|"
            "Holzer|Haider|Strasser|Lackner|Hofbauer|Kainz|Pirker|Gasser|Ortner|Stadler|Pölzl|Höller"
        ),
        first_names=_w(
            "Johann|Franz|Josef|Karl|Wolfgang|Gerhard|Thomas|Christian|Markus|Michael|Andrea|Sabine|Elisabeth"
        ),
        trades=_w(
            "Bau|Transporte|Elektrotechnik|Haustechnik|Installationen|Holzbau|Metallbau|Immobilien|"
            "Consulting|IT-Service|Handel|Logistik|Gebäudereinigung|Energietechnik|Maschinenbau|Spedition|"
            "Baustoffe|Medien|Software"
        ),
        heads=_w(
            "Alpen|Donau|Tirol|Wien|Salz|Stei|Kärnt|Inn|Enns|Austro|Euro|Inter|Tech|Bau|Holz|Elektro|Multi|"
            "Pro|Nova|Berg"
        ),
        tails=_w("tec|bau|holz|plan|tronic|data|haus|werk|form|med|soft|net|line|therm|mont|land|log|fix"),
        phrases=_w(
            "Tischlerei|Bäckerei|Fleischerei|Installateur|Elektro|Malerei|Baumeister|Steuerberatung|"
            "Zimmerei|Gasthof|Autohaus|Spenglerei"
        ),
        patterns=_pats(
            (3, "{C} {L}", "{C}"),
            (2.5, "{S} {T} {L}", "{S} {T}"),
            (2, "{X} {S} {L}", "{X} {S}"),
            (1, "{T} {P} {L}", "{T} {P}"),
            (1, "!{X} {F} {S}", "{X} {S}"),
            (1, "{S} & {S2} {L}", "{S} {S2}"),
        ),
        legal_forms=(
            _lf("GmbH|Gmbh|G.m.b.H.|Ges.m.b.H.|Gesellschaft mit beschränkter Haftung|GesmbH", 7),
            _lf("AG|Aktiengesellschaft", 0.6),
            _lf("KG|Kommanditgesellschaft", 1),
            _lf("OG|Offene Gesellschaft|O.G.", 1),
            _lf("e.U.|e. U.|eingetragenes Unternehmen", 1.5),
            _lf("GmbH & Co KG|GmbH & Co. KG|Ges.m.b.H. & Co KG", 0.8),
        ),
        cities=_cities(
            _AT,
            """
            Wien; 1{0-2}{1-9}0; 1
            Graz; 80{1-6}0; 316
            Linz; 40{1-4}0; 732
            Salzburg; 50{2-3}0; 662
            Innsbruck; 60{2-8}0; 512
            Klagenfurt am Wörthersee; 90{1-2}0; 463
            Villach; 9500; 4242
            Wels; 4600; 7242
            Sankt Pölten; 3100; 2742
            Dornbirn; 6850; 5572
            Steyr; 4400; 7252
            Wiener Neustadt; 2700; 2622
            Feldkirch; 6800; 5522
            Bregenz; 6900; 5574
            Leoben; 8700; 3842
            Krems an der Donau; 3500; 2732
            Baden; 2500; 2252
            Klosterneuburg; 3400; 2243
            """,
            {1: (1, 7), 3: (3, 6), 4: (4, 6)},
            "23456789",
        ),
        streets=_w(
            "Mariahilfer Straße|Kärntner Straße|Landstraßer Hauptstraße|Herrengasse|Schulgasse|"
            "Industriestraße|Wiener Straße|Linzer Straße|Hauptplatz|Bahnhofstraße|Grazer Straße|"
            "Salzburger Straße|Kirchengasse|Hauptstraße|Dorfstraße|Gewerbepark|Ringstraße|Neubaugasse|"
            "Favoritenstraße|Mühlgasse|Lindengasse|Schillerstraße|Anton-Wildgans-Straße|Josef-Ressel-Straße"
        ),
        street_abbreviations=(*_DE_STREET_ABBR, ("gasse", "g."), ("platz", "pl.")),
        mobiles=_mobiles(_AT, "650 660 664 676 680 699", (3, 7)),
        mailboxes=_w("office|info|buchhaltung|rechnung|kontakt"),
        free_mail=_w("gmx.at|aon.at|chello.at|gmail.com|a1.net"),
        site_paths=_w("kontakt|impressum|ueber-uns"),
        franchises=(
            ("SPAR", "spar.at"),
            ("Billa", "billa.at"),
            ("Adeg", "adeg.at"),
            ("Nah&Frisch", "nahundfrisch.at"),
        ),
        postcode_prefix="A",
        and_word="und",
    ),
    Locale(
        country="ES",
        weight=0.05,
        tax=TAX_SCHEMES["ES"],
        tld=".es",
        alt_tlds=(".com", ".eu", ".net"),
        surnames=_w(
            "García|Rodríguez|González|Fernández|López|Martínez|Sánchez|Pérez|Gómez|Martín|Jiménez|Ruiz|"
            "Hernández|Díaz|Moreno|Muñoz|Álvarez|Romero|Alonso|Gutiérrez|Navarro|Torres|Domínguez|Vázquez|"
            "Ramos|Gil|Ramírez|Serrano|Blanco|Molina|Morales|Suárez|Ortega|Delgado|Castro|Ortiz|Rubio|Marín|"
            "Sanz|Núñez|Iglesias|Medina|Garrido|Cortés|Castillo|Santos|Lozano|Guerrero|Cano|Prieto|Méndez|"
            "Cruz|Calvo|Gallego|Vidal|León|Márquez|Herrera|Peña|Flores|Cabrera|Campos|Vega|Fuentes|Carrasco|"
            "Caballero|Reyes|Nieto|Aguilar|Pascual|Santana|Herrero|Lorenzo|Montero|Hidalgo|Ibáñez|Ferrer"
        ),
        first_names=_w(
            "José|Antonio|Manuel|Francisco|Juan|David|Javier|Daniel|Carlos|Jesús|María|Carmen|Ana|Isabel|Laura"
        ),
        trades=_w(
            "Construcciones|Transportes|Logística|Instalaciones|Reformas|Inmobiliaria|Consultores|Servicios|"
            "Electricidad|Fontanería|Climatización|Distribuciones|Suministros|Ingeniería|Asesores|Sistemas|"
            "Informática|Comercial|Limpiezas|Carpintería|Metalúrgica|Energía|Obras"
        ),
        heads=_w(
            "Ibér|Hispa|Medi|Costa|Sol|Mar|Euro|Inter|Tecno|Cons|Sur|Norte|Levan|Cantabr|Astur|Nova|Mega|Agro|Elec"
        ),
        tails=_w("tec|sa|ia|cor|med|sol|mar|ex|plan|net|soft|tra|con|ica|lux|gest|obras|trans"),
        phrases=_w(
            "Construcciones|Transportes|Talleres|Panadería|Farmacia|Clínica Dental|Asesoría|Reformas|"
            "Carpintería|Electricidad|Fontanería|Gestoría"
        ),
        patterns=_pats(
            (3, "{C} {L}", "{C}"),
            (2.5, "{X} {S} {L}", "{X} {S}"),
            (1.5, "{T} {P} {L}", "{T} {P}"),
            (1, "{X} {S} y {S2} {L}", "{X} {S} {S2}"),
            (1, "{S} e Hijos {L}", "{S} e Hijos"),
            (1, "{C} {T} {L}", "{C} {T}"),
            (0.8, "!{X} {F} {S}", "{X} {S}"),
        ),
        legal_forms=(
            _lf("S.L.|SL|S.L|Sociedad Limitada|S. L.|Sociedad de Responsabilidad Limitada", 7),
            _lf("S.A.|SA|Sociedad Anónima|S. A.", 1.5),
            _lf("S.L.U.|SLU|Sociedad Limitada Unipersonal|S.L.U", 1.5),
            _lf("S. Coop.|Sociedad Cooperativa|S.Coop.", 0.3),
        ),
        cities=_cities(
            _ES,
            """
            Madrid; 280##; 91
            Barcelona; 080##; 93
            Valencia; 460##; 96
            Sevilla; 410##; 954
            Zaragoza; 500##; 976
            Málaga; 290##; 952
            Murcia; 300##; 968
            Palma; 070##; 971
            Las Palmas de Gran Canaria; 350##; 928
            Bilbao; 480##; 94
            Alicante; 030##; 965
            Córdoba; 140##; 957
            Valladolid; 470##; 983
            Vigo; 362##; 986
            Gijón; 332##; 985
            A Coruña; 150##; 981
            Granada; 180##; 958
            Vitoria-Gasteiz; 010##; 945
            Oviedo; 330##; 985
            Santander; 390##; 942
            Pamplona; 310##; 948
            San Sebastián; 200##; 943
            Salamanca; 370##; 923
            Burgos; 090##; 947
            León; 240##; 987
            Cádiz; 110##; 956
            Tarragona; 430##; 977
            Girona; 170##; 972
            """,
            {2: (3, 3, 3), 3: (3, 3, 3)},
            "2345678",
        ),
        streets=_w(
            "Calle Mayor|Calle de Alcalá|Gran Vía|Paseo de la Castellana|Avenida Diagonal|Calle Serrano|"
            "Calle del Sol|Avenida de la Constitución|Plaza Mayor|Calle Real|Calle Nueva|"
            "Avenida de Andalucía|"
            "Calle San Juan|Calle Colón|Calle de la Iglesia|Avenida de la Libertad|Calle del Carmen|"
            "Paseo Marítimo|Calle Industria|Polígono Industrial Las Fuentes|Calle Mercado|Avenida de España"
        ),
        street_abbreviations=(
            ("Calle ", "C/ "),
            ("Calle ", "C. "),
            ("Calle ", "c/ "),
            ("Calle ", ""),
            ("Avenida", "Avda."),
            ("Avenida", "Av."),
            ("Plaza", "Pza."),
            ("Paseo", "Pº"),
            ("Polígono Industrial", "Pol. Ind."),
        ),
        mobiles=_mobiles(_ES, "6", (3, 3, 3)) + _mobiles(_ES, "71 72 73 74", (3, 3, 3)),
        mailboxes=_w("info|contacto|administracion|facturacion|oficina|comercial"),
        free_mail=_w("gmail.com|hotmail.es|yahoo.es|telefonica.net|outlook.es"),
        site_paths=_w("contacto|quienes-somos"),
        franchises=(
            ("Telepizza", "telepizza.es"),
            ("Dia", "dia.es"),
            ("100 Montaditos", "100montaditos.com"),
        ),
        postcode_prefix="E",
        and_word="y",
        name_abbreviations=(("e Hijos", ("e Hijos S.", "& Hijos")),),
    ),
    Locale(
        country="IT",
        weight=0.06,
        tax=TAX_SCHEMES["IT"],
        tld=".it",
        alt_tlds=(".com", ".eu", ".net"),
        surnames=_w(
            "Rossi|Russo|Ferrari|Esposito|Bianchi|Romano|Colombo|Ricci|Marino|Greco|Bruno|Gallo|Conti|"
            "De Luca|Mancini|Costa|Giordano|Rizzo|Lombardi|Moretti|Barbieri|Fontana|Santoro|Mariani|Rinaldi|"
            "Caruso|Ferrara|Galli|Martini|Leone|Longo|Gentile|Martinelli|Vitale|Lombardo|Serra|Coppola|"
            "De Santis|D'Angelo|Marchetti|Parisi|Villa|Conte|Ferraro|Ferri|Fabbri|Bianco|Marini|Grasso|"
            "Valentini|Messina|Sala|De Angelis|Gatti|Pellegrini|Palumbo|Sanna|Farina|Rizzi|Monti|Cattaneo|"
            "Morelli|Amato|Silvestri|Mazza|Testa|Grassi|Pellegrino|Carbone|Giuliani|Benedetti|Barone|Caputo"
        ),
        first_names=_w(
            "Giuseppe|Giovanni|Antonio|Mario|Luigi|Francesco|Angelo|Vincenzo|Pietro|Salvatore|Maria|Anna|"
            "Giuseppina|Rosa|Francesca"
        ),
        trades=_w(
            "Costruzioni|Trasporti|Logistica|Impianti|Elettrica|Idraulica|Immobiliare|Consulenze|Servizi|"
            "Informatica|Sistemi|Ingegneria|Edilizia|Arredamenti|Meccanica|Metalli|Forniture|Distribuzione|"
            "Commerciale|Energia|Pulizie|Tecnologie|Alimentari"
        ),
        heads=_w(
            "Ital|Medi|Tirren|Adriat|Alp|Lomb|Tosc|Ven|Sicul|Sard|Euro|Inter|Tecno|Edil|Elettro|Idro|Termo|"
            "Agri|Nova|Mega|Orto"
        ),
        tails=_w(
            "tec|ia|med|edil|mec|plast|sud|nord|trans|flex|sistem|line|net|soft|form|lux|gas|gest|service"
        ),
        phrases=_w(
            "Costruzioni|Autofficina|Panificio|Farmacia|Studio Dentistico|Studio Commercialista|"
            "Impresa Edile|"
            "Trasporti|Falegnameria|Officina Meccanica|Ristorante|Elettrauto"
        ),
        patterns=_pats(
            (3, "{C} {L}", "{C}"),
            (2.5, "{X} {S} {L}", "{X} {S}"),
            (1, "{S} & {S2} {L}", "{S} {S2}"),
            (1.5, "{T} {P} {L}", "{T} {P}"),
            (1, "{S} {T} {L}", "{S} {T}"),
            (1, "{C} {T} {L}", "{C} {T}"),
            (0.8, "!{X} {S} {F}", "{X} {S}"),
            (0.7, "{S} {F} & C. {L}", "{S}"),
        ),
        legal_forms=(
            _lf("S.r.l.|Srl|S.R.L.|s.r.l.|SRL|società a responsabilità limitata|S.r.l", 7),
            _lf("S.p.A.|SpA|S.P.A.|s.p.a.|società per azioni", 1),
            _lf("S.n.c.|Snc|s.n.c.|società in nome collettivo", 1),
            _lf("S.a.s.|Sas|s.a.s.|società in accomandita semplice", 1),
            _lf("S.r.l.s.|Srls|S.R.L.S.|società a responsabilità limitata semplificata", 0.7),
        ),
        cities=_cities(
            _IT,
            """
            Roma; 001##; 06
            Milano; 201##; 02
            Napoli; 801##; 081
            Torino; 101##; 011
            Palermo; 901##; 091
            Genova; 161##; 010
            Bologna; 401##; 051
            Firenze; 501##; 055
            Bari; 701##; 080
            Catania; 951##; 095
            Venezia; 301##; 041
            Verona; 371##; 045
            Messina; 981##; 090
            Padova; 351##; 049
            Trieste; 341##; 040
            Brescia; 251##; 030
            Parma; 431##; 0521
            Prato; 59100; 0574
            Modena; 411##; 059
            Perugia; 061##; 075
            Livorno; 571##; 0586
            Cagliari; 091##; 070
            Bergamo; 241##; 035
            Vicenza; 361##; 0444
            Monza; 20900; 039
            Rimini; 479##; 0541
            Salerno; 841##; 089
            Ferrara; 441##; 0532
            Como; 22100; 031
            """,
            {2: (2, 4, 4), 3: (3, 3, 4), 4: (4, 6)},
            "23456789",
        ),
        streets=_w(
            "Via Roma|Via Garibaldi|Via Mazzini|Corso Vittorio Emanuele II|Piazza del Duomo|"
            "Via Dante Alighieri|"
            "Via Cavour|Corso Italia|Via Giuseppe Verdi|Via Nazionale|Via XX Settembre|Viale Europa|"
            "Via della Repubblica|Via Torino|Via Milano|Piazza Garibaldi|Via dell'Industria|Via del Lavoro|"
            "Via Marconi|Via Matteotti|Via Gramsci|Via Vittorio Veneto|Viale della Libertà|Via Aldo Moro"
        ),
        street_abbreviations=(
            ("Via ", "V. "),
            ("Via ", "via "),
            ("Corso", "C.so"),
            ("Piazza", "P.zza"),
            ("Viale", "V.le"),
        ),
        mobiles=_mobiles(
            _IT, "320 328 329 333 335 338 339 340 345 347 348 349 366 380 388 389 392 393", (3, 3, 4)
        ),
        mailboxes=_w("info|amministrazione|contabilita|commerciale|segreteria|ufficio"),
        free_mail=_w("libero.it|gmail.com|virgilio.it|alice.it|tiscali.it|hotmail.it"),
        site_paths=_w("contatti|chi-siamo"),
        franchises=(
            ("Conad", "conad.it"),
            ("Tecnocasa", "tecnocasa.it"),
            ("Carrefour Express", "carrefour.it"),
        ),
        postcode_prefix="I",
        and_word="e",
        name_abbreviations=(("& C.", ("e C.", "& Co.")),),
    ),
    Locale(
        country="SE",
        weight=0.03,
        tax=TAX_SCHEMES["SE"],
        tld=".se",
        alt_tlds=(".com", ".eu", ".nu"),
        surnames=_w(
            "Andersson|Johansson|Karlsson|Nilsson|Eriksson|Larsson|Olsson|Persson|Svensson|Gustafsson|"
            "Pettersson|Jonsson|Jansson|Hansson|Bengtsson|Jönsson|Lindberg|Jakobsson|Magnusson|Olofsson|"
            "Lindström|Lindqvist|Lindgren|Berg|Axelsson|Bergström|Lundberg|Lind|Lundgren|Lundqvist|Mattsson|"
            "Berglund|Fredriksson|Sandberg|Henriksson|Forsberg|Sjöberg|Wallin|Engström|Eklund|Danielsson|"
            "Lundin|Håkansson|Björk|Bergman|Gunnarsson|Holm|Wikström|Samuelsson|Isaksson|Fransson|Nyström|"
            "Holmberg|Löfgren|Söderberg|Nyberg|Blomqvist|Nordström|Mårtensson|Björklund|Pålsson|Åberg|Öberg"
        ),
        first_names=_w("Lars|Anders|Johan|Per|Erik|Karl|Peter|Mikael|Jan|Hans|Anna|Eva|Maria|Karin|Kristina"),
        trades=_w(
            "Bygg|Transport|Logistik|El|Elteknik|VVS|Måleri|Fastigheter|Konsult|Data|Service|Städ|Teknik|"
            "Snickeri|Åkeri|Entreprenad|Installation|Handel|Energi|Trädgård|Redovisning|Plåt|Mark"
        ),
        heads=_w(
            "Nord|Svea|Göta|Norr|Väst|Öst|Syd|Skand|Viking|Fjäll|Skog|Sjö|Berg|Euro|Inter|Tek|Pro|Nova|Alfa|Stål"
        ),
        tails=_w("bygg|tek|plan|data|konsult|line|ia|form|med|soft|net|mark|vind|sol|hus|trä|ström"),
        phrases=_w(
            "Bygg|Måleri|Åkeri|Snickeri|Redovisningsbyrå|Tandläkarpraktik|Bilverkstad|Elfirma|Rörfirma|"
            "Frisersalong|Bageri|Städfirma"
        ),
        patterns=_pats(
            (3, "{C} {L}", "{C}"),
            (2.5, "{S}s {T} {L}", "{S}s {T}"),
            (1.5, "{T} i {P} {L}", "{T} i {P}"),
            (1, "{P} {T} {L}", "{P} {T}"),
            (1, "{C} {T} {L}", "{C} {T}"),
            (0.8, "!{F} {S}s {X}", "{S}s {X}"),
        ),
        legal_forms=(
            _lf("AB|Aktiebolag|A.B.|ab|Aktiebolaget", 8),
            _lf("HB|Handelsbolag|H.B.", 1),
            _lf("KB|Kommanditbolag|K.B.", 0.5),
        ),
        cities=_cities(
            _SE,
            """
            Stockholm; 1{1-2}# ##; 8
            Göteborg; 41# ##; 31
            Malmö; 21# ##; 40
            Uppsala; 75# ##; 18
            Västerås; 72# ##; 21
            Örebro; 70# ##; 19
            Linköping; 58# ##; 13
            Helsingborg; 25# ##; 42
            Jönköping; 55# ##; 36
            Norrköping; 60# ##; 11
            Lund; 22# ##; 46
            Umeå; 90# ##; 90
            Gävle; 80# ##; 26
            Borås; 50# ##; 33
            Södertälje; 15# ##; 8
            Eskilstuna; 63# ##; 16
            Halmstad; 30# ##; 35
            Karlstad; 65# ##; 54
            Sundsvall; 85# ##; 60
            """,
            {1: (1, 3, 3, 2), 2: (2, 3, 2, 2)},
            "23456789",
        ),
        streets=_w(
            "Drottninggatan|Kungsgatan|Storgatan|Sveavägen|Vasagatan|Hamngatan|Järnvägsgatan|Industrivägen|"
            "Kyrkogatan|Östra Hamngatan|Södra Vägen|Skolgatan|Nygatan|Torggatan|Götgatan|Birger Jarlsgatan|"
            "Ringvägen|Företagsvägen|Verkstadsgatan|Stationsgatan|Västra Storgatan|Bangatan|Fabriksgatan|"
            "Strandvägen|Trädgårdsgatan"
        ),
        street_abbreviations=(
            ("gatan", "g."),
            ("vägen", "v."),
            ("Östra ", "Ö. "),
            ("Västra ", "V. "),
            ("Södra ", "S. "),
        ),
        mobiles=_mobiles(_SE, "70 72 73 76 79", (2, 3, 2, 2)),
        mailboxes=_w("info|kontakt|ekonomi|faktura|order|kundtjanst"),
        free_mail=_w("gmail.com|telia.com|hotmail.se|outlook.com|bredband.net|live.se"),
        site_paths=_w("kontakt|om-oss"),
        franchises=(("ICA Nära", "ica.se"), ("Pressbyrån", "pressbyran.se"), ("Circle K", "circlek.se")),
        postcode_prefix="SE",
        and_word="och",
    ),
)
