/** ECS reads that more than one action needs. */
import { DescribeServicesCommand, type ECSClient, type Service } from '@aws-sdk/client-ecs';
import { ActionError } from './errors.js';
import type { Color } from './traffic.js';

export interface ColorServices {
  blue: Service;
  green: Service;
}

export async function describeColorServices(
  ecs: ECSClient,
  cluster: string,
  names: Record<Color, string>,
): Promise<ColorServices> {
  const response = await ecs.send(
    new DescribeServicesCommand({ cluster, services: [names.blue, names.green] }),
  );
  const find = (name: string) =>
    response.services?.find((service) => service.serviceName === name && service.status === 'ACTIVE');
  const missing = [names.blue, names.green].filter((name) => !find(name));
  if (missing.length > 0)
    throw new ActionError(
      `ECS cluster ${cluster} has no active service named ${missing.join(' or ')}; check service, blue-service and green-service`,
    );
  for (const name of [names.blue, names.green]) {
    if (!find(name)!.loadBalancers?.[0]?.targetGroupArn)
      throw new ActionError(
        `Service ${name} is not attached to a target group; blue/green needs one per colour`,
      );
  }
  return { blue: find(names.blue)!, green: find(names.green)! };
}
