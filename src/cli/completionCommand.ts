import { type CommandSpec, defineCommand, kebab, option } from './defineCommand.js';
import { choice } from './optionValues.js';
import { orderedCommands } from './program.js';

/**
 * A bash completion script for a command table: command names first, then each command's options
 * (and `--config`, `--help`), its first argument's values (problem names), its subcommands and
 * their options, and file names. zsh runs it through `bashcompinit`.
 */
export function bashCompletion(commands: readonly CommandSpec[]): string {
  const words = (c: CommandSpec) => {
    const flags = [...Object.keys(c.options).map((k) => `--${kebab(k)}`), ...(c.experimentFile ? ['--config'] : []), '--help'];
    return `opts="${flags.join(' ')}"; args="${(c.arguments?.[0]?.completions?.() ?? []).join(' ')}"`;
  };
  // A command with subcommands (`hpo worker`) offers their names as its second word, then each one's options.
  const subcases = (c: CommandSpec) => (c.subcommands === undefined ? '' : [
    `; case "\${COMP_WORDS[2]}" in ${c.subcommands.map((sub) => `${sub.name}) ${words(sub)} ;;`).join(' ')} esac`,
    `; [ "$COMP_CWORD" -eq 2 ] && args="${c.subcommands.map((sub) => sub.name).join(' ')} $args"`,
  ].join(''));
  const cases = orderedCommands(commands).map((c) => `    ${c.name}) ${words(c)}${subcases(c)} ;;`);
  return `# hypergrad completion for bash (zsh: autoload -U +X bashcompinit && bashcompinit, then source this)
_hypergrad() {
  local cur=\${COMP_WORDS[COMP_CWORD]} opts="" args=""
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W "${orderedCommands(commands).map((c) => c.name).join(' ')} --help --version" -- "$cur"))
    return
  fi
  case "\${COMP_WORDS[1]}" in
${cases.join('\n')}
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
  else
    COMPREPLY=($(compgen -W "$args" -- "$cur") $(compgen -f -- "$cur"))
  fi
}
complete -o filenames -F _hypergrad hypergrad
`;
}

/** `hypergrad completion`: prints the completion script, generated from the command table. */
export const completionCommand = defineCommand({
  name: 'completion',
  group: 'tools',
  summary: 'print a shell completion script: hypergrad completion >> ~/.bashrc',
  options: { shell: option(choice('SHELL', ['bash', 'zsh'] as const), 'the shell (zsh through bashcompinit)', { default: 'bash' }) },
  run({ options, io, commands }) {
    io.out.write(`${options.shell === 'zsh' ? 'autoload -U +X bashcompinit && bashcompinit\n' : ''}${bashCompletion(commands)}`);
    return 0;
  },
});
