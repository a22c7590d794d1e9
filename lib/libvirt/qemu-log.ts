import { readFile } from 'node:fs/promises';

/** The last meaningful line of a QEMU log as libvirt writes it (an assertion, a KVM error). Pure. */
function lastMeaningfulLine(text: string): string {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l && !/^(LC_ALL|PATH|HOME|XDG_|USER|LOGNAME|QEMU_AUDIO|-)|char device redirected|shutting down, reason|^\S+=\S*\s*\\$/.test(l));
  return lines.pop()?.replace(/^\d{4}-\d\d-\d\dT[\d:.]+Z\s+/, '') ?? '';
}

/** The last meaningful line QEMU left in libvirt's per-domain log. */
export async function qemuLogTail(domain: string): Promise<string> {
  // No per-domain log (QEMU never ran): nothing to quote, the caller says "no log".
  return lastMeaningfulLine(await readFile(`/var/log/libvirt/qemu/${domain}.log`, 'utf8').catch(() => ''));
}
