/**
 * The CSV reader's second thread (csv-split.ts): reads the file from the byte offset it is
 * given with the same scanner (adapters/files/csv.ts), and posts the rows as row-major
 * Float64Arrays (packed layout) or as blocks of Float64Array columns (columns layout),
 * transferred, after each MiB of the file.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { CsvFallback, CsvScanner, fileChunks, TextColumn } from '../files/csv.js';
import type { CsvJob, CsvMessage } from './csv-protocol.js';

const job = (workerData as { job: CsvJob }).job;
const port = parentPort!;

const post = (message: CsvMessage) => {
  if ('values' in message) port.postMessage(message, [message.values.buffer as ArrayBuffer]);
  else if ('columns' in message)
    port.postMessage(
      message,
      message.columns.map((c) => c.buffer as ArrayBuffer),
    );
  else port.postMessage(message);
};

/** Posts the rows read since the last call. */
function flush(scanner: CsvScanner): void {
  if (job.layout === 'packed') {
    const packed = scanner.takePacked();
    if (packed.rows > 0) post(packed);
    return;
  }
  // Numeric columns only (csv-split.ts), each block's arrays with buffers of their own.
  for (const block of scanner.takeColumns(true).blocks) post({ rows: block.rows, columns: block.columns as Float64Array[] });
}

async function run(): Promise<void> {
  const scanner = new CsvScanner(job.options, { header: job.header, crlf: job.crlf }, job.layout);
  // One message per MiB of the file read: the main thread takes each as it comes.
  for await (const chunk of fileChunks(job.path, job.start)) {
    scanner.feed(chunk);
    flush(scanner);
  }
  scanner.finish();
  flush(scanner);
  post({ done: true });
}

run().catch((error: unknown) => {
  if (error instanceof TextColumn) post({ textColumn: error.column });
  else if (error instanceof CsvFallback) post({ fallback: true });
  else post({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
});
