/** The one read-back after a conditional write whose answer may be lost (src/aws/conditional.ts). */

import { ConditionalCheckFailedException, InternalServerError } from '@aws-sdk/client-dynamodb';
import { type Holder, writtenOrReadBack } from '../../src/aws/conditional';

const conditionFailed = () =>
  Promise.reject(
    new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }),
  );
const lost = () => Promise.reject(new InternalServerError({ message: 'answer lost', $metadata: {} }));

/** A read-back that answers `holder` and counts its calls. */
function reader(holder: Holder | Error) {
  const calls: number[] = [];
  const read = async () => {
    calls.push(1);
    if (holder instanceof Error) throw holder;
    return holder;
  };
  return { read, calls };
}

describe('writtenOrReadBack', () => {
  it('is true for a write that holds, without reading', async () => {
    const r = reader('another');
    await expect(writtenOrReadBack('PutItem (t)', async () => ({}), r.read)).resolves.toBe(true);
    expect(r.calls).toHaveLength(0);
  });

  it.each([
    ['this', true],
    ['another', false],
    ['none', false],
  ] as const)('reads back a failed condition: the item %s -> %s', async (holder, expected) => {
    await expect(writtenOrReadBack('PutItem (t)', conditionFailed, reader(holder).read)).resolves.toBe(
      expected,
    );
  });

  it("takes a failed condition as another writer's when asked not to read", async () => {
    const r = reader('this');
    await expect(writtenOrReadBack('PutItem (t)', conditionFailed, r.read, 'false')).resolves.toBe(false);
    expect(r.calls).toHaveLength(0);
  });

  it.each([
    ['this', true],
    ['another', false],
  ] as const)(
    'reads back a lost answer, even when asked not to read a failed condition: %s -> %s',
    async (holder, expected) => {
      await expect(writtenOrReadBack('PutItem (t)', lost, reader(holder).read, 'false')).resolves.toBe(
        expected,
      );
    },
  );

  it("throws the write's sorted error when the read finds no item, or fails too", async () => {
    for (const holder of ['none', new Error('read failed')] as const) {
      await expect(writtenOrReadBack('PutItem (t)', lost, reader(holder).read)).rejects.toMatchObject({
        name: 'AwsCallError',
        awsErrorName: 'InternalServerError',
        retryable: true,
      });
    }
  });
});
