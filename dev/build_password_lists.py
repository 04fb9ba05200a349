"""Rebuild the French lists the password estimator adds to zxcvbn's own (run by hand, rarely).

    python -m venv /tmp/lists && /tmp/lists/bin/pip install wordfreq==3.1.1 Faker==40.63.0
    /tmp/lists/bin/python dev/build_password_lists.py

Writes services/identity/password_lists/fr_words.txt and fr_names.txt, most frequent first
(zxcvbn ranks a word by its line). Nothing here runs in production: the lists are shipped in the
package and loaded from disk (no download at run time).

Sources and licences (kept in each file's header):
- fr_words.txt: the 25,000 most frequent French words of `wordfreq` 3.1.1 (Robyn Speer; data
  from Wikipedia, subtitles, books, news, web text), letters only, 3+ characters, plus their
  forms without accents (people type "ete" for "été"). wordfreq's data is CC BY-SA 4.0, so
  this derived list is too (attribution above); the code using it stays Apache-2.0.
- fr_names.txt: French first names, last names, regions and départements from `Faker`'s fr_FR
  providers (MIT), without accents too.
fr_common_passwords.txt is written by hand (French and banking words people build passwords
from, keyboard rows of AZERTY keyboards), not by this script.
"""
from __future__ import annotations

import unicodedata
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "services" / "identity" / "password_lists"
WORDS = 25000


def plain(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def ordered(words) -> list[str]:
    seen: dict[str, None] = {}
    for word in words:
        word = word.strip().lower()
        if len(word) < 3 or not word.replace("-", "").replace(" ", "").isalpha():
            continue
        for form in (word.replace(" ", "").replace("-", ""), plain(word).replace(" ", "")
                     .replace("-", "")):
            seen.setdefault(form, None)
    return list(seen)


def write(name: str, header: str, words: list[str]) -> None:
    lines = [f"# {line}" for line in header.strip().splitlines()]
    (OUT / name).write_text("\n".join([*lines, *words]) + "\n", encoding="utf-8")
    print(f"{name}: {len(words)} entries")


def main() -> None:
    from faker.providers.address.fr_FR import Provider as Address
    from faker.providers.person.fr_FR import Provider as Person
    from wordfreq import top_n_list

    write("fr_words.txt", f"""
French words, most frequent first: the {WORDS} most frequent French words of wordfreq 3.1.1
(Robyn Speer et al., https://github.com/rspeer/wordfreq), letters only, 3+ characters, with
their unaccented forms. Licence of this list: CC BY-SA 4.0 (derived from wordfreq's data).
Built by dev/build_password_lists.py; used by services/identity/passwords.py.
""", ordered(top_n_list("fr", WORDS)))
    names = [*Person.first_names_female, *Person.first_names_male, *Person.last_names,
             *Address.regions, *(name for _, name in Address.departments)]
    write("fr_names.txt", """
French first names, last names, regions and départements, from Faker's fr_FR providers (MIT,
https://github.com/joke2k/faker), with their unaccented forms.
Built by dev/build_password_lists.py; used by services/identity/passwords.py.
""", ordered(names))


if __name__ == "__main__":
    main()
