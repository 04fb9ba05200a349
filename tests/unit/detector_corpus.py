"""Labelled corpus for the confidential-data detector (services/moderation/detector.py).

Valid numbers are computed here with checksum helpers written independently of the detector, so the
tests do not check the detector against itself; a few published example IBANs anchor the helpers to
the real world. Everything is generated from a fixed seed: the corpus is the same on every run.

A case lists what must be found, as (kind, exact substring). ``kinds`` limits the comparison to some
kinds: an IBAN one character too long must not be reported *as an IBAN*, and what else its digits
happen to look like is not the point of that case.
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable, Iterable
from typing import NamedTuple

NBSP = "\u00a0"
NNBSP = "\u202f"  # narrow no-break space: French thousands separator and space before "?" / "!"


class Case(NamedTuple):
    id: str
    text: str
    expected: tuple[tuple[str, str], ...] = ()
    kinds: frozenset[str] | None = None  # None: every kind is compared


# --- independent checksum helpers -----------------------------------------------------------------


def iban_check_digits(country: str, bban: str) -> str:
    """ISO 13616: 98 - (BBAN + country + "00" as digits, letters A=10..Z=35) mod 97."""
    rearranged = (bban + country + "00").upper()
    number = int("".join(str(int(ch, 36)) for ch in rearranged))
    return f"{98 - number % 97:02d}"


def make_iban(country: str, bban: str) -> str:
    return country + iban_check_digits(country, bban) + bban


def luhn_check_digit(partial: str) -> str:
    """The digit to append to ``partial`` so the whole number is Luhn-valid."""
    total = 0
    for i, ch in enumerate(reversed(partial)):
        value = int(ch)
        if i % 2 == 0:  # these positions are doubled once the check digit is appended
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return str((10 - total % 10) % 10)


def luhn_valid(number: str) -> bool:
    return luhn_check_digit(number[:-1]) == number[-1]


def rib_key(bank: str, branch: str, account: str) -> str:
    # Letters of the account map to digits by the Banque de France table: A/J=1, B/K/S=2, ...
    table = {}
    for letters, digit in (
        ("AJ", 1),
        ("BKS", 2),
        ("CLT", 3),
        ("DMU", 4),
        ("ENV", 5),
        ("FOW", 6),
        ("GPX", 7),
        ("HQY", 8),
        ("IRZ", 9),
    ):
        for letter in letters:
            table[letter] = str(digit)
    account_digits = "".join(table.get(ch, ch) for ch in account.upper())
    return f"{97 - (89 * int(bank) + 15 * int(branch) + 3 * int(account_digits)) % 97:02d}"


def group(value: str, size: int = 4, sep: str = " ") -> str:
    return sep.join(value[i : i + size] for i in range(0, len(value), size))


# --- generators -----------------------------------------------------------------------------------


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(string.digits) for _ in range(n))


def _letters(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(string.ascii_uppercase) for _ in range(n))


def _alnum(rng: random.Random, n: int) -> str:
    # Mostly digits, as in real account numbers, with the odd letter.
    return "".join(
        rng.choice(string.ascii_uppercase) if rng.random() < 0.1 else rng.choice(string.digits)
        for _ in range(n)
    )


def french_bban(rng: random.Random) -> str:
    bank, branch, account = _digits(rng, 5), _digits(rng, 5), _alnum(rng, 11)
    return bank + branch + account + rib_key(bank, branch, account)


BBAN_MAKERS: dict[str, Callable[[random.Random], str]] = {
    "FR": french_bban,
    "MC": french_bban,
    "DE": lambda r: _digits(r, 18),
    "GB": lambda r: _letters(r, 4) + _digits(r, 14),
    "IE": lambda r: _letters(r, 4) + _digits(r, 14),
    "ES": lambda r: _digits(r, 20),
    "IT": lambda r: _letters(r, 1) + _digits(r, 10) + _alnum(r, 12),
    "SM": lambda r: _letters(r, 1) + _digits(r, 10) + _alnum(r, 12),
    "BE": lambda r: _digits(r, 12),
    "NL": lambda r: _letters(r, 4) + _digits(r, 10),
    "CH": lambda r: _digits(r, 5) + _alnum(r, 12),
    "LU": lambda r: _digits(r, 3) + _alnum(r, 13),
    "PT": lambda r: _digits(r, 21),
    "AT": lambda r: _digits(r, 16),
    "NO": lambda r: _digits(r, 11),
    "PL": lambda r: _digits(r, 24),
    "MT": lambda r: _letters(r, 4) + _digits(r, 5) + _alnum(r, 18),
    "LC": lambda r: _letters(r, 4) + _alnum(r, 24),
}

# Card prefixes by scheme with the length that scheme issues.
CARD_PREFIXES: tuple[tuple[str, int], ...] = (
    ("4", 16),
    ("4", 16),
    ("4", 13),
    ("4", 19),  # Visa (and French CB co-branded Visa)
    ("51", 16),
    ("53", 16),
    ("55", 16),
    ("2221", 16),
    ("2720", 16),  # Mastercard
    ("34", 15),
    ("37", 15),  # Amex
    ("6011", 16),
    ("65", 16),
    ("3530", 16),
    ("62", 16),  # Discover, JCB, UnionPay
)


def make_card(rng: random.Random, prefix: str, length: int) -> str:
    partial = prefix + _digits(rng, length - len(prefix) - 1)
    return partial + luhn_check_digit(partial)


def card_layout(number: str, sep: str) -> str:
    if len(number) == 15:  # Amex prints 4-6-5
        return sep.join((number[:4], number[4:10], number[10:]))
    return group(number, 4, sep)


def break_check(number: str, position: int = -1) -> str:
    """Change one character: Luhn, mod-97 and the RIB key all catch a single-character error."""
    digit = number[position]
    replacement = str((int(digit) + 1) % 10) if digit.isdigit() else ("B" if digit == "A" else "A")
    index = position % len(number)
    return number[:index] + replacement + number[index + 1 :]


# --- sentences ------------------------------------------------------------------------------------

TEMPLATES = (
    "Bonjour, voici mon IBAN {x} pour le virement de demain.",
    "My IBAN is {x}, could you check why the transfer failed?",
    "iban:{x}",
    "Pouvez-vous vérifier le {x}" + NNBSP + "? Merci d'avance",
    "J'ai donné {x} au conseiller mais rien ne se passe.",
    "({x})",
    "Le numéro {x}\nest-il correct ?",
)


def _embed(rng: random.Random, value: str) -> str:
    return rng.choice(TEMPLATES).format(x=value)


def _iban_forms(rng: random.Random, iban: str) -> list[tuple[str, str]]:
    return [
        ("compact", iban),
        ("spaced", group(iban)),
        ("lower", group(iban).lower()),
        ("nbsp", group(iban, 4, NBSP)),
        ("dashes", group(iban, 4, "-") if rng.random() < 0.5 else group(iban, 4, ".")),
    ]


PUBLISHED_IBANS = (
    "GB82 WEST 1234 5698 7654 32",  # ECBS / SWIFT registry examples
    "GB29 NWBK 6016 1331 9268 19",
    "DE89 3704 0044 0532 0130 00",
    "FR14 2004 1010 0505 0001 3M02 606",
    "FR76 3000 6000 0112 3456 7890 189",
    "BE68 5390 0754 7034",
    "NL91 ABNA 0417 1643 00",
    "CH93 0076 2011 6238 5295 7",
    "ES91 2100 0418 4502 0005 1332",
    "IT60 X054 2811 1010 0000 0123 456",
    "MC58 1122 2000 0101 2345 6789 030",
    "LU28 0019 4006 4475 0000",
    "NO93 8601 1117 947",
    "MT84 MALT 0110 0001 2345 MTLC AST0 01S",
)

PUBLISHED_CARDS = (
    "4111 1111 1111 1111",  # the classic Visa test number
    "5555 5555 5555 4444",  # Mastercard test number
    "3782 822463 10005",  # Amex test number, printed 4-6-5
    "6011 1111 1111 1117",  # Discover test number
    "4970 1012 3456 7893",  # French CB/Visa-looking
)


def iban_cases(rng: random.Random) -> list[Case]:
    cases = []
    for published in PUBLISHED_IBANS:
        compact = published.replace(" ", "")
        cases.append(
            Case(
                f"iban-published-{compact[:2]}-{compact[2:4]}",
                _embed(rng, published),
                (("iban", published),),
            )
        )
        cases.append(
            Case(
                f"iban-published-lower-{compact[:4]}",
                f"mon iban : {compact.lower()}.",
                (("iban", compact.lower()),),
            )
        )
    for country, maker in BBAN_MAKERS.items():
        for n in range(2):
            iban = make_iban(country, maker(rng))
            for form, written in _iban_forms(rng, iban):
                cases.append(
                    Case(f"iban-{country}{n}-{form}", _embed(rng, written), (("iban", written),))
                )
            # A typo (wrong check digits, one changed BBAN character) in an IBAN printed in groups
            # of four is still an IBAN; the same typo written compact, or one character too many,
            # is a number like any other.
            check = int(iban[2:4])
            wrong_check = iban[:2] + f"{(check - 2 + 1) % 97 + 2:02d}" + iban[4:]
            typos = (("check", group(wrong_check)), ("bban", group(break_check(iban, -3))))
            for label, bad in typos:
                cases.append(Case(f"iban-{country}{n}-typo-{label}", _embed(rng, bad),
                                  (("iban", bad),), kinds=frozenset({"iban"})))
            # (The long one is written compact: "<valid IBAN> 7" in groups *does* contain an IBAN.)
            for label, bad in (("check-compact", wrong_check), ("long", iban + "7")):
                cases.append(
                    Case(
                        f"iban-{country}{n}-bad-{label}",
                        _embed(rng, bad),
                        kinds=frozenset({"iban"}),
                    )
                )
    cases.append(
        Case(
            "iban-space-after-country",
            "IBAN : FR 76 3000 6000 0112 3456 7890 189",
            (("iban", "FR 76 3000 6000 0112 3456 7890 189"),),
        )
    )
    cases.append(
        Case(
            "iban-then-words", "FR76 merci beaucoup pour tout votre aide", kinds=frozenset({"iban"})
        )
    )
    cases.append(
        Case("iban-unknown-country", "IBAN ZZ12 3456 7890 1234 5678 90", kinds=frozenset({"iban"}))
    )
    cases.append(
        Case(
            "iban-word-glued-after",
            "IBAN:FR7630006000011234567890189Merci",
            (("iban", "FR7630006000011234567890189"),),
        )
    )
    cases.append(
        Case("iban-glued-to-word", "refFR7630006000011234567890189", kinds=frozenset({"iban"}))
    )
    return cases


def card_cases(rng: random.Random) -> list[Case]:
    cases = []
    for published in PUBLISHED_CARDS:
        cases.append(
            Case(
                f"card-published-{published[:4]}",
                f"Ma carte {published}, expire 12/26.",
                (("card_number", published), ("card_expiry", "12/26")),
            )
        )
    for n, (prefix, length) in enumerate(CARD_PREFIXES * 2):
        number = make_card(rng, prefix, length)
        sep = rng.choice((" ", "-", NBSP, ""))
        written = card_layout(number, sep) if sep else number
        cases.append(
            Case(
                f"card-{n}-{prefix}-{length}",
                _embed(rng, written).replace("IBAN", "carte"),
                (("card_number", written),),
            )
        )
        bad = break_check(number)
        written_bad = card_layout(bad, sep) if sep else bad
        cases.append(Case(f"card-{n}-bad-luhn", _embed(rng, written_bad).replace("IBAN", "carte")))
    # Random 16-digit strings that fail Luhn, and Luhn-valid ones with no card scheme prefix.
    for n in range(12):
        number = _digits(rng, 16)
        while luhn_valid(number):
            number = _digits(rng, 16)
        cases.append(
            Case(
                f"digits16-not-luhn-{n}",
                f"Commande n° {number} expédiée",
            )
        )
    for n, prefix in enumerate(("1", "7", "8", "9", "0")):
        partial = prefix + _digits(rng, 14)
        number = partial + luhn_check_digit(partial)
        cases.append(Case(f"digits16-luhn-no-issuer-{n}", f"Référence {group(number)} du dossier"))
    number = make_card(rng, "4", 16)
    cases.append(
        Case(
            "card-then-expiry",
            f"CB {group(number)} 12/27 cvv ***",
            (("card_number", group(number)), ("card_expiry", "12/27")),
        )
    )
    cases.extend(card_detail_cases(group(number)))
    cases.append(
        Case(
            "card-after-other-number",
            f"ticket 12 {group(number)}",
            (("card_number", group(number)),),
        )
    )
    cases.append(
        Case("card-inside-longer-digits", f"réf {number}12 ok", kinds=frozenset({"card_number"}))
    )
    return cases


def card_detail_cases(card: str) -> list[Case]:
    """A card's expiry and security code (CM review #1): after the words that say so, in French
    and English, in the next sentence, right after the number, or alone when the word is clear."""
    return [
        Case("card-expiry-cvv-fr",
             f"Je tape bien ma carte {card}, date d'expiration 09/28, cryptogramme 123…",
             (("card_number", card), ("card_expiry", "09/28"), ("card_security_code", "123"))),
        Case("card-details-next-sentences",
             f"Carte {card}. Elle expire fin 09/2028. Le code au dos est 4567.",
             (("card_number", card), ("card_expiry", "09/2028"),
              ("card_security_code", "4567"))),
        Case("card-details-valable-crypto",
             f"ma CB {card} valable jusqu'au 9/28 et crypto : 606",
             (("card_number", card), ("card_expiry", "9/28"), ("card_security_code", "606"))),
        Case("card-details-en",
             f"My card {card} exp. 11/27, CVC 789",
             (("card_number", card), ("card_expiry", "11/27"), ("card_security_code", "789"))),
        Case("card-details-security-code-en",
             f"card {card}, expiry date 01/29, security code 852",
             (("card_number", card), ("card_expiry", "01/29"), ("card_security_code", "852"))),
        Case("card-details-right-after",
             f"CB {card} 09/28 123 merci",
             (("card_number", card), ("card_expiry", "09/28"), ("card_security_code", "123"))),
        Case("cvv-alone-fr", "mon cryptogramme est 123, c'est grave ?",
             (("card_security_code", "123"),)),
        Case("cvv-alone-en", "the CVV2 is 0456 on my card", (("card_security_code", "0456"),)),
        Case("code-securite-alone", "Code de sécurité : 987", (("card_security_code", "987"),)),
        Case("expiry-alone", "date d'expiration 04/27 et cryptogramme 555",
             (("card_expiry", "04/27"), ("card_security_code", "555"))),
        Case("expiry-word-alone", "Date d'expiration de ma carte : 06/2027",
             (("card_expiry", "06/2027"),)),
    ]


CARD_DETAIL_NEGATIVES = [
    ("offer-expires", "L'offre expire le 12/05, code promo 1234 valable jusqu'au 30/06."),
    ("crypto-currency", "J'ai acheté de la crypto pour 500 € et 250 fois rien."),
    ("crypto-alone-number", "La crypto 2024 a baissé de 12/20."),
    ("postcode-order", "Code postal 75001, commande 123 du 12/05, code client 4567."),
    ("experience", "Expérience 10/10, expédié le 09/28 en 3 jours, export 2024."),
    ("cvv-amount", "Le CVV coûte 150 € ? Non, cryptogramme 1 234,56 €."),
    ("validity-no-card", "Validité 2 ans, valid until 12/26 on this offer."),
]


def rib_cases(rng: random.Random) -> list[Case]:
    cases = []
    for n in range(8):
        bank, branch, account = _digits(rng, 5), _digits(rng, 5), _alnum(rng, 11)
        if n % 2:
            account = account[:10] + rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ")  # letter-keyed accounts
        key = rib_key(bank, branch, account)
        forms = [
            f"{bank} {branch} {account} {key}",
            bank + branch + account + key,
            f"{bank}-{branch}-{account}-{key}".lower(),
        ]
        for m, written in enumerate(forms):
            cases.append(
                Case(f"rib-{n}-{m}", f"Mon RIB : {written} (banque en ligne)", (("rib", written),))
            )
        # A typo (a wrong key, one changed digit) in a RIB printed in its four parts is still
        # someone's bank details; written compact, it is a 23-character string like any other.
        bad_key = f"{(int(key) % 97) + 1:02d}"
        typo = f"{bank} {branch} {account} {bad_key}"
        cases.append(Case(f"rib-{n}-typo-key", f"RIB {typo} merci", (("rib", typo),),
                          kinds=frozenset({"rib"})))
        typo = f"{bank} {break_check(branch)} {account} {key}"
        cases.append(Case(f"rib-{n}-typo-digit", f"RIB {typo}", (("rib", typo),),
                          kinds=frozenset({"rib"})))
        cases.append(Case(f"rib-{n}-bad-key-compact", f"RIB {bank}{branch}{account}{bad_key} ok",
                          kinds=frozenset({"rib"})))
    return cases


ACCOUNT_CONTEXTS = (
    "Mon numéro de compte est {x}, pouvez-vous vérifier ?",
    "N° de compte : {x}",
    "numéro client {x}",
    "My account number: {x}",
    "client number {x} - please help",
    "Identifiant : {x}",
    "{x} c'est mon numéro de compte",
    "COMPTE {x}",
)


def account_cases(rng: random.Random) -> list[Case]:
    cases = []
    values = [
        "12345678901",
        "0000157845Z",
        "98765432101",
        "AB123456789",
        "00012345678",
        "123 456 789 01",
        "5432198765c",
        "71234567890",
    ]
    for n, value in enumerate(values):
        template = ACCOUNT_CONTEXTS[n % len(ACCOUNT_CONTEXTS)]
        cases.append(Case(f"account-{n}", template.format(x=value), (("account_number", value),)))
        cases.append(Case(f"account-{n}-no-context", f"Le colis {value} est bien arrivé."))
    cases += [
        Case("account-too-short", "mon compte 1234567890 (10 chiffres)"),
        Case("account-too-long", "mon compte 123456789012"),
        Case("account-mostly-letters", "identifiant ABCDEFGH123"),
        Case("account-far-from-word", "compte" + " bla" * 20 + " 12345678901"),
        Case("account-amount", "mon compte affiche 12 345 678 901 € de dettes"),
        Case("account-year", "client depuis 2012, très content"),
        Case(
            "account-phone-wins-format", "compte : 06 12 34 56 78", (("phone", "06 12 34 56 78"),)
        ),
    ]
    return cases


# Client, contract and account numbers of 6 to 20 characters after the words that name one
# (content review): (text, the number).
CUSTOMER_NUMBERS = (
    ("Mon numéro client est le 123456789012, merci", "123456789012"),
    ("n° de client : AB123456", "AB123456"),
    ("Identifiant client 98765432 (espace en ligne)", "98765432"),
    ("Numéro de contrat : 2024000123", "2024000123"),
    ("N° de compte 1234567, agence de Lyon", "1234567"),
    ("numéro de compte bancaire 12 34 56 78 90 12 34", "12 34 56 78 90 12 34"),
    ("My account number is 00123456.", "00123456"),
    ("Customer number: 123 456 789", "123 456 789"),
    ("client no. C1234567X please help", "C1234567X"),
    ("contract number 77001234567890123456", "77001234567890123456"),
    ("n°client=98765AB43", "98765AB43"),
)
CUSTOMER_NEGATIVES = (
    ("order", "Commande n° 123456789 du 12 mars, numéro de commande 987654321"),
    ("words", "Numéro client habituel, numéro de contrat introuvable"),
    ("date", "Numéro client du 12/03/2024, numéro de contrat 12.03.2024"),
    ("year", "numéro client 2024 et client depuis 2012"),
    ("amount", "numéro de contrat 12 500,00 € et account number 1 500 €"),
    ("too-short", "numéro client 12345"),
    ("too-long", "numéro client 123456789012345678901"),
    ("few-digits", "customer number ABCDEF123"),
    ("no-naming-word", "mon compte 1234567 et le client 98765432"),
    ("longer-number", "numéro de contrat 123456,78"),
)


def customer_cases() -> list[Case]:
    cases = [Case(f"customer-{n}", text, (("customer_number", number),))
             for n, (text, number) in enumerate(CUSTOMER_NUMBERS)]
    cases.append(Case("customer-phone-wins", "numéro client 06 12 34 56 78",
                      (("phone", "06 12 34 56 78"),)))
    cases.append(Case("customer-account-wins", "numéro client 12345678901",
                      (("account_number", "12345678901"),)))
    return cases + [Case(f"customer-neg-{name}", text) for name, text in CUSTOMER_NEGATIVES]


# Digits of other scripts inside a number: read as their ASCII digits, masked as written.
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
DEVANAGARI = str.maketrans("0123456789", "०१२३४५६७८९")


def unicode_digit_cases() -> list[Case]:
    iban, card = "FR76 3000 6000 0112 3456 7890 189", "4970 1012 3456 7893"
    wide_iban, wide_card = iban.translate(FULL_WIDTH), card.translate(FULL_WIDTH)
    mixed_card = card[:10] + card[10:].translate(FULL_WIDTH)
    ideographic = "\u3000".join(card.translate(FULL_WIDTH).split())
    return [
        Case("digits-full-width-iban", f"IBAN {wide_iban} merci", (("iban", wide_iban),)),
        Case("digits-full-width-card", f"カード {wide_card}。", (("card_number", wide_card),)),
        Case("digits-mixed-card", f"carte {mixed_card}", (("card_number", mixed_card),)),
        Case("digits-ideographic-space", f"カード {ideographic} です",
             (("card_number", ideographic),)),
        Case("digits-arabic-indic-phone", f"رقمي {'06 12 34 56 78'.translate(ARABIC_INDIC)}",
             (("phone", "06 12 34 56 78".translate(ARABIC_INDIC)),)),
        Case("digits-devanagari-customer", f"numéro client {'12345678'.translate(DEVANAGARI)}",
             (("customer_number", "12345678".translate(DEVANAGARI)),)),
        Case("digits-full-width-neg-luhn", f"カード {'4970 1012 3456 7894'.translate(FULL_WIDTH)}"),
        Case("digits-full-width-neg-date", f"le {'12/03/2024'.translate(FULL_WIDTH)}, "
             f"{'1 234,56'.translate(FULL_WIDTH)} €"),
        Case("digits-arabic-indic-neg-amount", f"المبلغ {'1 234 567'.translate(ARABIC_INDIC)} €"),
    ]


PHONES = (
    "06 12 34 56 78",
    "06.12.34.56.78",
    "06-12-34-56-78",
    "0612345678",
    "01 23 45 67 89",
    "09" + NBSP + "87" + NBSP + "65" + NBSP + "43" + NBSP + "21",
    "+33 6 12 34 56 78",
    "+33612345678",
    "+33 (0)6 12 34 56 78",
    "+33 1 23 45 67 89",
    "0033 6 12 34 56 78",
    "0033612345678",
    "+44 20 7946 0958",
    "+44 (0)20 7946 0958",
    "+1 212 555 0123",
    "+49 30 12345678",
    "+32 2 123 45 67",
    "+41-44-668-18-00",
)


def phone_cases() -> list[Case]:
    cases = []
    for n, phone in enumerate(PHONES):
        text = f"Appelez-moi au {phone} après 18h." if n % 2 else f"My number is {phone}"
        cases.append(Case(f"phone-{n}", text, (("phone", phone),)))
    cases += [
        Case(
            "phone-parenthesised-cc", "tél (+33) 1 23 45 67 89", (("phone", "(+33) 1 23 45 67 89"),)
        ),
        Case(
            "phone-then-hours",
            "joignable au +33 6 12 34 56 78 9h-18h",
            (("phone", "+33 6 12 34 56 78"),),
        ),
        Case("phone-fr-then-hours", "au 06 12 34 56 78 9h-18h", (("phone", "06 12 34 56 78"),)),
        Case("phone-too-short", "poste 06 12 34"),
        Case("phone-intl-too-short", "+33 6 12"),
        Case("phone-too-long", "série 06 12 34 56 78 90 12"),
        Case("phone-plus-amount", "gain de +12 345 678 € cette année"),
        Case("phone-plus-percent", "hausse de +1 234 567 89 %"),
    ]
    return cases


EMAILS = (
    "jean.dupont@exemple.fr",
    "Marie-Claire+forum@banque-exemple.co.uk",
    "JOHN_DOE99@Example.COM",
    "josé.garcía@correo.es",
    "a@b.io",
)


def email_cases() -> list[Case]:
    cases = [
        Case(f"email-{n}", f"Écrivez-moi à {email}.", (("email", email),))
        for n, email in enumerate(EMAILS)
    ]
    cases += [
        Case(
            "email-in-angle-brackets",
            "From: Jean <jean@exemple.fr>",
            (("email", "jean@exemple.fr"),),
        ),
        Case("email-mention", "merci @BanqueExemple pour la réponse"),
        Case("email-no-tld", "user@localhost ne marche pas"),
        Case("email-no-local", "@exemple.fr"),
        Case("email-numeric-tld", "admin@10.0.0.1"),
    ]
    return cases


# A PIN and a password: the value right after the phrase that names it (FR and EN), and the
# phrases with no value after them, or a word that is no password.
SECRETS = (
    ("pin_code", "Mon code PIN est 4821, ne le dites à personne", "4821"),
    ("pin_code", "code PIN" + NNBSP + ": 482193", "482193"),
    ("pin_code", "mon code secret c’est 0000 je crois", "0000"),
    ("pin_code", "Le code confidentiel de ma carte : 7365.", "7365"),
    ("pin_code", "mon code est 2580", "2580"),
    ("pin_code", "My PIN is 1234.", "1234"),
    ("pin_code", "PIN code: 98765 (new card)", "98765"),
    ("pin_code", "my passcode = 246810", "246810"),
    ("password", "mot de passe : Soleil2024!", "Soleil2024!"),
    ("password", "Mon mdp est azerty123, je le change demain", "azerty123"),
    # The sentence's punctuation around the value stays readable; a glued "!" is the password's.
    ("password", "mot de passe" + NNBSP + ": Azerty12). Merci", "Azerty12"),
    ("password", "(mot de passe : «Soleil2024!».)", "Soleil2024!"),
    ("password", "mon mdp c’est l’appli2024 je crois", "l’appli2024"),
    ("password", "my password is Tr0ub4dor&3 since May", "Tr0ub4dor&3"),
    ("password", "login: jean, pwd=x9!kQ2", "x9!kQ2"),
    ("password", "passcode: abc123", "abc123"),
    # "le code" / "the code" said to be a number; "mon code c’est".
    ("pin_code", "le code est 1234", "1234"),
    ("pin_code", "Le code" + NNBSP + ": 4821, je l’ai noté", "4821"),
    ("pin_code", "mon code c’est 4321", "4321"),
    ("pin_code", "the code is 97531.", "97531"),
    # A dot or a slash with a digit or another symbol; a long password, up to 128 characters.
    ("password", "mot de passe : Soleil.2024", "Soleil.2024"),
    ("password", "mdp : nuit/étoilée#", "nuit/étoilée#"),
    ("password", "password: " + "Kq7#vLp2xZ9!mWt4" * 5 + ".", "Kq7#vLp2xZ9!mWt4" * 5),
    ("password", "mot de passe" + NNBSP + ": " + "a1B2c3D4" * 15 + "x9", "a1B2c3D4" * 15 + "x9"),
    # An amount further on does not end a PIN.
    ("pin_code", "le code est 1234, pour 20 euros", "1234"),
)
SECRET_NEGATIVES = (
    ("secret-postcode", "code postal 75001, Paris"),
    ("secret-pin-forgotten", "PIN oublié, que faire ?"),
    ("secret-password-forgotten", "mot de passe oublié"),
    ("secret-password-change", "comment changer mon mot de passe ?"),
    ("secret-password-blocked", "Mon mot de passe est bloqué depuis hier."),
    ("secret-password-wrong", "Password is incorrect!"),
    ("secret-code-client", "mon code client est 123456"),
    ("secret-pin-amount", "code PIN 1234 € de frais ?"),
    ("secret-code-promo", "le code promo est 2024"),
    ("secret-pin-word", "épinglé 1234 fois"),
    # Ordinary French after the phrase: the apostrophe and the hyphen join words, "(" opens an
    # aside, a capital inside a word is a name or a brand.
    ("secret-password-elision", "Mot de passe" + NNBSP + ": c’est quoi la règle" + NNBSP + "?"),
    ("secret-password-elision-spaces", "Mot de passe : c’est quoi la règle ?"),
    ("secret-password-jai", "Mot de passe : j’ai oublié le mien"),
    ("secret-password-article", "Changement de mot de passe : l’application plante"),
    ("secret-password-aujourdhui", "mon mot de passe est aujourd’hui expiré"),
    ("secret-password-aujourdhui-straight", "mon mot de passe est aujourd'hui expiré"),
    ("secret-password-hyphens", "mot de passe : mise-à-jour impossible"),
    ("secret-password-email", "mot de passe : e-mail reçu"),
    ("secret-password-aside", "mot de passe : (voir ci-dessous)"),
    ("secret-password-brand", "mot de passe : iPhone refuse"),
    ("secret-password-name", "mon mot de passe est Jean-Pierre"),
    ("secret-password-capitals", "MOT DE PASSE : OUBLIÉ !"),
    # A dot or a slash joins words too; a link is no password.
    ("secret-password-slash", "mot de passe" + NNBSP + ": oublié/bloqué"),
    ("secret-password-full-stop", "mon mot de passe : bloqué."),
    ("secret-password-dots", "mot de passe : abc.def"),
    ("secret-password-ellipsis", "mot de passe : bloqué..."),
    ("secret-password-url", "mot de passe : https://www.banque.fr/aide/mot-de-passe-oublie?id=12"),
    ("secret-password-host-path", "mot de passe : banque.fr/reset?etape=2"),
    ("secret-password-www", "mot de passe : www.banque2024.fr"),
    # Over 128 characters: a key or a token, not a password someone types.
    ("secret-password-too-long", "password: " + "Kq7#vLp2xZ9!mWt4" * 9),
    # "code" that names no secret: a place, a promotion, an article, a door said without "est".
    ("secret-code-postal-est", "le code postal est 75001"),
    ("secret-code-door", "code de la porte 1234"),
    ("secret-code-article", "le code article 1234"),
    ("secret-code-amount", "le code est 1234 €"),
    # An amount: a currency or "%" after the value, spelt or as a sign.
    ("secret-code-euros", "le code est 1234 euros"),
    ("secret-code-eur", "le code est 1234 eur"),
    ("secret-code-euro-capital", "Le code est 1234 Euros."),
    ("secret-code-dollars", "the code is 1234 dollars"),
    ("secret-code-dollar-sign", "le code est 1234 $"),
    ("secret-code-percent", "le code est 1234 %"),
    ("secret-pin-euros", "code PIN" + NNBSP + ": 1234 euros de frais ?"),
    # Letters only: a state (accented, or not, or capitalised), a brand, a word that goes on.
    ("secret-password-lost", "mot de passe : perdu"),
    ("secret-password-lost-capital", "Mot de passe : Perdu."),
    ("secret-password-incorrect", "mot de passe est incorrect"),
    ("secret-password-incorrect-capital", "Password is Incorrect!"),
    ("secret-password-invalid", "Mot de passe : Invalide."),
    ("secret-password-forgotten-plain", "Mot de passe : Oublie"),
    ("secret-password-mdp-blocked", "mdp : bloqué"),
    ("secret-password-changed-plain", "Mot de passe : Modifie."),
    ("secret-password-locked", "Password: Locked"),
    ("secret-password-paypal", "mot de passe : PayPal."),
    ("secret-password-goes-on", "Mot de passe : Impossible de me connecter."),
    # Letters only are never a password: the words a subject or an answer puts there take every
    # shape one could ("mdp : Azerty" is missed, by design).
    ("secret-password-urgent", "Mot de passe : Urgent"),
    ("secret-password-question", "Mot de passe : Question"),
    ("secret-password-renewal", "Mot de passe : Renouvellement"),
    ("secret-password-mdp-urgent", "Mdp : Urgent"),
    ("secret-password-blocked-plain", "Mon mot de passe : Bloquee."),
    ("secret-password-infinitive", "Mot de passe : Reinitialiser"),
    ("secret-password-why", "mdp : Pourquoi" + NNBSP + "?"),
    ("secret-password-good-evening", "mot de passe : Bonsoir"),
    ("secret-password-regards", "Mot de passe : Cordialement"),
    ("secret-password-en-question", "Password: Question"),
    ("secret-password-en-forgot", "Password: Forgot."),
    ("secret-password-en-denied", "Password: Denied."),
    ("secret-password-letters", "mdp : Azerty"),
    ("secret-password-letters-sentence", "mon mot de passe est Soleil."),
    ("secret-password-letters-quoted", "(mot de passe : «Marguerite»)"),
)


def secret_cases() -> list[Case]:
    return [Case(f"{kind}-{n}", text, ((kind, value),))
            for n, (kind, text, value) in enumerate(SECRETS)] + [
        Case(f"neg-{name}", text) for name, text in SECRET_NEGATIVES]


NEGATIVES = (
    ("date-slash", "Rendez-vous le 12/03/2024 à 14h30."),
    ("date-iso", "Depuis le 2024-03-12, plus rien."),
    ("date-dots", "Le 12.03.2024 à 10:15, prélèvement."),
    ("date-dots-time", "le 01.02.2024 12:30:45"),
    ("amount-fr", "J'ai payé 1 234,56 € hier."),
    ("amount-fr-nnbsp", "Total : 1" + NNBSP + "234" + NNBSP + "567,89" + NNBSP + "€"),
    ("amount-de", "Betrag 12.500,00 EUR"),
    ("amount-en", "It cost $1,234,567.89 in total"),
    ("amount-big", "un prêt de 250 000 € sur 25 ans"),
    ("order-number", "Commande n° 123456789 du 12 mars"),
    ("order-ref", "référence 2024-000123-45, ticket #4567-8910"),
    ("postcode", "J'habite 75008 Paris, ou 13001 Marseille."),
    ("year", "En 2024, comme en 1999 et 2023."),
    ("percent", "Taux à 3,45 % sur 20 ans, TAEG 4,12 %"),
    ("ip", "Serveur 192.168.100.200 en panne"),
    ("version", "Mettez à jour vers la v2.10.3.1234"),
    ("siret-spaced", "SIRET 732 829 320 00074"),
    ("time-range", "Ouvert de 09:00 à 18:30, 7j/7"),
    ("phone-like-list", "Les lots 1, 2, 3, 4 et 5"),
    ("long-digits", "Hash 12345678901234567890123456789012"),
    ("iban-word", "IBAN et BIC sont sur le RIB"),
    ("plain-en", "Hello, I can't log into my account since yesterday, please help!"),
    ("plain-fr", "Bonjour, je n'arrive plus à accéder à mon compte client depuis hier."),
)


def negative_cases() -> list[Case]:
    return [Case(f"neg-{name}", text) for name, text in NEGATIVES + tuple(CARD_DETAIL_NEGATIVES)]


def mixed_cases(rng: random.Random) -> list[Case]:
    iban = group(make_iban("FR", french_bban(rng)))
    card = group(make_card(rng, "53", 16))
    text = (
        f"Bonjour, IBAN {iban}, carte {card}, mail jean@exemple.fr et tél. 06 12 34 56 78. "
        f"Le 12/03/2024 j'ai payé 1 234,56 €."
    )
    return [
        Case(
            "mixed-all",
            text,
            (
                ("iban", iban),
                ("card_number", card),
                ("email", "jean@exemple.fr"),
                ("phone", "06 12 34 56 78"),
            ),
        ),
        # A French IBAN's BBAN is a RIB: it is reported once, as the stronger IBAN.
        Case(
            "mixed-iban-contains-rib",
            "FR76 30006 00001 12345678901 89",
            (("iban", "FR76 30006 00001 12345678901 89"),),
        ),
    ]


# --- numbers split by what a reader does not see as part of them (detector.py, "joined view") ---

INVISIBLES = {
    "zwsp": "\u200b",  # zero-width space
    "zwnj": "\u200c",
    "zwj": "\u200d",
    "word-joiner": "\u2060",
    "bom": "\ufeff",
    "soft-hyphen": "\u00ad",
}


def joined_forms(groups: list[str]) -> list[tuple[str, str, str]]:
    """(form, as written, the span to find) for a number given as its printed groups: the span
    runs from its first to its last letter or digit, the markers inside it included."""
    first, rest = groups[0], " ".join(groups[1:])
    half = len(groups) // 2
    head, tail = " ".join(groups[:half]), " ".join(groups[half:])
    forms = [
        ("bold", f"**{first}** {rest}", f"{first}** {rest}"),
        ("italic", f"_{first}_ {rest}", f"{first}_ {rest}"),
        ("code", f"`{head}` {tail}", f"{head}` {tail}"),
        ("strike", f"~~{first}~~ {rest}", f"{first}~~ {rest}"),
        ("bold-inside", f"{first} **{groups[1]}** {' '.join(groups[2:])}", None),
        ("newline", f"{head}\n{tail}", None),
        ("crlf", f"{head}\r\n{tail}", None),
        ("space-newline", f"{head} \n{tail}", None),
        ("tabs", "\t".join(groups), None),
        ("slashes", "/".join(groups), None),
        ("table", f"| {' | '.join(groups)} |", " | ".join(groups)),
    ]
    forms += [(name, char.join(groups), None) for name, char in INVISIBLES.items()]
    return [(form, written, span or written) for form, written, span in forms]


def joined_cases(rng: random.Random) -> list[Case]:
    numbers = [
        ("iban", group("FR7630006000011234567890189").split()),
        ("iban", ["GB82", "WEST", "1234", "5698", "7654", "32"]),
        ("iban", group(make_iban("FR", french_bban(rng))).split()),
        ("iban", group(make_iban("IT", BBAN_MAKERS["IT"](rng))).lower().split()),
        ("card_number", ["4970", "1012", "3456", "7893"]),
        ("card_number", ["3782", "822463", "10005"]),
        ("card_number", group(make_card(rng, "53", 16)).split()),
    ]
    for _ in range(2):
        bank, branch, account = _digits(rng, 5), _digits(rng, 5), _alnum(rng, 11)
        numbers.append(("rib", [bank, branch, account, rib_key(bank, branch, account)]))
    cases = []
    for n, (kind, groups) in enumerate(numbers):
        for form, written, span in joined_forms(groups):
            text = (f"Mon RIB :\n{written}\nMerci !" if form == "table"
                    else _embed(rng, written).replace("IBAN", {"card_number": "carte",
                                                                 "rib": "RIB"}.get(kind, "IBAN")))
            cases.append(Case(f"joined-{kind}-{n}-{form}", text, ((kind, span),)))
    de_iban = group(make_iban("DE", "497010123456789300"))  # "DE69 4970 1012 3456 7893 00"
    over_card = f"{de_iban[:24]}\n{de_iban[25:]}"
    cases += [
        Case("joined-card-blank-line", "Carte 4970 1012\n\n3456 7893 : deux paragraphes",
             (("card_number", "4970 1012\n\n3456 7893"),)),
        Case("joined-iban-blank-line", "IBAN FR76 3000 6000\r\n\r\n0112 3456 7890 189",
             (("iban", "FR76 3000 6000\r\n\r\n0112 3456 7890 189"),)),
        Case("joined-rib-blank-line", "RIB 30002 00550\n \n0000157845Z 02",
             (("rib", "30002 00550\n \n0000157845Z 02"),)),
        Case("joined-account-newline", "mon numéro client 123 456\n789 01, merci",
             (("account_number", "123 456\n789 01"),)),
        Case("joined-account-zwsp", "N° de compte : 1234\u200b5678\u200b901",
             (("account_number", "1234\u200b5678\u200b901"),)),
        Case("joined-intl-phone-newline", "Appelez le +44 20 7946\n0958 demain",
             (("phone", "+44 20 7946\n0958"),)),
        # The joined IBAN holds a card number the plain scan finds: reported once, as the IBAN.
        Case("joined-iban-over-plain-card", f"IBAN {over_card}.", (("iban", over_card),)),
        Case("joined-and-plain", "IBAN **FR76** 3000 6000 0112 3456 7890 189 ou au 06 12 34 56 78 "
             "(jean@exemple.fr)", (("iban", "FR76** 3000 6000 0112 3456 7890 189"),
                                   ("phone", "06 12 34 56 78"), ("email", "jean@exemple.fr"))),
    ]
    return cases


# What the joined view must leave alone: dates, fractions, amounts, lists, tables' rows, prose.
JOINED_NEGATIVES = (
    ("dates-slash", "Le 12/03/2026 puis le 01/04/2026, soit 1/2 mois."),
    ("fractions", "Il reste 3/4 du prêt et 1/2 de l'épargne, 24/7."),
    ("iso-dates-slash", "Relevés 2024/03/12 et 2025/2026."),
    ("pairs-slash", "Lots 01/02/03/04/05 et 06/12/34/56/78 livrés."),
    ("amounts-lines", "Factures :\n1 500,00 €\n2 300,00 €\n12 450,00 €"),
    ("list-small-numbers", "Étapes :\n- 1\n- 2\n- 3\n- 12\n- 45"),
    ("list-4-digits", "Codes :\n- 4970\n- 1012\n- 3456\n- 7893"),  # Luhn-valid if joined
    ("list-stars", "* 4970\n* 1012\n* 3456\n* 7893"),
    ("table-rows", "| 4970 | 1012 |\n| 3456 | 7893 |"),
    ("table-amounts", "| Mois | Montant |\n|---|---|\n| Janvier | 1 500,00 € |\n"
                      "| Février | 2 300,00 € |"),
    ("table-years", "| Année | Frais |\n| 2023 | 4500 |\n| 2024 | 4100 |"),
    ("blank-line", "Carte 4970 1012\n\n3456 7894 : deux paragraphes"),  # Luhn fails
    ("blank-line-prose", "Carte 4970 1012\n\nMerci 3456 7893"),
    ("blank-line-account", "mon compte 1234 5678\n\n901, merci"),  # no checksum to hold
    ("blank-lines-two", "Carte 4970 1012\n\n\n3456 7893"),
    ("lot-numbers", "Numéros de lots : 1234/5678/9012, réf. 2024/000123/45"),
    ("hours", "Horaires 9h00/12h30 et 14h00/18h30\tdu lundi au samedi"),
    ("prose-markdown", "**Attention** : le _3_ mars, ~~2~~ 4 fois, `v2.10` puis\nmerci"),
    ("prose-line-breaks", "Client depuis 2004\nje n'ai jamais eu\nde souci avant 2023\nmerci"),
    ("invisible-in-prose", "Bon\u200bjour, le 12\u200b/03, mot\u00adclé"),
)


def joined_negative_cases() -> list[Case]:
    return [Case(f"joined-neg-{name}", text) for name, text in JOINED_NEGATIVES]


def build() -> list[Case]:
    rng = random.Random(20240312)
    cases = (
        iban_cases(rng)
        + card_cases(rng)
        + rib_cases(rng)
        + account_cases(rng)
        + customer_cases()
        + unicode_digit_cases()
        + phone_cases()
        + email_cases()
        + negative_cases()
        + secret_cases()
        + mixed_cases(rng)
        + joined_cases(rng)
        + joined_negative_cases()
    )
    ids = [case.id for case in cases]
    assert len(ids) == len(set(ids)), "duplicate case ids"
    return cases


CASES = build()


# --- scoring --------------------------------------------------------------------------------------


def expected_spans(case: Case) -> set[tuple[str, int, int]]:
    spans = set()
    for kind, substring in case.expected:
        start = case.text.index(substring)
        assert case.text.count(substring) == 1, (case.id, substring)
        spans.add((kind, start, start + len(substring)))
    return spans


def found_spans(case: Case, findings: Iterable) -> set[tuple[str, int, int]]:
    return {
        (f.kind, f.start, f.end) for f in findings if case.kinds is None or f.kind in case.kinds
    }


def score(detect: Callable[[str], list]) -> dict[str, dict[str, int]]:
    """True/false positives and false negatives per kind, plus how many cases expect nothing."""
    table: dict[str, dict[str, int]] = {}
    for case in CASES:
        expected = expected_spans(case)
        found = found_spans(case, detect(case.text))
        for kind, *_ in expected | found:
            table.setdefault(kind, {"tp": 0, "fp": 0, "fn": 0})
        for kind, *_ in expected & found:
            table[kind]["tp"] += 1
        for kind, *_ in found - expected:
            table[kind]["fp"] += 1
        for kind, *_ in expected - found:
            table[kind]["fn"] += 1
    return table


if __name__ == "__main__":  # python tests/unit/detector_corpus.py: print the score table
    import os
    import sys

    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", ".."))
    from services.moderation.detector import detect

    negatives = sum(1 for case in CASES if not case.expected)
    print(f"{len(CASES)} cases, {negatives} of them expecting nothing (of the compared kinds)")
    print(f"{'kind':<16}{'TP':>6}{'FP':>6}{'FN':>6}")
    for kind, row in sorted(score(detect).items()):
        print(f"{kind:<16}{row['tp']:>6}{row['fp']:>6}{row['fn']:>6}")
