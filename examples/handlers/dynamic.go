package handlers

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/tasker-systems/tasker-temporal"
	"github.com/tasker-systems/tasker-temporal/activities"
)

// RegisterDynamic adds the handlers of the dynamic examples (examples/dynamic: approval_routing
// and csv_batch) to reg. cmd/worker does not call it yet: the workflow runs dynamic steps once
// docs/dynamic.md §3 is built.
func RegisterDynamic(reg *activities.Registry) error {
	for callable, h := range map[string]activities.Handler{
		"Examples::ValidateRequest":     activities.HandlerFunc(validateRequest),
		"Examples::RoutingDecision":     activities.HandlerFunc(routingDecision),
		"Examples::AutoApprove":         activities.HandlerFunc(autoApprove),
		"Examples::Approve":             activities.HandlerFunc(approve),
		"Examples::FinalizeApproval":    activities.HandlerFunc(finalizeApproval),
		"Examples::AnalyzeCsv":          activities.HandlerFunc(analyzeCSV),
		"Examples::ProcessCsvBatch":     activities.HandlerFunc(processCSVBatch),
		"Examples::AggregateCsvResults": activities.HandlerFunc(aggregateCSV),
	} {
		if err := reg.Register(callable, h); err != nil {
			return err
		}
	}
	return nil
}

type approvalRequest struct {
	Amount    float64 `json:"amount"`
	Requester string  `json:"requester"`
}

func validateRequest(_ context.Context, step activities.StepContext) (any, error) {
	var in approvalRequest
	if err := step.TaskContext(&in); err != nil {
		return nil, err
	}
	if in.Amount <= 0 {
		return nil, activities.Permanent(fmt.Errorf("step %s: context.amount must be > 0, got %v", step.Name(), in.Amount))
	}
	return map[string]any{"amount": in.Amount, "requester": in.Requester, "valid": true}, nil
}

// number reads a numeric initialization value: float64 over the wire (JSON), int when the
// template was loaded in this process.
func number(init map[string]any, key string, def float64) float64 {
	switch v := init[key].(type) {
	case float64:
		return v
	case int:
		return float64(v)
	case int64:
		return float64(v)
	}
	return def
}

// routingDecision creates auto_approve below small_threshold, manager_approval below
// large_threshold, else manager_approval and finance_review.
func routingDecision(_ context.Context, step activities.StepContext) (any, error) {
	var in approvalRequest
	if err := step.TaskContext(&in); err != nil {
		return nil, err
	}
	small := number(step.Initialization(), "small_threshold", 1000)
	large := number(step.Initialization(), "large_threshold", 5000)
	route, steps := "dual_approval", []string{"manager_approval", "finance_review"}
	switch {
	case in.Amount < small:
		route, steps = "auto_approval", []string{"auto_approve"}
	case in.Amount < large:
		route, steps = "manager_only", []string{"manager_approval"}
	}
	return activities.DecisionResult(tasker.CreateSteps(steps...), map[string]any{"route_type": route, "amount": in.Amount}), nil
}

// Approval is the result of an approval step.
type Approval struct {
	Approved bool   `json:"approved"`
	Approver string `json:"approver"`
}

func autoApprove(context.Context, activities.StepContext) (any, error) {
	return Approval{Approved: true, Approver: "system"}, nil
}

func approve(_ context.Context, step activities.StepContext) (any, error) {
	who, _ := step.Initialization()["approver"].(string)
	if who == "" {
		return nil, activities.Permanent(fmt.Errorf("step %s: initialization.approver is not set", step.Name()))
	}
	return Approval{Approved: true, Approver: who}, nil
}

// finalizeApproval converges on whichever approvals were created: their results are the
// approval entries of its dependency_results.
func finalizeApproval(_ context.Context, step activities.StepContext) (any, error) {
	var approvers []string
	approved := true
	for _, name := range []string{"auto_approve", "manager_approval", "finance_review"} {
		var a Approval
		ok, err := step.DependencyResult(name, &a)
		if err != nil {
			return nil, err
		}
		if ok {
			approvers = append(approvers, a.Approver)
			approved = approved && a.Approved
		}
	}
	if len(approvers) == 0 {
		return nil, activities.Permanent(fmt.Errorf("step %s: no approval step ran", step.Name()))
	}
	return map[string]any{"approved": approved, "approvers": approvers}, nil
}

type csvContext struct {
	Path      string `json:"csv_file_path"`
	FailBatch string `json:"fail_batch"`
}

