package dag

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
)

// approvalSpecs is tasker-core's approval_routing template (conditional-workflows.md).
func approvalSpecs() []StepSpec {
	return []StepSpec{
		{Name: "validate_request", Retryable: true},
		{Name: "routing_decision", Kind: StepDecision, Dependencies: []string{"validate_request"}, Retryable: true},
		{Name: "finalize_approval", Kind: StepDeferred, Dependencies: []string{"auto_approve", "manager_approval", "finance_review"}, Retryable: true},
		{Name: "auto_approve", Dependencies: []string{"routing_decision"}, Retryable: true},
		{Name: "manager_approval", Dependencies: []string{"routing_decision"}, Retryable: true},
		{Name: "finance_review", Dependencies: []string{"routing_decision"}, Retryable: true},
	}
}

// csvSpecs is tasker-core's csv batch template (batch-processing.md).
func csvSpecs() []StepSpec {
	return []StepSpec{
		{Name: "analyze_csv", Kind: StepBatchable, Retryable: true},
		{Name: "process_csv_batch", Kind: StepBatchWorker, Dependencies: []string{"analyze_csv"}, Retryable: true, MaxAttempts: 3},
		{Name: "aggregate_csv_results", Kind: StepDeferred, Dependencies: []string{"process_csv_batch"}, Retryable: true},
	}
}

func mustRun(t *testing.T, specs []StepSpec) *Run {
	t.Helper()
	g, err := New(specs)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return NewRun(g)
}

func idx(t *testing.T, r *Run, name string) int {
	t.Helper()
	i, ok := r.Graph().Index(name)
	if !ok {
		t.Fatalf("no step %q", name)
	}
	return i
}

func finish(t *testing.T, r *Run, name string) {
	t.Helper()
	i := idx(t, r, name)
	if err := r.Transition(i, InProgress, t0); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	if err := r.Transition(i, Complete, t0); err != nil {
		t.Fatalf("complete %s: %v", name, err)
	}
}

func readyNames(r *Run) []string {
	var out []string
	for _, i := range r.AppendReady(nil, t0) {
		out = append(out, r.Graph().Name(i))
	}
	return out
}

func presenceOf(r *Run) map[string]string {
	m := map[string]string{}
	for i := range r.Graph().Len() {
		m[r.Graph().Name(i)] = r.Presence(i).String()
	}
	return m
}

func TestDecisionRouting(t *testing.T) {
	cases := []struct {
		name    string
		create  []string
		created []string // in the order they become ready
		notRun  []string
	}{
		{"small amount: auto approve", []string{"auto_approve"}, []string{"auto_approve", "finalize_approval"}, []string{"manager_approval", "finance_review"}},
		{"medium: manager", []string{"manager_approval"}, []string{"manager_approval", "finalize_approval"}, []string{"auto_approve", "finance_review"}},
		{"large: manager and finance", []string{"manager_approval", "finance_review"}, []string{"manager_approval", "finance_review", "finalize_approval"}, []string{"auto_approve"}},
		{"no branches", nil, nil, []string{"auto_approve", "manager_approval", "finance_review", "finalize_approval"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := mustRun(t, approvalSpecs())
			if c := r.Counts(); c.Total != 2 || c.NotCreated != 4 {
				t.Fatalf("at start: %d created, %d not (want 2, 4: validate_request and routing_decision)", c.Total, c.NotCreated)
			}
			finish(t, r, "validate_request")
			finish(t, r, "routing_decision")
			if got := readyNames(r); len(got) != 0 {
				t.Fatalf("ready before the outcome: %v", got)
			}
			if r.AllDone() {
				t.Fatal("AllDone before the decision's outcome")
			}
			if err := r.Decide(idx(t, r, "routing_decision"), tc.create); err != nil {
				t.Fatalf("Decide: %v", err)
			}
			var ran []string
			for {
				ready := readyNames(r)
				if len(ready) == 0 {
					break
				}
				for _, s := range ready {
					finish(t, r, s)
					ran = append(ran, s)
				}
			}
			if !slices.Equal(ran, tc.created) {
				t.Errorf("ran %v, want %v", ran, tc.created)
			}
			for _, s := range tc.notRun {
				if p := r.Presence(idx(t, r, s)); p != NotCreated {
					t.Errorf("%s is %s, want not_created", s, p)
				}
			}
			if !r.AllDone() {
				t.Errorf("not AllDone after every created step finished: %v", presenceOf(r))
			}
			if c := r.Counts(); c.Total != 2+len(tc.created) || c.Complete != c.Total {
				t.Errorf("counts %+v", c)
			}
			if ec := r.ExecutionContext(t0); ec.ExecutionStatus != StatusAllComplete || ec.CompletionPercentage != 100 {
				t.Errorf("execution context %+v", ec)
			}
		})
	}
}

