// Fails (exit 1) when web/dist was not built from the current sources.
// Standard library only: `node web/scripts/check-dist.mjs` works without node_modules.
import { check } from './source-hash.mjs'

process.exit(check())
