// Type-checks every TypeScript block of README.md and docs/*.md against the built package, runs
// the Jest spec blocks (`// name.spec.ts`) with the one `// jest.config.js` block, wherever they
// are, and checks every relative link of those files (check-links.mjs). Run after
// `npm run build`.
//
// A block is checked as a module of its own, completed the way a reader completes it:
// - names it uses from the package (and from @nestjs/*, rxjs) but does not import are imported;
// - the app's own services it uses (UploadsService, EventBus...) are declared from AMBIENT;
// - a block that is a method excerpt (a method at column 0) is wrapped in a class.
// Nothing else is added: a member a class uses but never declares is an error, as for a user.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { brokenLinks, markdownFiles } from './check-links.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const work = path.join(root, '.readme-check');

/** What the snippets assume the reader's app has. */
const AMBIENT = {
  UploadsService: 'declare class UploadsService { [member: string]: any }',
  CacheService: 'declare class CacheService { [member: string]: any }',
  MetricsService: 'declare class MetricsService { [member: string]: any }',
  SearchIndex:
    'declare class SearchIndex { load(options: { signal: AbortSignal }): Promise<void> }',
  TenantApi:
    'declare class TenantApi { sync(tenant: string, options: { signal: AbortSignal }): Promise<void> }',
  EventBus:
    'declare class EventBus { subscribe(topic: string, listener: (event: unknown) => void): { unsubscribe(): Promise<void> } }',
  JobQueue:
    'declare class JobQueue { take(signal: AbortSignal): Promise<{ run(signal: AbortSignal): Promise<void> } | undefined> }',
  Janitor: 'declare class Janitor {}', // the quick start's, used again in README's next steps
  registry: 'declare const registry: RoutinesRegistry;',
  alerts: 'declare const alerts: { notify(message: string): void };',
};

/** The ts and js blocks of one Markdown file, each with its file and the line of its code. */
function blocks(file) {
  const lines = readFileSync(path.join(root, file), 'utf8').split('\n');
  const found = [];
  for (let i = 0; i < lines.length; i++) {
    const fence = /^```(ts|js)\s*$/.exec(lines[i]);
    if (!fence) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && lines[end] !== '```') end++;
    if (end === lines.length) throw new Error(`${file} line ${start}: a block that never closes`);
    const code = lines.slice(start, end).join('\n');
    found.push({ file, lang: fence[1], line: start + 1, code });
    i = end;
  }
  return found;
}

/** A block's generated file: `readme-line-40.mts`, `docs-cluster-scope-line-40.mts`. */
function blockFileName(block) {
  const source = block.file
    .replace(/\.md$/, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-');
  return `${source}-line-${block.line}.mts`;
}

/** Public names per module: the package's from its index files, the others from their exports. */
async function knownNames() {
  const exported = (file) => {
    const text = readFileSync(path.join(root, file), 'utf8');
    const names = [];
    for (const [, list] of text.matchAll(/export\s+(?:type\s+)?\{([^}]*)\}/g)) {
      for (const item of list.split(',')) {
        const name = item
          .replace(/^\s*type\s+/, '')
          .split(/\s+as\s+/)
          .pop()
          .trim();
        if (name) names.push(name);
      }
    }
    return names;
  };
  const runtime = async (module) => Object.keys(await import(module));
  // Every entry point in package.json `exports`: `nestjs-routines/redis` from lib/redis/index.ts.
  const { exports: entries } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
  const entryPoints = Object.keys(entries)
    .filter((key) => key !== './package.json')
    .map((key) => [
      path.posix.join('nestjs-routines', key),
      exported(path.posix.join('lib', key, 'index.ts')),
    ]);
  return [
    ...entryPoints,
    ['@nestjs/common', await runtime('@nestjs/common')],
    ['@nestjs/core', await runtime('@nestjs/core')],
    ['@nestjs/config', ['ConfigModule', 'ConfigService']],
    ['@nestjs/testing', ['Test']],
    ['rxjs', ['filter', 'map']],
  ];
}

function declaredIn(code) {
  const names = new Set();
  for (const [, list] of code.matchAll(/import\s+(?:type\s+)?\{([^}]*)\}/g)) {
    for (const item of list.split(',')) {
      const name = item
        .replace(/^\s*type\s+/, '')
        .split(/\s+as\s+/)
        .pop()
        .trim();
      if (name) names.add(name);
    }
  }
  for (const [, name] of code.matchAll(/import\s+(\w+)\s+from/g)) names.add(name);
  for (const [, name] of code.matchAll(
    /(?:class|const|let|var|function|interface|type|enum)\s+(\w+)/g,
  )) {
    names.add(name);
  }
  return names;
}

const uses = (code, name) => new RegExp(`(?<![\\w.$])${name.replace('$', '\\$')}\\b`).test(code);

/** A block's leading import statements, and the code after them. */
function splitImports(lines) {
  let end = 0;
  let inImport = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (!inImport && /^import\s/.test(line)) inImport = true;
    else if (!inImport && line.trim() !== '' && !line.startsWith('//')) break;
    if (inImport && /(from\s+'[^']+'|^import\s+'[^']+');?\s*(\/\/.*)?$/.test(line))
      inImport = false;
    end = i + 1;
  }
  return { imports: lines.slice(0, end).join('\n'), rest: lines.slice(end).join('\n') };
}

