// The cluster after the failed node's return: both instances run, the survivor keeps the
// promotion (resource-stickiness), the file system stays where it is.
import { crmIds } from './crm-config.js';
import { cloneRunningOn, type CrmStatus } from './crm-mon.js';
import { servesOn } from './failover.js';

export function settledWith(s: CrmStatus, resource: string, promoted: string, returned: string): boolean {
  const running = cloneRunningOn(s, crmIds(resource).promotable);
  const online = (n: string) => s.nodes.some((x) => x.name === n && x.online && !x.unclean);
  return (
    s.quorate &&
    online(promoted) &&
    online(returned) &&
    servesOn(s, resource, promoted) &&
    running.length === 2 &&
    running.some((r) => r.node === returned && r.role === 'Unpromoted')
  );
}
