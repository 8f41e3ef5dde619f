// The real import graph of a source folder, for the tests that hold the architecture's layering
// (test/main/server/layering.test.ts, test/main/core/folders.test.ts).
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';

export const ROOT = join(import.meta.dirname, '../..');

export interface ImportEdge {
  /** Importing file, relative to the repository root. */
  from: string;
  /** Imported file, relative to the repository root. */
  to: string;
}

export function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sourceFiles(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : [],
  );
}

/** Relative specifiers of static imports/re-exports and dynamic imports. */
export function relativeImports(text: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|^\s*import\s+)'(\.{1,2}\/[^']+)'/gm)) {
    if (match[1]) found.push(match[1]);
  }
  return found;
}

/** Every relative import of every `.ts` file under `dir` (absolute). */
export function importEdges(dir: string): ImportEdge[] {
  return sourceFiles(dir).flatMap((file) =>
    relativeImports(readFileSync(file, 'utf8')).map((spec) => ({
      from: relative(ROOT, file),
      to: normalize(relative(ROOT, join(dirname(file), spec))),
    })),
  );
}

/** `folder/` for a file in a subfolder of `base`, else the file name itself. */
export function unitOf(path: string, base: string): string {
  const inside = path.slice(base.length);
  const slash = inside.indexOf('/');
  return slash < 0 ? inside : inside.slice(0, slash + 1);
}
