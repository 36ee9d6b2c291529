package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv))
}

// env is how commands read the environment (tests pass their own).
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
}

// run executes one command line and returns the exit status.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	e := env{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv}
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch cmd, rest := args[0], args[1:]; cmd {
	case "token":
		err = e.token(rest)
	case "login":
		err = e.login(rest)
	case "rooms":
		err = e.rooms(rest)
	case "send":
		err = e.send(rest)
	case "watch":
		err = e.watch(rest)
	case "health":
		err = e.health(rest)
	case "load":
		err = e.load(rest)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		err = fmt.Errorf("unknown command %q\n%s", cmd, usage)
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintln(stderr, "parley:", err)
		return 2
	}
	fmt.Fprintln(stderr, "parley:", err)
	return 1
}

// errUsage marks errors in how the command was called (exit status 2).
var errUsage = errors.New("usage")

const usage = `usage:
  parley token --user U [--admin] [--ttl 1h] [--data-dir ./data]
  parley login --username U [--server URL]
  parley rooms create --name N [--kind public|private] [--description D]
  parley rooms list [--search S] [--page N] [--member-only]
  parley send --room R --body B [--client-id C]
  parley watch --room R [--since N] [--count N]
  parley health
  parley load [--rooms 10] [--senders 32] [--messages 20000] [--duration 60s] [--watchers 0]
common flags: --server URL (PARLEY_SERVER), --token T (PARLEY_TOKEN)
`

func (e env) flags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("parley "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	return fs
}

func (e env) parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	return nil
}

func required(name, value string) error {
	if value == "" {
		return fmt.Errorf("%w: --%s is required", errUsage, name)
	}
	return nil
}
