import { execa } from 'execa';
import type { Accel } from './domain-xml.js';

export interface AccelChoice {
  accel: Accel;
  reason: string;
}

let cached: AccelChoice | undefined;

/**
 * KVM only when it really works: /dev/kvm can exist while nested virtualisation is broken
 * (QEMU then hangs or dies on an MSR assertion). So start a tiny KVM guest and wait for
 * SeaBIOS to say hello on the debug console.
 */
export async function detectAccel(): Promise<AccelChoice> {
  if (cached) return cached;
  const forced = process.env.DRBDLAB_ACCEL;
  if (forced === 'kvm' || forced === 'tcg') return (cached = { accel: forced, reason: 'DRBDLAB_ACCEL' });
  cached = await tryKvm();
  return cached;
}

export async function tryKvm(timeoutMs = 8_000): Promise<AccelChoice> {
  try {
    const child = execa(
      'qemu-system-x86_64',
      ['-accel', 'kvm', '-machine', 'pc', '-m', '32', '-nodefaults', '-display', 'none', '-no-reboot',
       '-chardev', 'stdio,id=bios', '-device', 'isa-debugcon,iobase=0x402,chardev=bios'],
      { timeout: timeoutMs, reject: false, stdin: 'ignore', buffer: true, forceKillAfterDelay: 1_000 },
    );
    let seen = false;
    child.stdout?.on('data', (d: Buffer) => {
      if (d.toString().includes('SeaBIOS')) {
        seen = true;
        child.kill('SIGKILL');
      }
    });
    const r = await child;
    if (seen) return { accel: 'kvm', reason: 'a KVM test guest booted' };
    const why = String(r.stderr ?? '').trim().split('\n')[0] || (r.timedOut ? 'test guest hung' : `qemu exited ${r.exitCode}`);
    return { accel: 'tcg', reason: `KVM unusable (${why})` };
  } catch (err) {
    return { accel: 'tcg', reason: `KVM unusable (${(err as Error).message.split('\n')[0]})` };
  }
}
