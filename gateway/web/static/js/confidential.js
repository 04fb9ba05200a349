// The confidential-data detector of services/moderation/detector.py, in the browser: the compose
// screen warns while the member types, before anything leaves the page. Same kinds, same
// checksums (IBAN mod-97 with the registry's lengths, French RIB key, Luhn with the issuer's
// lengths), same context words and the same rule for overlaps, so a text warned about here is one
// the server holds. tests/unit/test_confidential_js.py runs this module under Node against the
// examples the server's detector labels (tests/unit/confidential_examples.json): they cannot drift.
// Written for clarity over speed (posts are short); the server's version is the fast one.

export const KINDS = ["iban", "rib", "card_number", "email", "account_number", "phone",
  "customer_number", "card_expiry", "card_security_code", "pin_code", "password"];
// An IBAN or a RIB whose checksum fails (a typo) is found under an internal kind, reported as the
// kind it is written as and ranked just below it; a blank line joins only numbers whose checksum
// holds (VALID_ONLY).
const TYPOS = { iban_typo: "iban", rib_typo: "rib" };
const RANKED = ["iban", "iban_typo", "rib", "rib_typo", ...KINDS.slice(2)];
const PRIORITY = Object.fromEntries(RANKED.map((kind, rank) => [kind, RANKED.length - rank]));
const VALID_ONLY = ["iban", "rib", "card_number"];

export const IBAN_LENGTHS = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BI: 27, BR: 29, BY: 28,
  CH: 21, CR: 22, CY: 28, CZ: 24, DE: 22, DJ: 27, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18,
  FK: 18, FO: 18, FR: 27, GB: 22, GE: 22, GI: 23, GL: 18, GR: 27, GT: 28, HN: 28, HR: 21, HU: 28,
  IE: 22, IL: 23, IQ: 23, IS: 26, IT: 27, JO: 30, KW: 30, KZ: 20, LB: 28, LC: 32, LI: 21, LT: 20,
  LU: 20, LV: 21, LY: 25, MC: 27, MD: 24, ME: 22, MK: 19, MN: 20, MR: 27, MT: 31, MU: 30, NI: 28,
  NL: 18, NO: 15, OM: 23, PK: 24, PL: 28, PS: 29, PT: 25, QA: 29, RO: 24, RS: 22, RU: 33, SA: 24,
  SC: 31, SD: 18, SE: 24, SI: 19, SK: 24, SM: 27, SO: 23, ST: 25, SV: 28, TL: 23, TN: 24, TR: 26,
  UA: 29, VA: 22, VG: 24, XK: 20, YE: 30,
};

// One separator between the characters of a number, as on the server.
const SEP_CHARS = " \u00a0\u2007\u2009\u202f.-\u2010\u2011\u2012\u2013";
const S = "[ \\u00a0\\u2007\\u2009\\u202f.\\-\\u2010\\u2011\\u2012\\u2013]";
const W = "[\\p{L}\\p{N}]"; // Python's [^\W_]: a letter or a digit, in any script

const sticky = (source) => new RegExp(source, "uy");
const IBAN_RE = sticky(`(?<=(?<!${W})[A-Za-z]{2}${S}?)[0-9](?=[0-9](?:${S}?[A-Za-z0-9]){11})`);
const CARD_RE = sticky(
  `(?<![\\p{L}\\p{N}+])[0-9](?=[0-9]{12}|[0-9]{3}${S}(?:[0-9]{4}${S}[0-9]{4}${S}[0-9]|[0-9]{6}${S}[0-9]{4}))`);
const IBAN_PRINTED_RE = new RegExp(
  `^[A-Za-z]{2}[0-9]{2}(?<sep>${S})[0-9A-Za-z]{4}(?:\\k<sep>[0-9A-Za-z]{4})*(?:\\k<sep>[0-9A-Za-z]{1,4})?$`, "u");
const DIGITS_RE = /[0-9]{1,20}/y;
const RIB_RE = sticky(`(?<![\\p{L}\\p{N}+])(?<bank>[0-9]{5})${S}?(?<branch>[0-9]{5})${S}?` +
  `(?<account>[0-9A-Za-z]{11})${S}?(?<key>[0-9]{2})(?!${W})`);
