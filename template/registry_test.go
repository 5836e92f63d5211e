package template

import (
	"errors"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLoadRegistry(t *testing.T) {
	r, err := LoadRegistry([]string{"testdata/templates"}, "")
	require.NoError(t, err)
	var keys []string
	for _, tpl := range r.List() {
		keys = append(keys, tpl.Key())
	}
	require.Equal(t, []string{
		"ecommerce/order_fulfillment@1.2.0",
		"payments/process_refund@1.9.0",
		"payments/process_refund@1.10.0",
		"payments/process_refund@2.1.0",
	}, keys)

	latest, err := r.Get("payments", "process_refund", "")
	require.NoError(t, err)
	require.Equal(t, "2.1.0", latest.Version, "latest by semver")
	v110, err := r.Get("payments", "process_refund", "1.10.0")
	require.NoError(t, err)
	require.Equal(t, "testdata/templates/payments/process_refund_v1.yml", v110.Source)

	_, err = r.Get("payments", "process_refund", "3.0.0")
	require.True(t, errors.Is(err, ErrNotFound))
	require.EqualError(t, err, "template not found: payments/process_refund@3.0.0 (registered versions: 1.9.0, 1.10.0, 2.1.0)")
	_, err = r.Get("payments", "capture", "")
	require.True(t, errors.Is(err, ErrNotFound))
	require.EqualError(t, err, "template not found: payments/capture (no version of it is registered)")
}

func TestLatestVersionSemver(t *testing.T) {
	r := NewRegistry()
	for _, v := range []string{"1.9.0", "1.10.0", "1.10.0-beta.1", "0.9.9"} {
		require.NoError(t, r.Add(&Template{Name: "t", Namespace: "ns", Version: v, Steps: []Step{
			{Name: "a", Callable: "A", Retry: Retry{Retryable: true, MaxAttempts: 3, Backoff: BackoffNone}},
		}}))
	}
	got, err := r.Get("ns", "t", "")
	require.NoError(t, err)
	require.Equal(t, "1.10.0", got.Version)
}

func TestRegistryErrors(t *testing.T) {
	_, err := LoadRegistry([]string{"testdata/templates/order_fulfillment.yaml", "testdata/missing", "testdata/templates/order_fulfillment.yaml"}, "")
	require.Error(t, err)
	require.ErrorContains(t, err, "template path testdata/missing: stat testdata/missing: no such file or directory")
	require.ErrorContains(t, err, "duplicate template ecommerce/order_fulfillment@1.2.0: defined in testdata/templates/order_fulfillment.yaml and in testdata/templates/order_fulfillment.yaml")

	_, err = LoadRegistry([]string{"testdata/bad"}, "")
	require.ErrorContains(t, err, "dependency cycle a → b → c → a")

	r := NewRegistry()
	err = r.Add(&Template{Name: "x", Namespace: "ns", Version: "1.0.0"})
	require.ErrorContains(t, err, "register template ns/x@1.0.0: template \"x\": empty template")
}

func TestRegistryConcurrentReads(t *testing.T) {
	r, err := LoadRegistry([]string{"testdata/templates"}, "")
	require.NoError(t, err)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				if _, err := r.Get("ecommerce", "order_fulfillment", ""); err != nil {
					t.Error(err)
				}
				_ = r.List()
			}
		}()
	}
	wg.Wait()
}
