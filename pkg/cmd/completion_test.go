package cmd

import (
	"slices"
	"strings"
	"testing"
)

// complete runs cobra's hidden __complete command, as the shell scripts do, offline.
func complete(t *testing.T, args ...string) (words []string, directive string) {
	t.Helper()
	stdout, _, code := run(t, append([]string{"__complete"}, args...)...)
	if code != 0 {
		t.Fatalf("__complete %v: exit %d", args, code)
	}
	lines := strings.Split(strings.TrimRight(stdout, "\n"), "\n")
	for _, l := range lines[:len(lines)-1] {
		word, _, _ := strings.Cut(l, "\t") // subcommands come with their description
		words = append(words, word)
	}
	return words, lines[len(lines)-1]
}

func TestCompletionOffline(t *testing.T) {
	tests := []struct {
		args []string
		want []string // must all be offered
		not  []string // must not be offered
	}{
		{[]string{""}, []string{"who-can", "access", "aws-auth", "sa", "anon", "completion", "version"}, nil},
		{[]string{"who-can", ""}, []string{"get", "list", "impersonate", "escalate", "*"}, nil},
		{[]string{"who-can", "de"}, []string{"delete", "deletecollection"}, []string{"get"}},
		{[]string{"who-can", "get", "dep"}, []string{"deployments.apps"}, []string{"pods"}},
		{[]string{"who-can", "impersonate", ""}, []string{"users", "groups", "serviceaccounts", "uids.authentication.k8s.io"}, nil},
		{[]string{"who-can", "get", "/he"}, []string{"/healthz"}, []string{"pods"}},
		{[]string{"who-can", "get", "pods", "--subresource", "ex"}, []string{"exec"}, []string{"log"}},
		{[]string{"who-can", "get", "pods", "-o", ""}, []string{"wide", "json", "yaml", "jsonpath"}, []string{"shell"}},
		{[]string{"aws-auth", "migrate", "-o", "sh"}, []string{"shell"}, nil},
		{[]string{"aws-auth", "remove", "x", "-o", ""}, []string{"json", "yaml"}, []string{"wide", "jsonpath"}},
		{[]string{"version", "-o", ""}, []string{"json", "yaml"}, []string{"wide"}},
		{[]string{"anon", "revoke", "--dry-run="}, []string{"none", "client", "server"}, nil},
		{[]string{"sa", "harden", "--dry-run="}, []string{"none", "client", "server"}, nil},
		{[]string{"access", "-f", example, "arn:aws:iam::111122223333:"}, []string{"arn:aws:iam::111122223333:role/PlatformAdmin", "arn:aws:iam::111122223333:user/alice"}, nil},
		{[]string{"access", "x", "--verb", "ge"}, []string{"get"}, nil},
		{[]string{"access", "x", "--resource", "secr"}, []string{"secrets"}, nil},
		{[]string{"aws-auth", "remove", ""}, nil, []string{"who-can"}}, // no cluster: nothing offered, no files
	}
	offered := 0
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			words, directive := complete(t, tc.args...)
			for _, w := range tc.want {
				if !slices.Contains(words, w) {
					t.Errorf("%q not offered; got %v", w, words)
				}
			}
			for _, w := range tc.not {
				if slices.Contains(words, w) {
					t.Errorf("%q offered", w)
				}
			}
			if tc.args[0] != "" && directive != ":4" { // ShellCompDirectiveNoFileComp
				t.Errorf("directive %s, want :4 (no file completion)", directive)
			}
			offered += len(words)
		})
	}
	t.Logf("%d completion cases, %d words offered", len(tests), offered)
}

// Each shell gets a script from `completion SHELL`.
func TestCompletionScripts(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		stdout, _, code := run(t, "completion", shell)
		if code != 0 || !strings.Contains(stdout, "kubectl-eksiam") || len(stdout) < 1000 {
			t.Errorf("completion %s: exit %d, %d bytes", shell, code, len(stdout))
		}
	}
}
