// The Swagger UI example in a real headless Chromium (Debian's, driven by puppeteer-core):
// load the page the FastAPI example serves, enter the key id and secret in the Authorize
// dialog, "Try it out" a POST with a JSON body signed in the browser by the WebAssembly
// core, and see the verifier's answer: 200 with the right secret, 403 bad_signature with a
// wrong one, 401 before authorizing. Screenshots go to HMACSIG_SCREENSHOT_DIR.
//
// Environment (set by xtask, tests/e2e/README.md): HMACSIG_SWAGGER_URL (the app, no trailing
// slash), HMACSIG_E2E_KEY_ID, HMACSIG_E2E_SECRET, HMACSIG_CHROMIUM, HMACSIG_SCREENSHOT_DIR.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import puppeteer from "puppeteer-core";

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`set ${name} (tests/e2e/README.md)`);
  return value;
}

const base = required("HMACSIG_SWAGGER_URL");
const keyId = required("HMACSIG_E2E_KEY_ID");
const secret = required("HMACSIG_E2E_SECRET");
const shots = required("HMACSIG_SCREENSHOT_DIR");
const POST = "#operations-default-create_order_orders_post";

let browser;
let page;
const consoleErrors = [];

before(async () => {
  mkdirSync(shots, { recursive: true });
  browser = await puppeteer.launch({
    executablePath: required("HMACSIG_CHROMIUM"),
    headless: true,
    // Root in a container: no user namespaces for Chromium's sandbox.
    args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
  });
  page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 1400 });
  page.on("console", (m) => m.type() === "error" && consoleErrors.push(m.text()));
  page.on("pageerror", (e) => consoleErrors.push(String(e)));
  await page.goto(`${base}/swagger/`, { waitUntil: "networkidle0" });
  await page.waitForSelector(`${POST} .opblock-summary`);
});

after(async () => {
  await browser?.close();
});

async function authorize(password) {
  await page.click("button.btn.authorize");
  await page.waitForSelector(".modal-ux");
  const logout = await page.$$eval(".modal-ux button.btn.modal-btn.auth", (bs) => bs.map((b) => b.textContent.trim()));
  if (logout.includes("Logout")) {
    await page.evaluate(() => [...document.querySelectorAll(".modal-ux button")].find((b) => b.textContent.trim() === "Logout").click());
  }
  await page.waitForSelector('.modal-ux input[name="username"]');
  await page.type('.modal-ux input[name="username"]', keyId);
  await page.type('.modal-ux input[name="password"]', password);
  await page.evaluate(() => [...document.querySelectorAll(".modal-ux button")].find((b) => b.textContent.trim() === "Authorize").click());
  await page.waitForFunction(() => [...document.querySelectorAll(".modal-ux button")].some((b) => b.textContent.trim() === "Logout"));
  await page.click(".modal-ux button.btn-done");
  await page.waitForSelector(".modal-ux", { hidden: true });
}

async function logout() {
  await page.click("button.btn.authorize");
  await page.waitForSelector(".modal-ux");
  await page.evaluate(() => [...document.querySelectorAll(".modal-ux button")].find((b) => b.textContent.trim() === "Logout").click());
  await page.click(".modal-ux button.btn-done");
  await page.waitForSelector(".modal-ux", { hidden: true });
}

let opened = false;
/** "Try it out" on POST /orders with `order` as the body; the answer's status and body text. */
async function execute(order) {
  if (!opened) {
    await page.click(`${POST} .opblock-summary`);
    await page.waitForSelector(`${POST} button.try-out__btn`);
    await page.click(`${POST} button.try-out__btn`);
    opened = true;
  }
  const textarea = `${POST} textarea.body-param__text`;
  await page.waitForSelector(textarea);
  await page.$eval(textarea, (t) => {
    t.value = "";
  });
  await page.type(textarea, JSON.stringify(order));
  // What the browser sent and got (the network), then what Swagger UI shows for it.
  const sent = page.waitForResponse((r) => new URL(r.url()).pathname === "/orders" && r.request().method() === "POST");
  await page.click(`${POST} button.execute`);
  const response = await sent;
  const status = response.status();
  const body = await response.text();
  await page.waitForFunction(
    // An undocumented status shows as "401Undocumented": compare the number it starts with.
    (sel, status) => parseInt(document.querySelector(`${sel} .live-responses-table .response .response-col_status`)?.textContent ?? "", 10) === status,
    { timeout: 30_000 },
    POST,
    status,
  );
  return { status, body, headers: response.request().headers() };
}

test("before the dialog is filled, a request goes out unsigned: 401", async () => {
  const answer = await execute({ item: "unsigned-book", qty: 1 });
  assert.equal(answer.status, 401);
  assert.match(answer.body, /^missing_authorization: /);
});

test("with the key id and secret, Try it out is signed in the browser: 200", async () => {
  await authorize(secret);
  const answer = await execute({ item: "signed-book", qty: 2 });
  assert.equal(answer.status, 200, answer.body);
  const json = JSON.parse(answer.body);
  assert.deepEqual(json, { key_id: keyId, order: { item: "signed-book", qty: 2 } });
  // The request as sent: signed, and no Basic header carrying the secret.
  assert.match(answer.headers["x-request-signature"], /^[A-Za-z0-9+/]+=*$/);
  assert.match(answer.headers["x-request-timestamp"], /^\d+$/);
  assert.equal(answer.headers.authorization, undefined);
  assert.ok(!JSON.stringify(answer.headers).includes(secret));
  // Swagger UI shows the answer it got.
  const shown = await page.$eval(`${POST} .live-responses-table .response .response-col_description`, (c) => c.textContent);
  assert.ok(shown.includes('"key_id": "' + keyId + '"') || shown.includes(`"key_id":"${keyId}"`), shown);
  await page.screenshot({ path: join(shots, "swagger-ui-200.png"), fullPage: true });
});

test("with a wrong secret: 403 bad_signature", async () => {
  await logout();
  await authorize(`${secret}-wrong`);
  const answer = await execute({ item: "wrong-secret-book", qty: 3 });
  assert.equal(answer.status, 403, answer.body);
  assert.match(answer.body, /^bad_signature: /);
  await page.screenshot({ path: join(shots, "swagger-ui-403.png"), fullPage: true });
});

test("signingFetch in the page (the browser's fetch): 200 signed, 403 with a wrong secret", async () => {
  const answers = await page.evaluate(
    async (keyId, secret) => {
      const { Scheme, Signer } = await import("./hmacsig/index.js");
      const { signingFetch } = await import("./hmacsig/http.js");
      const send = async (secret) => {
        const fetch = signingFetch(new Signer(new Scheme({ name: "timestamped" }), keyId, secret));
        const r = await fetch("/orders?from=page", { method: "POST", headers: { "Content-Type": "application/json" }, body: '{"item":"page-book"}' });
        return { status: r.status, body: await r.text() };
      };
      return [await send(secret), await send(`${secret}-wrong`)];
    },
    keyId,
    secret,
  );
  assert.equal(answers[0].status, 200, answers[0].body);
  assert.deepEqual(JSON.parse(answers[0].body), { key_id: keyId, order: { item: "page-book" } });
  assert.equal(answers[1].status, 403);
  assert.match(answers[1].body, /^bad_signature: /);
});

test("the page logged no error", () => {
  // Swagger UI logs a failed fetch (401/403 are answers, not errors) as nothing; anything else is a bug.
  assert.deepEqual(consoleErrors.filter((e) => !/status of 40[13]/.test(e)), []);
});
