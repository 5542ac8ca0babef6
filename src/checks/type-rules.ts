/**
 * Per-type rules of a request by recovery point: the metadata keys its resource type needs, the
 * moment a continuous point is restored to, and which types can copy the source's tags.
 */

import {
  COPY_TAGS_UNSUPPORTED,
  drillTargetProblem,
  missingMetadataKeys,
  POINT_IN_TIME_KEYS,
  TARGET_KEYS,
  withArticle,
} from '../resources/rules.js';
import { OK, type Verdict } from './result.js';
import type { RequestFields } from './shape.js';

/**
 * A drill can only create: no Metadata key may name or reuse a target (of its type, or of any type
 * by resource, whose type is known only once its point is chosen), and by recovery point the
 * pipeline needs ResourceType to name the new resource itself.
 */
function drillProblems(fields: RequestFields): string[] {
  if (fields.drill === undefined) return [];
  const problems: string[] = [];
  if (!fields.byResource && !fields.typeGiven) {
    problems.push(
      'Drill needs ResourceType: the pipeline names the resource a drill creates, and the name depends on the type',
    );
  }
  const problem = drillTargetProblem(fields.byResource ? undefined : fields.resourceType, fields.metadata);
  if (problem !== undefined) problems.push(problem);
  return problems;
}

/**
 * Checks the per-type rules (invalid or ok). A request by resource has no type until its point
 * is chosen: the same rules run then, against the point's stored metadata (src/act/restore-resource.ts).
 */
export function checkTypeRules(fields: RequestFields): Verdict {
  const drill = drillProblems(fields);
  if (fields.byResource) return drill.length > 0 ? { kind: 'invalid', problems: drill } : OK;
  const { resourceType, metadata, arn } = fields;
  const problems: string[] = [...drill];
  if (resourceType !== undefined) {
    // A drill's target keys are the pipeline's to set: they are never missing.
    const targets = fields.drill === undefined ? [] : TARGET_KEYS[resourceType];
    const missing = missingMetadataKeys(resourceType, metadata).filter((key) => !targets.includes(key));
    if (missing.length > 0 && fields.metadataGiven) {
      problems.push(`Metadata for ${withArticle(resourceType)} restore needs ${missing.join(', ')}`);
    }
  }
  // A continuous point restored without a moment restores the latest, possibly damaged, state:
  // the request must say the type and the moment. docs/aws-behaviour.md#continuous-restore-keys
  if (arn !== undefined && /:recovery-point:continuous:/.test(arn)) {
    const timeKey = resourceType === undefined ? undefined : POINT_IN_TIME_KEYS[resourceType];
    if (!fields.typeGiven) {
      problems.push(
        `RecoveryPointArn is a continuous recovery point: give ResourceType and the moment to restore to in its restore-time key (${Object.entries(
          POINT_IN_TIME_KEYS,
        )
          .map(([t, k]) => `${t}: ${k}`)
          .join(', ')})`,
      );
    } else if (resourceType !== undefined && timeKey === undefined) {
      problems.push(
        `RecoveryPointArn is a continuous recovery point, which this pipeline does not restore for ${resourceType}`,
      );
    } else if (timeKey !== undefined) {
      const value = metadata[timeKey];
      if (
        value === undefined ||
        !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(value) ||
        Number.isNaN(Date.parse(value))
      ) {
        problems.push(
          `RecoveryPointArn is a continuous recovery point: Metadata.${timeKey} must hold the moment to restore to (e.g. 2026-11-26T09:55:00Z)`,
        );
      }
    }
  }
  if (fields.copyTags === true) {
    if (!fields.typeGiven) {
      problems.push(
        'CopySourceTagsToRestoredResource: true needs ResourceType, so the pipeline can check that the type supports it',
      );
    } else if (resourceType !== undefined && COPY_TAGS_UNSUPPORTED.has(resourceType)) {
      problems.push(
        `CopySourceTagsToRestoredResource: true makes AWS fail ${resourceType} restores; set it to false or leave it out`,
      );
    }
  }
  return problems.length > 0 ? { kind: 'invalid', problems } : OK;
}
