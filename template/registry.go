package template

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"

	"github.com/Masterminds/semver/v3"
)

// Registry holds templates by namespace, name and version. It is safe for concurrent use; Add is
// for start-up, Get for every task.
type Registry struct {
	mu sync.RWMutex
	// byName maps namespace/name to its versions, newest first.
	byName map[string][]entry
}

type entry struct {
	version *semver.Version
	t       *Template
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{byName: map[string][]entry{}} }

func nameKey(namespace, name string) string { return namespace + "/" + name }

// Add validates t and registers it. A second template with the same namespace, name and version
// is an error naming both sources.
func (r *Registry) Add(t *Template) error {
	if err := t.Validate(); err != nil {
		return fmt.Errorf("register template %s: %w", t.Key(), err)
	}
	v, err := semver.NewVersion(t.Version)
	if err != nil {
		return fmt.Errorf("register template %s: version: %w", t.Key(), err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	k := nameKey(t.Namespace, t.Name)
	for _, e := range r.byName[k] {
		if e.version.Equal(v) {
			return fmt.Errorf("duplicate template %s: defined in %s and in %s", t.Key(), sourceName(e.t), sourceName(t))
		}
	}
	list := append(r.byName[k], entry{version: v, t: t})
	sort.SliceStable(list, func(i, j int) bool { return list[i].version.GreaterThan(list[j].version) })
	r.byName[k] = list
	return nil
}

func sourceName(t *Template) string {
	if t.Source == "" {
		return "(code)"
	}
	return t.Source
}

// Get finds a template. version "" means the latest by semantic version. A miss returns an error
// wrapping ErrNotFound that names the key and the versions that exist.
func (r *Registry) Get(namespace, name, version string) (*Template, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	list := r.byName[nameKey(namespace, name)]
	if len(list) == 0 {
		return nil, fmt.Errorf("%w: %s (no version of it is registered)", ErrNotFound, nameKey(namespace, name))
	}
	if version == "" {
		return list[0].t, nil
	}
	want, err := semver.NewVersion(version)
	for _, e := range list {
		if e.t.Version == version || (err == nil && e.version.Equal(want)) {
			return e.t, nil
		}
	}
	versions := make([]string, len(list))
	for i, e := range list {
		versions[len(list)-1-i] = e.t.Version
	}
	return nil, fmt.Errorf("%w: %s@%s (registered versions: %s)", ErrNotFound, nameKey(namespace, name), version, strings.Join(versions, ", "))
}

// List returns every template sorted by namespace, name, then version (oldest first).
func (r *Registry) List() []*Template {
	r.mu.RLock()
	defer r.mu.RUnlock()
	keys := make([]string, 0, len(r.byName))
	for k := range r.byName {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []*Template
	for _, k := range keys {
		list := r.byName[k]
		for i := len(list) - 1; i >= 0; i-- {
			out = append(out, list[i].t)
		}
	}
	return out
}

// LoadRegistry loads templates from paths (each a file or a directory, searched recursively) into
// a new registry. It reports every problem: a missing or unreadable path, a bad template, a
// duplicate.
func LoadRegistry(paths []string, env string) (*Registry, error) {
	r := NewRegistry()
	var errs []error
	for _, p := range paths {
		ts, err := loadPath(p, env)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, t := range ts {
			if err := r.Add(t); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return r, nil
}

func loadPath(p, env string) ([]*Template, error) {
	info, err := os.Stat(p)
	if err != nil {
		return nil, fmt.Errorf("template path %s: %w", p, err)
	}
	if info.IsDir() {
		return LoadDir(p, env)
	}
	t, err := LoadFile(p, env)
	if err != nil {
		return nil, err
	}
	return []*Template{t}, nil
}