const PHONE_FR_RE = sticky(`(?<![\\p{L}\\p{N}+])(?<![0-9]${S})0(?:033${S}?(?:\\(0\\)${S}?)?)?` +
  `[1-9](?<sep>${S}?)[0-9]{2}(?:\\k<sep>[0-9]{2}){3}(?!${W})(?!\\k<sep>[0-9]{2})`);
const PHONE_INTL_RE = sticky(
  `(?<!${W})\\+(?=(?<intl>[1-9](?:\\)?${S}?(?:\\(0\\)${S}?)?[0-9]){7,14})(?![0-9]))`);
const AMOUNT_AFTER_RE = sticky(
  `[ \\u00a0\\u202f]?(?:[€$£%]|[kK]€|(?:[eE][uU][rR](?:[oO][sS]?)?|[uU][sS][dD]|[cC][hH][fF]` +
  `|[gG][bB][pP]|[dD][oO][lL][lL][aA][rR][sS]?)(?!${W}))`);
const ACCOUNT_WORD_RE = new RegExp(
  `(?<!${W})(?:compte|client|customer|account|acct|identifi(?:ant|er))s?(?!${W})`, "giu");
const ACCOUNT_TOKEN_RE = new RegExp(`(?<!${W})(?<![0-9]${S})(?<!\\+)` +
  `(?:[0-9A-Za-z]{11}|[0-9](?:${S}?[0-9]){10})(?!${W})`, "gu");
const TOKEN_DIGITS_RE = new RegExp(`[0-9](?:(?:[A-Za-z]*|${S})[0-9]){5}`, "u");
const ACCOUNT_CONTEXT_CHARS = 48;
const ACCOUNT_MAX_TOKEN = 21;
// Client, contract and account numbers (6 to 20 characters, four digits at least) right after the
// words that name one: the French ones before the noun, the English ones after it.
const GAP = "[ \\u00a0\\u202f]";
const CUSTOMER_FR_RE = new RegExp(
  `(?<!${W})(?:num[ée]ro|n[°º]|no\\.?|identifiant|id)${GAP}?(?:d[eu] |d['’])?$`, "giu");
const CUSTOMER_FR_BEFORE = 16;
const CUSTOMER_NOUN_RE = new RegExp(`(?<!${W})(?:(?:account|customer|client|contract)${GAP}?` +
  `(?:number|no\\.?|n[°º]|id|#)|(?<fr>client|contrat|compte)(?: client| bancaire)?)(?!${W})`, "giu");
const CUSTOMER_TOKEN_RE = sticky(`${GAP}*(?:[:=#]${GAP}*|(?:[eE][sS][tT]|[iI][sS])(?: le)?${GAP}+)?` +
  `(?<token>[0-9]{2,6}(?:[ \\u00a0][0-9]{2,6}){1,9}(?!${W})` +
  `|(?=(?:[A-Za-z]*[0-9]){4})[0-9A-Za-z]{6,20}(?!${W}))`);
const EMAIL_LOCAL_PUNCT = "._%+-";
const EMAIL_LOCAL_MAX = 64;
const EMAIL_DOMAIN_RE = /[\p{L}\p{N}][\p{L}\p{N}_-]*(?:\.[\p{L}\p{N}][\p{L}\p{N}_-]*)+/uy;

// The joined view (detector.py): a joiner is a short run of separators between two parts of a
// number holding an invisible character or a Markdown marker (dropped) or a line break, tab or
// slash (read as a space). A visible one follows a token of three letters or digits and up to
// three separators, an invisible one a letter or digit and up to one; a digit is right before or
// right after it. Separators and the other classes never overlap, so these look-behinds are the
// server's fixed-width ones.
const INVISIBLE = "\u00ad\u200b\u200c\u200d\u200e\u200f\u2060\ufeff";
const MARKERS = "*_`~|";
const BREAKS = "\n\r\t/";
const SPACES = " \u00a0\u2007\u2009\u202f";
const INVISIBLE_CLASS = "[\\u00ad\\u200b\\u200c\\u200d\\u200e\\u200f\\u2060\\ufeff]";
const VISIBLE_CLASS = "[*_`~|\\n\\r\\t/]";
const RUN = `(?:${S}|${INVISIBLE_CLASS}|${VISIBLE_CLASS}){0,7}`; // 8 characters at most in all
const JOINER_RE = new RegExp(
  `(?:(?<=[0-9A-Za-z]{3}${S}{0,3})${VISIBLE_CLASS}|(?<=[0-9A-Za-z]${S}?)${INVISIBLE_CLASS})` +
  `(?:(?<=[0-9]${S}{0,3}.)|(?=${RUN}[0-9]))${RUN}(?=[0-9A-Za-z])`, "gsu");
