import { DEFAULT_PLATFORMS } from '../family/platforms.js';
import { describeHost } from '../family/host-needs.js';
import { pushOrder } from '../../tags/index.js';
import { textTable } from '../text-table.js';
import type { Plan } from './plan.js';

/** The plan as a table for people; `--json` prints the plan itself. */
export function renderPlan(plan: Plan): string {
  const head = `date ${plan.date}  registry ${plan.registry}  repo ${plan.repo}`;
  if (plan.branches.length === 0) return `${head}\n(no eligible branches)\n`;
  const rows: string[][] = [['BRANCH', 'SHA', 'VERSION', 'HOST (service tests)', 'IMAGE', 'PLATFORMS', 'TAGS']];
  for (const branch of plan.branches) {
    branch.images.forEach((image, index) => {
      const tags = pushOrder(image.tags)
        .map((ref) => ref.slice(ref.lastIndexOf(':') + 1))
        .join(', ');
      const name = image.base ? `${image.name} (on ${image.base})` : image.name;
      const platforms = (image.platforms ?? DEFAULT_PLATFORMS).join(',');
      rows.push(
        index === 0
          ? [branch.branch, branch.sha.slice(0, 12), branch.version, describeHost(branch.host), name, platforms, tags]
          : ['', '', '', '', name, platforms, tags],
      );
    });
  }
  return `${head}\n${textTable(rows)}\n`;
}
