#!/usr/bin/env -S bun --no-env-file --config=/dev/null
// Entry of the npm bundle (scripts/build-npm.ts). Without code splitting, Bun's bundler runs a
// lazily imported module's ESM dependencies before its CommonJS ones, so @peculiar/x509 (tsyringe)
// would load before pki.ts's `import "reflect-metadata"`; loading the polyfill here, first, fixes
// the order for every lazy command. The compiled binaries (split chunks) need no such entry, and
// skip its ~0.35 ms: see README, "Where kpm differs from the spec" (§16.1).
import "reflect-metadata";
import "../../apps/kpm/src/main.ts";
