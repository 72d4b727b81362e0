/**
 * The CSV reader's second thread (csv-split.ts): reads the file from the byte offset it is
 * given with the same scanner (adapters/files/csv.ts), and posts the rows as row-major
 * Float64Arrays after each MiB of the file (packed layout), or as blocks of Float64Array
 * columns as each block fills (columns layout), transferred.
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

/** Posts the rows read since the last call: in the columns layout the full blocks, and at the end the last one. */
function flush(scanner: CsvScanner, end: boolean): void {
  if (job.layout === 'packed') {
    const packed = scanner.takePacked();
    if (packed.rows > 0) post(packed);
    return;
  }
  // Numeric columns only (csv-split.ts), each block's arrays with buffers of their own.
  const blocks = end ? scanner.takeColumns(true).blocks : scanner.takeFullBlocks();
  for (const block of blocks) post({ rows: block.rows, columns: block.columns as Float64Array[] });
}

async function run(): Promise<void> {
  const scanner = new CsvScanner(job.options, { header: job.header, crlf: job.crlf }, job.layout);
  // Packed rows after each MiB of the file, column blocks as they fill: the main thread takes each as it comes.
  for await (const chunk of fileChunks(job.path, job.start)) {
    scanner.feed(chunk);
    flush(scanner, false);
  }
  scanner.finish();
  flush(scanner, true);
  post({ done: true });
}

run().catch((error: unknown) => {
  if (error instanceof TextColumn) post({ textColumn: error.column });
  else if (error instanceof CsvFallback) post({ fallback: true });
  else post({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
});
