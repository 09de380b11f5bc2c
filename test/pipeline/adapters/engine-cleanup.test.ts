import type Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { DockerEngineCleanup, childrenFirst } from '../../../pipeline/adapters/engine-cleanup.js';

interface FakeImage {
  Id: string;
  ParentId: string;
  Created: number;
  RepoTags?: string[];
}

/** An engine that refuses, as dockerd does (409), to remove an image another image stands on. */
function engineWith(images: FakeImage[]): { docker: Docker; left: () => string[]; asked: unknown[] } {
  const present = new Map(images.map((image) => [image.Id, image]));
  const asked: unknown[] = [];
  const docker = {
    listImages: (options: unknown) => {
      asked.push(options);
      return Promise.resolve([...present.values()]);
    },
    getImage: (id: string) => ({
      remove: () => {
        if ([...present.values()].some((image) => image.ParentId === id))
          return Promise.reject(
            Object.assign(new Error(`conflict: unable to delete ${id} - image has dependent child images`), {
              statusCode: 409,
            }),
          );
        present.delete(id);
        return Promise.resolve();
      },
    }),
  } as unknown as Docker;
  return { docker, left: () => [...present.keys()], asked };
}

// A classic build's steps: each the parent of the next, all made within one second, listed by the
// engine parent first (its order for ties is arbitrary).
const chain = (length: number, created = 1_796_083_624): FakeImage[] =>
  Array.from({ length }, (_, index) => ({
    Id: `sha256:${String(index).padStart(2, '0')}`,
    ParentId: index === 0 ? 'sha256:base-not-of-this-run' : `sha256:${String(index - 1).padStart(2, '0')}`,
    Created: created,
  }));

describe('childrenFirst', () => {
  it.each([
    ['one second, parent listed first', chain(4)],
    ['one second, shuffled', [chain(4)[2], chain(4)[0], chain(4)[3], chain(4)[1]] as FakeImage[]],
    ['a child whose creation time is older (clock skew)', chain(3).map((image, i) => ({ ...image, Created: 10 - i }))],
  ])('puts every child before its parent: %s', (_name, images) => {
    const order = childrenFirst(images).map((image) => image.Id);
    for (const image of images)
      if (order.includes(image.ParentId)) expect(order.indexOf(image.Id)).toBeLessThan(order.indexOf(image.ParentId));
  });

  it('orders unrelated images newest first', () => {
    const images = [
      { Id: 'a', ParentId: '', Created: 1 },
      { Id: 'b', ParentId: '', Created: 3 },
      { Id: 'c', ParentId: '', Created: 2 },
    ];
    expect(childrenFirst(images).map((image) => image.Id)).toEqual(['b', 'c', 'a']);
  });
});

describe('DockerEngineCleanup.removeRunImages', () => {
  it('removes a whole chain of steps made within one second, none kept', async () => {
    const { docker, left } = engineWith(chain(7));
    const result = await new DockerEngineCleanup(docker, 'unix:///fake.sock').removeRunImages('run-1');
    expect(result.kept).toEqual([]);
    expect(result.removed.map((image) => image.id)).toEqual(
      chain(7)
        .map((image) => image.Id)
        .reverse(),
    );
    expect(left()).toEqual([]);
  });

  // The label name is a contract between versions: `clean --run` of a later release must find
  // what an earlier one left behind.
  it('asks the engine for the images labelled io.mesos-pipeline.run=<run id>, every one', async () => {
    const { docker, asked } = engineWith([]);
    await new DockerEngineCleanup(docker, 'unix:///fake.sock').removeRunImages('run-1');
    expect(asked).toEqual([{ all: true, filters: { label: ['io.mesos-pipeline.run=run-1'] } }]);
  });
});
