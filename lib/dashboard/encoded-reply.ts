import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { StreamableFile } from '@nestjs/common';
import type { HttpServer } from '@nestjs/common';

const gzipAsync = promisify(gzip);

/** Bodies smaller than this go as they are: gzip's header and a round of work buy nothing. */
const GZIP_FROM_BYTES = 1024;

/** What a dashboard route answers with: the body, its type, and whether to tag it for a 304. */
export interface EncodedBody {
  body: string;
  contentType: string;
  /** Tag the body (a weak ETag over its bytes) and answer 304 when the client has it. */
  etag?: boolean;
  /** Headers sent with the body and with a 304 (a 304 carries no body, so these say what it cannot). */
  headers?: Record<string, string>;
}

/**
 * Sends a body gzipped when the client takes gzip, and 304 when its `If-None-Match` names the
 * body's tag. Through Nest's adapter and a `StreamableFile`, so it works on Express and
 * Fastify alike (a Buffer given to the adapter's `reply` would go out as JSON on Express).
 * @internal
 */
export async function sendEncoded(
  adapter: HttpServer,
  request: unknown,
  response: unknown,
  answer: EncodedBody,
): Promise<void> {
  const headers = (request as { headers?: Record<string, string | string[] | undefined> }).headers;
  for (const [name, value] of Object.entries(answer.headers ?? {}))
    adapter.setHeader(response, name, value);
  adapter.setHeader(response, 'Vary', 'Accept-Encoding');
  if (answer.etag) {
    const tag = `W/"${createHash('sha1').update(answer.body).digest('base64url')}"`;
    adapter.setHeader(response, 'ETag', tag);
    if (namesTag(headers?.['if-none-match'], tag)) {
      adapter.reply(response, undefined, 304);
      return;
    }
  }
  let bytes = Buffer.from(answer.body, 'utf8');
  if (bytes.length >= GZIP_FROM_BYTES && takesGzip(headers?.['accept-encoding'])) {
    bytes = await gzipAsync(bytes);
    adapter.setHeader(response, 'Content-Encoding', 'gzip');
  }
  adapter.setHeader(response, 'Content-Type', answer.contentType);
  adapter.reply(
    response,
    new StreamableFile(bytes, { type: answer.contentType, length: bytes.length }),
    200,
  );
}

function namesTag(header: string | string[] | undefined, tag: string): boolean {
  if (!header) return false;
  const text = Array.isArray(header) ? header.join(',') : header;
  return text.split(',').some((candidate) => {
    const trimmed = candidate.trim();
    return trimmed === '*' || trimmed === tag || `W/${trimmed}` === tag;
  });
}

/** `gzip` listed without `q=0` (`Accept-Encoding: gzip, deflate, br` from every browser). */
function takesGzip(header: string | string[] | undefined): boolean {
  if (!header) return false;
  const text = Array.isArray(header) ? header.join(',') : header;
  return text.split(',').some((part) => {
    const [coding, ...params] = part.trim().toLowerCase().split(';');
    if (coding.trim() !== 'gzip' && coding.trim() !== '*') return false;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}
