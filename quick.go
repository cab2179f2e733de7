package main

import "strings"

// Most runs are rigup-exec [flags] -- COMMAND, many of them nested ones
// that only exec the command (every tool a rig's shell or agent starts
// through its wrapper). Building kong's grammar costs more than such a
// run's own work, so quickParse reads that form of command line by hand;
// kong parses everything else, and TestQuickParseAgreesWithKong holds the
// two to the same result.

// quickParse reads args of the form [FLAG...] -- COMMAND [ARG...] into
// cli, and reports whether it could. The flags it reads are those of runs,
// each written as a word of its own, its value as the next word or, for
// the long names, after "=": -t/--templates, -s/--secrets, -i/--identity
// (repeatable), --allow-disk, --janitor, -v/--verbose, --[no-]user-config.
// Anything else (a command word, help, combined short flags, a flag other
// than --identity given twice, a value that begins with "-" in a word of
// its own, which kong refuses) is left to kong, with cli untouched.
func quickParse(args []string, cli *CLI) bool {
	var (
		c    CLI
		seen = map[string]bool{} // by long name
	)
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			if i+1 == len(args) {
				return false
			}
			cli.Templates, cli.Secrets, cli.Identity = c.Templates, c.Secrets, c.Identity
			cli.AllowDisk, cli.Janitor, cli.Verbose, cli.UserConfig = c.AllowDisk, c.Janitor, c.Verbose, c.UserConfig
			// As kong leaves it: runCmd.argv drops the "--".
			cli.Run.Command = args[i:]
			return true
		}
		name, value, attached := strings.Cut(a, "=")
		if attached && !strings.HasPrefix(name, "--") {
			return false
		}
		switch name {
		case "-t":
			name = "--templates"
		case "-s":
			name = "--secrets"
		case "-i":
			name = "--identity"
		case "-v":
			name = "--verbose"
		}
		if seen[name] && name != "--identity" || name == "--user-config" && seen["--no-user-config"] ||
			name == "--no-user-config" && seen["--user-config"] {
			return false
		}
		seen[name] = true
		switch name {
		case "--templates", "--secrets", "--identity":
			if !attached {
				if i+1 == len(args) {
					return false
				}
				i++
				value = args[i]
				if strings.HasPrefix(value, "-") {
					return false // kong refuses a value that looks like a flag
				}
			}
			switch name {
			case "--templates":
				c.Templates = value
			case "--secrets":
				c.Secrets = value
			default:
				c.Identity = append(c.Identity, value)
			}
			continue
		}
		if attached {
			return false
		}
		on, off := true, false
		switch name {
		case "--allow-disk":
			c.AllowDisk = true
		case "--janitor":
			c.Janitor = true
		case "--verbose":
			c.Verbose = true
		case "--user-config":
			c.UserConfig = &on
		case "--no-user-config":
			c.UserConfig = &off
		default:
			return false
		}
	}
	return false
}
