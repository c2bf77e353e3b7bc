// JSON as the Rust runner reads it (serde_json): an integer literal is exact at any size
// (JSON.parse would round one beyond 2^53 to the nearest double), and a literal with a
// fraction or an exponent is a float even when its value is whole (`1.5e3`, `7.0`), which no
// integer field accepts. So: integers beyond the safe range become BigInt; whole-valued
// float literals become FloatLiteral; everything else is JSON.parse's.

/** A whole-valued number written as a float (`7.0`, `1.5e3`): not an integer to the runners. */
export class FloatLiteral {
  constructor(value) {
    this.value = value;
  }
  toJSON() {
    return this.value;
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
const MAX = BigInt(Number.MAX_SAFE_INTEGER);

/** JSON.parse, with exact big integers (BigInt) and whole float literals (FloatLiteral). */
export function parseJson(text) {
  const marker = `\u0000${Math.random().toString(36).slice(2)}:`;
  let out = "";
  let from = 0;
  let changed = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      // Skip the string, escapes included.
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === "\\") i++;
      continue;
    }
    if (c !== "-" && (c < "0" || c > "9")) continue;
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (m === null) continue;
    const token = m[0];
    let tag = null;
    if (m[1] === undefined && m[2] === undefined) {
      const n = BigInt(token);
      if (n > MAX || n < -MAX) tag = "i";
    } else if (Number.isInteger(Number(token))) {
      tag = "f";
    }
    if (tag !== null) {
      out += `${text.slice(from, i)}"${JSON.stringify(marker).slice(1, -1)}${tag}${token}"`;
      from = i + token.length;
      changed = true;
    }
    i += token.length - 1;
  }
  if (!changed) return JSON.parse(text);
  out += text.slice(from);
  return JSON.parse(out, (_, v) => {
    if (typeof v !== "string" || !v.startsWith(marker)) return v;
    const token = v.slice(marker.length + 1);
    return v[marker.length] === "i" ? BigInt(token) : new FloatLiteral(Number(token));
  });
}
