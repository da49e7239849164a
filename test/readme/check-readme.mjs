// Type-checks every TypeScript block of README.md against the built package, and runs the
// README's Jest spec with the README's Jest configuration. Run after `npm run build`.
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

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const work = path.join(root, '.readme-check');
const readme = readFileSync(path.join(root, 'README.md'), 'utf8').split('\n');

/** What the README's snippets assume the reader's app has. */
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
  registry: 'declare const registry: RoutinesRegistry;',
  alerts: 'declare const alerts: { notify(message: string): void };',
};

function blocks() {
  const found = [];
  for (let i = 0; i < readme.length; i++) {
    const fence = /^```(ts|js)\s*$/.exec(readme[i]);
    if (!fence) continue;
    const start = i + 1;
    let end = start;
    while (readme[end] !== '```') end++;
    found.push({ lang: fence[1], line: start + 1, code: readme.slice(start, end).join('\n') });
    i = end;
  }
  return found;
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
  return `// README.md line ${block.line}\n${prelude.join('\n')}\n${body}\n${ambient.join('\n')}\nexport {};\n`;
}

rmSync(work, { recursive: true, force: true });
mkdirSync(path.join(work, 'blocks'), { recursive: true });
mkdirSync(path.join(work, 'node_modules'));
// The package as an app would install it: resolved through its `exports`, to dist/.
symlinkSync(root, path.join(work, 'node_modules', 'nestjs-routines'), 'dir');

const all = blocks();
const modules = await knownNames();
const specs = [];
let jestConfig;
for (const block of all) {
  const name = /^\/\/ (\S+)$/.exec(block.code.split('\n')[0])?.[1];
  if (block.lang === 'js') {
    if (name === 'jest.config.js') jestConfig = block.code;
    continue;
  }
  if (name?.endsWith('.spec.ts')) specs.push({ name, code: block.code });
  writeFileSync(path.join(work, 'blocks', `line-${block.line}.mts`), complete(block, modules));
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
console.log(`README: type-checking ${tsBlocks} TypeScript blocks against dist/`);
try {
  execFileSync(path.join(root, 'node_modules/.bin/tsc'), ['-p', path.join(work, 'tsconfig.json')], {
    stdio: 'inherit',
  });
} catch {
  console.error(
    `README: blocks do not compile (files in ${path.relative(root, work)}/blocks, named by README line)`,
  );
  process.exit(1);
}

if (!jestConfig || specs.length === 0) {
  console.error(
    'README: expected a `// jest.config.js` block and at least one `// *.spec.ts` block',
  );
  process.exit(1);
}
writeFileSync(path.join(work, 'jest.config.js'), jestConfig);
for (const spec of specs) writeFileSync(path.join(work, spec.name), spec.code);
console.log(
  `README: running ${specs.map((spec) => spec.name).join(', ')} with the README's jest.config.js`,
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
console.log('README: ok');
