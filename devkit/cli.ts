/** What the command-line scripts share: running `main` when the file is the one node was started with. */

/**
 * Runs `main(argv)` when `module` is the script node was started with (not when a test imports it), and sets
 * the exit code from its answer; a thrown error prints its message and exits 1.
 */
export function runWhenMain(module: ImportMeta, main: (argv: string[]) => Promise<number>): void {
  if (!process.argv[1] || module.filename !== process.argv[1]) return;
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exitCode = 1;
    },
  );
}
