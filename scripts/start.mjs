#!/usr/bin/env node
/**
 * `npm start`: rebuilds dist/ when a source is newer (scripts/build.mjs), then runs the server in
 * this same process, saving a second node start-up.
 */
import { build, isStale } from "./build.mjs";

if (isStale()) await build();
await import("../dist/main.js");
