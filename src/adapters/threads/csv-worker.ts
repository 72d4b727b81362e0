/**
 * The CSV reader's second thread (csv-split.ts): reads the file from the byte offset it is
 * given with the same scanner (adapters/files/csv.ts) in packed mode, and posts the rows as
 * row-major Float64Arrays, transferred, one per MiB of the file.
 */
import { createReadStream } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { CsvFallback, CsvScanner, TextColumn } from '../files/csv.js';
import type { CsvJob, CsvMessage } from './csv-protocol.js';

const job = (workerData as { job: CsvJob }).job;
const port = parentPort!;

const post = (message: CsvMessage) => {
  if ('values' in message) port.postMessage(message, [message.values.buffer as ArrayBuffer]);
  else port.postMessage(message);
};

async function run(): Promise<void> {
  const scanner = new CsvScanner(job.options, { header: job.header, crlf: job.crlf }, true);
  // One message per MiB of the file read: the main thread turns each into rows as it comes.
  for await (const chunk of createReadStream(job.path, { start: job.start, highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    scanner.feed(chunk);
    const packed = scanner.takePacked();
    if (packed.rows > 0) post(packed);
  }
  scanner.finish();
  const packed = scanner.takePacked();
  if (packed.rows > 0) post(packed);
  post({ done: true });
}

run().catch((error: unknown) => {
  if (error instanceof TextColumn) post({ textColumn: error.column });
  else if (error instanceof CsvFallback) post({ fallback: true });
  else post({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
});