// multiTierSpecs is the nested decision example of conditional-workflows.md.
func multiTierSpecs() []StepSpec {
	s := func(name string, kind StepKind, deps ...string) StepSpec {
		return StepSpec{Name: name, Kind: kind, Dependencies: deps, Retryable: true}
	}
	return []StepSpec{
		s("validate_request", StepStandard),
		s("assess_risk", StepStandard, "validate_request"),
		s("primary_routing", StepDecision, "assess_risk"),
		s("emergency_approval", StepStandard, "primary_routing"),
		s("standard_manager_approval", StepStandard, "primary_routing"),
		s("senior_manager_approval", StepStandard, "primary_routing"),
		s("compliance_routing", StepDecision, "primary_routing", "senior_manager_approval"),
		s("legal_review", StepStandard, "compliance_routing"),
		s("fraud_investigation", StepStandard, "compliance_routing"),
		s("jurisdictional_check", StepStandard, "compliance_routing"),
		s("finalize_approval", StepDeferred, "primary_routing", "emergency_approval", "standard_manager_approval",
			"senior_manager_approval", "compliance_routing", "legal_review", "fraud_investigation", "jurisdictional_check"),
	}
}

func TestNestedDecisionWaitsForUndecided(t *testing.T) {
	r := mustRun(t, multiTierSpecs())
	for _, s := range []string{"validate_request", "assess_risk", "primary_routing"} {
		finish(t, r, s)
	}
	if err := r.Decide(idx(t, r, "primary_routing"), []string{"senior_manager_approval", "compliance_routing"}); err != nil {
		t.Fatal(err)
	}
	fin := idx(t, r, "finalize_approval")
	if r.Presence(fin) != Created {
		t.Fatalf("finalize_approval is %s once a path to it was created", r.Presence(fin))
	}
	finish(t, r, "senior_manager_approval")
	finish(t, r, "compliance_routing")
	if r.IsReady(fin, t0) {
		t.Fatal("finalize_approval ready while compliance_routing's branches are undecided")
	}
	if err := r.Decide(idx(t, r, "compliance_routing"), []string{"legal_review"}); err != nil {
		t.Fatal(err)
	}
	if got := readyNames(r); !slices.Equal(got, []string{"legal_review"}) {
		t.Fatalf("ready %v, want [legal_review]", got)
	}
	finish(t, r, "legal_review")
	if got := readyNames(r); !slices.Equal(got, []string{"finalize_approval"}) {
		t.Fatalf("ready %v, want [finalize_approval]", got)
	}
	finish(t, r, "finalize_approval")
	if !r.AllDone() {
		t.Fatalf("not done: %v", presenceOf(r))
	}
	if by, ok := r.CreatedBy(idx(t, r, "legal_review")); !ok || r.Graph().Name(by) != "compliance_routing" {
		t.Errorf("legal_review created by %d %v", by, ok)
	}
	if by, ok := r.CreatedBy(fin); !ok || r.Graph().Name(by) != "primary_routing" {
		t.Errorf("finalize_approval created by %d %v", by, ok)
	}
}

