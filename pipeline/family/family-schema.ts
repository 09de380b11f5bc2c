import { z } from 'zod';

// Image names become repository path components, so they follow Docker's grammar.
const imageName = z
  .string()
  .regex(
    /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/,
    'must be a Docker repository name: lower-case letters, digits and single . _ or - between them',
  );

export const imageEntrySchema = z
  .object({
    name: imageName,
    context: z.string().min(1, 'must name a folder beside images.json'),
    base: imageName.optional(),
  })
  .strict();

export const familySchema = z
  .object({
    $schema: z.string().optional(),
    images: z.array(imageEntrySchema).min(1, 'must list at least one image'),
  })
  .strict();

export type ImageEntry = z.infer<typeof imageEntrySchema>;
