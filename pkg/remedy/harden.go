package remedy

import (
	"context"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/api/v1alpha1"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/cmdutil"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/harden"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/kube"
)

// ApplyHarden makes the planned changes of `sa harden`, one object at a time, and
// records each result in r. It goes on after a failure so that the report says
// exactly what was and was not done; it returns the number of failures.
func ApplyHarden(ctx context.Context, c kube.Interface, plan harden.Plan, r *v1alpha1.SAHardenReport, o Options) (failed int) {
	record := func(ch v1alpha1.HardenChange, changed bool, err error, verb string) {
		switch {
		case err != nil:
			failed++
			ch.Result = "error: " + cmdutil.Message(err)
		case !changed:
			ch.Result = "unchanged"
		default:
			ch.Result = verb + o.DryRun.Suffix()
		}
		r.Changes = append(r.Changes, ch)
	}
	f := false
	for _, ref := range plan.DisableAutomount {
		res, err := ServiceAccountAutomount(c, ref.Namespace, ref.Name, &f, o).Run(ctx)
		record(v1alpha1.HardenChange{Object: HardenRef(ref), Action: "disable-automount", Subjects: []v1alpha1.SubjectRef{}}, res.Changed, err, "patched")
	}
	for _, e := range plan.RemoveSubjects {
		ch := v1alpha1.HardenChange{Object: HardenRef(e.Binding), Action: "remove-subjects", Subjects: []v1alpha1.SubjectRef{}}
		for _, s := range e.Subjects {
			ch.Subjects = append(ch.Subjects, v1alpha1.SubjectRef{Kind: s.Kind, Name: s.Name, Namespace: s.Namespace})
		}
		ref := BindingRef{Kind: e.Binding.Kind, Namespace: e.Binding.Namespace, Name: e.Binding.Name}
		changed, _, err := BindingSubjects(ctx, c, ref, RemoveSubjects(e.Subjects), false, o)
		record(ch, changed, err, "updated")
	}
	return failed
}

// HardenRef is the report form of an audit reference.
func HardenRef(r harden.Ref) v1alpha1.ObjectRef {
	return v1alpha1.ObjectRef{Kind: r.Kind, Namespace: r.Namespace, Name: r.Name}
}
