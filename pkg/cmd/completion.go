package cmd

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/kube"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/awsauth"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/resources"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/source"
)

// Shell completion. Cobra provides `completion bash|zsh|fish|powershell` and the
// hidden __complete command they call; these functions add the dynamic parts. A
// completion must never hang a shell: every cluster call has a short timeout, and any
// error gives no suggestions rather than a message.

const completionTimeout = 5 * time.Second

// completionURLs are common non-resource URLs.
var completionURLs = []string{"/api", "/apis", "/healthz", "/livez", "/readyz", "/version", "/metrics", "/openapi/v2", "/openapi/v3", "/logs"}

func filterPrefix(xs []string, prefix string) []cobra.Completion {
	var out []cobra.Completion
	for _, x := range xs {
		if strings.HasPrefix(x, prefix) && !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

// completionClientset is a clientset for the kubeconfig with a short timeout, or nil.
func completionClientset(f genericclioptions.RESTClientGetter) kube.Interface {
	c := completionConfig(f)
	if c == nil {
		return nil
	}
	cs, err := kube.NewForConfig(c)
	if err != nil {
		return nil
	}
	return cs
}

// completionConfig is the kubeconfig's REST config with a short timeout, or nil.
func completionConfig(f genericclioptions.RESTClientGetter) *rest.Config {
	c, err := f.ToRESTConfig()
	if err != nil {
		return nil
	}
	c = rest.CopyConfig(c)
	c.Timeout = completionTimeout
	return c
}

func completeVerbs(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	return filterPrefix(resourceVerbs(), toComplete), cobra.ShellCompDirectiveNoFileComp
}

// resourceTypeNames are the resource types as TYPE[.GROUP]: from the cluster's
// discovery when it answers, else from the built-in table; plus the types only RBAC
// knows.
func resourceTypeNames(f genericclioptions.RESTClientGetter) []string {
	var names []string
	if c := completionConfig(f); c != nil {
		if dc, err := discovery.NewDiscoveryClientForConfig(c); err == nil {
			// Partial failures (one aggregated API down) still return the rest.
			lists, _ := dc.ServerPreferredResources()
			for _, l := range lists {
				gv, err := schema.ParseGroupVersion(l.GroupVersion)
				if err != nil {
					continue
				}
				for _, r := range l.APIResources {
					if !strings.Contains(r.Name, "/") {
						names = append(names, typeName(r.Name, gv.Group))
					}
				}
			}
		}
	}
	if len(names) == 0 {
		if d, err := resources.Builtin(); err == nil {
			d.AddWellKnownAddOns()
			for _, g := range d.Groups {
				if len(g.Versions) == 0 {
					continue
				}
				for _, r := range g.Versions[0].Resources {
					names = append(names, typeName(r.Name, g.Name))
				}
			}
		}
	}
	slices.Sort(names)
	return append(names, "users", "groups", "uids.authentication.k8s.io", "userextras.authentication.k8s.io", "signers.certificates.k8s.io", "*")
}

func typeName(resource, group string) string {
	if group == "" {
		return resource
	}
	return resource + "." + group
}

// completeTypes completes TYPE[.GROUP] (or a non-resource URL, after a /).
func completeTypes(f genericclioptions.RESTClientGetter, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if strings.HasPrefix(toComplete, "/") {
		return filterPrefix(completionURLs, toComplete), cobra.ShellCompDirectiveNoFileComp
	}
	if strings.Contains(toComplete, "/") { // TYPE/NAME: names are not completed
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return filterPrefix(resourceTypeNames(f), toComplete), cobra.ShellCompDirectiveNoFileComp
}

// completeNamespaces lists the cluster's namespaces.
func completeNamespaces(f genericclioptions.RESTClientGetter) func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
	return func(cmd *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		cs := completionClientset(f)
		if cs == nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		ctx, cancel := context.WithTimeout(context.Background(), completionTimeout)
		defer cancel()
		list, err := cs.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var names []string
		for _, ns := range list.Items {
			names = append(names, ns.Name)
		}
		return filterPrefix(names, toComplete), cobra.ShellCompDirectiveNoFileComp
	}
}

// completeKubeconfig lists the kubeconfig's contexts, clusters or users.
func completeKubeconfig(f genericclioptions.RESTClientGetter, what string) func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
	return func(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		raw, err := f.ToRawKubeConfigLoader().RawConfig()
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var names []string
		switch what {
		case "context":
			for n := range raw.Contexts {
				names = append(names, n)
			}
		case "cluster":
			for n := range raw.Clusters {
				names = append(names, n)
			}
		case "user":
			for n := range raw.AuthInfos {
				names = append(names, n)
			}
		}
		slices.Sort(names)
		return filterPrefix(names, toComplete), cobra.ShellCompDirectiveNoFileComp
	}
}

// completeARNs lists the role and user ARNs aws-auth maps: from the files given with
// -f when the command has them, else from the cluster.
func completeARNs(f genericclioptions.RESTClientGetter) func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var data map[string]string
		if files, _ := cmd.Flags().GetStringSlice("filename"); len(files) > 0 {
			snap, err := source.ReadFiles(f, files, false, "")
			if err != nil || snap.AWSAuth == nil {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			data = snap.AWSAuth.Object.Data
		} else {
			cs := completionClientset(f)
			if cs == nil {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			ctx, cancel := context.WithTimeout(context.Background(), completionTimeout)
			defer cancel()
			a, err := source.GetAWSAuth(ctx, cs.CoreV1())
			if err != nil {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			data = a.Object.Data
		}
		var arns []string
		for _, m := range awsauth.NewStore(awsauth.Parse(data)).Mappings {
			if m.Kind != awsauth.KindAccount && m.SSO == nil {
				arns = append(arns, m.ARN)
			}
		}
		slices.Sort(arns)
		return filterPrefix(arns, toComplete), cobra.ShellCompDirectiveNoFileComp
	}
}

func completeFixed(values ...string) func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
	return func(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return filterPrefix(values, toComplete), cobra.ShellCompDirectiveNoFileComp
	}
}

// registerCompletions wires the dynamic completions of the kubeconfig flags into the
// root. -o and --dry-run complete from the flag types that register them
// (cmdutil.PrintFlags, cmdutil.RemediationFlags), each with its command's values.
func registerCompletions(root *cobra.Command, f genericclioptions.RESTClientGetter) {
	pf := root.PersistentFlags()
	for flag, fn := range map[string]func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective){
		"namespace": completeNamespaces(f),
		"context":   completeKubeconfig(f, "context"),
		"cluster":   completeKubeconfig(f, "cluster"),
		"user":      completeKubeconfig(f, "user"),
	} {
		if pf.Lookup(flag) != nil {
			_ = root.RegisterFlagCompletionFunc(flag, fn)
		}
	}
}
