import protobuf from 'protobufjs';

/**
 * BuildKit reports a build's progress as `{"id":"moby.buildkit.trace","aux":"<base64>"}` lines:
 * each aux is a protobuf `moby.buildkit.v1.StatusResponse` (buildkit's api/services/control).
 * Only the fields the pipeline shows are described here; protobuf skips the others.
 */
const root = protobuf.Root.fromJSON({
  nested: {
    StatusResponse: {
      fields: {
        vertexes: { rule: 'repeated', type: 'Vertex', id: 1 },
        logs: { rule: 'repeated', type: 'VertexLog', id: 3 },
        warnings: { rule: 'repeated', type: 'VertexWarning', id: 4 },
      },
    },
    Vertex: {
      fields: {
        digest: { type: 'string', id: 1 },
        name: { type: 'string', id: 3 },
        cached: { type: 'bool', id: 4 },
        started: { type: 'Timestamp', id: 5 },
        completed: { type: 'Timestamp', id: 6 },
        error: { type: 'string', id: 7 },
      },
    },
    VertexLog: {
      fields: {
        vertex: { type: 'string', id: 1 },
        stream: { type: 'int64', id: 3 },
        msg: { type: 'bytes', id: 4 },
      },
    },
    VertexWarning: {
      fields: {
        vertex: { type: 'string', id: 1 },
        short: { type: 'bytes', id: 3 },
      },
    },
    Timestamp: {
      fields: {
        seconds: { type: 'int64', id: 1 },
        nanos: { type: 'int32', id: 2 },
      },
    },
  },
});
const StatusResponse = root.lookupType('StatusResponse');

interface DecodedVertex {
  digest?: string;
  name?: string;
  cached?: boolean;
  started?: object;
  completed?: object;
  error?: string;
}

interface DecodedStatus {
  vertexes?: DecodedVertex[];
  logs?: { vertex?: string; msg?: Uint8Array }[];
  warnings?: { vertex?: string; short?: Uint8Array }[];
}

/** The trace message id and the final image id message of a BuildKit build stream. */
export const BUILDKIT_TRACE = 'moby.buildkit.trace';
export const BUILDKIT_IMAGE_ID = 'moby.image.id';

/** One line for the build log; `step` marks the start of a Dockerfile instruction. */
export interface ProgressLine {
  text: string;
  step: boolean;
}

interface VertexState {
  number: number;
  name: string;
  announced: boolean;
  done: boolean;
  /** Unfinished log text: BuildKit sends output in chunks, not lines. */
  partial: string;
}

// The context upload and metadata lookups BuildKit reports as vertices of their own.
function isInternal(name: string): boolean {
  return name.startsWith('[internal]') || name === 'copy /context /';
}

/**
 * Turns a build's trace messages into log lines in the style of `docker buildx --progress plain`
 * (`#5 [build 3/7] RUN make`, `#5 <output>`, `#5 CACHED`, `#5 ERROR: …`) and remembers every
 * error a vertex reported, so a failed build fails with BuildKit's own words.
 */
export class BuildKitProgress {
  private readonly vertices = new Map<string, VertexState>();
  private readonly failures: string[] = [];

  /** Decodes one `aux` payload; throws when it is not a StatusResponse. */
  push(aux: string): ProgressLine[] {
    const status = StatusResponse.toObject(StatusResponse.decode(Buffer.from(aux, 'base64')), {
      longs: Number,
    }) as DecodedStatus;
    const lines: ProgressLine[] = [];
    for (const vertex of status.vertexes ?? []) lines.push(...this.onVertex(vertex));
    for (const log of status.logs ?? []) {
      const state = this.vertex(log.vertex ?? '');
      const text = state.partial + Buffer.from(log.msg ?? new Uint8Array()).toString('utf8');
      const parts = text.split(/\r?\n/);
      state.partial = parts.pop() ?? '';
      for (const part of parts) if (part.trim() !== '') lines.push({ text: `#${state.number} ${part}`, step: false });
    }
    for (const warning of status.warnings ?? []) {
      const state = this.vertex(warning.vertex ?? '');
      const text = Buffer.from(warning.short ?? new Uint8Array())
        .toString('utf8')
        .trim();
      if (text) lines.push({ text: `#${state.number} WARN: ${text}`, step: false });
    }
    return lines;
  }

  /** What is left of unfinished output lines at the end of the stream. */
  flush(): ProgressLine[] {
    const lines: ProgressLine[] = [];
    for (const state of this.vertices.values()) {
      if (state.partial.trim() !== '') lines.push({ text: `#${state.number} ${state.partial}`, step: false });
      state.partial = '';
    }
    return lines;
  }

  /** Every vertex error, in the order BuildKit reported them. */
  errors(): readonly string[] {
    return this.failures;
  }

  private vertex(digest: string): VertexState {
    let state = this.vertices.get(digest);
    if (!state) {
      state = { number: this.vertices.size + 1, name: '', announced: false, done: false, partial: '' };
      this.vertices.set(digest, state);
    }
    return state;
  }

  private onVertex(vertex: DecodedVertex): ProgressLine[] {
    const state = this.vertex(vertex.digest ?? '');
    if (vertex.name) state.name = vertex.name;
    const lines: ProgressLine[] = [];
    if (!state.announced && (vertex.started || vertex.cached)) {
      state.announced = true;
      lines.push({ text: `#${state.number} ${state.name}`, step: !isInternal(state.name) });
    }
    if (vertex.completed && !state.done) {
      state.done = true;
      if (vertex.error) {
        this.failures.push(vertex.error);
        lines.push({ text: `#${state.number} ERROR: ${vertex.error}`, step: false });
      } else if (vertex.cached) lines.push({ text: `#${state.number} CACHED`, step: false });
    }
    return lines;
  }
}
