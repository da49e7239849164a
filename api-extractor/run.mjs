// Runs API Extractor on every entry point (one config per entry point, in this folder) against
// the built declarations (dist/lib), after `npm run build`. Without --local (CI, `npm run
// api:check`) it fails when a report in api/ differs from the package's public surface; with
// --local (`npm run api:update`) it rewrites the reports, to be committed with the change.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Extractor, ExtractorConfig } from '@microsoft/api-extractor';

const folder = path.dirname(fileURLToPath(import.meta.url));
const localBuild = process.argv.includes('--local');
const entries = readdirSync(folder).filter(
  (file) => file.endsWith('.json') && file !== 'base.json',
);

const failed = [];
for (const file of entries) {
  const config = ExtractorConfig.loadFileAndPrepare(path.join(folder, file));
  const result = Extractor.invoke(config, { localBuild });
  const changed = result.apiReportChanged ? ' (report changed)' : '';
  console.log(`${file}: ${result.succeeded ? 'ok' : 'FAILED'}${changed}`);
  if (!result.succeeded) failed.push(file);
}
if (failed.length > 0) {
  console.error(
    `API report check failed for ${failed.join(', ')}: run \`npm run build && npm run api:update\` ` +
      'and commit api/ with the change, so the public surface change shows in review',
  );
  process.exitCode = 1;
}
