// ESLint for the TypeScript sources, tests, benches and scripts (npm run lint).
// typescript-eslint's recommended rules, plus the type-aware ones that matter
// most in this code base: a promise nobody awaits or handles.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/',
      'build/',
      'build-cmake/',
      'build-plugins/',
      'build-tests/',
      'build-tests-tsan/',
      'build-c-library/',
      'prebuilds/',
      'coverage/',
      'docs/api/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      // Matching control characters is this code's job in places (escaping text for terminals and XML).
      'no-control-regex': 'off',
      // `interface X extends Derived<…> {}` names a derived type (better hovers, declaration merging).
      '@typescript-eslint/no-empty-object-type': ['error', { allowInterfaces: 'with-single-extends' }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
    },
  },
  {
    files: ['src/**/*.ts', 'test/**/*.ts'],
    languageOptions: { parserOptions: { projectService: true } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
    },
  },
  {
    // Every error the package throws is a PmcError with a stable code (src/errors.ts): an
    // argument the caller got wrong is an InvalidArgumentError (invalidArgument for the wording).
    // The lab is a tool beside the package, not its API.
    files: ['src/**/*.ts', 'src/**/*.cts'],
    ignores: ['src/lab/**'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: 'ThrowStatement > NewExpression[callee.name=/^(Error|TypeError|RangeError)$/]',
          message:
            'Throw a PmcError: invalidArgument(name, expected, value) for a wrong argument (src/errors.ts), else a coded PmcError.',
        },
      ],
    },
  },
  {
    // CommonJS files import with require(): the package's CommonJS entries, the package test.
    files: ['**/*.cts', '**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