function complete(block, modules) {
  const lines = block.code.split('\n');
  const isMethodExcerpt = lines.some((line) =>
    /^(async\s+)?[a-z]\w*\s*\([^;]*\)\s*(:\s*[^;{]+)?\{/.test(line),
  );
  let body = block.code;
  if (isMethodExcerpt) {
    const { imports, rest } = splitImports(lines);
    body = `${imports}\n\nexport class ReadmeExcerpt {\n[member: string]: any;\n${rest}\n}`;
  }
  const declared = declaredIn(body);
  const ambient = Object.entries(AMBIENT)
    .filter(([name]) => uses(body, name) && !declared.has(name))
    .map(([, declaration]) => declaration);
  const text = `${body}\n${ambient.join('\n')}`;
  const prelude = [];
  const taken = declaredIn(text);
  for (const [module, names] of modules) {
    const wanted = names.filter((name) => !taken.has(name) && uses(text, name));
    wanted.forEach((name) => taken.add(name));
    if (wanted.length > 0) prelude.push(`import { ${wanted.join(', ')} } from '${module}';`);
  }
  return `// ${block.file} line ${block.line}\n${prelude.join('\n')}\n${body}\n${ambient.join('\n')}\nexport {};\n`;
}

rmSync(work, { recursive: true, force: true });
mkdirSync(path.join(work, 'blocks'), { recursive: true });
mkdirSync(path.join(work, 'node_modules'));
// The package as an app would install it: resolved through its `exports`, to dist/.
symlinkSync(root, path.join(work, 'node_modules', 'nestjs-routines'), 'dir');

const files = markdownFiles();
const links = brokenLinks();
if (links.length > 0) {
  for (const problem of links) console.error(problem);
  console.error(`docs: ${links.length} broken relative links`);
  process.exit(1);
}
console.log(`docs: every relative link of ${files.length} Markdown files resolves`);

const all = files.flatMap(blocks);
const modules = await knownNames();
const specs = [];
const jestConfigs = [];
const generated = new Map();
for (const block of all) {
  const name = /^\/\/ (\S+)$/.exec(block.code.split('\n')[0])?.[1];
  if (block.lang === 'js') {
    if (name === 'jest.config.js') jestConfigs.push(block);
    continue;
  }
  if (name?.endsWith('.spec.ts')) specs.push({ name, code: block.code });
  const fileName = blockFileName(block);
  generated.set(`blocks/${fileName}`, block);
  writeFileSync(path.join(work, 'blocks', fileName), complete(block, modules));
}
writeFileSync(
  path.join(work, 'tsconfig.json'),
  JSON.stringify({
    compilerOptions: {
      target: 'es2022',
      module: 'nodenext',
      moduleResolution: 'nodenext',
      strict: true,
      experimentalDecorators: true,
      emitDecoratorMetadata: true,
      noEmit: true,
      skipLibCheck: true,
      types: ['node', 'jest'],
      typeRoots: [path.join(root, 'node_modules/@types')],
    },
    include: ['blocks/*.mts'],
  }),
);

const tsBlocks = all.filter((block) => block.lang === 'ts').length;
console.log(
  `docs: type-checking ${tsBlocks} TypeScript blocks of ${files.length} Markdown files against dist/`,
);
try {
  execFileSync(
    path.join(root, 'node_modules/.bin/tsc'),
    ['-p', path.join(work, 'tsconfig.json'), '--pretty', 'false'],
    { cwd: work, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
} catch (error) {
  const output = `${error.stdout ?? ''}${error.stderr ?? ''}`;
  process.stderr.write(output);
  // tsc names each generated file; say which Markdown file and line its block starts at.
  const failing = new Map();
  for (const [, file] of output.matchAll(/^(blocks\/[^(\s]+\.mts)\(/gm)) {
    failing.set(file, (failing.get(file) ?? 0) + 1);
  }
  for (const [file, count] of failing) {
    const block = generated.get(file);
    const where = block ? `${block.file} line ${block.line}` : file;
    console.error(`docs: ${where}: ${count} errors (${path.relative(root, work)}/${file})`);
  }
  console.error('docs: blocks do not compile');
  process.exit(1);
}

if (jestConfigs.length !== 1 || specs.length === 0) {
  const where = jestConfigs.map((block) => `${block.file} line ${block.line}`).join(', ');
  console.error(
    `docs: expected exactly one \`// jest.config.js\` block (found ${jestConfigs.length}` +
      `${where ? `: ${where}` : ''}) and at least one \`// *.spec.ts\` block (found ${specs.length})`,
  );
  process.exit(1);
}
const [jestConfig] = jestConfigs;
writeFileSync(path.join(work, 'jest.config.js'), jestConfig.code);
for (const spec of specs) writeFileSync(path.join(work, spec.name), spec.code);
console.log(
  `docs: running ${specs.map((spec) => spec.name).join(', ')} with the jest.config.js of ` +
    `${jestConfig.file} line ${jestConfig.line}`,
);
try {
  execFileSync(
    path.join(root, 'node_modules/.bin/jest'),
    ['--config', path.join(work, 'jest.config.js'), '--rootDir', work, '--ci'],
    { stdio: 'inherit', cwd: work },
  );
} catch {
  process.exit(1);
}
console.log('docs: ok');
