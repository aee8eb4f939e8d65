/**
 * The fast signals the deploy's step gates watch through a bake: CloudWatch alarm states and an
 * HTTP probe. ALB metrics and their analysis live in signals/.
 */
import { DescribeAlarmsCommand, type CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { ActionError } from './errors.js';

/** States of the named alarms; a name CloudWatch does not know is an error (a typo must not pass). */
export async function readAlarmStates(
  cloudwatch: CloudWatchClient,
  names: string[],
): Promise<Map<string, string>> {
  const states = new Map<string, string>();
  if (names.length === 0) return states;
  for (let index = 0; index < names.length; index += 100) {
    const batch = names.slice(index, index + 100);
    let nextToken: string | undefined;
    do {
      const response = await cloudwatch.send(
        new DescribeAlarmsCommand({ AlarmNames: batch, MaxRecords: 100, NextToken: nextToken }),
      );
      for (const alarm of response.MetricAlarms ?? [])
        states.set(alarm.AlarmName!, alarm.StateValue ?? 'INSUFFICIENT_DATA');
      for (const alarm of response.CompositeAlarms ?? [])
        states.set(alarm.AlarmName!, alarm.StateValue ?? 'INSUFFICIENT_DATA');
      nextToken = response.NextToken;
    } while (nextToken);
  }
  const unknown = names.filter((name) => !states.has(name));
  if (unknown.length > 0)
    throw new ActionError(
      `CloudWatch has no alarm named ${unknown.map((name) => `'${name}'`).join(', ')}; check the alarms input`,
    );
  return states;
}

export interface ProbeResult {
  ok: boolean;
  status?: number;
  ms: number;
  error?: string;
}

/** One HTTP GET; 2xx and 3xx pass. Bounded by `timeoutMs`; never rejects. */
export function probe(url: string, timeoutMs: number): Promise<ProbeResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  return new Promise((resolve) => {
    const send = url.startsWith('https:') ? httpsRequest : httpRequest;
    const request = send(
      url,
      { method: 'GET', timeout: timeoutMs, headers: { 'user-agent': 'mpac-actions-probe' } },
      (response) => {
        response.resume();
        response.on('end', () => {
          const status = response.statusCode ?? 0;
          resolve({ ok: status >= 200 && status < 400, status, ms: elapsed() });
        });
      },
    );
    request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    request.on('error', (error) => resolve({ ok: false, ms: elapsed(), error: error.message }));
    request.end();
  });
}
