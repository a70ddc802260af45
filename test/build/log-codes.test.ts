/**
 * Every `code` a log line under src/ carries is a stable code: one of LOG_CODES (src/errors.ts) and
 * named in the README, so an operator's alert on it keeps working and a new one cannot slip in
 * unlisted. The codes are collected with the TypeScript checker: the type of the `code` field of the
 * first argument of every pino call (info, warn, …), literal or variable, must be string literals.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { LOG_CODES } from '../../src/errors';

const ROOT = join(__dirname, '..', '..');
const SRC = join(ROOT, 'src');
const LEVELS = new Set(['trace', 'debug', 'info', 'warn', 'error', 'fatal']);

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'gen' ? [] : files(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

interface Emitted {
  where: string;
  codes: string[] | undefined;
}

/** Each log call whose first argument has a `code`: the string literals its type allows (undefined: not literals). */
function emittedCodes(): Emitted[] {
  const program = ts.createProgram(files(SRC), { strict: true, esModuleInterop: true, skipLibCheck: true, noEmit: true, types: ['node'] });
  const checker = program.getTypeChecker();
  const found: Emitted[] = [];
  const levelOf = (callee: ts.Expression): ts.Expression | undefined => {
    if (ts.isPropertyAccessExpression(callee) && LEVELS.has(callee.name.text)) return callee.expression;
    if (ts.isElementAccessExpression(callee)) return callee.expression; // log[level](…)
    return undefined;
  };
  /** An object literal's `code` is typed by what it is set to (its property type is widened to string). */
  const codeType = (arg: ts.Expression): ts.Type | undefined => {
    if (ts.isObjectLiteralExpression(arg)) {
      for (const p of arg.properties) {
        if (p.name && ts.isIdentifier(p.name) && p.name.text === 'code') {
          if (ts.isPropertyAssignment(p)) return checker.getNonNullableType(checker.getTypeAtLocation(p.initializer));
          if (ts.isShorthandPropertyAssignment(p)) return checker.getNonNullableType(checker.getTypeAtLocation(p.name));
        }
      }
      return undefined;
    }
    const code = checker.getTypeAtLocation(arg).getProperty('code');
    return code && checker.getNonNullableType(checker.getTypeOfSymbolAtLocation(code, arg));
  };
  const visit = (file: ts.SourceFile) => (node: ts.Node) => {
    if (ts.isCallExpression(node) && node.arguments.length > 0) {
      const receiver = levelOf(node.expression);
      if (receiver && /Logger/.test(checker.typeToString(checker.getTypeAtLocation(receiver)))) {
        const type = codeType(node.arguments[0]);
        if (type) {
          const members = type.isUnion() ? type.types : [type];
          const { line } = file.getLineAndCharacterOfPosition(node.getStart());
          found.push({
            where: `${relative(ROOT, file.fileName)}:${line + 1}`,
            codes: members.every((t) => t.isStringLiteral()) ? members.map((t) => (t as ts.StringLiteralType).value) : undefined,
          });
        }
      }
    }
    ts.forEachChild(node, visit(file));
  };
  for (const file of program.getSourceFiles()) if (file.fileName.startsWith(SRC)) visit(file)(file);
  return found;
}

const emitted = emittedCodes();
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

it('finds the log lines that carry a code (the collector works)', () => {
  const where = emitted.map((e) => e.where);
  expect(where.some((w) => w.startsWith('src/tls-reload.ts'))).toBe(true);
  expect(where.some((w) => w.startsWith('src/expiry-warnings.ts'))).toBe(true);
  expect(where.some((w) => w.startsWith('src/grpc/peer-registry.ts'))).toBe(true);
});

it('every code a log line carries is a string literal type (a stable code, never a number or any string)', () => {
  expect(emitted.filter((e) => e.codes === undefined).map((e) => e.where)).toEqual([]);
});

it('every code a log line carries is in LOG_CODES', () => {
  const listed = new Set<string>(LOG_CODES);
  const unlisted = emitted.flatMap((e) => (e.codes ?? []).filter((c) => !listed.has(c)).map((c) => `${e.where} ${c}`));
  expect(unlisted).toEqual([]);
});

it('every code a log line carries is named in the README', () => {
  const codes = [...new Set(emitted.flatMap((e) => e.codes ?? []))];
  expect(codes.filter((c) => !readme.includes(c))).toEqual([]);
});
