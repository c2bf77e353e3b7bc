// Only the documented API is public: each module's runtime exports are exactly the values its
// .d.ts declares, and each class's public members (methods, getters, statics) exactly the
// members its declaration lists. wasm-bindgen's own internals (`__wbg_ptr`,
// `__destroy_into_raw`) are not API.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { packageDir, packageUrl } from "../testing/package.mjs";


/** The values a .d.ts exports, and each class's members (`static x`, `x`). */
function declared(file) {
  const text = readFileSync(join(packageDir, file), "utf8").replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, "");
  const values = new Set();
  const classes = {};
  for (const m of text.matchAll(/^export (?:declare )?(class|function|const) (\w+)/gm)) values.add(m[2]);
  for (const m of text.matchAll(/^export class (\w+)[^{]*\{([\s\S]*?)^\}/gm)) {
    const members = new Set();
    for (const line of m[2].split("\n")) {
      const member = line.match(/^ {2}(static )?(?:readonly )?(\w+)\s*[(:?<]/);
      if (member && member[2] !== "constructor") members.add(`${member[1] ? "static " : ""}${member[2]}`);
    }
    classes[m[1]] = members;
  }
  return { values, classes };
}

/** A class's public members at run time. */
function runtimeMembers(cls) {
  const members = new Set();
  const internal = (name) => name.startsWith("__") || name === "constructor";
  for (let proto = cls.prototype; proto && proto !== Error.prototype && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const name of Object.getOwnPropertyNames(proto)) if (!internal(name)) members.add(name);
  }
  for (let c = cls; c && c !== Function.prototype && c !== Error; c = Object.getPrototypeOf(c)) {
    for (const name of Object.getOwnPropertyNames(c)) {
      if (!["length", "name", "prototype"].includes(name) && !internal(name)) members.add(`static ${name}`);
    }
  }
  return members;
}

for (const [module, types] of [["index.js", "index.d.ts"], ["http.js", "http.d.ts"], ["swagger-ui.js", "swagger-ui.d.ts"]]) {
  test(`${module}: the runtime exports are the ones ${types} declares`, async () => {
    const runtime = await import(new URL(`./${module}`, packageUrl).href);
    const { values, classes } = declared(types);
    assert.deepEqual(new Set(Object.keys(runtime)), values);
    for (const [name, members] of Object.entries(classes)) {
      const got = runtimeMembers(runtime[name]);
      // HmacSigError's fields are set per instance, not on its prototype.
      if (name === "HmacSigError") continue;
      assert.deepEqual(got, members, name);
    }
  });
}
