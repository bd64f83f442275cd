// FAULT-007: the file share fills up (ENOSPC), turns read-only (EROFS), then is writable again
// (fixtures/scenarios/file-share-full.yaml). In: the scenario's fast variant at its highest
// speed; root (the share is a small tmpfs mounted over the shares folder). Out: every
// expectation held by the reference relay, and failed by a relay that writes files in place
// (a full disk leaves half-written files under their final names).
import { kase } from '../lib/case';
import { proveScenario } from './lib/prove';
import { canMount } from './lib/share';

void kase(
  'FAULT-007',
  (t) =>
    proveScenario(t, 'file-share-full', {
      defect: 'writes-in-place',
      catches: ['effects'],
    }),
  canMount()
    ? {}
    : {
        skip: 'file-share-full needs root (it mounts a small file system for the share)',
      },
);
