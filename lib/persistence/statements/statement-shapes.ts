import type { DataSource } from 'typeorm';

/** Takes a statement's text piece by piece, in order: SQL keywords, quoted names, placeholders. */
export interface StatementOutput {
  add(piece: string): void;
}

/** Joins the pieces into the statement's text. */
class StatementText implements StatementOutput {
  text = '';

  add(piece: string): void {
    this.text += piece;
  }
}

/** The text `write` writes, written out in full. */
export function statementText(write: (output: StatementOutput) => void): string {
  const written = new StatementText();
  write(written);
  return written.text;
}

/**
 * A point in the pieces of the statements written so far; `text` is the statement whose pieces end
 * here. Most points have one way on (`onlyPiece`), so the others go in a map only when needed.
 */
interface ShapePoint {
  onlyPiece?: string;
  only?: ShapePoint;
  others?: Map<string, ShapePoint>;
  text?: string;
}

/** The texts of one DataSource's statements, by the pieces that write them; bounded. */
class StatementShapes {
  /** The ledger writes a few dozen shapes of some hundred pieces each. */
  private static readonly MAX_POINTS = 20_000;
  readonly start: ShapePoint = {};
  private points = 0;

  /** The point after `point` for `piece`, added when new; undefined once the bound is reached. */
  next(point: ShapePoint, piece: string): ShapePoint | undefined {
    if (point.onlyPiece === piece) return point.only;
    const known = point.others?.get(piece);
    if (known !== undefined) return known;
    if (this.points >= StatementShapes.MAX_POINTS) return undefined;
    this.points++;
    const added: ShapePoint = {};
    if (point.only === undefined) {
      point.onlyPiece = piece;
      point.only = added;
    } else {
      (point.others ??= new Map()).set(piece, added);
    }
    return added;
  }
}

/** Follows the pieces through the shapes instead of joining them. */
class ShapeWalk implements StatementOutput {
  point: ShapePoint | undefined;

  constructor(private readonly shapes: StatementShapes) {
    this.point = shapes.start;
  }

  add(piece: string): void {
    if (this.point !== undefined) this.point = this.shapes.next(this.point, piece);
  }
}

const shapesBySource = new WeakMap<DataSource, StatementShapes>();

/**
 * The text of the statement `write` writes, whose values it binds into `parameters`. A statement
 * of a shape written before (the same pieces in the same order, so the same text) is only walked:
 * its values are bound and its text is the one kept, the same string every time, so the lookups
 * by text after it (batched shapes, prepared statements) find it without hashing it anew. A new
 * shape is walked, then written out once with its values bound again in the same order. `write`
 * must depend on nothing but its input: it may run twice.
 */
export function writtenStatement(
  dataSource: DataSource,
  parameters: unknown[],
  write: (output: StatementOutput) => void,
): string {
  let shapes = shapesBySource.get(dataSource);
  if (shapes === undefined) {
    shapes = new StatementShapes();
    shapesBySource.set(dataSource, shapes);
  }
  const bound = parameters.length;
  const walk = new ShapeWalk(shapes);
  write(walk);
  const end = walk.point;
  if (end?.text !== undefined) return end.text;
  parameters.length = bound;
  const text = statementText(write);
  if (end !== undefined) end.text = text;
  return text;
}