const BULLET_RE = /^[ \t]*[-*+][ \t]/; // "\n- 2300": the next item of a list

const isAlnum = (ch) => ch !== undefined && ch !== "" && /^[\p{L}\p{N}]$/u.test(ch);
const isDigit = (ch) => ch !== undefined && ch >= "0" && ch <= "9";
const isAsciiAlnum = (ch) => /^[0-9A-Za-z]$/.test(ch);

function matchAt(re, text, at) {
  re.lastIndex = at;
  return re.exec(text);
}

const amountFollows = (text, end) => matchAt(AMOUNT_AFTER_RE, text, end) !== null;

// --- checksums -----------------------------------------------------------------------------------

function mod97(digits) {
  let rest = 0;
  for (const ch of digits) rest = (rest * 10 + (ch.charCodeAt(0) - 48)) % 97;
  return rest;
}

function ibanOk(iban) {
  if (["00", "01", "99"].includes(iban.slice(2, 4))) return false;
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  const digits = [...rearranged].map((c) => (c >= "A" && c <= "Z" ? String(c.charCodeAt(0) - 55) : c));
  return mod97(digits.join("")) === 1;
}

function luhnOk(digits) {
  let total = 0;
  [...digits].reverse().forEach((ch, i) => {
    let value = ch.charCodeAt(0) - 48;
    if (i % 2) {
      value *= 2;
      if (value > 9) value -= 9;
    }
    total += value;
  });
  return total % 10 === 0;
}

function cardIssuerOk(digits) {
  const n = digits.length;
  const p1 = digits[0];
  const p2 = Number(digits.slice(0, 2));
  const p3 = Number(digits.slice(0, 3));
  const p4 = Number(digits.slice(0, 4));
  if (p1 === "4") return [13, 16, 19].includes(n); // Visa
  if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) return n === 16; // Mastercard
  if (p2 === 34 || p2 === 37) return n === 15; // American Express
  if ((p3 >= 300 && p3 <= 305) || [36, 38, 39].includes(p2)) return n >= 14 && n <= 19; // Diners
  if ((p4 >= 3528 && p4 <= 3589) || (p4 >= 2200 && p4 <= 2204)) return n >= 16 && n <= 19;
  if (p1 === "6" || p2 === 50 || (p2 >= 56 && p2 <= 58)) return n >= 13 && n <= 19;
  return false;
}

const RIB_LETTERS = "12345678912345678923456789"; // A/J=1, B/K/S=2, ... I/R/Z=9

function ribOk(bank, branch, account, key) {
  const accountDigits = [...account.toUpperCase()]
    .map((c) => (c >= "A" && c <= "Z" ? RIB_LETTERS[c.charCodeAt(0) - 65] : c)).join("");
  // 3 * an 11-digit number stays below 2**53: exact in a double.
  const expected = 97 - ((89 * Number(bank) + 15 * Number(branch) + 3 * Number(accountDigits)) % 97);
  return Number(key) === expected;
}

// --- scanners: each returns [start, end, kind] candidates -----------------------------------------

function ibanAt(text, at, out) {
  if (!matchAt(IBAN_RE, text, at)) return;
  const n = text.length;
  const start = at - (SEP_CHARS.includes(text[at - 1]) ? 3 : 2);
  const country = text.slice(start, start + 2).toUpperCase();
  const length = IBAN_LENGTHS[country];
  if (length === undefined) return;
  const need = length - 4;
  const bban = [];
  let i = at + 2;
  let previousWasSep = false;
  while (bban.length < need && i < n) {
    const ch = text[i];
    if (SEP_CHARS.includes(ch) && !previousWasSep) {
      previousWasSep = true;
    } else if (isAsciiAlnum(ch)) {
      bban.push(ch);
      previousWasSep = false;
    } else {
      break;
    }
    i += 1;
  }
  if (bban.length !== need) return;
  if (i < n && isAlnum(text[i]) && (isDigit(text[i]) || !isDigit(bban[bban.length - 1]))) return;
  if (2 * bban.filter(isDigit).length < need) return;
  const iban = country + text.slice(at, at + 2) + bban.join("").toUpperCase();
  if (ibanOk(iban)) out.push([start, i, "iban"]);
  else if (IBAN_PRINTED_RE.test(text.slice(start, i))) out.push([start, i, "iban_typo"]);
}

