// The layers of src/ (docs/architecture.md), lowest first; a layer imports
// only from layers below it:
//   libvirt-names.ts → errors.ts → options/ → binding/ → model/ → pmc/ → checks/ → api.ts → fleet/ → index.ts → cli/
//   (options/ is data: the migration option table, which the binding packs from; it imports only errors.ts)
//   lab/ sits beside the framework: it uses errors and binding only; the CLI uses it.
//   gate/ (the hook) sits above pmc/ beside checks/: the model, check files, the binding.
// `npm run lint:deps` fails on any import that points up, on any runtime
// import cycle, and on any cycle (type-only ones too) that crosses a layer.

/** `^src/(a|b)/` or `^src/a.ts`: the modules of these layers. */
function layers(...names) {
  const folders = names.filter((n) => !n.endsWith('.ts'));
  const files = names.filter((n) => n.endsWith('.ts')).map((n) => n.replace('.', '\\.'));
  return [...(folders.length ? [`^src/(${folders.join('|')})/`] : []), ...files.map((f) => `^src/${f}$`)];
}

/** A rule: modules of `layer` must not import any of `above`. */
function pointsDown(name, layer, above, comment) {
  return { name, comment, severity: 'error', from: { path: layers(...layer) }, to: { path: layers(...above) } };
}

module.exports = {
  forbidden: [
    {
      name: 'no-runtime-cycle',
      comment:
        'A runtime import cycle in src/: module evaluation order decides what is undefined. Break it (docs/architecture.md).',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only', 'type-import'] } },
    },
    {
      name: 'no-cycle-across-layers',
      comment: 'A cycle, even type-only, through two layers: one of them points up.',
      severity: 'error',
      from: { path: '^src/([^/]+)/' },
      to: { circular: true, pathNot: '^src/$1/' },
    },
    pointsDown(
      'libvirt-names-imports-nothing',
      ['libvirt-names.ts'],
      [
        'errors.ts',
        'binding',
        'options',
        'model',
        'pmc',
        'checks',
        'lab',
        'cli',
        'api.ts',
        'fleet',
        'index.ts',
        'gate',
      ],
      'src/libvirt-names.ts is generated data (scripts/gen-native-names.mjs).',
    ),
    pointsDown(
      'errors-imports-nothing',
      ['errors.ts'],
      ['binding', 'options', 'model', 'pmc', 'checks', 'lab', 'cli', 'api.ts', 'fleet', 'index.ts', 'gate'],
      'src/errors.ts is the lowest layer above the generated names.',
    ),
    pointsDown(
      'options-points-down',
      ['options'],
      ['binding', 'model', 'pmc', 'checks', 'lab', 'cli', 'api.ts', 'fleet', 'index.ts', 'gate'],
      'The migration option table is data and derivations from it (their argument errors from src/errors.ts); every layer may use it.',
    ),
    pointsDown(
      'binding-points-down',
      ['binding'],
      ['model', 'pmc', 'checks', 'lab', 'cli', 'api.ts', 'fleet', 'index.ts', 'gate'],
      'The binding knows libvirt and libxml2, nothing of the framework (checkPMC/migratePMC are attached by src/api.ts).',
    ),
    pointsDown(
      'model-points-down',
      ['model'],
      ['pmc', 'checks', 'lab', 'cli', 'api.ts', 'fleet', 'index.ts', 'gate'],
      'The XML model parses; the run memoizes it (src/pmc/parsed-facts.ts).',
    ),
    pointsDown(
      'pmc-points-down',
      ['pmc'],
      ['checks', 'lab', 'cli', 'api.ts', 'fleet', 'index.ts', 'gate'],
      'The framework takes the built-in checks as an argument; src/api.ts binds them.',
    ),
    pointsDown(
      'checks-point-down',
      ['checks'],
      ['lab', 'cli', 'api.ts', 'fleet', 'index.ts', 'gate'],
      'A built-in check uses the model, the framework types and the binding.',
    ),
    pointsDown(
      'lab-uses-the-binding-only',
      ['lab'],
      ['model', 'pmc', 'checks', 'cli', 'api.ts', 'fleet', 'index.ts', 'gate'],
      'The lab sits beside the framework.',
    ),
    pointsDown(
      'api-points-down',
      ['api.ts'],
      ['lab', 'cli', 'fleet', 'index.ts'],
      'The composing module is below the entry point.',
    ),
    pointsDown(
      'fleet-points-down',
      ['fleet'],
      ['lab', 'cli', 'index.ts'],
      'Placement and evacuation use the checked migration (src/api.ts) and everything below it.',
    ),
    pointsDown(
      'gate-points-down',
      ['gate'],
      ['checks', 'lab', 'cli', 'api.ts', 'fleet', 'index.ts'],
      "The destination gate (libvirt's hook) decides from the definition, the host's files and check files: no built-ins, no runner.",
    ),
    pointsDown('index-is-not-the-cli', ['index.ts'], ['cli'], 'The package entry point does not load the command.'),
    {
      name: 'src-stays-in-src',
      comment: 'The package does not import its tests, benches or scripts.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench|scripts)/' },
    },
    {
      name: 'no-unresolvable',
      comment: 'An import that resolves to nothing: a moved file whose importers were not updated.',
      severity: 'error',
      from: { path: '^src/' },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    // Type-only imports count: a type cycle across layers is a layer pointing up.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.build.json' },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|build|node_modules)/' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
