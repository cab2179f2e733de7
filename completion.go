package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/alecthomas/kong"
)

// grammar is what completion needs of the command line: the flags (those
// before a command, which rigup-exec takes anywhere before the program,
// and each command's own) and the commands, with their subcommands.
type grammar struct {
	flags    []flag
	commands []command
}

type flag struct {
	long, short, help string
	value             string // "" for a switch; "dir", "file" or "any"
}

type command struct {
	path  string // "secrets edit"
	help  string
	flags []flag
}

// grammarOf reads the grammar from kong's model: visible commands (run
// aside: it is what a program name or -- means) and flags.
func grammarOf(root *kong.Node) grammar {
	var g grammar
	g.flags = flagsOf(root)
	var walk func(n *kong.Node, prefix string)
	walk = func(n *kong.Node, prefix string) {
		for _, c := range n.Children {
			if c.Hidden || c.Type != kong.CommandNode || c.Name == "run" {
				continue
			}
			path := strings.TrimSpace(prefix + " " + c.Name)
			g.commands = append(g.commands, command{path: path, help: c.Help, flags: flagsOf(c)})
			walk(c, path)
		}
	}
	walk(root, "")
	return g
}

func flagsOf(n *kong.Node) []flag {
	var fs []flag
	for _, f := range n.Flags {
		if f.Hidden {
			continue
		}
		fl := flag{long: f.Name, help: firstSentence(f.Help)}
		if f.Short != 0 {
			fl.short = string(f.Short)
		}
		if !f.IsBool() && !f.IsCounter() {
			fl.value = "any"
			switch f.PlaceHolder {
			case "DIR":
				fl.value = "dir"
			case "FILE", "KEY":
				fl.value = "file"
			}
		}
		fs = append(fs, fl)
		if f.Tag.Negatable != "" {
			fs = append(fs, flag{long: "no-" + f.Name, help: fl.help})
		}
	}
	return fs
}

func firstSentence(s string) string {
	s, _, _ = strings.Cut(s, " (")
	s, _, _ = strings.Cut(s, ". ")
	return strings.TrimSuffix(s, ".")
}

// completionScript writes the completion script of shell for g.
func completionScript(shell string, g grammar) (string, error) {
	switch shell {
	case "bash":
		return "# rigup-exec completion for bash: eval \"$(rigup-exec completion bash)\"\n" + bashFunction(g), nil
	case "zsh":
		// zsh runs the bash function through bashcompinit, which needs
		// compinit loaded first, as a .zshrc with completion has it.
		return "#compdef rigup-exec\n" +
			"# rigup-exec completion for zsh, after compinit: source <(rigup-exec completion zsh)\n" +
			"autoload -U +X bashcompinit && bashcompinit\n" + bashFunction(g), nil
	case "fish":
		return fishScript(g), nil
	}
	return "", fmt.Errorf("no completion for %s: bash, zsh or fish", shell)
}

// bashFunction completes, from the words so far: after --, a command name,
// then its files; after a flag that takes a directory or a file, those;
// else flags (of the command given, if any) or commands.
func bashFunction(g grammar) string {
	var b strings.Builder
	valued := map[string][]string{}
	for _, f := range allFlags(g) {
		if f.value == "" {
			continue
		}
		valued[f.value] = append(valued[f.value], "--"+f.long)
		if f.short != "" {
			valued[f.value] = append(valued[f.value], "-"+f.short)
		}
	}
	for k := range valued {
		slices.Sort(valued[k])
		valued[k] = slices.Compact(valued[k])
	}
	fmt.Fprintf(&b, `_rigup_exec_reply() {
	local out line
	out=$("$@")
	COMPREPLY=()
	[ -n "$out" ] || return 0
	# Line by line: bash 3.2 (macOS) and zsh have no mapfile.
	while IFS= read -r line; do
		COMPREPLY+=("$line")
	done <<<"$out"
}
_rigup_exec() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
	local i w cmd=""
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		if [[ $w == -- ]]; then
			if ((COMP_CWORD == i + 1)); then
				_rigup_exec_reply compgen -c -- "$cur"
			else
				_rigup_exec_reply compgen -f -- "$cur"
			fi
			return
		fi
		case $w in
		%s) ((i++)) ;;
		-*) ;;
		*) cmd="${cmd:+$cmd }$w" ;;
		esac
	done
	case $prev in
	%s)
		_rigup_exec_reply compgen -d -- "$cur"
		return ;;
	%s)
		_rigup_exec_reply compgen -f -- "$cur"
		return ;;
	%s)
		return ;;
	esac
	local words
	case $cmd in
`, orPattern(append(append(valued["dir"], valued["file"]...), valued["any"]...)),
		orPattern(valued["dir"]), orPattern(valued["file"]), orPattern(valued["any"]))
	flagWords := func(fs []flag) string {
		var ws []string
		for _, f := range fs {
			ws = append(ws, "--"+f.long)
			if f.short != "" {
				ws = append(ws, "-"+f.short)
			}
		}
		return strings.Join(ws, " ")
	}
	top := flagWords(g.flags)
	for _, c := range g.commands {
		words := strings.Fields(top + " " + flagWords(c.flags) + " " + strings.Join(subcommands(g, c.path), " "))
		fmt.Fprintf(&b, "\t%q) words=%q ;;\n", c.path, strings.Join(words, " "))
	}
	words := strings.Fields(top + " " + strings.Join(subcommands(g, ""), " ") + " --")
	fmt.Fprintf(&b, "\t'') words=%q ;;\n", strings.Join(words, " "))
	b.WriteString("\t*) return ;;\n\tesac\n")
	b.WriteString("\t_rigup_exec_reply compgen -W \"$words\" -- \"$cur\"\n}\ncomplete -o filenames -F _rigup_exec rigup-exec\n")
	return b.String()
}

