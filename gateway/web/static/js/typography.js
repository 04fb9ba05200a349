// gateway/web/typography.py's `glue_punctuation` for plain text, in the browser: a message the
// page appends live (conversation.js, console_staff.js) reads as the server renders it, its
// « ? ! : ; » and guillemets kept to their word by a narrow no-break space where the writer put
// a plain one (tests/unit/test_typography_js.py runs both on the same examples).

const NARROW_NO_BREAK_SPACE = "\u202f";
const LOOSE = /(?<=[^\s])[ \t]+(?=[?!:;»])|(?<=«)[ \t]+(?=[^\s])/g;

export function gluePunctuation(text) {
  return text.replace(LOOSE, NARROW_NO_BREAK_SPACE);
}
