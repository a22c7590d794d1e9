// r0 as the drbdadm scenarios configure it: an activity log small enough that a crashed
// primary's return is a bitmap-based resync power loss can bound, and part of r0-up's identity.
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { AL_EXTENT_KIB } from '../../lib/drbd/resync-log.js';
import { AL_EXTENTS_MIN } from '../../lib/drbd/res-file.js';
import type { ScenarioLab } from '../../lib/scenario/scenario-lab.js';
import { AL_EXTENTS, LV_SIZE, resFile } from '../../scenarios/steps/drbdadm/cluster.js';
import { R0_UP } from '../../scenarios/steps/drbdadm/start.js';

const lab = { nodes: [1, 2, 3].map((i) => ({ name: `drbd${i}`, replicationIp: `10.255.255.10${i}` })) } as unknown as ScenarioLab;

it("r0.res sets al-extents, and its 4 MiB extents cover well under the 1 GiB device", () => {
  expect(resFile(lab)).toMatch(new RegExp(`\\n  disk \\{\\n(    .*\\n)*    al-extents ${AL_EXTENTS};\\n  \\}`));
  expect(AL_EXTENTS).toBeGreaterThanOrEqual(AL_EXTENTS_MIN);
  expect(LV_SIZE).toBe('1G');
  // 1 GiB less DRBD's internal metadata, as the kernel logs it ("size = 1024 MB (1048508 KB)").
  expect(AL_EXTENTS * AL_EXTENT_KIB).toBeLessThan(1_048_508 / 2);
});

it('r0-up is made again when the rendering of r0.res changes', () => {
  expect(R0_UP.source).toContain(readFileSync(new URL('../../lib/drbd/res-file.ts', import.meta.url), 'utf8'));
  expect(R0_UP.source).toContain(readFileSync(new URL('../../scenarios/steps/drbdadm/cluster.ts', import.meta.url), 'utf8'));
});