func TestBatchExpand(t *testing.T) {
	r := mustRun(t, csvSpecs())
	if c := r.Counts(); c.Total != 1 {
		t.Fatalf("at start %d steps created, want 1 (analyze_csv)", c.Total)
	}
	finish(t, r, "analyze_csv")
	ids := []string{"001", "002", "003", "004", "005"}
	if err := r.Expand(idx(t, r, "analyze_csv"), "process_csv_batch", ids); err != nil {
		t.Fatal(err)
	}
	want := []string{"process_csv_batch_001", "process_csv_batch_002", "process_csv_batch_003", "process_csv_batch_004", "process_csv_batch_005"}
	if got := readyNames(r); !slices.Equal(got, want) {
		t.Fatalf("ready %v, want %v", got, want)
	}
	agg := idx(t, r, "aggregate_csv_results")
	if got := len(r.Graph().Parents(agg)); got != 6 {
		t.Errorf("aggregate has %d parents, want the template and 5 workers", got)
	}
	for _, w := range want[:4] {
		finish(t, r, w)
	}
	if r.IsReady(agg, t0) {
		t.Fatal("aggregate ready with a worker left")
	}
	w5 := idx(t, r, want[4])
	if err := r.Transition(w5, InProgress, t0); err != nil {
		t.Fatal(err)
	}
	if err := r.Transition(w5, Error, t0); err != nil {
		t.Fatal(err)
	}
	if !r.IsReady(w5, t0.Add(MaxErrorBackoff)) {
		t.Fatal("failed worker not retried")
	}
	if err := r.Transition(w5, Pending, t0.Add(MaxErrorBackoff)); err != nil {
		t.Fatal(err)
	}
	if err := r.Transition(w5, InProgress, t0.Add(MaxErrorBackoff)); err != nil {
		t.Fatal(err)
	}
	if err := r.Transition(w5, Complete, t0); err != nil {
		t.Fatal(err)
	}
	finish(t, r, "aggregate_csv_results")
	if !r.AllDone() {
		t.Fatalf("not done: %v", presenceOf(r))
	}
	if c := r.Counts(); c.Total != 7 || c.NotCreated != 1 {
		t.Errorf("counts %+v, want 7 created and the template not", c)
	}
	if r.Graph().Template().Len() != 3 || !r.Graph().IsInstance(w5) {
		t.Error("grown graph lost its template")
	}
}

func TestBatchNoWorkers(t *testing.T) {
	cases := []struct {
		name    string
		ids     []string
		created int
	}{
		{"tasker-core placeholder", []string{NoBatchesID}, 3},
		{"no worker at all", nil, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := mustRun(t, csvSpecs())
			finish(t, r, "analyze_csv")
			if err := r.Expand(0, "process_csv_batch", tc.ids); err != nil {
				t.Fatal(err)
			}
			for _, s := range readyNames(r) {
				finish(t, r, s)
			}
			for _, s := range readyNames(r) {
				finish(t, r, s)
			}
			if !r.AllDone() || r.Counts().Total != tc.created {
				t.Fatalf("done %v, counts %+v, presence %v", r.AllDone(), r.Counts(), presenceOf(r))
			}
		})
	}
}

