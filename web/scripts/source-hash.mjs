// Computes the SHA-256 "source hash" of everything that goes into web/dist, and
// writes it to dist/.source-hash (--write) or checks that the committed dist is
// up to date (--check, the default). Standard library only, so CI can run it
// without installing node_modules:
//
//   node scripts/source-hash.mjs --check   # exit 1 when dist is stale
//   node scripts/source-hash.mjs --write   # run by `npm run build`
//   node scripts/source-hash.mjs --print   # print the hash of the sources
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync, writeFileSync, existsSync, statSync } from 'node:fs'
import { join, relative, sep, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')

// Inputs of the build, relative to web/. Directories are walked recursively.
export const INPUTS = [
  'src',
  'public',
  'index.html',
  'vite.config.ts',
  'tsconfig.json',
  'package.json',
  'package-lock.json',
]

function walk(abs, out) {
  const st = statSync(abs)
  if (st.isDirectory()) {
    for (const name of readdirSync(abs)) {
      if (name === '.DS_Store') continue
      walk(join(abs, name), out)
    }
  } else if (st.isFile()) {
    out.push(abs)
  }
}

export function sourceHash() {
  const files = []
  for (const input of INPUTS) {
    const abs = join(root, input)
    if (existsSync(abs)) walk(abs, files)
  }
  const rels = files.map((f) => relative(root, f).split(sep).join('/')).sort()
  const h = createHash('sha256')
  for (const rel of rels) {
    // Normalise line endings so a checkout with autocrlf hashes the same.
    const data = readFileSync(join(root, rel)).toString('latin1').replace(/\r\n/g, '\n')
    h.update(rel)
    h.update('\0')
    h.update(String(Buffer.byteLength(data, 'latin1')))
    h.update('\0')
    h.update(data, 'latin1')
    h.update('\0')
  }
  return h.digest('hex')
}

export const hashFile = join(root, 'dist', '.source-hash')

export function write() {
  const want = sourceHash()
  writeFileSync(hashFile, want + '\n')
  console.log(`wrote dist/.source-hash ${want}`)
  return 0
}

export function check() {
  const want = sourceHash()
  if (!existsSync(hashFile)) {
    console.error('web/dist/.source-hash is missing: run `npm run build` in web/ and commit web/dist')
    return 1
  }
  const have = readFileSync(hashFile, 'utf8').trim()
  if (have !== want) {
    console.error(
      `web/dist is stale: built from ${have.slice(0, 12)}, sources are ${want.slice(0, 12)}.\n` +
        'Run `npm ci && npm run build` in web/ and commit web/dist.',
    )
    return 1
  }
  console.log(`web/dist is up to date (${want.slice(0, 12)})`)
  return 0
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const mode = process.argv[2] || '--check'
  if (mode === '--write') process.exit(write())
  else if (mode === '--check') process.exit(check())
  else if (mode === '--print') console.log(sourceHash())
  else {
    console.error(`unknown mode ${mode}; use --check, --write or --print`)
    process.exit(2)
  }
}
