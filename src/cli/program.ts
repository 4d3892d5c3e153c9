/**
 * Runs the CLI from its one definition, the command table (`commands.ts`): builds a commander
 * program from it (parsing, unknown-option errors, generated `--help` for every command), merges
 * an experiment file under the command line, checks every value with its option's kind, and runs
 * the command. See `defineCommand.ts` for how to add a command or an option.
 * @module
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError, Help } from 'commander';
import type { CliIo, CommandSpec, OptionSpec } from './defineCommand.js';
import { kebab } from './defineCommand.js';
import { EXPERIMENT_FILE, readExperimentFile } from './experimentFile.js';
import { packageVersion } from './packageVersion.js';

/** Core commands first, then tools (help, errors and completion list them in this order). */
export function orderedCommands(commands: readonly CommandSpec[]): CommandSpec[] {
  return [...commands.filter((c) => c.group !== 'tools'), ...commands.filter((c) => c.group === 'tools')];
}

/** `list, run, compare, hpo, kernels, --help, --version, export, ...`: the core commands, the global options, the tools. */
export function acceptedCommands(commands: readonly CommandSpec[]): string {
  const names = (g: 'core' | 'tools') => commands.filter((c) => (c.group ?? 'core') === g).map((c) => c.name);
  return [...names('core'), '--help', '--version', ...names('tools')].join(', ');
}

function optionFlags(key: string, o: OptionSpec): string {
  return `--${kebab(key)}${o.kind.placeholder === undefined ? '' : ` <${o.kind.placeholder}>`}`;
}

function optionHelp(o: OptionSpec): string {
  const def = o.defaultText ?? (o.default === undefined ? undefined : Array.isArray(o.default) ? o.default.join(',') : String(o.default));
  return `${o.description}${o.required ? ' (required)' : def === undefined ? '' : ` (default: ${def})`}`;
}

/** `<problem> --benchmark NAME [options]`: arguments, required options, then the rest. */
export function usage(spec: CommandSpec): string {
  const entries = Object.entries(spec.options);
  const required = entries.filter(([, o]) => o.required).map(([k, o]) => optionFlags(k, o).replace(/[<>]/g, ''));
  const rest = entries.some(([, o]) => !o.required) || spec.experimentFile ? ['[options]'] : [];
  return [...(spec.arguments ?? []).map((a) => (a.required ? `<${a.name}>` : `[${a.name}]`)), ...required, ...rest].join(' ');
}

/** What commander parsed for the chosen command. */
interface Parsed {
  /** The command as errors name it: `hypergrad hpo worker`. */
  who: string;
  spec: CommandSpec;
  args: (string | undefined)[];
  options: Record<string, unknown>;
}

/** The commander program of a command table; `onParsed` receives the chosen command's raw values. */
export function buildProgram(commands: readonly CommandSpec[], io: CliIo, onParsed: (p: Parsed) => void = () => {}): Command {
  const width = (io.out as { isTTY?: boolean; columns?: number }).isTTY ? (io.out as { columns?: number }).columns : undefined;
  const program = new Command('hypergrad')
    .description('Multilevel optimization, hypergradients and HPO on TensorFlow.js.')
    .usage('<command> [options]')
    .version(packageVersion(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help (of a command: hypergrad <command> --help)')
    .helpCommand(false)
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out.write(s), writeErr: (s) => io.err.write(s), outputError: () => {} })
    .configureHelp({
      helpWidth: width ?? 120, sortSubcommands: false, sortOptions: false, subcommandTerm: (c) => `${c.name()} ${c.usage().trim()}`.trim(),
      // A command's own subcommands are listed after its options, in full (`hypergrad hpo worker ...`), not in commander's
      // table, whose long terms would widen the options' column.
      visibleCommands: (c) => (c.parent === null ? Help.prototype.visibleCommands.call(new Help(), c) : []),
    });
  const add = (parent: Command, spec: CommandSpec, who: string) => {
    const sub = parent.command(spec.name).summary(spec.summary).description(spec.description ?? spec.summary).usage(usage(spec) || ' ');
    if (spec.group === 'tools') sub.helpGroup('Tools:');
    for (const a of spec.arguments ?? []) sub.argument(`[${a.name}]`, a.description);
    for (const [key, o] of Object.entries(spec.options)) sub.option(optionFlags(key, o), optionHelp(o));
    if (spec.experimentFile) sub.option('--config <FILE>', 'an experiment file: any of these options as JSON; the command line overrides it');
    const subWho = `${who} ${spec.name}`;
    const after = (spec.subcommands ?? []).map((c) => `  ${`${subWho} ${c.name} ${usage(c)}`.trimEnd()}\n      ${c.summary}`);
    const subcommandHelp = after.length > 0 ? [`Subcommands (${subWho} <command> --help for each):\n${after.join('\n')}`] : [];
    if (spec.helpAfter !== undefined || after.length > 0) {
      sub.addHelpText('after', () => `\n${[...subcommandHelp, ...(spec.helpAfter ? [spec.helpAfter()] : [])].join('\n\n')}`);
    }
    if (spec.subcommands !== undefined) {
      sub.enablePositionalOptions();
      for (const child of spec.subcommands) add(sub, child, subWho);
    }
    sub.action((...values: unknown[]) => {
      const n = spec.arguments?.length ?? 0;
      onParsed({ who: subWho, spec, args: values.slice(0, n) as (string | undefined)[], options: (values[n + 1] as Command).opts() });
    });
  };
  program.enablePositionalOptions();
  for (const spec of orderedCommands(commands)) add(program, spec, 'hypergrad');
  program.commandsGroup('Commands:');
  return program;
}

