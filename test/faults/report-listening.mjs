/* global process */
// Preloaded into the service under test (`node --import` by startLife in lib.ts): tells the test,
// over the child's IPC channel, which port its HTTP server bound. The test can then let the child
// bind HTTP_PORT=0 and let the kernel pick a free port, instead of handing it a port found free
// earlier, which another process may take before the child binds it (the cause of issue 15's
// "the third instance never answered /readyz"). Nothing else of the child changes.
import { Server } from 'node:http';
import { isMainThread } from 'node:worker_threads';

if (isMainThread && typeof process.send === 'function') {
  // The channel must not keep the service alive: it exits as it would without the test.
  process.channel?.unref();
  const listen = Server.prototype.listen;
  Server.prototype.listen = function (...args) {
    this.once('listening', () => {
      const address = this.address();
      if (address !== null && typeof address === 'object') process.send?.({ listening: address.port });
    });
    return listen.apply(this, args);
  };
}