function cardLayoutOk(sizes) {
  if (sizes.length === 1) return true;
  const last = sizes[sizes.length - 1];
  if (sizes.slice(0, -1).every((size) => size === 4) && last >= 1 && last <= 4) return true;
  const layout = sizes.join("-");
  return layout === "4-6-5" || layout === "4-6-4";
}

function cardAt(text, at, out) {
  if (!matchAt(CARD_RE, text, at)) return;
  const n = text.length;
  const groups = [];
  let total = 0;
  let i = at;
  while (total <= 19) {
    const run = matchAt(DIGITS_RE, text, i);
    if (!run) break;
    const end = i + run[0].length;
    groups.push([i, end]);
    total += run[0].length;
    if (end + 1 < n && SEP_CHARS.includes(text[end]) && isDigit(text[end + 1])) i = end + 1;
    else break;
  }
  for (let k = groups.length; k > 0; k -= 1) {
    const kept = groups.slice(0, k);
    const sizes = kept.map(([a, b]) => b - a);
    const sum = sizes.reduce((x, y) => x + y, 0);
    if (sum < 13 || sum > 19 || !cardLayoutOk(sizes)) continue;
    const end = kept[kept.length - 1][1];
    if (isAlnum(text[end])) continue;
    const digits = kept.map(([a, b]) => text.slice(a, b)).join("");
    if (cardIssuerOk(digits) && luhnOk(digits)) {
      out.push([at, end, "card_number"]);
      break;
    }
  }
}

function ribAt(text, at, out) {
  const m = matchAt(RIB_RE, text, at);
  if (!m) return;
  const { bank, branch, account, key } = m.groups;
  if (ribOk(bank, branch, account, key)) {
    out.push([at, at + m[0].length, "rib"]);
  } else if (m[0].length === 26 && [...account].filter(isDigit).length >= 6) {
    out.push([at, at + m[0].length, "rib_typo"]); // printed in its four parts: a typo
  }
}

function frenchPhoneAt(text, at, out) {
  const m = matchAt(PHONE_FR_RE, text, at);
  if (m && !amountFollows(text, at + m[0].length)) out.push([at, at + m[0].length, "phone"]);
}

function frenchIntlEnd(text, begin, end) {
  let count = 0;
  let i = begin;
  while (i < end) {
    if (text.startsWith("(0)", i)) {
      i += 3;
      continue;
    }
    if (isDigit(text[i])) {
      count += 1;
      if (count === 11) return isDigit(text[i + 1]) ? end : i + 1;
    }
    i += 1;
  }
  return end;
}

function internationalPhoneAt(text, at, out) {
  const m = matchAt(PHONE_INTL_RE, text, at);
  if (!m) return;
  let start = at;
  let end = at + 1 + m.groups.intl.length;
  if (start && text[start - 1] === "(" && text.slice(start, end).includes(")")) start -= 1;
  if (text.startsWith("33", at + 1)) end = frenchIntlEnd(text, at + 1, end);
  if (!amountFollows(text, end)) out.push([start, end, "phone"]);
}

function scanNumbers(text, out) {
  for (let at = 0; at < text.length; at += 1) {
    const ch = text[at];
    if (ch === "+") {
      internationalPhoneAt(text, at, out);
    } else if (isDigit(ch) && !isDigit(text[at - 1])) {
      ibanAt(text, at, out);
      ribAt(text, at, out);
      cardAt(text, at, out);
      if (ch === "0") frenchPhoneAt(text, at, out);
    }
  }
}

