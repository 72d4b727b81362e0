// Import rules of docs/architecture.md: core → runtime → adapters → app, one way.
// `npm run lint:deps` (run by .ci/run) fails on any violation, in every folder of src/.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Cycles hide the direction of the data flow.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'core-is-pure',
      severity: 'error',
      comment: 'src/core is the pure core: it imports only itself, zod and node:crypto (no I/O, no clients, no rxjs or pino).',
      from: { path: '^src/core/' },
      to: { pathNot: ['^src/core/', '^node_modules/zod/', '^crypto$'] },
    },
    {
      name: 'runtime-depends-on-core-only',
      severity: 'error',
      comment: 'src/runtime sees the world through its ports (runtime/ports.ts): it imports core, itself and rxjs only.',
      from: { path: '^src/runtime/' },
      to: { pathNot: ['^src/(core|runtime)/', '^node_modules/rxjs/', '^node_modules/zod/'] },
    },
    {
      name: 'adapters-never-import-app',
      severity: 'error',
      comment: 'Adapters implement ports; only app/ composes them.',
      from: { path: '^src/adapters/' },
      to: { path: ['^src/app/', '^src/index\\.ts$'] },
    },
    {
      name: 'kafkajs-behind-one-adapter',
      severity: 'error',
      comment: 'kafkajs is unmaintained: it stays behind src/adapters/kafka/kafkajs.ts.',
      from: { pathNot: '^src/adapters/kafka/kafkajs\\.ts$' },
      to: { path: '^node_modules/kafkajs/' },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'], mainFields: ['module', 'main', 'types'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
