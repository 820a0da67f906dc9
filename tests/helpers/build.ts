/** Vitest global set-up: builds dist/ once, so server processes run what `npm start` runs. */
import { execFileSync } from "node:child_process";
import path from "node:path";

export function setup(): void {
  const root = path.resolve(import.meta.dirname, "../..");
  execFileSync(process.execPath, ["scripts/build.mjs"], { cwd: root, stdio: "inherit" });
}
