import { copyFamily } from './family-copy.js';

/** The fixture family with both platforms; the base picks its busybox by the target architecture. */
export function multiPlatformFamily(smokeEdit: (spec: Record<string, unknown>) => void = () => {}): string {
  return copyFamily({
    'images.json': (text) => {
      const family = JSON.parse(text) as { images: Record<string, unknown>[] };
      for (const image of family.images) image.platforms = ['linux/amd64', 'linux/arm64'];
      return JSON.stringify(family);
    },
    'fixture-base/Dockerfile': (text) =>
      text.replace(
        'FROM mesos-pipeline/busybox:static',
        'ARG TARGETARCH\nFROM mesos-pipeline/busybox:static-${TARGETARCH}',
      ),
    'fixture-app/smoke.json': (text) => {
      const spec = JSON.parse(text) as Record<string, unknown>;
      smokeEdit(spec);
      return JSON.stringify(spec);
    },
  });
}
