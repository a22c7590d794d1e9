import { z } from 'zod';
import { PROFILE_NAMES } from '../image/profile-names.js';

const ipv4 = z
  .string()
  .regex(/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/, 'expected an IPv4 address like 10.255.255.101')
  .refine((s) => s.split('.').every((o) => Number(o) <= 255), 'octets must be 0-255');

const cidr = z
  .string()
  .regex(/^(\d{1,3}\.){3}\d{1,3}\/(\d|[12]\d|3[0-2])$/, 'expected a CIDR like 10.255.255.0/24');

const nodeSchema = z.strictObject({
  name: z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,30}$/, 'expected a hostname: lower-case letters, digits and dashes, starting with a letter'),
  // Fixed id -> MAC -> IP, as LINBIT's virter does.
  id: z.number().int().min(1, 'ids start at 1').max(250, 'ids end at 250'),
  replicationIp: ipv4,
});

export const labSchema = z
  .strictObject({
    profile: z.enum(PROFILE_NAMES).optional(),
    libvirtUri: z.string().regex(/^[a-z+]+:\/\//, 'expected a libvirt URI like qemu:///system').default('qemu:///system'),
    memoryMiB: z.number().int().min(256, 'DRBD guests need at least 256 MiB').max(16384),
    cpus: z.number().int().min(1).max(8),
    dataDiskGiB: z.number().min(1, 'the data disk must hold the drbdpool VG: at least 1 GiB').max(100),
    replicationNetwork: cidr,
    nodes: z.array(nodeSchema).min(2, 'a DRBD lab needs at least two nodes').max(9),
  })
  .superRefine((lab, ctx) => {
    const seen = new Map<string, number>();
    lab.nodes.forEach((n, i) => {
      for (const [key, value] of [
        ['name', n.name],
        ['id', String(n.id)],
        ['replicationIp', n.replicationIp],
      ] as const) {
        const k = `${key}=${value}`;
        if (seen.has(k)) {
          ctx.addIssue({ code: 'custom', path: ['nodes', i, key], message: `duplicate ${key} ${value} (also nodes.${seen.get(k)}): every node needs its own` });
        } else seen.set(k, i);
      }
      if (!inCidr(n.replicationIp, lab.replicationNetwork)) {
        ctx.addIssue({
          code: 'custom',
          path: ['nodes', i, 'replicationIp'],
          message: `${n.replicationIp} is outside replicationNetwork ${lab.replicationNetwork}: pick an address inside it`,
        });
      }
    });
  });

export type LabConfig = z.infer<typeof labSchema>;

function ipToInt(ip: string): number {
  return ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
}

export function inCidr(ip: string, cidrText: string): boolean {
  const [base, bitsText] = cidrText.split('/');
  const bits = Number(bitsText);
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return ((ipToInt(ip) & mask) >>> 0) === ((ipToInt(base!) & mask) >>> 0);
}

export function prefixLength(cidrText: string): number {
  return Number(cidrText.split('/')[1]);
}