/** Checks the parsed values (command line over experiment file over defaults) and runs the command. */
async function execute({ who, spec, args: cliArgs, options: cli }: Parsed, io: CliIo, commands: readonly CommandSpec[]): Promise<number> {
  const argSpecs = spec.arguments ?? [];
  // `--resume DIR` of a run folder reads the options the run started with, like `--config DIR/experiment.json`.
  const resumed = typeof cli.resume === 'string' && 'resume' in spec.options && existsSync(join(cli.resume, EXPERIMENT_FILE)) ? join(cli.resume, EXPERIMENT_FILE) : undefined;
  const configPath = (cli.config as string | undefined) ?? resumed;
  let file: Record<string, unknown> = {};
  if (resumed === undefined && typeof cli.resume === 'string' && 'resume' in spec.options) {
    // hpo's --resume also takes a storage URL (or a journal file); elsewhere it names a run folder.
    const isDir = existsSync(cli.resume) && statSync(cli.resume).isDirectory();
    if (isDir || (spec.name !== 'hpo' && !existsSync(cli.resume))) throw new Error(`${who}: --resume ${cli.resume}: no run to resume there (no ${EXPERIMENT_FILE}); start one with --out ${cli.resume}`);
  }
  if (resumed !== undefined && configPath === resumed) {
    const kind = (JSON.parse(readFileSync(resumed, 'utf8')) as { command?: unknown }).command;
    if (kind !== undefined && kind !== spec.name) throw new Error(`${who}: --resume ${cli.resume as string}: it holds a 'hypergrad ${String(kind)}' run, not a '${spec.name}' one`);
  }
  try {
    if (configPath !== undefined) file = readExperimentFile(configPath, spec.name, [...argSpecs.map((a) => a.name), ...Object.keys(spec.options)], who);
  } catch (e) {
    throw configPath === resumed ? new Error((e as Error).message.replace('--config:', '--resume:')) : e;
  }
  const args: Record<string, string | undefined> = {};
  argSpecs.forEach((a, i) => {
    const value = cliArgs[i] ?? file[a.name];
    if (value !== undefined && typeof value !== 'string') throw new Error(`${who}: '${a.name}' in ${configPath} must be a string, got ${JSON.stringify(value)}`);
    if (value === undefined && a.required) throw new Error(`${who}: the argument <${a.name}> is required (${a.description})`);
    args[a.name] = value;
  });
  const options: Record<string, unknown> = {};
  for (const [key, o] of Object.entries(spec.options)) {
    if (cli[key] !== undefined) options[key] = o.kind.parse(cli[key], { who, name: `--${kebab(key)}` });
    else if (file[key] !== undefined) options[key] = o.kind.parse(file[key], { who, name: `'${key}' in ${configPath}` });
    else if (o.required) throw new Error(`${who}: --${kebab(key)} is required`);
    else options[key] = o.default;
  }
  return spec.run({ args, options: options as never, io, who, commands });
}

/** Writes an error as `hypergrad <command>: message` (once, whoever built the message). */
function report(io: CliIo, who: string, e: unknown): number {
  const message = e instanceof Error ? e.message : String(e);
  io.err.write(`${message.startsWith(`${who}: `) ? message : `${who}: ${message}`}\n`);
  return 2;
}

/**
 * Runs `hypergrad <argv...>` against a command table (default: the built-in one); resolves with the
 * exit code: 0 on success and for `--help`/`--version`, 2 for bad usage and failed runs.
 */
export async function runCli(argv: readonly string[], io: CliIo, commands: readonly CommandSpec[]): Promise<number> {
  const [first] = argv;
  if (first === undefined) {
    io.out.write(buildProgram(commands, io).helpInformation());
    return 2;
  }
  const chosen = commands.find((c) => c.name === first);
  if (!first.startsWith('-') && chosen === undefined) {
    io.err.write(`hypergrad: unknown command '${first}'; accepted: ${acceptedCommands(orderedCommands(commands))}\n`);
    return 2;
  }
  const child = chosen?.subcommands?.find((c) => c.name === argv[1]);
  const target = child ?? chosen;
  const who = chosen === undefined ? 'hypergrad' : `hypergrad ${chosen.name}${child === undefined ? '' : ` ${child.name}`}`;
  let parsed: Parsed | null = null;
  try {
    await buildProgram(commands, io, (p) => { parsed = p; }).parseAsync([...argv], { from: 'user' });
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    if (['commander.helpDisplayed', 'commander.help', 'commander.version'].includes(e.code)) return 0;
    const options = target === undefined ? '' : Object.keys(target.options).map((k) => `--${kebab(k)}`).join(', ');
    const hint = e.code === 'commander.unknownOption' && options !== '' ? `; options are ${options}` : `; see ${who} --help`;
    return report(io, who, new Error(`${e.message.replace(/^error: /, '').replace(/\s*\n\s*/g, ' ').replace(/\.$/, '')}${hint}`));
  }
  if (parsed === null) return 0;
  const done: Parsed = parsed;
  try {
    return await execute(done, io, commands);
  } catch (e) {
    return report(io, done.who, e);
  }
}
