// @kpm/path-rules: the one definition of a valid secret-path segment.
export {
  CONTROL_CHARACTER,
  describeSegmentProblem,
  firstBadSegment,
  hasControlCharacter,
  hasLongHexRun,
  type PathProblem,
  segmentProblem,
} from "./path-rules.ts";
