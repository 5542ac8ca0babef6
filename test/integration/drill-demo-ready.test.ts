/**
 * `npm start`'s drill demo: each drill's copy is made ready on its COMPLETED event, as makeReady's
 * deployed rule does, before the validator judges it (the validator waits for the ready record of
 * a type with make-ready steps: RDS and EBS here).
 */

import { drillDemo } from '../../local/start';

it('makes each drill copy ready, then validates it: the RDS drill passes, the EBS drill in state error fails', async () => {
  const lines: string[] = [];
  await drillDemo((line) => lines.push(line));
  expect(lines.filter((l) => l === '    make-ready: ready')).toHaveLength(2);
  expect(lines).toContainEqual(expect.stringMatching(/^ {4}validation: passed after \d+ checks?$/));
  expect(lines).toContainEqual(
    expect.stringMatching(/^ {4}validation: failed \(the volume is in state error\)/),
  );
  expect(lines).toContainEqual(expect.stringMatching(/^ {2}cleanup run: 2 tagged .*, then 1 deleted/));
}, 60_000);
