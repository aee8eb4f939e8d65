import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';

/** Lower-case hex of the given length, as AWS resource ids look. */
export function hexId(length: number): string {
  return randomBytes(Math.ceil(length / 2))
    .toString('hex')
    .slice(0, length);
}

export function requestId(): string {
  return `${hexId(8)}-${hexId(4)}-${hexId(4)}-${hexId(4)}-${hexId(12)}`;
}

export interface Account {
  accountId: string;
  region: string;
}

/** The region the current request was signed for (its SigV4 credential scope), while it is served. */
export const requestRegion = new AsyncLocalStorage<string>();

/** An ARN in the region of the request being served (the client's region), else the twin's own. */
export function arn(account: Account, service: string, resource: string, global = false): string {
  const region = global ? '' : (requestRegion.getStore() ?? account.region);
  return `arn:aws:${service}:${region}:${account.accountId}:${resource}`;
}
