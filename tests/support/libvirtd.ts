import { execa } from 'execa';
import { pollUntil } from '../../lib/wait/poll.js';

/** Restart libvirtd as this kind of machine runs it (by hand, no systemd), and wait until it answers. */
export async function restartLibvirtd(uri = 'qemu:///system'): Promise<void> {
  const systemd = (await execa('cat', ['/proc/1/comm'])).stdout.trim() === 'systemd';
  if (systemd) {
    await execa('systemctl', ['restart', 'libvirtd']);
  } else {
    await execa('pkill', ['-x', 'libvirtd']);
    await pollUntil('libvirtd to exit', async () => ({ done: (await execa('pgrep', ['-x', 'libvirtd'], { reject: false })).exitCode !== 0, seen: 'still running' }), { timeoutMs: 30_000, intervalMs: 200 });
    await execa('libvirtd', ['-d']);
  }
  await pollUntil('libvirtd to answer', async () => ({ done: (await execa('virsh', ['-c', uri, 'version'], { reject: false })).exitCode === 0, seen: 'not answering' }), { timeoutMs: 60_000, intervalMs: 500 });
}
