package remedy

import (
	"context"
	"errors"
	"io"
	"net"
	"net/url"
	"sync"
	"sync/atomic"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/api/v1alpha1"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/cmdutil"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/harden"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/kube"
)

// Concurrency is how many objects a run writes at once by default: enough to hide the
// round trips of a large run (each object is a GET, a server dry run, and the write),
// few enough to stay a small share of the API server's priority-and-fairness seats.
const Concurrency = 8

// Outcome counts what a run of writes did.
type Outcome struct {
	// Failed writes (an error for that object).
	Failed int
	// NotAttempted writes, after the API server stopped answering.
	NotAttempted int
	// Stopped is the error that stopped the run early (the server unreachable, or
	// the run interrupted); nil when every write was attempted.
	Stopped error
}

// ApplyHarden makes the planned changes of `sa harden`, Concurrency objects at a time,
// and records each one's result in r.Changes, in plan order. A failure of one object
// does not stop the others; once the API server stops answering (no HTTP response at
// all), no new write is started and the rest are recorded as not attempted.
func ApplyHarden(ctx context.Context, c kube.Interface, plan harden.Plan, r *v1alpha1.SAHardenReport, o Options) Outcome {
	type job struct {
		change v1alpha1.HardenChange
		run    func(context.Context) (changed bool, err error)
		verb   string
	}
	var jobs []job
	f := false
	for _, ref := range plan.DisableAutomount {
		jobs = append(jobs, job{change: v1alpha1.HardenChange{Object: HardenRef(ref), Action: "disable-automount", Subjects: []v1alpha1.SubjectRef{}}, verb: "patched",
			run: func(ctx context.Context) (bool, error) {
				res, err := ServiceAccountAutomount(c, ref.Namespace, ref.Name, &f, o).Run(ctx)
				return res.Changed, err
			}})
	}
	for _, e := range plan.RemoveSubjects {
		ch := v1alpha1.HardenChange{Object: HardenRef(e.Binding), Action: "remove-subjects", Subjects: []v1alpha1.SubjectRef{}}
		for _, s := range e.Subjects {
			ch.Subjects = append(ch.Subjects, v1alpha1.SubjectRef{Kind: s.Kind, Name: s.Name, Namespace: s.Namespace})
		}
		ref := BindingRef{Kind: e.Binding.Kind, Namespace: e.Binding.Namespace, Name: e.Binding.Name}
		jobs = append(jobs, job{change: ch, verb: "updated", run: func(ctx context.Context) (bool, error) {
			changed, _, err := BindingSubjects(ctx, c, ref, RemoveSubjects(e.Subjects), false, o)
			return changed, err
		}})
	}

	results := make([]v1alpha1.HardenChange, len(jobs))
	var (
		out     Outcome
		mu      sync.Mutex
		stopped atomic.Bool
		next    atomic.Int64
		wg      sync.WaitGroup
	)
	for range min(Concurrency, len(jobs)) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(jobs) {
					return
				}
				ch := jobs[i].change
				if stopped.Load() || ctx.Err() != nil {
					ch.Result = "not attempted"
					mu.Lock()
					out.NotAttempted++
					mu.Unlock()
					results[i] = ch
					continue
				}
				changed, err := jobs[i].run(ctx)
				switch {
				case err != nil:
					ch.Result = "error: " + cmdutil.Message(err)
					mu.Lock()
					out.Failed++
					if (Unreachable(err) || ctx.Err() != nil) && out.Stopped == nil {
						out.Stopped = err
						stopped.Store(true)
					}
					mu.Unlock()
				case !changed:
					ch.Result = "unchanged"
				default:
					ch.Result = jobs[i].verb + o.DryRun.Suffix()
				}
				results[i] = ch
			}
		})
	}
	wg.Wait()
	r.Changes = append(r.Changes, results...)
	return out
}

// Unreachable reports whether err means the API server gave no HTTP answer at all
// (connection refused or reset, the connection cut mid-answer): unlike an error about
// one object, the next write would fail the same way.
func Unreachable(err error) bool {
	var (
		ue *url.Error
		ne *net.OpError
	)
	return errors.As(err, &ue) || errors.As(err, &ne) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)
}

// Fixed counts the findings a run fixed: each fixable finding whose object's change
// succeeded (written, or found already right). Under a dry run nothing is fixed.
func Fixed(findings []harden.Finding, changes []v1alpha1.HardenChange, dryRun cmdutil.DryRunStrategy) int {
	if dryRun != cmdutil.DryRunNone {
		return 0
	}
	ok := map[v1alpha1.ObjectRef]bool{}
	for _, ch := range changes {
		if ch.Result == "unchanged" || ch.Result == "patched" || ch.Result == "updated" {
			ok[ch.Object] = true
		}
	}
	n := 0
	for _, f := range findings {
		if f.Fixable && ok[HardenRef(f.Object)] {
			n++
		}
	}
	return n
}

// HardenRef is the report form of an audit reference.
func HardenRef(r harden.Ref) v1alpha1.ObjectRef {
	return v1alpha1.ObjectRef{Kind: r.Kind, Namespace: r.Namespace, Name: r.Name}
}