function scanAccounts(text, out) {
  const n = text.length;
  for (const word of text.matchAll(ACCOUNT_WORD_RE)) {
    const ws = word.index;
    const we = ws + word[0].length;
    const lo = Math.max(0, ws - ACCOUNT_CONTEXT_CHARS - ACCOUNT_MAX_TOKEN);
    const hi = Math.min(n, we + ACCOUNT_CONTEXT_CHARS + ACCOUNT_MAX_TOKEN + 1);
    if (!TOKEN_DIGITS_RE.test(text.slice(lo, hi))) continue;
    // As the server's `finditer(text, lo, hi)`: look-behinds see before `lo`, the text ends at `hi`.
    const window = text.slice(0, hi);
    ACCOUNT_TOKEN_RE.lastIndex = lo;
    for (let m = ACCOUNT_TOKEN_RE.exec(window); m; m = ACCOUNT_TOKEN_RE.exec(window)) {
      const start = m.index;
      const end = start + m[0].length;
      const before = end <= ws && ws - end <= ACCOUNT_CONTEXT_CHARS;
      const after = start >= we && start - we <= ACCOUNT_CONTEXT_CHARS;
      if (!(before || after)) continue;
      if (isAlnum(text[end]) || (end + 1 < n && SEP_CHARS.includes(text[end]) && isDigit(text[end + 1]))) {
        continue;
      }
      if ([...text.slice(start, end)].filter(isDigit).length < 6 || amountFollows(text, end)) continue;
      out.push([start, end, "account_number"]);
    }
  }
}

function scanCustomers(text, out) {
  const n = text.length;
  for (const noun of text.matchAll(CUSTOMER_NOUN_RE)) {
    const at = noun.index;
    const m = matchAt(CUSTOMER_TOKEN_RE, text, at + noun[0].length);
    if (!m) continue;
    if (noun.groups.fr) {
      CUSTOMER_FR_RE.lastIndex = Math.max(0, at - CUSTOMER_FR_BEFORE);
      if (!CUSTOMER_FR_RE.exec(text.slice(0, at))) continue;
    }
    const end = at + noun[0].length + m[0].length;
    const start = end - m.groups.token.length;
    if (isAlnum(text[end]) || (end + 1 < n && (SEP_CHARS + ",/").includes(text[end]) && isDigit(text[end + 1]))) {
      continue;
    }
    const token = text.slice(start, end);
    const alnum = [...token].filter(isAlnum).length;
    if (alnum < 6 || alnum > 20 || [...token].filter(isDigit).length < 4 || amountFollows(text, end)) continue;
    out.push([start, end, "customer_number"]);
  }
}

// A card's expiry and security code: after a word that says so ("strong" words alone, the vaguer
// ones only in a text with a card number or a code), or written right after a card number.
const WORD = `(?<!${W})`;
const EXPIRY_WORD_RE = new RegExp(`${WORD}(?:date d['’]expiration|expiration|expiry|exp(?!${W})\\.?` +
  "|valid(?:e|ity)? thru|fin de validit[ée])", "iuy");
const EXPIRY_WORD_NEAR_CARD_RE = new RegExp(
  `${WORD}(?:expire[sd]?|expir[ée]e?|valable jusqu|valid until|good thru|validit[ée])`, "iuy");
const CODE_WORD_RE = new RegExp(`${WORD}(?:cryptogramme|cvv2?|cvc2?|code de s[ée]curit[ée]|security code` +
  `|code (?:au|du) dos|code on the back)(?!${W})`, "iuy");
const CODE_WORD_NEAR_CARD_RE = new RegExp(`${WORD}(?:crypto)(?!${W})`, "iuy");
const DETAIL_CONTEXT_CHARS = 32;
const EXPIRY_RE = /(?<![0-9/.,])(?:0?[1-9]|1[0-2])\/(?:20)?[0-9]{2}(?![0-9/]|[.,][0-9])/gu;
const CODE_RE = /(?<![0-9/.,])[0-9]{3,4}(?![0-9]|[.,/][0-9])/gu;
const DETAIL_GAP_RE = /[\s,;:\-–()]{1,6}/y;
const DETAIL_WORDS = [ // [word, value, kind, needs a card number or a code in the text]
  [EXPIRY_WORD_RE, EXPIRY_RE, "card_expiry", false],
  [EXPIRY_WORD_NEAR_CARD_RE, EXPIRY_RE, "card_expiry", true],
  [CODE_WORD_RE, CODE_RE, "card_security_code", false],
  [CODE_WORD_NEAR_CARD_RE, CODE_RE, "card_security_code", true],
];

// `value` searched from `from` in the text cut at `to` (as the server's `search(text, from, to)`).
function searchIn(value, text, from, to) {
  value.lastIndex = from;
  return value.exec(text.slice(0, to));
}

