// What test/browser/setup.ts provides to the browser tests; read with `inject('chromiumBinary')`.
import 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The headless Chromium binary (test/services/chromium.sh), e.g. `/usr/bin/chromium`. */
    chromiumBinary: string;
  }
}
