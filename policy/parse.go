package policy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Parse parses a policy file. Every problem is an error naming the rule
// index and field (e.g. `rules[2].allow.roles: must be a non-empty list`);
// unknown keys anywhere are errors, so that a typo ("role:") can never
// quietly widen a rule. An empty document is the empty policy.
func Parse(data []byte) (*Policy, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return &Policy{def: KindAuthenticated}, nil
		}
		return nil, fmt.Errorf("policy: %w", err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, errors.New("policy: the file must hold exactly one YAML document")
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return &Policy{def: KindAuthenticated}, nil
	}
	if root.Kind != yaml.MappingNode {
		return nil, fieldErr(root, "policy", "must be a mapping with rules and default")
	}
	p := &Policy{def: KindAuthenticated}
	err := eachKey(root, "policy", func(key string, val *yaml.Node) error {
		switch key {
		case "rules":
			if isNull(val) {
				return nil
			}
			if val.Kind != yaml.SequenceNode {
				return fieldErr(val, "rules", "must be a list")
			}
			for i, rn := range val.Content {
				r, err := parseRule(rn, fmt.Sprintf("rules[%d]", i))
				if err != nil {
					return err
				}
				p.rules = append(p.rules, r)
			}
		case "default":
			s, err := scalarString(val, "default")
			if err != nil {
				return err
			}
			switch s {
			case "authenticated":
				p.def = KindAuthenticated
			case "deny":
				p.def = KindDeny
			default:
				return fieldErr(val, "default", fmt.Sprintf("%q is not one of authenticated, deny", s))
			}
		case "case_insensitive_paths":
			b, err := scalarBool(val, key)
			if err != nil {
				return err
			}
			p.caseInsensitive = b
		default:
			return fieldErr(val, key, "unknown key (want rules, default, case_insensitive_paths)")
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if p.caseInsensitive {
		// Lower-case the path patterns once; paths are lower-cased per request.
		for i := range p.rules {
			if g := p.rules[i].path; g != nil {
				for j := range g.parts {
					g.parts[j].text = strings.ToLower(g.parts[j].text)
				}
			}
		}
	}
	return p, nil
}

func parseRule(n *yaml.Node, at string) (rule, error) {
	var r rule
	if n.Kind != yaml.MappingNode {
		return r, fieldErr(n, at, "must be a mapping with match and allow")
	}
	sawMatch, sawAllow := false, false
	err := eachKey(n, at, func(key string, val *yaml.Node) error {
		switch key {
		case "match":
			sawMatch = true
			return parseMatch(&r, val, at+".match")
		case "allow":
			sawAllow = true
			return parseAllow(&r, val, at+".allow")
		}
		return fieldErr(val, at+"."+key, "unknown key (want match, allow)")
	})
	if err != nil {
		return r, err
	}
	if !sawMatch {
		return r, fieldErr(n, at+".match", "missing (use match: {path: \"/**\"} to match every request)")
	}
	if !sawAllow {
		return r, fieldErr(n, at+".allow", "missing")
	}
	return r, nil
}

func parseMatch(r *rule, n *yaml.Node, at string) error {
	if n.Kind != yaml.MappingNode {
		return fieldErr(n, at, "must be a mapping of host, path, methods")
	}
	if len(n.Content) == 0 {
		return fieldErr(n, at, "is empty (use path: \"/**\" to match every request)")
	}
	return eachKey(n, at, func(key string, val *yaml.Node) error {
		switch key {
		case "host":
			s, err := scalarString(val, at+".host")
			if err != nil {
				return err
			}
			if s == "" {
				return fieldErr(val, at+".host", "must not be empty (leave it out to match any host)")
			}
			if strings.ContainsAny(s, "/:") {
				return fieldErr(val, at+".host", "must be a host name glob without scheme, port or path")
			}
			g, err := compileGlob(strings.ToLower(strings.TrimSuffix(s, ".")), '.')
			if err != nil {
				return fieldErr(val, at+".host", err.Error())
			}
			r.host = g
		case "path":
			s, err := scalarString(val, at+".path")
			if err != nil {
				return err
			}
			if !strings.HasPrefix(s, "/") {
				return fieldErr(val, at+".path", fmt.Sprintf("%q must start with /", s))
			}
			if strings.ContainsAny(s, "?#%\\") {
				return fieldErr(val, at+".path", fmt.Sprintf("%q: write the decoded path without query, escapes or backslashes", s))
			}
			for _, seg := range strings.Split(s, "/") {
				if seg == "." || seg == ".." {
					return fieldErr(val, at+".path", fmt.Sprintf("%q: dot segments never match a normalized path", s))
				}
			}
			g, err := compileGlob(s, '/')
			if err != nil {
				return fieldErr(val, at+".path", err.Error())
			}
			r.path = g
		case "methods":
			if val.Kind != yaml.SequenceNode || len(val.Content) == 0 {
				return fieldErr(val, at+".methods", "must be a non-empty list (leave it out to match any method)")
			}
			for i, m := range val.Content {
				s, err := scalarString(m, fmt.Sprintf("%s.methods[%d]", at, i))
				if err != nil {
					return err
				}
				s = strings.ToUpper(strings.TrimSpace(s))
				if s == "" || strings.ContainsAny(s, " \t/") {
					return fieldErr(m, fmt.Sprintf("%s.methods[%d]", at, i), "is not an HTTP method")
				}
				r.methods = append(r.methods, s)
			}
		default:
			return fieldErr(val, at+"."+key, "unknown key (want host, path, methods)")
		}
		return nil
	})
}

func parseAllow(r *rule, n *yaml.Node, at string) error {
	if n.Kind == yaml.ScalarNode {
		switch n.Value {
		case "anonymous":
			r.kind = KindAnonymous
		case "authenticated":
			r.kind = KindAuthenticated
		case "deny":
			r.kind = KindDeny
		default:
			return fieldErr(n, at, fmt.Sprintf("%q is not one of anonymous, authenticated, deny or a {roles, claims, mfa} mapping", n.Value))
		}
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return fieldErr(n, at, "must be anonymous, authenticated, deny or a {roles, claims, mfa} mapping")
	}
	r.kind = KindRequire
	err := eachKey(n, at, func(key string, val *yaml.Node) error {
		switch key {
		case "roles":
			if val.Kind != yaml.SequenceNode || len(val.Content) == 0 {
				return fieldErr(val, at+".roles", "must be a non-empty list")
			}
			for i, rn := range val.Content {
				s, err := scalarString(rn, fmt.Sprintf("%s.roles[%d]", at, i))
				if err != nil {
					return err
				}
				if s == "" {
					return fieldErr(rn, fmt.Sprintf("%s.roles[%d]", at, i), "must not be empty")
				}
				r.roles = append(r.roles, s)
			}
		case "claims":
			if val.Kind != yaml.MappingNode || len(val.Content) == 0 {
				return fieldErr(val, at+".claims", "must be a non-empty mapping of claim: value")
			}
			return eachKey(val, at+".claims", func(name string, cv *yaml.Node) error {
				want, err := claimValue(cv, at+".claims."+name)
				if err != nil {
					return err
				}
				r.claims = append(r.claims, claimCheck{name: name, want: want})
				return nil
			})
		case "mfa":
			b, err := scalarBool(val, at+".mfa")
			if err != nil {
				return err
			}
			r.mfa = b
		default:
			return fieldErr(val, at+"."+key, "unknown key (want roles, claims, mfa)")
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(r.roles) == 0 && len(r.claims) == 0 && !r.mfa {
		return fieldErr(n, at, "a requirement needs roles, claims or mfa: true (use allow: authenticated for any signed-in user)")
	}
	return nil
}

func claimValue(n *yaml.Node, at string) (any, error) {
	if n.Kind != yaml.ScalarNode || isNull(n) {
		return nil, fieldErr(n, at, "must be a string, number or boolean")
	}
	switch n.ShortTag() {
	case "!!bool":
		return scalarBool(n, at)
	case "!!int":
		v, err := strconv.ParseInt(n.Value, 0, 64)
		if err != nil {
			return nil, fieldErr(n, at, "is not a valid integer")
		}
		return v, nil
	case "!!float":
		v, err := strconv.ParseFloat(n.Value, 64)
		if err != nil || math.IsNaN(v) {
			return nil, fieldErr(n, at, "is not a valid number")
		}
		return v, nil
	case "!!str":
		return n.Value, nil
	}
	return nil, fieldErr(n, at, "must be a string, number or boolean")
}

// eachKey calls fn for every key of a mapping, refusing duplicate keys.
func eachKey(n *yaml.Node, at string, fn func(key string, val *yaml.Node) error) error {
	seen := make(map[string]bool, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			return fieldErr(k, at, "keys must be plain strings")
		}
		if seen[k.Value] {
			return fieldErr(k, at+"."+k.Value, "appears twice")
		}
		seen[k.Value] = true
		if err := fn(k.Value, v); err != nil {
			return err
		}
	}
	return nil
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" }

func scalarString(n *yaml.Node, at string) (string, error) {
	if n.Kind != yaml.ScalarNode || isNull(n) {
		return "", fieldErr(n, at, "must be a string")
	}
	return n.Value, nil
}

func scalarBool(n *yaml.Node, at string) (bool, error) {
	var b bool
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" || n.Decode(&b) != nil {
		return false, fieldErr(n, at, "must be true or false")
	}
	return b, nil
}

// FieldError is a problem in a policy file at a field such as
// "rules[2].allow.roles".
type FieldError struct {
	Field string
	Line  int
	Msg   string
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("policy: line %d: %s: %s", e.Line, e.Field, e.Msg)
}

func fieldErr(n *yaml.Node, field, msg string) error {
	return &FieldError{Field: field, Line: n.Line, Msg: msg}
}
