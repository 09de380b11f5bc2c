import type { TextSink } from './log.js';

// GitHub Actions reads workflow commands from a step's output: `::group::TITLE` ... `::endgroup::`
// fold lines into one collapsible section, `::error title=T::MESSAGE` becomes an annotation on the
// run's page. Values are escaped as @actions/core does, so a message can hold any character.

/** The message part of a workflow command: %, CR and LF are encoded. */
export function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** A property value (`title=`): also `:` and `,`, which end a value. */
export function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

export function errorCommand(message: string, title?: string): string {
  return `::error${title ? ` title=${escapeProperty(title)}` : ''}::${escapeData(message)}\n`;
}

/** One group: its title, the lines held back while another group is shown, and whether it ended. */
export interface OpenGroup {
  readonly title: string;
  held: string[];
  ended: boolean;
}

/**
 * Groups cannot nest or interleave in a GitHub log, but branches build at once. One group is live
 * and streams as it happens (an hour-long compile shows progress); a group opened meanwhile holds
 * its lines and is written whole, in order of opening, when the groups before it have ended.
 */
export class GroupWriter {
  private readonly sink: TextSink;
  private live: OpenGroup | undefined;
  private readonly waiting: OpenGroup[] = [];

  constructor(sink: TextSink) {
    this.sink = sink;
  }

  open(title: string): OpenGroup {
    const group: OpenGroup = { title, held: [], ended: false };
    if (this.live) this.waiting.push(group);
    else this.start(group);
    return group;
  }

  write(group: OpenGroup, text: string): void {
    if (group === this.live) this.sink.write(text);
    else group.held.push(text);
  }

  close(group: OpenGroup): void {
    group.ended = true;
    if (group !== this.live) return;
    this.sink.write('::endgroup::\n');
    this.live = undefined;
    for (let next = this.waiting.shift(); next; next = this.waiting.shift()) {
      this.start(next);
      if (!next.ended) return;
      this.sink.write('::endgroup::\n');
      this.live = undefined;
    }
  }

  private start(group: OpenGroup): void {
    this.live = group;
    this.sink.write(`::group::${escapeData(group.title)}\n`);
    for (const text of group.held.splice(0)) this.sink.write(text);
  }
}
