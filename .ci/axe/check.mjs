// Runs axe-core (WCAG 2.0/2.1 A and AA rules) on each URL in Debian's
// Chromium through puppeteer-core (no browser download) and exits non-zero
// on any violation. Usage: node check.mjs TOKEN URL...
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import puppeteer from 'puppeteer-core';

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const [token, ...urls] = process.argv.slice(2);
if (!token || urls.length === 0) {
  console.error('usage: node check.mjs TOKEN URL...');
  process.exit(2);
}
const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
});
let violations = 0;
try {
  for (const url of urls) {
    const page = await browser.newPage();
    await page.setExtraHTTPHeaders({ Authorization: `Bearer ${token}`, Accept: 'text/html' });
    const response = await page.goto(url, { waitUntil: 'load', timeout: 120000 });
    if (!response || response.status() !== 200) {
      console.error(`${url}: HTTP ${response && response.status()}`);
      violations += 1;
      continue;
    }
    await page.evaluate(axeSource);
    const result = await page.evaluate(() =>
      // eslint-disable-next-line no-undef
      axe.run(document, {
        runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
        resultTypes: ['violations'],
      }),
    );
    for (const v of result.violations) {
      console.error(`${url}\n  ${v.id} (${v.impact}): ${v.help} (${v.helpUrl})`);
      for (const node of v.nodes.slice(0, 5)) {
        console.error(`    ${node.target.join(' ')}: ${node.failureSummary.replace(/\n/g, ' ')}`);
      }
    }
    console.log(`${url}: ${result.violations.length} WCAG 2.1 A/AA violations`);
    violations += result.violations.length;
    await page.close();
  }
} finally {
  await browser.close();
}
process.exit(violations === 0 ? 0 : 1);
