// The ubuntu1804-drbd9 recordings are what scripts/make-drbdmanage-recordings.ts builds from the
// captures, and every output they call captured is the capture's, byte for byte (the join secret
// redacted): a recording edited by hand, or captures changed without a rebuild, fail here.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { captureId, parseCaptureFile, type CapturedCommand } from '../../lib/drbd/drbdmanage-capture.js';
import { parseRecording } from '../../lib/scenario/recording.js';
import { buildRecordings, CAPTURES_DIR, OUT_DIR, recordingText } from '../../scripts/make-drbdmanage-recordings.js';

const built = buildRecordings();

const captures = new Map<string, CapturedCommand>();
for (const f of ['p1-versions-prep', 'p2-cluster-setup', 'p3-reboot', 'p4-hostname-pitfall', 'p5-errors'].flatMap((p) => ['drbd1', 'drbd2', 'drbd3'].map((n) => `${p}__${n}.jsonl`))) {
  let text: string;
  try {
    text = readFileSync(join(CAPTURES_DIR, f), 'utf8');
  } catch {
    continue;
  }
  for (const c of parseCaptureFile(f, text)) captures.set(captureId(c), c);
}

describe('the captured recordings', () => {
  it('are the four the generator builds', () => {
    expect([...built.keys()].sort()).toEqual(['hostname', 'reboot', 'services', 'walkthrough'].map((s) => `${s}.ubuntu1804-drbd9.json`));
  });

  for (const [name, recording] of built) {
    it(`${name}: the committed file is what the captures give (npx tsx scripts/make-drbdmanage-recordings.ts)`, () => {
      const committed = readFileSync(join(OUT_DIR, name), 'utf8');
      expect(committed).toBe(recordingText(recording));
      expect(parseRecording(name, committed).evidence).toBe('captured');
    });

    it(`${name}: every output the committed file calls captured is its capture's, and no output is without provenance`, () => {
      const committed = parseRecording(name, readFileSync(join(OUT_DIR, name), 'utf8'));
      const secret = 'onQKl0E7Are0nyz993lO'; // the captured cluster's join secret, from its add-node output
      for (const r of committed.commands) {
        expect(r.provenance, `#${r.seq} ${r.command}`).toBeDefined();
        if (r.provenance!.kind !== 'captured' || r.command === '#reboot') continue;
        const id = /^(\S+\.jsonl:\d+)/u.exec(r.provenance!.from)?.[1];
        const c = captures.get(id ?? '');
        expect(c, `#${r.seq}: capture ${id}`).toBeDefined();
        if (r.command === 'hostname' && c!.cmd !== 'hostname') {
          expect(r.stdout).toBe(`${c!.hostname}\n`);
          continue;
        }
        const redact = (t: string) => t.split(secret).join('<redacted>');
        expect([r.node, r.stdout, r.stderr, r.exitCode, r.durationMs, r.startedAt], `#${r.seq} ${r.command} from ${id}`).toEqual([
          c!.node, redact(c!.stdout), redact(c!.stderr), c!.exit, c!.durationMs, new Date(c!.tStart).toISOString(),
        ]);
        expect(JSON.stringify(r)).not.toContain(secret);
      }
    });
  }
});