func TestBadOutcomes(t *testing.T) {
	deep := []StepSpec{{Name: "a"}, {Name: "d1", Kind: StepDecision, Dependencies: []string{"a"}},
		{Name: "d2", Kind: StepDecision, Dependencies: []string{"d1"}}, {Name: "x", Dependencies: []string{"d2"}}}
	cases := []struct {
		name   string
		specs  []StepSpec
		before []string
		apply  func(r *Run) error
		want   string
	}{
		{"unknown step", approvalSpecs(), []string{"validate_request", "routing_decision"},
			func(r *Run) error { return r.Decide(1, []string{"auto_aprove"}) }, `"auto_aprove": no such step`},
		{"not a child", approvalSpecs(), []string{"validate_request", "routing_decision"},
			func(r *Run) error { return r.Decide(1, []string{"validate_request"}) }, "can create: auto_approve, manager_approval, finance_review"},
		{"deferred named", approvalSpecs(), []string{"validate_request", "routing_decision"},
			func(r *Run) error { return r.Decide(1, []string{"finalize_approval"}) }, `"finalize_approval": not a step this decision can create`},
		{"twice in one outcome", approvalSpecs(), []string{"validate_request", "routing_decision"},
			func(r *Run) error { return r.Decide(1, []string{"auto_approve", "auto_approve"}) }, "named twice"},
		{"decided twice", approvalSpecs(), []string{"validate_request", "routing_decision"},
			func(r *Run) error { _ = r.Decide(1, nil); return r.Decide(1, nil) }, "already applied"},
		{"before it finished", approvalSpecs(), []string{"validate_request"},
			func(r *Run) error { return r.Decide(1, nil) }, "is pending, not complete"},
		{"standard step", approvalSpecs(), []string{"validate_request"},
			func(r *Run) error { return r.Decide(0, nil) }, "is standard, not decision"},
		{"too deep", deep, []string{"a", "d1"},
			func(r *Run) error { r.SetLimits(Limits{MaxDecisionDepth: 1}); return r.Decide(1, []string{"d2"}) }, `"d2": it would create a decision nested 2 deep, beyond the limit of 1`},
		{"too many steps", approvalSpecs(), []string{"validate_request", "routing_decision"},
			func(r *Run) error {
				r.SetLimits(Limits{MaxStepsPerDecision: 1})
				return r.Decide(1, []string{"auto_approve", "manager_approval"})
			}, "limit of 1 per decision"},
		{"wrong worker template", csvSpecs(), []string{"analyze_csv"},
			func(r *Run) error { return r.Expand(0, "aggregate_csv_results", []string{"001"}) }, "its templates: process_csv_batch"},
		{"empty batch id", csvSpecs(), []string{"analyze_csv"},
			func(r *Run) error { return r.Expand(0, "process_csv_batch", []string{"001", ""}) }, "empty batch_id"},
		{"duplicate batch id", csvSpecs(), []string{"analyze_csv"},
			func(r *Run) error { return r.Expand(0, "process_csv_batch", []string{"001", "001"}) }, `"001": batch_id named twice`},
		{"too many workers", csvSpecs(), []string{"analyze_csv"},
			func(r *Run) error {
				r.SetLimits(Limits{MaxBatchWorkers: 1})
				return r.Expand(0, "process_csv_batch", []string{"001", "002"})
			}, "limit of 1 per batch"},
		{"not created", approvalSpecs(), []string{"validate_request", "routing_decision"},
			func(r *Run) error { return r.Transition(3, InProgress, t0) }, "was not created"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := mustRun(t, tc.specs)
			for _, s := range tc.before {
				finish(t, r, s)
			}
			before := r.Snapshot()
			err := tc.apply(r)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
			var oe *OutcomeError
			var te *TransitionError
			if !errors.As(err, &oe) && !errors.As(err, &te) {
				t.Errorf("error %T is neither *OutcomeError nor *TransitionError", err)
			}
			if tc.name != "decided twice" {
				after := r.Snapshot()
				if a, b := mustJSON(t, before), mustJSON(t, after); a != b {
					t.Errorf("a refused outcome changed the run:\n%s\n%s", a, b)
				}
			}
		})
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestDynamicValidation(t *testing.T) {
	cases := []struct {
		name  string
		specs []StepSpec
		kind  string
		msg   string
	}{
		{"decision root", []StepSpec{{Name: "d", Kind: StepDecision}}, KindDecisionRoot, `decision step "d" must have at least one dependency`},
		{"worker without batchable", []StepSpec{{Name: "a"}, {Name: "w", Kind: StepBatchWorker, Dependencies: []string{"a"}}}, KindBatchWorkerParent, `depends on "a"`},
		{"worker with two parents", []StepSpec{{Name: "b", Kind: StepBatchable}, {Name: "a"}, {Name: "w", Kind: StepBatchWorker, Dependencies: []string{"a", "b"}}}, KindBatchWorkerParent, "exactly one step"},
		{"standard child of worker", []StepSpec{{Name: "b", Kind: StepBatchable}, {Name: "w", Kind: StepBatchWorker, Dependencies: []string{"b"}}, {Name: "agg", Dependencies: []string{"w"}}}, KindBatchWorkerChild, "not deferred_convergence"},
		{"batchable without worker", []StepSpec{{Name: "b", Kind: StepBatchable}}, KindBatchableNoWorker, "no batch_worker"},
		{"cycle through dynamic steps", []StepSpec{{Name: "a", Dependencies: []string{"f"}}, {Name: "d", Kind: StepDecision, Dependencies: []string{"a"}}, {Name: "f", Kind: StepDeferred, Dependencies: []string{"d"}}}, KindCycle, "a → d → f → a"},
		{"instance from a caller", []StepSpec{{Name: "b", Kind: StepBatchable}, {Name: "w", Kind: StepBatchWorker, Dependencies: []string{"b"}, WorkerTemplate: "x"}}, KindInstanceOfTemplate, "only by Run.Expand"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.specs)
			var ve *ValidationError
			if !errors.As(err, &ve) || ve.Kind != tc.kind || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("error %v, want kind %s containing %q", err, tc.kind, tc.msg)
			}
		})
	}
}

