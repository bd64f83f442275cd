// Defect writes-in-place (FAULT-007): the relay writes each dropped file straight under its final
// name (open, write, close) instead of a temporary name that is fsynced and then linked: a write
// that fails half-way (a full disk) leaves a truncated or empty file where the back office
// picks files up. Everything else (the name, the errors and their settlement) is the relay's own.
'use strict';
const { Buffer } = require('node:buffer');
const { createHash } = require('node:crypto');
const { mkdir, writeFile } = require('node:fs/promises');
const { join } = require('node:path');
const { Readable } = require('node:stream');
const { relayModule } = require('../defect-kit.js');

/** The relay's own RelayFileDropError class, captured when its module loads (before drop's). */
let FileDropError;

async function bytesOf(body) {
  if (!(body instanceof Readable)) return Buffer.from(body);
  const parts = [];
  for await (const chunk of body) parts.push(Buffer.from(chunk));
  return Buffer.concat(parts);
}

module.exports = {
  description:
    'the relay writes each dropped file in place under its final name (no temporary name, no fsync and link), so a full disk leaves half-written files',
  patches: [
    {
      module: relayModule('work/filedrop/errors'),
      patch(exports) {
        FileDropError = exports.RelayFileDropError;
      },
    },
    {
      module: relayModule('work/filedrop/drop'),
      patch(exports) {
        const create = exports.createFileDrop;
        exports.createFileDrop = (input, deps) => {
          const real = create(input, deps);
          const { config } = real;
          const drop = async (given) => {
            const formType = given.formType;
            const folder = Object.hasOwn(config.folders, formType)
              ? config.folders[formType]
              : undefined;
            // Unknown form types and bad keys: the relay's own refusals.
            if (folder === undefined) return real.drop(given);
            const name = exports.fileDropName(formType, given.key);
            const path = join(folder, name);
            const body = await bytesOf(given.body);
            try {
              await mkdir(folder, { recursive: true });
              await writeFile(path, body, { mode: config.fileMode });
            } catch (e) {
              const errno = typeof e?.code === 'string' ? e.code : 'unknown';
              throw new FileDropError(
                'RELAY_E_FILEDROP_IO',
                `the file drop for ${formType} could not write the file (${errno})`,
                { errno, step: 'write the file', formType },
              );
            }
            return Object.freeze({
              formType,
              folder,
              name,
              path,
              size: body.length,
              sha256: createHash('sha256').update(body).digest('hex'),
              replayed: false,
              findings: Object.freeze([]),
              scan: 'off',
            });
          };
          return Object.freeze({ config, drop, sweep: real.sweep });
        };
      },
    },
  ],
};