// subcommands returns the names of the commands right under path.
func subcommands(g grammar, path string) []string {
	var names []string
	for _, c := range g.commands {
		parent, name := "", c.path
		if i := strings.LastIndex(c.path, " "); i >= 0 {
			parent, name = c.path[:i], c.path[i+1:]
		}
		if parent == path {
			names = append(names, name)
		}
	}
	return names
}

func allFlags(g grammar) []flag {
	fs := slices.Clone(g.flags)
	for _, c := range g.commands {
		fs = append(fs, c.flags...)
	}
	return fs
}

func orPattern(words []string) string {
	if len(words) == 0 {
		return "--never-a-flag--"
	}
	return strings.Join(words, "|")
}

// fishScript declares the completions to fish: after --, a command, then
// files; before it, flags and commands as the words so far allow.
func fishScript(g grammar) string {
	var b strings.Builder
	b.WriteString(`# rigup-exec completion for fish: rigup-exec completion fish | source
function __rigup_exec_after_dashdash
	contains -- -- (commandline -opc)[2..-1]
end
function __rigup_exec_program
	test (commandline -opc)[-1] = --
end
complete -c rigup-exec -n __rigup_exec_program -f -a '(__fish_complete_command)'
complete -c rigup-exec -n '__rigup_exec_after_dashdash; and not __rigup_exec_program' -F
`)
	const before = "not __rigup_exec_after_dashdash"
	writeFlag := func(cond string, f flag) {
		fmt.Fprintf(&b, "complete -c rigup-exec -n %s -l %s", fishQuote(cond), f.long)
		if f.short != "" {
			fmt.Fprintf(&b, " -s %s", f.short)
		}
		switch f.value {
		case "dir":
			b.WriteString(" -x -a '(__fish_complete_directories)'")
		case "file":
			b.WriteString(" -r -F")
		case "any":
			b.WriteString(" -x")
		}
		fmt.Fprintf(&b, " -d %s\n", fishQuote(f.help))
	}
	for _, f := range g.flags {
		writeFlag(before, f)
	}
	for _, c := range g.commands {
		parent, name := "", c.path
		if i := strings.LastIndex(c.path, " "); i >= 0 {
			parent, name = c.path[:i], c.path[i+1:]
		}
		cond := before + "; and __fish_use_subcommand"
		if parent != "" {
			siblings := subcommands(g, parent)
			cond = fmt.Sprintf("%s; and __fish_seen_subcommand_from %s; and not __fish_seen_subcommand_from %s", before, parent, strings.Join(siblings, " "))
		}
		fmt.Fprintf(&b, "complete -c rigup-exec -n %s -f -a %s -d %s\n", fishQuote(cond), name, fishQuote(firstSentence(c.help)))
		for _, f := range c.flags {
			writeFlag(fmt.Sprintf("%s; and __fish_seen_subcommand_from %s", before, name), f)
		}
	}
	return b.String()
}

func fishQuote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}
