/**
 * The shape of the CLI's one definition: a command is a {@link CommandSpec} (name, help, positional
 * arguments, a table of options, and what it runs); an option is one {@link OptionSpec} entry keyed by
 * its camelCase name. From these entries alone `program.ts` builds the commander parser, `--help`,
 * experiment-file handling, validation messages and shell completion.
 *
 * **Adding an option** is one entry in a command's `options` table:
 * ```ts
 * options: {
 *   ...
 *   maxRetries: option(positiveInteger(), 'retries per failed evaluation', { default: 3 }),
 * }
 * ```
 * It is then `--max-retries N` on the command line, `"maxRetries": 3` in an experiment file,
 * listed in `--help` and in the completion script, checked with the message
 * `--max-retries must be a positive integer, got '0'`, and arrives typed as `options.maxRetries`
 * (a `number`; `number | undefined` without a default).
 *
 * **Adding a command** is one `defineCommand({...})` entry in `COMMANDS` (`commands.ts`); see
 * `exportCommand.ts` for a small one.
 * @module
 */
import { PROGRESS_MODES, type ProgressMode } from '../progress/progressReporter.js';
import { type ValueKind, choice } from './optionValues.js';

/** One option of a command: the kind of its value, its help, and its default. */
export interface OptionSpec<T = unknown, Given extends boolean = boolean> {
  /** The value's kind and parser (see `optionValues.ts`). */
  kind: ValueKind<T>;
  /** One line for `--help`. */
  description: string;
  /** The value when the option is absent from the command line and the experiment file. */
  default?: T;
  /** What `--help` shows as the default when it depends on context (e.g. `the problem's`). */
  defaultText?: string;
  /** Refused when absent: `--benchmark is required`. */
  required?: boolean;
  /** Whether a value always arrives (a default, or required): types only. */
  readonly given?: Given;
}

/** A command's options by camelCase name (`outerSteps` is `--outer-steps` and `"outerSteps"` in a file). */
export type OptionTable = Record<string, OptionSpec<never> | OptionSpec<unknown>>;

/** The parsed values of an option table, typed: `T` where a value always arrives, else `T | undefined`. */
export type OptionValues<O> = {
  [K in keyof O]: O[K] extends OptionSpec<infer T, infer G> ? (G extends true ? T : T | undefined) : never;
};

/**
 * An option entry. With `default` or `required` its value always arrives.
 * @example option(positiveInteger(), 'simulated parallel workers', { default: 4 })
 */
export function option<T>(kind: ValueKind<T>, description: string, extra?: { defaultText?: string }): OptionSpec<T, false>;
export function option<T>(kind: ValueKind<T>, description: string, extra: { default: T; defaultText?: string } | { required: true }): OptionSpec<T, true>;
export function option<T>(kind: ValueKind<T>, description: string, extra: { default?: T; defaultText?: string; required?: boolean } = {}): OptionSpec<T> {
  return { kind, description, ...extra };
}

/** A positional argument (`<problem>`, `<dir>`); settable in an experiment file under its name. */
export interface ArgumentSpec {
  /** Its name in `--help`, in experiment files and in `args`. */
  name: string;
  /** One line for `--help`. */
  description: string;
  /** Refused when absent (from the command line and the experiment file). */
  required?: boolean;
  /** Values the shell completion offers (it offers file names too). */
  completions?: () => readonly string[];
}

/** Where a command writes. */
export interface CliIo {
  /** Tables, summaries, help. */
  out: NodeJS.WritableStream;
  /** Progress and errors. */
  err: NodeJS.WritableStream;
}

/** What a command's `run` receives. */
export interface CommandInput<O extends OptionTable> {
  /** Positional arguments by name. */
  args: Record<string, string | undefined>;
  /** Option values, parsed and checked (command line over experiment file over defaults). */
  options: OptionValues<O>;
  /** The streams to write to. */
  io: CliIo;
  /** The command as errors name it: `hypergrad run`. */
  who: string;
  /** The whole command table being run (for commands about commands, such as `completion`). */
  commands: readonly CommandSpec[];
}

/** One command of the CLI. */
export interface CommandSpec<O extends OptionTable = OptionTable> {
  /** `hypergrad <name>`. */
  name: string;
  /** One line for `hypergrad --help`. */
  summary: string;
  /** A paragraph for `hypergrad <name> --help`; default the summary. */
  description?: string;
  /** Positional arguments, in order. */
  arguments?: readonly ArgumentSpec[];
  /** The options. */
  options: O;
  /** Accepts `--config FILE` (an experiment file, see `experimentFile.ts`). */
  experimentFile?: boolean;
  /** Help text after the options (lists of accepted names, examples), generated from the tables. */
  helpAfter?: () => string;
  /** `core` commands are listed first everywhere (help, errors); default `core`. */
  group?: 'core' | 'tools';
  /**
   * Commands under this one (`hypergrad hpo worker`), each a full entry. The first argument picks
   * one; without it, this command's own `run` runs. Options are read where they stand, so a
   * subcommand may reuse a parent's option name.
   */
  subcommands?: readonly CommandSpec[];
  /** Runs the command; resolves with the exit code (0 success, 2 usage or run error). */
  run(input: CommandInput<O>): Promise<number> | number;
}

/** Types a command's `run` against its own option table, and erases it for the command table. */
export function defineCommand<O extends OptionTable>(spec: CommandSpec<O>): CommandSpec {
  return spec as unknown as CommandSpec;
}

/**
 * The `--progress auto|tty|plain|off` option of commands that show progress (see
 * {@link ProgressMode}); `tty` suits commands whose logs are their stdout.
 */
export const progressOption = (defaultMode: ProgressMode) => option(
  choice('MODE', PROGRESS_MODES), 'progress on stderr: auto, tty (a terminal only), plain or off',
  { default: defaultMode },
);

/** `outerSteps` -> `outer-steps`. */
export const kebab = (key: string): string => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
