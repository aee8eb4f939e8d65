/** The CloudWatch alarms provider: any named alarm in ALARM fails; a name CloudWatch does not know is an error. */
import { DescribeAlarmsCommand, type CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { ActionError } from '../errors.js';
import type { Measurement } from './judge.js';

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
      for (const alarm of [...(response.MetricAlarms ?? []), ...(response.CompositeAlarms ?? [])])
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

/** One read of the alarms, judged: ALARM fails, OK passes, INSUFFICIENT_DATA alone says nothing. */
export async function measureAlarms(
  cloudwatch: CloudWatchClient,
  names: string[],
): Promise<Measurement & { inAlarm: string[] }> {
  const states = await readAlarmStates(cloudwatch, names);
  const inAlarm = [...states].filter(([, state]) => state === 'ALARM').map(([name]) => name);
  const known = [...states].filter(([, state]) => state !== 'INSUFFICIENT_DATA').length;
  if (inAlarm.length > 0)
    return {
      signal: 'alarms',
      verdict: 'fail',
      evidence: known,
      reason: `alarm ${inAlarm.join(', ')} in ALARM`,
      inAlarm,
    };
  if (known === 0)
    return {
      signal: 'alarms',
      verdict: 'inconclusive',
      evidence: 0,
      reason: `alarm ${names.join(', ')} without data`,
      inAlarm,
    };
  return { signal: 'alarms', verdict: 'pass', evidence: known, reason: `${known} alarm(s) OK`, inAlarm };
}
