// Time from navigation to a usable message list (rows shown, signed in by
// cookie) in headless Chromium; run from tests/web (playwright-core).
// SPDX-License-Identifier: ISC
import { createRequire } from "node:module";

// playwright-core lives in tests/web/node_modules (the run's cwd).
const { chromium } = createRequire(process.cwd() + "/")("playwright-core");

const [port, user, password] = process.argv.slice(2);
const base = "http://127.0.0.1:" + port;
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu"] });
const page = await browser.newPage();
await page.goto(base + "/");
await page.fill("#signin-user", user);
await page.fill("#signin-password", password);
await page.click("#signin-submit");
await page.waitForSelector(".row[data-uid]");
const times = [];
for (let i = 0; i < 5; i++) {
	const t0 = Date.now();
	await page.goto(base + "/");
	await page.waitForSelector(".row[data-uid]");
	times.push(Date.now() - t0);
}
// Jump to the end of the folder: the rows there must come quickly too.
const t1 = Date.now();
await page.evaluate(() => { const l = document.getElementById("list");
    l.scrollTop = l.scrollHeight; });
await page.waitForFunction(() => [...document.querySelectorAll(
    ".row[data-uid]")].some((r) => r.getBoundingClientRect().top > 0 &&
    Number(r.dataset.index) > 100));
const jump = Date.now() - t1;
times.sort((a, b) => a - b);
console.log("time to usable list " + times[2] + " ms (median of 5, min " +
    times[0] + ", max " + times[4] + "); jump to the end " + jump + " ms");
await browser.close();
