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

export function arn(account: Account, service: string, resource: string, global = false): string {
  return `arn:aws:${service}:${global ? '' : account.region}:${account.accountId}:${resource}`;
}