func TestDynamicSnapshotRestore(t *testing.T) {
	r := mustRun(t, append(approvalSpecs(), csvSpecs()...))
	finish(t, r, "validate_request")
	finish(t, r, "routing_decision")
	finish(t, r, "analyze_csv")
	if err := r.Decide(1, []string{"manager_approval"}); err != nil {
		t.Fatal(err)
	}
	if err := r.Expand(idx(t, r, "analyze_csv"), "process_csv_batch", []string{"001", "002"}); err != nil {
		t.Fatal(err)
	}
	finish(t, r, "process_csv_batch_002")
	snap := r.Snapshot()
	raw := mustJSON(t, snap)
	var back Snapshot
	if err := json.Unmarshal([]byte(raw), &back); err != nil {
		t.Fatal(err)
	}
	got, err := Restore(r.Graph().Template(), back)
	if err != nil {
		t.Fatalf("Restore: %v", err)
	}
	if mustJSON(t, got.Snapshot()) != raw {
		t.Fatal("restored run snapshots differently")
	}
	if !slices.Equal(readyNames(got), readyNames(r)) || got.Counts() != r.Counts() || !slices.Equal(got.Graph().Parents(idx(t, r, "aggregate_csv_results")), r.Graph().Parents(idx(t, r, "aggregate_csv_results"))) {
		t.Fatalf("restored run differs: %v vs %v", readyNames(got), readyNames(r))
	}
	for i := range r.Graph().Len() {
		if got.Presence(i) != r.Presence(i) {
			t.Errorf("step %s: presence %s, want %s", r.Graph().Name(i), got.Presence(i), r.Presence(i))
		}
	}
	back.Growth[1].Worker = "nope"
	if _, err := Restore(r.Graph().Template(), back); err == nil || !strings.Contains(err.Error(), `outcome #2`) {
		t.Fatalf("Restore of a bad growth: %v", err)
	}
}

func TestDynamicRendering(t *testing.T) {
	r := mustRun(t, approvalSpecs())
	finish(t, r, "validate_request")
	finish(t, r, "routing_decision")
	if err := r.Decide(1, []string{"auto_approve"}); err != nil {
		t.Fatal(err)
	}
	md := r.Markdown()
	for _, want := range []string{"| 4 | auto_approve | pending |", "| 5 | manager_approval | not_created |", "| 3 | finalize_approval | pending |"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	mm := r.Mermaid()
	for _, want := range []string{"class s4,s5 not_created", "class s2,s3 pending", `s5["finance_review<br/><small>not_created</small>"]`} {
		if !strings.Contains(mm, want) {
			t.Errorf("mermaid lacks %q:\n%s", want, mm)
		}
	}
}

func TestFingerprintKinds(t *testing.T) {
	plain := approvalSpecs()
	for i := range plain {
		plain[i].Kind = StepStandard
	}
	a, err := New(plain)
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(approvalSpecs())
	if err != nil {
		t.Fatal(err)
	}
	if a.Fingerprint() == b.Fingerprint() {
		t.Fatal("a decision and a standard step with the same edges share a fingerprint: a snapshot would restore into other rules")
	}
	if _, err := Restore(a, NewRun(b).Snapshot()); err == nil {
		t.Fatal("restored a dynamic run's snapshot into a static graph")
	}
}
