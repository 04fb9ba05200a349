"""Throughput of the confidential-data detector on realistic forum text.

``python -m bench detector`` builds a deterministic corpus (mostly ordinary French and English
sentences with amounts, dates, order numbers and percentages, and now and then an IBAN, a card
number, a phone number or an e-mail), then times, on the same text in the same run:

- a plain single-regex scan, ``re.findall(r"\\d[\\d ]{10,}\\d", text)``: the floor any regex-based
  detector pays, so the ratio below does not depend on how fast this machine is;
- ``detect(text)`` and ``mask(text)``.

Figures are best-of-N times (the least disturbed run) of the CPU time this process used
(``time.process_time``): MB/s per core, which a machine shared with other work does not skew the
way it skews wall-clock time. A benchmark, not a test: it asserts nothing about speed.
"""

from __future__ import annotations

import random
import re
import time
from collections import Counter
from collections.abc import Callable

from services.moderation.detector import detect, mask, summary

SEED = 20240312
CORPUS_BYTES = 2_000_000
REPEATS = 11

_SENTENCES = (
    "Bonjour, je n'arrive plus à me connecter à mon espace client depuis {date}.",
    "Merci pour votre réponse rapide, tout fonctionne à nouveau.",
    "J'ai été prélevé de {amount} le {date} sans explication, quelqu'un a une idée ?",
    "Le virement de {amount} n'est toujours pas arrivé, c'est normal ?",
    "Ma commande n° {order} du {date} n'a pas été remboursée.",
    "Quel est le taux du livret en ce moment ? J'ai vu {percent} sur le site.",
    "Je suis client depuis {year} et c'est la première fois que ça m'arrive.",
    "Hello, the mobile app crashes when I open my statements since version {version}.",
    "I was charged {amount} twice on {date}, can someone from the bank help?",
    "Thanks, the card arrived at my home in {postcode} yesterday.",
    "Is there a fee for transfers abroad? I need to send {amount} next month.",
    "Pour info, l'agence de {postcode} est fermée le samedi jusqu'au {date}.",
    "Le conseiller m'a dit de patienter 48 h, ce que j'ai fait.",
    "Has anyone managed to set up a standing order from the new web interface?",
    "Mon prêt de {amount} sur {years} ans est-il renégociable ?",
)

# Occasionally a member pastes something confidential; ~1 sentence in 60. Each template plants
# exactly one finding of the given kind, so the run also counts misses and false alarms.
_LEAKS = (
    ("iban", "Voici mon IBAN pour le remboursement : {iban}"),
    ("card_number", "My card {card} was declined at the shop, why?"),
    ("phone", "Appelez-moi au {phone} svp."),
    ("email", "Vous pouvez m'écrire à {email}."),
    ("account_number", "Mon numéro de compte est le {account}."),
)


def _iban(rng: random.Random) -> str:
    bban = "".join(rng.choice("0123456789") for _ in range(23))
    number = int("".join(str(int(ch, 36)) for ch in bban + "FR00"))
    compact = f"FR{98 - number % 97:02d}{bban}"
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


def _card(rng: random.Random) -> str:
    digits = [4] + [rng.randrange(10) for _ in range(14)]
    total = sum(
        d if i % 2 else (d * 2 - 9 if d * 2 > 9 else d * 2) for i, d in enumerate(reversed(digits))
    )
    number = "".join(map(str, digits)) + str((10 - total % 10) % 10)
    return " ".join(number[i : i + 4] for i in range(0, 16, 4))


def _fill(rng: random.Random, template: str) -> str:
    values = {
        "date": f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{rng.randint(2019, 2025)}",
        "amount": f"{rng.randint(1, 99)} {rng.randint(0, 999):03d},{rng.randint(0, 99):02d} €",
        "order": str(rng.randint(10**8, 10**10)),
        "percent": f"{rng.randint(1, 5)},{rng.randint(0, 99):02d} %",
        "year": str(rng.randint(1985, 2024)),
        "version": f"{rng.randint(1, 9)}.{rng.randint(0, 20)}.{rng.randint(0, 9)}",
        "postcode": f"{rng.randint(1, 95):02d}{rng.randint(0, 999):03d}",
        "years": str(rng.randint(5, 25)),
        "iban": _iban(rng),
        "card": _card(rng),
        "phone": "06 " + " ".join(f"{rng.randint(0, 99):02d}" for _ in range(4)),
        "email": f"membre{rng.randint(1, 9999)}@exemple.fr",
        "account": "".join(rng.choice("0123456789") for _ in range(11)),
    }
    return template.format(**values)


def build_corpus(size: int = CORPUS_BYTES, seed: int = SEED) -> tuple[str, Counter[str]]:
    """Posts of 1-6 sentences separated by blank lines (about ``size`` bytes of UTF-8), and how
    many findings of each kind were planted in them."""
    rng = random.Random(seed)
    planted: Counter[str] = Counter()
    posts: list[str] = []
    total = 0
    while total < size:
        sentences = []
        for _ in range(rng.randint(1, 6)):
            if rng.random() < 1 / 60:
                kind, template = rng.choice(_LEAKS)
                planted[kind] += 1
            else:
                template = rng.choice(_SENTENCES)
            sentences.append(_fill(rng, template))
        post = " ".join(sentences)
        posts.append(post)
        total += len(post.encode()) + 2
    return "\n\n".join(posts), planted


def _best_times(
    functions: dict[str, Callable[[], object]], repeats: int = REPEATS
) -> dict[str, float]:
    """Best CPU time of each function; rounds interleave them so that a busy machine slows
    the baseline and the detector alike and the ratio stays meaningful."""
    best = dict.fromkeys(functions, float("inf"))
    for _ in range(repeats):
        for name, function in functions.items():
            started = time.process_time()
            function()
            best[name] = min(best[name], time.process_time() - started)
    return best


def main() -> None:
    text, planted = build_corpus()
    megabytes = len(text.encode()) / 1e6
    baseline_re = re.compile(r"\d[\d ]{10,}\d")
    times = _best_times(
        {
            "baseline re.findall": lambda: baseline_re.findall(text),
            "detect()": lambda: detect(text),
            "mask() incl. detect": lambda: mask(text),
        }
    )
    baseline = times["baseline re.findall"]
    counts = summary(detect(text))
    print(f"corpus: {megabytes:.2f} MB, {len(text):,} chars, seed {SEED}; best of {REPEATS} runs")
    print("findings (planted): " + ", ".join(f"{k} {n} ({planted[k]})" for k, n in counts.items()))
    print(f"{'what':<22}{'seconds':>10}{'MB/s':>10}{'vs baseline':>14}")
    for name, seconds in times.items():
        print(f"{name:<22}{seconds:>10.4f}{megabytes / seconds:>10.1f}{baseline / seconds:>13.3f}x")


if __name__ == "__main__":
    main()
