// A run plan as the nightly resolves one, for tests of where a plan travels.
import type { RunPlan } from '../../lib/lab/run-plan.js';

export const SAMPLE_RUN_PLAN: RunPlan = {
  profile: 'debian12-drbd84',
  image: {
    profile: 'debian12-drbd84',
    disk: '/cache/images/debian12-drbd84-aaaa/disk.qcow2',
    digest: 'a'.repeat(64),
    dir: '/cache/images/debian12-drbd84-aaaa',
    boot: { kind: 'direct', kernel: '/cache/images/debian12-drbd84-aaaa/vmlinuz', initrd: '/cache/images/debian12-drbd84-aaaa/initrd.img', cmdline: 'root=/dev/vda rw' },
    versions: { 'drbd-utils': '9.22.0-1' },
    built: false,
    upstreams: [{ name: 'http://deb.debian.org/debian bookworm', url: 'http://deb.debian.org/debian/dists/bookworm/InRelease', sha256: 'b'.repeat(64) }],
  },
  accel: { accel: 'kvm', cpu: { model: 'Skylake-Client' }, mode: 'auto', reason: 'a KVM guest booted its kernel', hostVerdict: true },
  snapshot: { dir: '/cache/snapshots/debian12-drbd84-ready-cccc', digest: 'c'.repeat(64), point: 'ready' },
};
