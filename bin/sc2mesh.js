#!/usr/bin/env node
// The package's `sc2mesh` bin. Node ≥ 24 runs the TypeScript sources directly (type
// stripping); a packed copy ships the esbuild bundle in dist/ instead, because Node
// does not strip types under node_modules. For a service (systemd, a container), start
// this file, or `npx sc2mesh`, rather than `npm run`: then SIGTERM reaches sc2mesh itself.
import { existsSync } from 'node:fs';

const bundle = new URL('../dist/sc2mesh.js', import.meta.url);
const entry = existsSync(bundle) ? bundle : new URL('../lib/cli/main.ts', import.meta.url);
const { main, quietOnClosedStdout } = await import(entry.href);
quietOnClosedStdout?.();
process.exitCode = await main(process.argv.slice(2));
