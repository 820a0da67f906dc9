/** Built to dist/pglite-template.js and run by scripts/build.mjs: see src/db/pglite-template.ts. */
import { ensurePgliteTemplate, pgliteTemplatePath } from "../db/pglite-template";

if (await ensurePgliteTemplate()) console.log(`Made ${pgliteTemplatePath()}`);
