/** The traffic-steps input, read without the SDK the rest of traffic.ts needs. */
import { InputError } from './errors.js';

/**
 * Parses traffic steps (percent of traffic on the new colour): whole numbers 1–100, strictly
 * increasing, ending at 100.
 */
export function parseTrafficSteps(input: string, text: string): number[] {
  const example = '5,50,100';
  const parts = text.split(/[\s,]+/).filter((part) => part !== '');
  if (parts.length === 0) throw new InputError(input, 'is empty', example);
  const steps = parts.map((part) => {
    if (!/^\d+$/.test(part))
      throw new InputError(input, `must be whole percentages; '${part}' is not one (got ${text})`, example);
    return Number(part);
  });
  for (let index = 0; index < steps.length; index++) {
    const step = steps[index]!;
    if (step < 1 || step > 100)
      throw new InputError(input, `must be between 1 and 100; got ${step} in ${text}`, example);
    if (index > 0 && step <= steps[index - 1]!)
      throw new InputError(input, `must increase step by step and end at 100; got ${text}`, example);
  }
  if (steps[steps.length - 1] !== 100) throw new InputError(input, `must end at 100; got ${text}`, example);
  return steps;
}
