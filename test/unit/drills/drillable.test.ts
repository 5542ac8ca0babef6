/** A drill is started only for a type whose copy the cleanup can delete. */

import { DRILL_TYPES } from '../../../src/resource-types';
import { typesTheCleanupHandles } from '../../helpers/drill-types';

it('has cleanup steps for every type a drill may restore', async () => {
  const handled = new Set(await typesTheCleanupHandles());
  expect([...DRILL_TYPES].filter((type) => !handled.has(type))).toStrictEqual([]);
});
