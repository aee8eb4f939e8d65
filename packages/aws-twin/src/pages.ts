/** Pagination as AWS does it: an opaque token for where the next page starts, and per-API page sizes. */
import { AwsError } from './errors.js';

export interface PageRequest {
  /** The token the previous page returned (nextToken, NextToken, Marker). */
  token?: unknown;
  /** The page size the caller asked for (maxResults, MaxRecords, PageSize). */
  size?: unknown;
}

export interface PageLimits {
  defaultSize: number;
  maxSize: number;
  /** The code AWS answers a bad token with (InvalidParameterException, InvalidNextToken, …). */
  badTokenCode: string;
}

/** A scenario may force every page to be this small, to test that callers follow tokens. */
export class Pager {
  constructor(private readonly forcedSize?: number) {}

  page<T>(items: T[], request: PageRequest, limits: PageLimits): { items: T[]; nextToken?: string } {
    let start = 0;
    if (request.token !== undefined && request.token !== '') {
      const decoded = /^page:(\d+)$/.exec(Buffer.from(String(request.token), 'base64').toString('utf8'));
      if (!decoded) throw new AwsError(limits.badTokenCode, 'The pagination token is invalid.');
      start = Number(decoded[1]);
    }
    const asked =
      request.size === undefined || request.size === '' ? limits.defaultSize : Number(request.size);
    if (!Number.isInteger(asked) || asked < 1 || asked > limits.maxSize)
      throw new AwsError(
        limits.badTokenCode === 'InvalidNextToken' ? 'InvalidParameterValue' : limits.badTokenCode,
        `The page size must be between 1 and ${limits.maxSize}; got ${String(request.size)}.`,
      );
    const size = Math.min(asked, this.forcedSize ?? asked);
    const end = start + size;
    return {
      items: items.slice(start, end),
      ...(end < items.length ? { nextToken: Buffer.from(`page:${end}`).toString('base64') } : {}),
    };
  }
}
