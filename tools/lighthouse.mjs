// make audit's Lighthouse runs, in one process and one chromium: loading
// Lighthouse and starting a browser took about half of each run's time.
//
//   CHROME_PATH=/usr/bin/chromium node tools/lighthouse.mjs JOBS.json
//
// JOBS.json (written by tools/audit.py): {chromeFlags, categories, jobs},
// each job {url, output, skipAudits}. The runs go one after another (two
// Lighthouse runs in one process must not overlap); each report is written,
// as JSON, to its job's output. chromium is started as Lighthouse's own
// command line starts it, through chrome-launcher, which Lighthouse ships
// with (package-lock.json pins it).
import {readFile, writeFile} from 'node:fs/promises';

import * as ChromeLauncher from 'chrome-launcher';
import lighthouse from 'lighthouse';

const plan = JSON.parse(await readFile(process.argv[2], 'utf8'));
const chrome = await ChromeLauncher.launch({chromeFlags: plan.chromeFlags, logLevel: 'error'});
let failed = false;
try {
  for (const job of plan.jobs) {
    try {
      const result = await lighthouse(job.url, {
        port: chrome.port,
        output: 'json',
        logLevel: 'error',
        onlyCategories: plan.categories,
        skipAudits: job.skipAudits,
        formFactor: 'mobile',
        // The picture of the whole page only illustrates a report.
        disableFullPageScreenshot: true,
      });
      await writeFile(job.output, result.report);
    } catch (error) {
      console.error(`${job.url}: ${error.message}`);
      failed = true;
    }
  }
} finally {
  chrome.kill();
}
process.exit(failed ? 1 : 0);
