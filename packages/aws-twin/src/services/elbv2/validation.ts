/**
 * ELBv2 request validation as AWS does it: actions (forward with weights, fixed responses,
 * redirects), rule conditions, targets; each refused with AWS's code and wording.
 */
import { AwsError, validation } from '../../errors.js';
import { queryBoolean, queryList, queryNumber } from '../../protocols.js';
import {
  ElbModel,
  MAX_GROUPS_PER_FORWARD,
  MAX_WEIGHT,
  type Action,
  type Condition,
  type TargetGroup,
} from './model.js';

export class ElbValidation extends ElbModel {
  protected validateActions(raw: Record<string, unknown>[], field: string): Action[] {
    if (raw.length === 0) throw validation(`${field} must contain at least one action`);
    const actions = raw.map((item, index) => this.validateAction(item, index));
    const terminal = actions.filter((action) =>
      ['forward', 'fixed-response', 'redirect'].includes(action.Type),
    );
    if (terminal.length !== 1)
      throw new AwsError(
        'InvalidLoadBalancerAction',
        'Exactly one terminal action (forward, fixed-response, redirect) is required',
      );
    return actions;
  }

  protected validateAction(raw: Record<string, unknown>, index: number): Action {
    const type = String(raw.Type ?? '');
    const order = queryNumber(raw.Order);
    if (order !== undefined && (order < 1 || order > 50000))
      throw validation('Action order must be between 1 and 50000');
    if (type === 'fixed-response') {
      const config = (raw.FixedResponseConfig ?? {}) as Record<string, string>;
      if (!/^[245]\d\d$/.test(String(config.StatusCode ?? '')))
        throw validation('FixedResponseConfig.StatusCode must be a 2XX, 4XX or 5XX code');
      return {
        Type: type,
        Order: order,
        FixedResponseConfig: {
          StatusCode: config.StatusCode!,
          ContentType: config.ContentType,
          MessageBody: config.MessageBody,
        },
      };
    }
    if (type === 'redirect')
      return {
        Type: type,
        Order: order,
        RedirectConfig: (raw.RedirectConfig ?? {}) as Record<string, string>,
      };
    if (type !== 'forward') throw validation(`Action ${index + 1} has an unsupported type '${type}'`);

    const single = raw.TargetGroupArn ? String(raw.TargetGroupArn) : undefined;
    const forward = raw.ForwardConfig as Record<string, unknown> | undefined;
    const listed = queryList<Record<string, unknown>>(forward?.TargetGroups).map((entry) => ({
      TargetGroupArn: String(entry.TargetGroupArn ?? ''),
      Weight: queryNumber(entry.Weight) ?? 1,
    }));
    if (!single && listed.length === 0)
      throw validation('A forward action must specify a target group ARN or a forward config');
    if (single && listed.length > 0 && (listed.length !== 1 || listed[0]!.TargetGroupArn !== single)) {
      throw validation('TargetGroupArn and ForwardConfig must specify the same single target group');
    }
    if (listed.length > MAX_GROUPS_PER_FORWARD) {
      throw new AwsError(
        'TooManyTargetGroups',
        `A forward action can have at most ${MAX_GROUPS_PER_FORWARD} target groups`,
      );
    }
    const seen = new Set<string>();
    for (const target of listed) {
      if (!Number.isInteger(target.Weight) || target.Weight < 0 || target.Weight > MAX_WEIGHT) {
        throw validation(
          `Target group weight must be an integer between 0 and ${MAX_WEIGHT}; got ${target.Weight}`,
        );
      }
      if (seen.has(target.TargetGroupArn))
        throw validation(`Target group '${target.TargetGroupArn}' appears more than once`);
      seen.add(target.TargetGroupArn);
    }
    for (const groupArn of single ? [single, ...seen] : seen) this.requireTargetGroup(groupArn);
    const stickinessRaw = forward?.TargetGroupStickinessConfig as Record<string, unknown> | undefined;
    let stickiness: { Enabled: boolean; DurationSeconds?: number } | undefined;
    if (stickinessRaw) {
      const enabled = queryBoolean(stickinessRaw.Enabled) ?? false;
      const duration = queryNumber(stickinessRaw.DurationSeconds);
      if (enabled && (duration === undefined || duration < 1 || duration > 604800)) {
        throw validation(
          'Stickiness duration must be between 1 and 604800 seconds when stickiness is enabled',
        );
      }
      stickiness = { Enabled: enabled, ...(duration !== undefined ? { DurationSeconds: duration } : {}) };
    }
    const targets = listed.length > 0 ? listed : [{ TargetGroupArn: single!, Weight: 1 }];
    return {
      Type: 'forward',
      Order: order,
      TargetGroupArn: single ?? (targets.length === 1 ? targets[0]!.TargetGroupArn : undefined),
      ForwardConfig: { TargetGroups: targets, TargetGroupStickinessConfig: stickiness ?? { Enabled: false } },
    };
  }

  protected validateConditions(raw: Record<string, unknown>[]): Condition[] {
    if (raw.length === 0) throw validation('A rule must have at least one condition');
    return raw.map((item) => {
      const field = String(item.Field ?? '');
      const values = queryList<string>(item.Values);
      const nested = (key: string) =>
        queryList<string>((item[key] as Record<string, unknown> | undefined)?.Values);
      if (field === 'path-pattern')
        return {
          Field: field,
          Values: values,
          PathPatternConfig: { Values: [...values, ...nested('PathPatternConfig')] },
        };
      if (field === 'host-header')
        return {
          Field: field,
          Values: values,
          HostHeaderConfig: { Values: [...values, ...nested('HostHeaderConfig')] },
        };
      if (field === 'http-header') {
        const config = (item.HttpHeaderConfig ?? {}) as Record<string, unknown>;
        return {
          Field: field,
          HttpHeaderConfig: {
            HttpHeaderName: String(config.HttpHeaderName ?? ''),
            Values: queryList(config.Values),
          },
        };
      }
      throw validation(
        `Condition field '${field}' is not supported by the twin (path-pattern, host-header, http-header)`,
      );
    });
  }

  protected parseTargets(raw: unknown, group: TargetGroup): { id: string; port: number }[] {
    const targets = queryList<Record<string, unknown>>(raw).map((target) => ({
      id: String(target.Id ?? ''),
      port: queryNumber(target.Port) ?? group.port,
    }));
    if (targets.length === 0) throw validation('Targets must contain at least one target');
    for (const target of targets) if (!target.id) throw validation('Every target needs an Id');
    return targets;
  }
}
