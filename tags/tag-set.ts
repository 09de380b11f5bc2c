/**
 * The tags of one image of one branch, each by its role (bare tags in tags/, full references in a
 * plan). Position in a list means nothing: code asks for the dated tag, never for `tags[0]`.
 */
export interface TagSet {
  /** `<branch>-<day>`: the night's snapshot, pushed first and never moved afterwards. */
  dated: string;
  /** `<branch>`: moves to each new tested image of the branch. */
  floating: string;
  /** The release (`1.11.0`) when the branch head is exactly that release tag; moves like floating. */
  version?: string;
  /** More tags that move with the floating one: `latest` for master. */
  also?: string[];
}

/** Every tag of the set in push order: dated first, then floating, version and the others. */
export function pushOrder(tags: TagSet): string[] {
  return [tags.dated, ...movingTags(tags)];
}

/** The tags that move to each new image (all but the dated one), in push order. */
export function movingTags(tags: TagSet): string[] {
  return [tags.floating, ...(tags.version === undefined ? [] : [tags.version]), ...(tags.also ?? [])];
}

/** The same roles with every tag mapped (bare tag to full reference, say). */
export function mapTagSet(tags: TagSet, map: (tag: string) => string): TagSet {
  return {
    dated: map(tags.dated),
    floating: map(tags.floating),
    ...(tags.version === undefined ? {} : { version: map(tags.version) }),
    ...(tags.also === undefined ? {} : { also: tags.also.map(map) }),
  };
}
