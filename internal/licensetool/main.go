// Command licensetool issues and checks MastraAdmin license keys.
//
// Usage:
//
//	go run ./internal/licensetool keygen -out DIR
//	go run ./internal/licensetool sign -key DIR/license.key -customer NAME -tier TIER -days N \
//		[-teams N] [-projects N] [-servers N] [-users N] [-features a,b] [-id ID] [-issued YYYY-MM-DD]
//	go run ./internal/licensetool verify -pub DIR/license.pub LICENSE
//
// keygen creates a new Ed25519 signing key pair in DIR (created if missing):
// license.pub, the public key in the text form admin.ParseLicensePublicKey
// reads ("mlpk1.…", mode 0644), and license.key, the private key ("mlsk1.…",
// mode 0600). It never overwrites an existing key. Keep license.key secret:
// anyone holding it can issue licenses.
//
// sign prints a license key ("mlic1.…") for the customer. Tiers are
// development, base, enterprise and enterprise-plus; limits default to 0,
// which means unlimited; -features grants features beyond the tier's
// (preview-deployments, sso, audit-export, kubernetes-runner). The license
// is issued now (or at -issued, UTC midnight) and expires -days later.
//
// verify checks LICENSE (the key itself, or @FILE to read it from a file)
// against the public key and prints the license as JSON. A license that does
// not verify, has expired or is not valid yet is reported on stderr.
//
// Errors go to stderr and exit with status 2.
package main

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

const (
	pubFile           = "license.pub"
	keyFile           = "license.key"
	privateKeyPrefix  = "mlsk1."
	usage             = "usage: licensetool keygen|sign|verify [flags]; licensetool COMMAND -h for the flags"
	exitOK, exitError = 0, 2
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// run executes the command line args and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return exitError
	}
	commands := map[string]func([]string, io.Writer, io.Writer) error{
		"keygen": keygen,
		"sign":   sign,
		"verify": verify,
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "licensetool: unknown command %q\n%s\n", args[0], usage)
		return exitError
	}
	switch err := cmd(args[1:], stdout, stderr); {
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case err != nil:
		fmt.Fprintf(stderr, "licensetool %s: %v\n", args[0], err)
		return exitError
	}
	return exitOK
}

// parseFlags parses args into fs, reporting flag errors on stderr, and
// requires exactly nargs positional arguments.
func parseFlags(fs *flag.FlagSet, args []string, stderr io.Writer, nargs int, argsUsage string) error {
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: licensetool %s [flags] %s\n", fs.Name(), argsUsage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != nargs {
		fs.Usage()
		return fmt.Errorf("want %d argument(s) after the flags, got %d", nargs, fs.NArg())
	}
	return nil
}

func keygen(args []string, _, stderr io.Writer) error {
	fs := flag.NewFlagSet("keygen", flag.ContinueOnError)
	out := fs.String("out", "", "directory to write license.pub and license.key to (required)")
	if err := parseFlags(fs, args, stderr, 0, ""); err != nil {
		return err
	}
	if *out == "" {
		return errors.New("-out is required")
	}
	pubPath, keyPath := filepath.Join(*out, pubFile), filepath.Join(*out, keyFile)
	for _, p := range []string{pubPath, keyPath} {
		if _, err := os.Lstat(p); err == nil {
			return fmt.Errorf("%s already exists: refusing to replace a signing key", p)
		}
	}
	pub, priv, err := admin.GenerateLicenseKeyPair()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	// The private key first: if the public key then fails, no public key
	// exists without its private half.
	if err := writeNew(keyPath, privateKeyPrefix+base64.RawURLEncoding.EncodeToString(priv.Seed())+"\n", 0o600); err != nil {
		return err
	}
	if err := writeNew(pubPath, admin.FormatLicensePublicKey(pub)+"\n", 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "wrote %s and %s (keep %s secret)\n", pubPath, keyPath, keyFile)
	return nil
}

// writeNew creates path with data and mode; it fails if path exists.
func writeNew(path, data string, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func readPrivateKey(path string) (ed25519.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	s := strings.TrimSpace(string(b))
	if !strings.HasPrefix(s, privateKeyPrefix) {
		return nil, fmt.Errorf("%s: not a license private key (want %q…, as written by keygen)", path, privateKeyPrefix)
	}
	seed, err := base64.RawURLEncoding.Strict().DecodeString(strings.TrimPrefix(s, privateKeyPrefix))
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("%s: corrupt license private key", path)
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

func sign(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sign", flag.ContinueOnError)
	keyPath := fs.String("key", "", "private key file written by keygen (required)")
	var l admin.License
	fs.StringVar(&l.ID, "id", "", "license id (default: a new lic_… id)")
	fs.StringVar(&l.Customer, "customer", "", "customer name (required)")
	tier := fs.String("tier", "", "tier: development, base, enterprise or enterprise-plus (required)")
	days := fs.Int("days", 0, "days the license is valid (required)")
	issued := fs.String("issued", "", "issue date YYYY-MM-DD, UTC (default: now)")
	fs.IntVar(&l.Limits.Teams, "teams", 0, "maximum teams (0: unlimited)")
	fs.IntVar(&l.Limits.Projects, "projects", 0, "maximum projects (0: unlimited)")
	fs.IntVar(&l.Limits.RunningServers, "servers", 0, "maximum running servers (0: unlimited)")
	fs.IntVar(&l.Limits.Users, "users", 0, "maximum users (0: unlimited)")
	features := fs.String("features", "", "comma-separated features granted beyond the tier's")
	exclude := fs.String("exclude", "", "comma-separated features of the tier this license withholds")
	if err := parseFlags(fs, args, stderr, 0, ""); err != nil {
		return err
	}
	switch {
	case *keyPath == "":
		return errors.New("-key is required")
	case *days <= 0:
		return fmt.Errorf("-days must be positive, got %d", *days)
	}
	l.Tier = admin.Tier(*tier)
	l.IssuedAt = time.Now().UTC().Truncate(time.Second)
	if *issued != "" {
		t, err := time.Parse(time.DateOnly, *issued)
		if err != nil {
			return fmt.Errorf("-issued %q: want YYYY-MM-DD", *issued)
		}
		l.IssuedAt = t
	}
	l.ExpiresAt = l.IssuedAt.AddDate(0, 0, *days)
	l.Features = splitList(*features)
	l.ExcludedFeatures = splitList(*exclude)
	priv, err := readPrivateKey(*keyPath)
	if err != nil {
		return err
	}
	key, err := admin.SignLicense(priv, l)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, key)
	return nil
}

// splitList splits a comma-separated flag value, dropping empty items.
func splitList(s string) []string {
	var out []string
	for f := range strings.SplitSeq(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func verify(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	pubPath := fs.String("pub", "", "public key file written by keygen (required)")
	if err := parseFlags(fs, args, stderr, 1, "LICENSE|@FILE"); err != nil {
		return err
	}
	if *pubPath == "" {
		return errors.New("-pub is required")
	}
	b, err := os.ReadFile(*pubPath)
	if err != nil {
		return err
	}
	pub, err := admin.ParseLicensePublicKey(string(b))
	if err != nil {
		return fmt.Errorf("%s: %w", *pubPath, err)
	}
	key := fs.Arg(0)
	if name, ok := strings.CutPrefix(key, "@"); ok {
		b, err := os.ReadFile(name)
		if err != nil {
			return err
		}
		key = string(b)
	}
	l, err := admin.ParseLicense(key, pub)
	if err != nil {
		return err
	}
	out, err := json.MarshalIndent(l, "", "  ")
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s\n", out)
	return l.Check(time.Now())
}
