export interface Node {
  name: string;
  base?: string | undefined;
}

/**
 * A topological order of images by `base`: every image after its base, images without a base
 * first, ties kept in the order they were declared. Returns the cycle when there is one.
 */
export function orderImages<T extends Node>(images: readonly T[]): { order: T[] } | { cycle: string[] } {
  const byName = new Map(images.map((image) => [image.name, image]));
  const order: T[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];

  const visit = (image: T): string[] | undefined => {
    const seen = state.get(image.name);
    if (seen === 'done') return undefined;
    if (seen === 'visiting') return [...stack.slice(stack.indexOf(image.name)), image.name];
    state.set(image.name, 'visiting');
    stack.push(image.name);
    const base = image.base === undefined ? undefined : byName.get(image.base);
    if (base) {
      const cycle = visit(base);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(image.name, 'done');
    order.push(image);
    return undefined;
  };

  // Roots first keeps "an image with no base comes first" even when a child is declared earlier.
  for (const image of [...images.filter((i) => !i.base), ...images.filter((i) => i.base)]) {
    const cycle = visit(image);
    if (cycle) return { cycle };
  }
  return { order };
}