function valueAt(value, text, at) {
  const m = searchIn(value, text, at, text.length);
  return m && m.index === at ? m : null;
}

function scanCardDetails(text, cards, out) {
  const found = [];
  for (let at = 0; at < text.length; at += 1) {
    if (!"EeVvGgFfCcSs".includes(text[at])) continue;
    for (const [wordRe, valueRe, kind, nearCard] of DETAIL_WORDS) {
      const word = matchAt(wordRe, text, at);
      if (!word) continue;
      const wordEnd = at + word[0].length;
      const value = searchIn(valueRe, text, wordEnd, wordEnd + DETAIL_CONTEXT_CHARS + 7);
      if (value && value.index - wordEnd <= DETAIL_CONTEXT_CHARS
          && !amountFollows(text, value.index + value[0].length)) {
        found.push([value.index, value.index + value[0].length, kind, nearCard]);
      }
      break;
    }
  }
  const strong = found.some(([, , , nearCard]) => !nearCard);
  for (const [start, end, kind, nearCard] of found) {
    if (!nearCard || cards.length || (strong && kind === "card_expiry")) out.push([start, end, kind]);
  }
  for (const [, cardEnd] of cards) { // "4970 1012 3456 7893 09/28 123"
    let gap = matchAt(DETAIL_GAP_RE, text, cardEnd);
    const expiry = gap && valueAt(EXPIRY_RE, text, cardEnd + gap[0].length);
    if (!expiry) continue;
    const expiryEnd = expiry.index + expiry[0].length;
    out.push([expiry.index, expiryEnd, "card_expiry"]);
    gap = matchAt(DETAIL_GAP_RE, text, expiryEnd);
    const code = gap && valueAt(CODE_RE, text, expiryEnd + gap[0].length);
    if (code && !amountFollows(text, code.index + code[0].length)) {
      out.push([code.index, code.index + code[0].length, "card_security_code"]);
    }
  }
}

function scanEmails(text, out) {
  for (let at = text.indexOf("@"); at !== -1; at = text.indexOf("@", at + 1)) {
    let start = at;
    const floor = Math.max(0, at - EMAIL_LOCAL_MAX);
    while (start > floor && (isAlnum(text[start - 1]) || EMAIL_LOCAL_PUNCT.includes(text[start - 1]))) {
      start -= 1;
    }
    while (start < at && !isAlnum(text[start])) start += 1;
    if (start >= at) continue;
    const domain = matchAt(EMAIL_DOMAIN_RE, text, at + 1);
    if (!domain) continue;
    const end = at + 1 + domain[0].length;
    const tld = text.slice(text.lastIndexOf(".", end - 1) + 1, end);
    if (tld.length >= 2 && /^\p{L}+$/u.test(tld)) out.push([start, end, "email"]);
  }
}

// Each joiner of `text`: [start, end, what it reads as, whether it is a blank line], or none where
// it ends a number (a table's next row, a list's next item, two separators one of which is not a
// space, two blank lines, a blank line before a paragraph that does not start with a digit).
function joiners(text) {
  const found = [];
  for (const m of text.matchAll(JOINER_RE)) {
    let start = m.index;
    const end = start + m[0].length;
    while (SEP_CHARS.includes(text[start - 1])) start -= 1;
    const run = text.slice(start, end);
    const breaks = [...run.matchAll(/\r\n?|\n/g)];
    const blank = breaks.length === 2 && !/[^ \t]/.test(
      run.slice(breaks[0].index + breaks[0][0].length, breaks[1].index)) && isDigit(text[end]);
    if (breaks.length > 1 && !blank) continue;
    if (breaks.length) {
      const last = breaks[breaks.length - 1];
      if (run.includes("|") || BULLET_RE.test(text.slice(start + last.index + last[0].length))) continue;
    }
    let readsAs = [...run].filter((ch) => !(INVISIBLE + MARKERS).includes(ch))
      .map((ch) => (BREAKS.includes(ch) ? " " : ch)).join("");
    if (readsAs.length > 1) {
      if ([...readsAs].some((ch) => !SPACES.includes(ch))) continue;
      readsAs = " ";
    }
    found.push([start, end, readsAs, blank]);
  }
  return found;
}

