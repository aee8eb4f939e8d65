import { describe, expect, it } from '@jest/globals';
import { otherColor } from '../src/traffic.js';
import { parseTrafficSteps } from '../src/traffic-steps.js';

describe('parseTrafficSteps', () => {
  it('reads the default 5,50,100 and other valid lists', () => {
    expect(parseTrafficSteps('traffic-steps', '5,50,100')).toEqual([5, 50, 100]);
    expect(parseTrafficSteps('traffic-steps', '100')).toEqual([100]);
    expect(parseTrafficSteps('traffic-steps', '10 25 50 100')).toEqual([10, 25, 50, 100]);
  });
  it.each([
    ['50,5,100', /must increase step by step and end at 100; got 50,5,100/],
    ['5,5,100', /must increase/],
    ['5,50', /must end at 100/],
    ['0,100', /between 1 and 100; got 0/],
    ['5,50,150', /between 1 and 100; got 150/],
    ['5,fifty,100', /'fifty' is not one/],
    ['', /empty/],
  ])('rejects %j', (text, problem) => {
    expect(() => parseTrafficSteps('traffic-steps', text)).toThrow(problem);
    expect(() => parseTrafficSteps('traffic-steps', text)).toThrow(/'traffic-steps'/);
  });
});

describe('otherColor', () => {
  it('pairs blue with green', () => {
    expect(otherColor('blue')).toBe('green');
    expect(otherColor('green')).toBe('blue');
  });
});
