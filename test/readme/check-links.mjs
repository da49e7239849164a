// Checks that every relative link in README.md and docs/*.md points to a file that exists, and,
// when it names a heading (`guide.md#heading`, `#heading`), to a heading of that file, by
// GitHub's anchor rules. Links to web addresses are not followed. Run alone
// (`node test/readme/check-links.mjs`) or from check-readme.mjs.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Generated folders a link may name before they are generated (`npm run docs`). */
const GENERATED = ['docs/api'];

/** README.md and every Markdown file of docs/ (not the generated API reference). */
export function markdownFiles() {
  const docs = readdirSync(path.join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`);
  return ['README.md', ...docs];
}

/** The lines of a Markdown file outside fenced code blocks (others blanked, numbers kept). */
function prose(text) {
  let fenced = false;
  return text.split('\n').map((line) => {
    if (/^\s*```/.test(line)) {
      fenced = !fenced;
      return '';
    }
    return fenced ? '' : line.replace(/`[^`]*`/g, (code) => ' '.repeat(code.length));
  });
}

/** A heading's anchor as GitHub makes it: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading) {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

const anchorCache = new Map();
function anchors(file) {
  if (!anchorCache.has(file)) {
    const seen = new Map();
    const found = new Set();
    let fenced = false;
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (/^\s*```/.test(line)) fenced = !fenced;
      const heading = !fenced && /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
      if (!heading) continue;
      const base = slug(heading[1]);
      const count = seen.get(base) ?? 0;
      seen.set(base, count + 1);
      found.add(count === 0 ? base : `${base}-${count}`);
    }
    anchorCache.set(file, found);
  }
  return anchorCache.get(file);
}

/** Every relative link of a file: inline links, images, reference definitions, <img src>. */
function links(file) {
  const found = [];
  const lines = prose(readFileSync(path.join(root, file), 'utf8'));
  lines.forEach((line, index) => {
    const patterns = [
      /!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g,
      /^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+"[^"]*")?\s*$/g,
      /<img\s[^>]*src="([^"]+)"/g,
    ];
    for (const pattern of patterns) {
      for (const match of line.matchAll(pattern)) found.push({ line: index + 1, target: match[1] });
    }
  });
  return found.filter(({ target }) => !/^[a-z][a-z0-9+.-]*:/i.test(target));
}

/** The broken links of README.md and docs/*.md, as `file:line: message`. */
export function brokenLinks() {
  const problems = [];
  for (const file of markdownFiles()) {
    for (const { line, target } of links(file)) {
      const [pathPart, anchor] = target.split('#');
      const resolved = pathPart
        ? path.resolve(path.dirname(path.join(root, file)), decodeURIComponent(pathPart))
        : path.join(root, file);
      const relative = path.relative(root, resolved).split(path.sep).join('/');
      const where = `${file}:${line}: ${target}`;
      if (!existsSync(resolved)) {
        const generated = GENERATED.some(
          (folder) => relative === folder || relative.startsWith(`${folder}/`),
        );
        if (!generated) problems.push(`${where}: no file ${relative}`);
        continue;
      }
      if (anchor === undefined || anchor === '') continue;
      if (statSync(resolved).isDirectory() || !resolved.endsWith('.md')) {
        problems.push(`${where}: an anchor on ${relative}, which is not a Markdown file`);
      } else if (!anchors(resolved).has(anchor)) {
        problems.push(`${where}: ${relative} has no heading #${anchor}`);
      }
    }
  }
  return problems;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const problems = brokenLinks();
  for (const problem of problems) console.error(problem);
  if (problems.length > 0) process.exit(1);
  console.log(`links: ok (${markdownFiles().length} files)`);
}