// The numbers only the joined view shows, at offsets of `text`: the view is scanned whole (the
// server scans around the joiners only, for speed) and a finding kept if it crosses a joiner — a
// blank line only if its checksum holds.
function scanJoined(text, out) {
  const found = joiners(text);
  if (!found.length) return;
  let view = "";
  const origin = []; // for each character of the view, its offset in the text
  let at = 0;
  for (const [start, end, readsAs] of [...found, [text.length, text.length, ""]]) {
    view += text.slice(at, start) + readsAs;
    for (let i = at; i < start; i += 1) origin.push(i);
    for (let i = 0; i < readsAs.length; i += 1) origin.push(start);
    at = end;
  }
  const candidates = [];
  scanNumbers(view, candidates);
  scanAccounts(view, candidates);
  scanCustomers(view, candidates);
  const blanks = found.filter(([, , , blank]) => blank).map(([start]) => start);
  for (const [start, end, kind] of candidates) {
    const first = origin[start];
    const last = origin[end - 1] + 1;
    if (text.slice(first, last) !== view.slice(start, end)
        && (VALID_ONLY.includes(kind) || !blanks.some((at) => first <= at && at < last))) {
      out.push([first, last, kind]);
    }
  }
}

function resolve(candidates) {
  candidates.sort((a, b) => PRIORITY[b[2]] - PRIORITY[a[2]] || (a[0] - a[1]) - (b[0] - b[1]) || a[0] - b[0]);
  const kept = [];
  for (const candidate of candidates) {
    const [start, end] = candidate;
    if (kept.every(([s, e]) => e <= start || s >= end)) kept.push(candidate);
  }
  return kept.sort((a, b) => a[0] - b[0]);
}

// Decimal digits of other scripts (full-width ０-９, Arabic-Indic ٣, ...) read as ASCII digits, and
// the ideographic space between them as a space: [what the scanners read, for each of its
// characters the offset of the character it reads in `text`]. A digit outside the BMP is two
// UTF-16 units read as one, hence the offsets (the server counts code points: one for one).
const OTHER_DIGIT_RE = /(?![0-9])\p{Nd}/u;
const IS_DIGIT_RE = /^\p{Nd}$/u;

function digitValue(cp) { // Unicode's decimal digits come in runs of ten, each from its zero
  let zero = cp;
  while (zero - 1 >= 0 && IS_DIGIT_RE.test(String.fromCodePoint(zero - 1))) zero -= 1;
  return (cp - zero) % 10;
}

function asciiDigits(text) {
  if (!OTHER_DIGIT_RE.test(text)) return null;
  let read = "";
  const origin = [];
  let at = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0);
    const other = cp > 127 && IS_DIGIT_RE.test(ch);
    const reads = other ? String(digitValue(cp)) : cp === 0x3000 ? " " : ch;
    read += reads;
    for (let i = 0; i < reads.length; i += 1) origin.push(at + (other ? 0 : i));
    at += ch.length;
  }
  origin.push(at);
  return [read, origin];
}

// A PIN and a password (detector.py `_SECRET_PHRASE`): the value right after the phrase naming
// it; a password only when it looks like one (detector.py `_scan_secrets`: a digit or a symbol,
// once the sentence's punctuation around it and the apostrophes, hyphens, dots and slashes joining
// words are set aside, and no link), masked without that punctuation but with a glued "!" or "?".
const SECRET_GAP = "[ \\u00a0\\u202f]";
// detector.py `_PASSWORD_MAX` (test_confidential_js.py compares them); the run is taken whole (a
// look-ahead, as Python's possessive "+"): a run too long is no password, not a shorter one.
export const PASSWORD_MAX = 128;
const SECRET_SAYS = `${SECRET_GAP}*(?:[:=]${SECRET_GAP}*|(?:est|is|c['’]est)(?: le)?` +
  `(?:${SECRET_GAP}*:)?${SECRET_GAP}+)`;
