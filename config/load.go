package config

import (
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/authgate/authgate/httpx"
)

// EnvPrefix is the prefix of every environment variable authgate reads.
const EnvPrefix = "AUTHGATE_"

// Errors collects every invalid setting so that one start-up reports them all.
type Errors struct {
	List []string
}

func (e *Errors) add(name, format string, args ...any) {
	e.List = append(e.List, fmt.Sprintf("%s%s: %s", EnvPrefix, name, fmt.Sprintf(format, args...)))
}

func (e *Errors) Error() string {
	return "invalid configuration:\n  " + strings.Join(e.List, "\n  ")
}

// ErrHelp is returned when the flags asked for help.
var ErrHelp = flag.ErrHelp

// Load reads the configuration: flags (args, without the subcommand) over
// the environment (getenv) over the YAML file (--config or AUTHGATE_CONFIG)
// over defaults. It returns *Errors listing every bad setting, or ErrHelp.
func Load(args []string, getenv func(string) string, usage io.Writer) (*Config, error) {
	fs := flag.NewFlagSet("authgate", flag.ContinueOnError)
	fs.SetOutput(usage)
	flagVals := map[string]*string{}
	configFile := fs.String("config", getenv(EnvPrefix+"CONFIG"), "YAML configuration file (env AUTHGATE_CONFIG)")
	for _, s := range settings {
		help := s.Help + " (env " + EnvPrefix + s.Name + ")"
		if s.Default != "" {
			help += " [default " + s.Default + "]"
		}
		flagVals[s.Name] = fs.String(FlagName(s.Name), "", help)
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, &Errors{List: []string{fmt.Sprintf("unexpected arguments: %s", strings.Join(fs.Args(), " "))}}
	}
	setByFlag := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { setByFlag[f.Name] = true })

	errs := &Errors{}
	fileVals := map[string]string{}
	if *configFile != "" {
		var err error
		fileVals, err = readYAML(*configFile)
		if err != nil {
			errs.List = append(errs.List, err.Error())
		}
	}

	c := &Config{ConfigFile: *configFile}
	for _, s := range settings {
		v, from := s.Default, "default"
		if fv, ok := fileVals[YAMLName(s.Name)]; ok {
			v, from = fv, *configFile
		}
		if ev, ok := lookup(getenv, EnvPrefix+s.Name); ok {
			v, from = ev, "environment"
		}
		if setByFlag[FlagName(s.Name)] {
			v, from = *flagVals[s.Name], "flag --"+FlagName(s.Name)
		}
		shown := v
		if s.Secret && v != "" {
			shown = "(hidden)"
		}
		c.Effective = append(c.Effective, Effective{Name: EnvPrefix + s.Name, Value: shown, Source: from})
		if err := s.Set(c, strings.TrimSpace(v)); err != nil {
			errs.add(s.Name, "%q (from %s) %v", shown, from, err)
		}
	}
	finish(c, errs)
	if len(errs.List) > 0 {
		return c, errs
	}
	return c, nil
}

// lookup treats an empty variable as set only when it is really set:
// getenv cannot tell, so os.LookupEnv is used when getenv is os.Getenv.
func lookup(getenv func(string) string, name string) (string, bool) {
	v := getenv(name)
	if v != "" {
		return v, true
	}
	return "", false
}

func readYAML(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config file: %w", err)
	}
	var raw map[string]any
	if err := yaml.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("config file %s: %w", path, err)
	}
	known := map[string]bool{}
	for _, s := range settings {
		known[YAMLName(s.Name)] = true
	}
	out := map[string]string{}
	var unknown []string
	for k, v := range raw {
		if !known[k] {
			unknown = append(unknown, k)
			continue
		}
		switch v := v.(type) {
		case nil:
			out[k] = ""
		case map[string]any, []any:
			return nil, fmt.Errorf("config file %s: %s must be a single value", path, k)
		default:
			out[k] = fmt.Sprint(v)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return out, fmt.Errorf("config file %s: unknown settings: %s", path, strings.Join(unknown, ", "))
	}
	return out, nil
}

// FlagName is the flag of a setting: LISTEN → listen, ACCESS_TTL → access-ttl.
func FlagName(name string) string { return strings.ReplaceAll(strings.ToLower(name), "_", "-") }

// YAMLName is the YAML key of a setting: ACCESS_TTL → access_ttl.
func YAMLName(name string) string { return strings.ToLower(name) }

func checkCIDRs(v string) error {
	_, err := httpx.ParseTrustedProxies(v)
	return err
}