// analyzeCSV counts the data rows and splits them into cursors of data row numbers, from 1.
func analyzeCSV(_ context.Context, step activities.StepContext) (any, error) {
	var in csvContext
	if err := step.TaskContext(&in); err != nil {
		return nil, err
	}
	rows, err := countRows(in.Path)
	if err != nil {
		return nil, activities.Permanent(fmt.Errorf("step %s: %w", step.Name(), err))
	}
	data := map[string]any{"csv_file_path": in.Path, "total_rows": rows}
	size := int(number(step.Initialization(), "batch_size", 200))
	cursors := activities.CursorRanges(rows, size, int(number(step.Initialization(), "max_workers", 0)))
	if len(cursors) == 0 {
		return activities.BatchResult(tasker.NoBatches(), data), nil
	}
	return activities.BatchResult(tasker.CreateBatches("process_csv_batch", int64(rows), cursors), data), nil
}

func countRows(path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	n := -1 // the header
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) != "" {
			n++
		}
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("read %s: %w", path, err)
	}
	return max(n, 0), nil
}

// BatchTotals is what a CSV worker (and the aggregate) computes.
type BatchTotals struct {
	Rows                int            `json:"rows"`
	InventoryValueCents int64          `json:"inventory_value_cents"`
	Categories          map[string]int `json:"categories"`
}

func (t *BatchTotals) add(o BatchTotals) {
	t.Rows += o.Rows
	t.InventoryValueCents += o.InventoryValueCents
	if t.Categories == nil {
		t.Categories = map[string]int{}
	}
	for c, n := range o.Categories {
		t.Categories[c] += n
	}
}

// processCSVBatch totals the data rows [from, end) of its cursor (0-based data row indexes),
// resuming from its checkpoint, yielding one every checkpoint_interval rows. The worker named by
// context.fail_batch fails on its first attempt after its first checkpoint.
func processCSVBatch(_ context.Context, step activities.StepContext) (any, error) {
	b, err := step.BatchWorker()
	if err != nil {
		return nil, err
	}
	if b.IsNoOp() {
		return map[string]any{"no_op": true}, nil
	}
	var in csvContext
	if err := step.TaskContext(&in); err != nil {
		return nil, err
	}
	from, end, err := b.Range()
	if err != nil {
		return nil, err
	}
	var acc BatchTotals
	if _, err := b.Accumulated(&acc); err != nil {
		return nil, err
	}
	every := max(b.Inputs.BatchMetadata.CheckpointInterval, 0)
	rows, err := readRows(in.Path, from, end)
	if err != nil {
		return nil, activities.Permanent(fmt.Errorf("step %s: %w", step.Name(), err))
	}
	for k, r := range rows {
		if in.FailBatch == b.BatchID() && step.Attempt() == 1 && b.HasCheckpoint() {
			return nil, fmt.Errorf("step %s: simulated read error at row %d", step.Name(), from+int64(k))
		}
		acc.add(BatchTotals{Rows: 1, InventoryValueCents: r.priceCents * r.stock, Categories: map[string]int{r.category: 1}})
		if every > 0 && acc.Rows%every == 0 && from+int64(k)+1 < end {
			return activities.CheckpointYield(from+int64(k)+1, int64(acc.Rows), acc)
		}
	}
	return acc, nil
}

type product struct {
	category          string
	priceCents, stock int64
}

// readRows reads data rows [from, end) (0-based, header excluded).
func readRows(path string, from, end int64) ([]product, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	header, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("read %s header: %w", path, err)
	}
	col := func(name string) int { return slices.Index(header, name) }
	cat, price, stock := col("category"), col("price_cents"), col("stock")
	if cat < 0 || price < 0 || stock < 0 {
		return nil, fmt.Errorf("%s: header %v lacks category, price_cents or stock", path, header)
	}
	var out []product
	for i := int64(0); i < end; i++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s row %d: %w", path, i+1, err)
		}
		if i < from {
			continue
		}
		p := product{category: rec[cat]}
		if p.priceCents, err = strconv.ParseInt(rec[price], 10, 64); err != nil {
			return nil, fmt.Errorf("%s row %d: price_cents: %w", path, i+1, err)
		}
		if p.stock, err = strconv.ParseInt(rec[stock], 10, 64); err != nil {
			return nil, fmt.Errorf("%s row %d: stock: %w", path, i+1, err)
		}
		out = append(out, p)
	}
	return out, nil
}

// aggregateCSV adds up the totals of every worker in its dependency_results (the workers are
// process_csv_batch_<batch_id>; a no-op placeholder adds nothing).
func aggregateCSV(_ context.Context, step activities.StepContext) (any, error) {
	total := BatchTotals{Categories: map[string]int{}}
	workers := 0
	for name := range step.Request.DependencyResults {
		if !strings.HasPrefix(name, "process_csv_batch_") {
			continue
		}
		var t BatchTotals
		if _, err := step.DependencyResult(name, &t); err != nil {
			return nil, err
		}
		total.add(t)
		workers++
	}
	return map[string]any{"rows": total.Rows, "inventory_value_cents": total.InventoryValueCents, "categories": total.Categories, "workers": workers}, nil
}