const SECRET_RE = new RegExp(`(?<!${W})(?:(?:code${SECRET_GAP}(?:pin|secret|confidentiel|personnel)` +
  `(?:${SECRET_GAP}d[eu]${SECRET_GAP}(?:(?:ma|la|votre)${SECRET_GAP})?carte)?` +
  `|(?<=(?<!${W})secret${SECRET_GAP})code|pin(?:${SECRET_GAP}?code|${SECRET_GAP}number)?` +
  `|passcode)(?:${SECRET_SAYS}|${SECRET_GAP}+)(?<pin>[0-9]{4,6})` +
  `|(?<=(?<!${W})(?:mon|my|le|the)${SECRET_GAP})code${SECRET_SAYS}(?<weak>[0-9]{4,6})` +
  `|(?:(?<=(?<!${W})mot${SECRET_GAP}de${SECRET_GAP})passe|(?<=(?<!${W})mot-de-)passe|mdp` +
  `|pass(?:word|wd|code)|pwd)${SECRET_SAYS}(?=(?<password>\\S{4,${PASSWORD_MAX}}))\\k<password>)` +
  `(?!${W}|[.,/-][0-9])`, "giu");
const SECRET_OPENING = /^[(\[«"'‘“]+/u;
const SECRET_TRAILING = /[.,;:!?…)\]»"'’”]+$/u;
const SECRET_CLOSING = /[.,;:…)\]»"'’”]+$/u;
// Letters only are never a password (detector.py `_scan_secrets`: precision first).
const PASSWORD_SIGN = /[^\p{L}\p{M}’'\-\u2010\u2011\u02bc./]/u;

const SECRET_LINK = /^(?:[a-z][a-z0-9+.-]*:\/\/|www\.|(?:[a-z0-9-]+\.)+[a-z]{2,}\/)/i;

function scanSecrets(text, out) {
  for (const m of text.matchAll(SECRET_RE)) {
    const value = m.groups.pin ?? m.groups.weak ?? m.groups.password;
    const end = m.index + m[0].length;
    const start = end - value.length;
    if (m.groups.password === undefined) {
      if (!amountFollows(text, end)) out.push([start, end, "pin_code"]);
      continue;
    }
    const opened = value.replace(SECRET_OPENING, "");
    const word = opened.replace(SECRET_TRAILING, "");
    const from = start + value.length - opened.length;
    if ([...word].length >= 4 && !SECRET_LINK.test(word) && PASSWORD_SIGN.test(word)) {
      out.push([from, from + opened.replace(SECRET_CLOSING, "").length, "password"]);
    }
  }
}

/** Confidential data in `text`: non-overlapping {kind, start, end}, sorted by start. */
export function detect(text) {
  const normalised = asciiDigits(text);
  const read = normalised ? normalised[0] : text;
  const candidates = [];
  scanNumbers(read, candidates);
  scanEmails(read, candidates);
  scanAccounts(read, candidates);
  scanCustomers(read, candidates);
  scanJoined(read, candidates);
  scanSecrets(read, candidates);
  scanCardDetails(read, candidates.filter(([, , kind]) => kind === "card_number"), candidates);
  const at = normalised ? (i) => normalised[1][i] : (i) => i;
  return resolve(candidates).map(([start, end, kind]) => ({
    kind: TYPOS[kind] ?? kind, start: at(start), end: at(end) }));
}

/** The kinds found in `text`, strongest first (what the warning names). */
export function confidentialKinds(text) {
  const found = new Set(detect(text).map((finding) => finding.kind));
  return KINDS.filter((kind) => found.has(kind));
}

/** The compose screen's tags field as the text the server's detector reads (detector.py
 * `tags_text` of the tags the form sends: compose.py `_post_body`): the tags typed, split on
 * spaces and commas, lower-cased, in their order, one space between — so a number typed over
 * several tags is found. */
export function tagsText(typed) {
  return typed.toLowerCase().split(/[\s,]+/).filter(Boolean).join(" ");
}

/** `text` with each card number masked as the server's pages show a private message
 * (gateway/web/masking.py `mask_cards`, the detector's mask): every letter or digit hidden but
 * the last four — all of them when the text also holds the card's expiry or security code.
 * For the messages a conversation page adds without a reload. */
export function maskCards(text) {
  const found = detect(text || "");
  const whole = found.some(({ kind }) => kind === "card_expiry" || kind === "card_security_code");
  let out = "";
  let at = 0;
  for (const { kind, start, end } of found) {
    if (kind !== "card_number") continue;
    const span = [...text.slice(start, end)];
    const keep = whole ? 0 : 4;
    let left = span.filter(isAlnum).length;
    out += text.slice(at, start) + span.map((ch) => {
      if (!isAlnum(ch)) return ch;
      left -= 1;
      return left < keep ? ch : "•";
    }).join("");
    at = end;
  }
  return out + (text || "").slice(at);
}
