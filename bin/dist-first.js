// Loaded with `node --require` into every tap test process (package.json "tap"."node-arg").
// In: a require() of one of the project's TypeScript files. Out: the compiled JavaScript of
// dist/ for it when that is at least as new as the .ts file (`npm ci` builds dist/), else the
// TypeScript loader tap registered (ts-node, transpile only). The module keeps its .ts file name,
// so __dirname, relative paths and stack traces (source maps on) name the source. Transpiling
// the same sources again in each of ~400 test processes took about a third of the CI run.
'use strict';
const Module = require('node:module');
const fs = require('node:fs');
const path = require('node:path');
const { pathToFileURL } = require('node:url');
const { Buffer } = require('node:buffer');

const ROOT = path.join(__dirname, '..');
const DIST = path.join(ROOT, 'dist');

/** The fresh compiled file for `tsFile`, or undefined. */
function compiledFor(tsFile) {
  if (!tsFile.startsWith(ROOT + path.sep) || tsFile.startsWith(DIST + path.sep)) return undefined;
  if (tsFile.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
  const js = path.join(DIST, path.relative(ROOT, tsFile)).replace(/\.ts$/, '.js');
  try {
    if (fs.statSync(js).mtimeMs >= fs.statSync(tsFile).mtimeMs) return js;
  } catch {
    // Not compiled: the TypeScript loader takes it.
  }
  return undefined;
}

/**
 * The compiled code with its source map inlined (a data: URL whose sources are absolute file
 * URLs): Node caches it under the .ts file name, so tap and stack traces show .ts lines.
 */
function withInlineMap(code, js) {
  let map;
  try {
    map = JSON.parse(fs.readFileSync(`${js}.map`, 'utf8'));
  } catch {
    return code;
  }
  const dir = path.dirname(js);
  map.sources = (map.sources ?? []).map(
    (s) => pathToFileURL(path.resolve(dir, map.sourceRoot ?? '', s)).href,
  );
  map.sourceRoot = '';
  const inline = Buffer.from(JSON.stringify(map)).toString('base64');
  return code.replace(
    /^\/\/# sourceMappingURL=.*$/m,
    `//# sourceMappingURL=data:application/json;charset=utf-8;base64,${inline}`,
  );
}

function distFirst(fallback) {
  return function loadTs(module, filename) {
    const js = compiledFor(filename);
    if (js === undefined) return fallback(module, filename);
    module._compile(withInlineMap(fs.readFileSync(js, 'utf8'), js), filename);
  };
}

if (typeof process.setSourceMapsEnabled === 'function') process.setSourceMapsEnabled(true);

// Whatever loader registers .ts (before or after this file), dist/ is tried first. Not in
// worker threads (the fuzz workers): they register ts-node themselves, and a stack formatted
// there through ts-node's source-map support and this file's inline maps did not parse.
let current = Module._extensions['.ts'];
if (require('node:worker_threads').isMainThread) {
  Object.defineProperty(Module._extensions, '.ts', {
    configurable: true,
    enumerable: true,
    get() {
      return current === undefined ? undefined : distFirst(current);
    },
    set(handler) {
      current = handler;
    },
  });
}
