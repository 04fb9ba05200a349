// A private message box (a member's conversation and new-conversation forms, the console's reply
// box; templates/messages/_forms.html `secret_warning`): a warning while typing when the text holds
// what the bank never asks for — a card number, a card's security code, a PIN or a password —
// in the message or in the new conversation's subject. Card numbers (Luhn and issuer checked)
// and security codes are the detector's findings (confidential.js: the server's rules, in the page; nothing leaves it while
// typing), shown by the compose page's warning (writing.js); so are a PIN and a password
// (`pin_code`, `password`), which the two patterns below widen ("code 1234"), for these boxes
// only: a warning may be wider than what the service masks when it stores the text. The warning
// never blocks the send: the customer, or the advisor, may have a reason. An IBAN or a RIB does
// not warn: a customer may well send their own to their advisor (the texts speak of codes and
// card numbers only; masking.py leaves them as written too).
import { confidentialKinds } from "./confidential.js";
import { debounce, warningIn } from "./writing.js";

const DETECTED = new Set(["card_number", "card_security_code", "pin_code", "password"]);
const START = "(?<![\\p{L}\\p{N}])";
const SAYS = "\\s*(?:[:=]\\s*|(?:est|is|c['’]est)\\s+|\\s)";
// "code 1234", "mon code est 1234", "code PIN : 1234", "my PIN is 1234" (not "code postal 75001")
const PIN_RE = new RegExp(`${START}(?:code(?:\\s+(?:pin|secret|confidentiel|personnel|de\\s+(?:la\\s+)?carte` +
  `|carte|bancaire))?|pin(?:\\s+code)?)${SAYS}\\s*[0-9]{4,6}(?![\\p{N}])`, "iu");
// "mot de passe : Soleil2024", "my password is abc123!" — a value with a digit or a symbol, so
// that "mon mot de passe est bloqué" is not one
const PASSWORD_RE = new RegExp(`${START}(?:mot\\s+de\\s+passe|mdp|password|passcode)` +
  "\\s*(?:[:=]\\s*|(?:est|is|c['’]est)\\s+)(?=\\S*[0-9!#$%&*+=?@_])\\S{4,}", "iu");

/** Whether `text` holds something the bank never asks for in a message. */
export function holdsSecret(text) {
  return PIN_RE.test(text) || PASSWORD_RE.test(text)
    || confidentialKinds(text).some((kind) => DETECTED.has(kind));
}

function watch(status) {
  const form = status.closest("form");
  const field = form?.querySelector("textarea");
  if (!field || status.dataset.watched) return;
  status.dataset.watched = "";
  // the subject is private too (a new conversation's): shown on the lists, the console's rows
  const fields = [field, ...form.querySelectorAll("input[name='subject']")];
  // the status carries the texts warningIn reads from a form; one warning, whatever was found
  const warn = warningIn(status, status, `${status.id}-text`);
  const check = () => warn(fields.some((each) => holdsSecret(each.value)) ? ["secret"] : []);
  const later = debounce(check, 150);
  fields.forEach((each) => each.addEventListener("input", later));
  check(); // a text already there (the page came back with an error)
}

document.querySelectorAll("[data-secret-warning]").forEach(watch);
