import type {
  BuildRequest,
  Credentials,
  EngineInfo,
  ImageDetails,
  ImageEngine,
  OutputListener,
} from '../../pipeline/ports.js';
import { formatImageRef, type ImageRef } from '../../tags/index.js';
import { imageManifest, sha256, type MemoryRegistry } from './memory-registry.js';

// An ImageEngine for unit tests of orchestration: builds are instant and deterministic (the image
// ID is the digest of its config, as with a real engine), pushes and pulls go to a MemoryRegistry.
// What a real engine does is tested against one in test/itg/; this only has to keep its contract.

interface LocalImage {
  details: ImageDetails;
  config: Buffer;
  layers: Buffer[];
}

export class FakeEngine implements ImageEngine {
  readonly builds: BuildRequest[] = [];
  readonly pushes: string[] = [];
  readonly pulls: string[] = [];
  /** Local tags (full references) to image IDs. */
  readonly refs = new Map<string, string>();
  /** Return the daemon's message to fail a build with. */
  failBuild: ((request: BuildRequest) => string | undefined) | undefined;
  /** Runs inside a build before it finishes: a slow step, or one that waits for the signal. */
  duringBuild: ((request: BuildRequest, signal?: AbortSignal) => Promise<void>) | undefined;
  /** Return an error to fail this attempt to push `ref` (1 for the first). */
  failPush: ((ref: string, attempt: number) => Error | undefined) | undefined;
  private readonly images = new Map<string, LocalImage>();
  private readonly registry: MemoryRegistry;

  constructor(registry: MemoryRegistry) {
    this.registry = registry.engineClient();
  }

  /** Images in the engine now, by ID. */
  imageIds(): string[] {
    return [...this.images.keys()];
  }

  info(): Promise<EngineInfo> {
    return Promise.resolve({
      address: 'fake://engine',
      serverVersion: 'fake',
      cgroupVersion: '1',
      cgroupDriver: 'cgroupfs',
      name: 'fake-host',
      securityOptions: [],
    });
  }

  async build(request: BuildRequest, onOutput: OutputListener, signal?: AbortSignal): Promise<string> {
    signal?.throwIfAborted();
    this.builds.push(request);
    const parent = request.buildArgs.BASE_IMAGE ? this.images.get(request.buildArgs.BASE_IMAGE) : undefined;
    if (request.buildArgs.BASE_IMAGE && !parent)
      throw new Error(`pull access denied for ${request.buildArgs.BASE_IMAGE}, repository does not exist`);
    onOutput(`Step 1/2 : FROM ${request.buildArgs.BASE_IMAGE ?? 'scratch'}`, 'step');
    await this.duringBuild?.(request, signal);
    signal?.throwIfAborted();
    const failure = this.failBuild?.(request);
    if (failure) {
      onOutput(`Step 2/2 : RUN make`, 'step');
      onOutput(failure);
      throw new Error(`The command '/bin/sh -c make' returned a non-zero code: 2: ${failure}`);
    }
    onOutput('Step 2/2 : COPY . /', 'step');
    onOutput(' ---> Running in 0123456789ab');
    const platform = request.platform ?? 'linux/amd64';
    // As the real engine's check (docker-engine.ts): an image of one platform is never built on another's.
    if (parent && (parent.details.platform ?? 'linux/amd64') !== platform)
      throw new Error(`the image built for ${platform} is ${parent.details.platform ?? 'linux/amd64'}`);
    const [os = 'linux', architecture = 'amd64'] = platform.split('/');
    const layer = Buffer.from(
      `layer of ${request.context} with ` +
        `${JSON.stringify(request.buildArgs)}${request.platform ? ` for ${platform}` : ''}`,
    );
    const layers = [...(parent?.layers ?? []), layer];
    const config = Buffer.from(
      JSON.stringify({
        architecture,
        os,
        config: { Labels: request.labels },
        rootfs: { type: 'layers', diff_ids: layers.map((bytes) => sha256(bytes)) },
      }),
    );
    const id = sha256(config);
    this.images.set(id, { details: this.details(id, request.labels, layers, platform), config, layers });
    return id;
  }

  private details(id: string, labels: Record<string, string>, layers: Buffer[], platform: string): ImageDetails {
    return {
      platform,
      id,
      layers: layers.map((bytes) => sha256(bytes)),
      labels,
      env: [],
      entrypoint: null,
      cmd: null,
      exposedPorts: [],
      workdir: '',
      user: '',
      stopSignal: undefined,
      volumes: [],
    };
  }

  private local(idOrRef: string): LocalImage | undefined {
    return this.images.get(this.refs.get(idOrRef) ?? idOrRef);
  }

  inspectImage(idOrRef: string): Promise<ImageDetails | undefined> {
    return Promise.resolve(this.local(idOrRef)?.details);
  }

  tagImage(imageId: string, ref: ImageRef): Promise<void> {
    if (!this.images.has(imageId)) return Promise.reject(new Error(`No such image: ${imageId}`));
    this.refs.set(formatImageRef(ref), imageId);
    return Promise.resolve();
  }

  async push(
    ref: ImageRef,
    _credentials: Credentials | undefined,
    onOutput: OutputListener,
    signal?: AbortSignal,
  ): Promise<string> {
    signal?.throwIfAborted();
    const reference = formatImageRef(ref);
    this.pushes.push(reference);
    const image = this.local(reference);
    if (!image) throw new Error(`An image does not exist locally with the tag: ${reference}`);
    const attempt = this.pushes.filter((pushed) => pushed === reference).length;
    const fault = this.failPush?.(reference, attempt);
    if (fault) throw fault;
    for (const blob of [image.config, ...image.layers]) await this.registry.putBlob(ref.repository, blob);
    const manifest = imageManifest(image.config, image.layers);
    const digest = await this.registry.putManifest(ref.repository, ref.tag, manifest);
    onOutput(`${ref.tag}: digest: ${digest} size: ${manifest.bytes.length}`);
    return digest;
  }

  async pull(
    ref: string,
    _credentials: Credentials | undefined,
    onOutput: OutputListener,
    signal?: AbortSignal,
  ): Promise<string> {
    signal?.throwIfAborted();
    this.pulls.push(ref);
    const at = ref.lastIndexOf('@');
    const name = ref.slice(0, at);
    const repository = name.slice(name.indexOf('/') + 1);
    const manifest = await this.registry.getManifest(repository, ref.slice(at + 1));
    if (!manifest) throw new Error(`manifest for ${ref} not found: manifest unknown`);
    const body = JSON.parse(manifest.bytes.toString('utf8')) as {
      config: { digest: string };
      layers: { digest: string }[];
    };
    const config = await this.registry.getBlob(repository, body.config.digest);
    const layers = await Promise.all(body.layers.map((layer) => this.registry.getBlob(repository, layer.digest)));
    const parsed = JSON.parse(config.toString('utf8')) as {
      os?: string;
      architecture?: string;
      config: { Labels?: Record<string, string> };
    };
    const labels = parsed.config.Labels ?? {};
    const id = sha256(config);
    const platform = `${parsed.os ?? 'linux'}/${parsed.architecture ?? 'amd64'}`;
    this.images.set(id, { details: this.details(id, labels, layers, platform), config, layers });
    onOutput(`Status: Downloaded newer image for ${ref}`);
    return id;
  }

  removeImage(idOrRef: string): Promise<void> {
    if (this.refs.delete(idOrRef)) return Promise.resolve();
    this.images.delete(idOrRef);
    for (const [ref, id] of this.refs) if (id === idOrRef) this.refs.delete(ref);
    return Promise.resolve();
  }
}
