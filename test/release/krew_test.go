// Package release checks the release files against what goreleaser built: the krew
// manifest template rendered against the snapshot archives must follow krew's rules,
// and installing the host's archive the way krew does must give a working
// `kubectl eksiam`. It needs the archives: hack/test.sh runs hack/release.sh and
// points EKSIAM_DIST at dist/.
package release

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"text/template"

	"sigs.k8s.io/yaml"
)

// The krew manifest, as far as its rules go.
type plugin struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Spec struct {
		Version          string     `json:"version"`
		Homepage         string     `json:"homepage"`
		ShortDescription string     `json:"shortDescription"`
		Description      string     `json:"description"`
		Caveats          string     `json:"caveats"`
		Platforms        []platform `json:"platforms"`
	} `json:"spec"`
}

type platform struct {
	Selector struct {
		MatchLabels      map[string]string `json:"matchLabels"`
		MatchExpressions []any             `json:"matchExpressions"`
	} `json:"selector"`
	URI    string `json:"uri"`
	SHA256 string `json:"sha256"`
	Bin    string `json:"bin"`
}

// semver 2.0 with the v prefix krew requires.
var semverV = regexp.MustCompile(`^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$`)

var lowerHex64 = regexp.MustCompile(`^[0-9a-f]{64}$`)

func dist(t *testing.T) string {
	t.Helper()
	d := os.Getenv("EKSIAM_DIST")
	if d == "" {
		const why = "EKSIAM_DIST is not set: run ./hack/test.sh, which builds the release archive with hack/release.sh --host"
		if os.Getenv("CI") != "" {
			t.Fatal(why + " (CI must run the release tests)")
		}
		t.Skip(why)
	}
	return d
}

type metadata struct {
	Tag    string `json:"tag"`
	Commit string `json:"commit"`
}

func readMetadata(t *testing.T, dir string) metadata {
	t.Helper()
	var m metadata
	data, err := os.ReadFile(filepath.Join(dir, "metadata.json"))
	if err == nil {
		err = json.Unmarshal(data, &m)
	}
	if err != nil {
		t.Fatalf("goreleaser's metadata: %v", err)
	}
	return m
}

// render renders plugins.yaml as krew-release-bot does: {{ .TagName }}, and
// addURIAndSha, which renders the URL with the tag and appends the sha256 of the
// archive it names (here, the local file with that name).
func render(t *testing.T, dir, tag string) ([]byte, map[string]string) {
	t.Helper()
	tmplText, err := os.ReadFile(filepath.Join("..", "..", "plugins.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	uris := map[string]string{} // archive name -> uri
	funcs := template.FuncMap{"addURIAndSha": func(url, tag string) (string, error) {
		var b bytes.Buffer
		if err := template.Must(template.New("url").Parse(url)).Execute(&b, struct{ TagName string }{tag}); err != nil {
			return "", err
		}
		uri := b.String()
		sum, err := fileSHA256(filepath.Join(dir, path.Base(uri)))
		if errors.Is(err, os.ErrNotExist) {
			// A host-only snapshot (hack/release.sh --host) has one archive: the
			// others render with a placeholder sum (that of no bytes: digits alone would
			// read as a YAML number), and only their manifest is checked.
			sum, err = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", nil
		}
		if err != nil {
			return "", err
		}
		uris[path.Base(uri)] = uri
		return fmt.Sprintf("uri: %s\n    sha256: %s", uri, sum), nil
	}}
	tmpl, err := template.New("plugins.yaml").Funcs(funcs).Parse(string(tmplText))
	if err != nil {
		t.Fatalf("plugins.yaml: %v", err)
	}
	var out bytes.Buffer
	if err := tmpl.Execute(&out, struct{ TagName string }{tag}); err != nil {
		t.Fatalf("rendering plugins.yaml: %v", err)
	}
	return out.Bytes(), uris
}

func fileSHA256(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// archiveFiles lists a tar.gz's files with their modes.
func archiveFiles(t *testing.T, p string) map[string]os.FileMode {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", p, err)
	}
	tr := tar.NewReader(gz)
	out := map[string]os.FileMode{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		out[h.Name] = h.FileInfo().Mode()
	}
}

// TestKrewManifest renders plugins.yaml against the snapshot archives and checks
// every krew rule.
func TestKrewManifest(t *testing.T) {
	dir := dist(t)
	meta := readMetadata(t, dir)
	rendered, uris := render(t, dir, meta.Tag)
	var p plugin
	if err := yaml.UnmarshalStrict(rendered, &p); err != nil {
		t.Fatalf("the rendered manifest is not a krew Plugin: %v\n%s", err, rendered)
	}
	check := func(ok bool, format string, args ...any) {
		t.Helper()
		if !ok {
			t.Errorf(format, args...)
		}
	}
	check(p.APIVersion == "krew.googlecontainertools.github.com/v1alpha2", "apiVersion %q", p.APIVersion)
	check(p.Kind == "Plugin", "kind %q", p.Kind)
	check(p.Metadata.Name == "eksiam", "metadata.name %q, want eksiam (the plugin is kubectl-eksiam)", p.Metadata.Name)
	check(p.Spec.ShortDescription != "" && !strings.Contains(strings.TrimSpace(p.Spec.ShortDescription), "\n") && len(p.Spec.ShortDescription) <= 50,
		"shortDescription must be one line of at most 50 characters: %q", p.Spec.ShortDescription)
	check(p.Spec.Description != "", "no description")
	check(strings.HasPrefix(p.Spec.Homepage, "https://"), "homepage %q", p.Spec.Homepage)
	check(semverV.MatchString(p.Spec.Version), "version %q is not v-prefixed semver", p.Spec.Version)

	archives, _ := filepath.Glob(filepath.Join(dir, "*.tar.gz"))
	host := fmt.Sprintf("kubectl-eksiam_%s_%s_%s.tar.gz", meta.Tag, runtime.GOOS, runtime.GOARCH)
	check(len(archives) == 6 || (len(archives) == 1 && filepath.Base(archives[0]) == host),
		"%d archives: want the six of a release (hack/release.sh) or the host's alone (hack/release.sh --host)", len(archives))
	check(len(p.Spec.Platforms) == 6, "%d platforms, want 6", len(p.Spec.Platforms))
	checked := 0
	seen := map[string]bool{}
	for i, pl := range p.Spec.Platforms {
		labels := pl.Selector.MatchLabels
		keys := slices.Sorted(func(yield func(string) bool) {
			for k := range labels {
				if !yield(k) {
					return
				}
			}
		})
		check(slices.Equal(keys, []string{"arch", "os"}) && len(pl.Selector.MatchExpressions) == 0,
			"platforms[%d]: the selector must use matchLabels os and arch only: %v", i, pl.Selector)
		pair := labels["os"] + "/" + labels["arch"]
		check(!seen[pair], "platforms[%d]: %s is matched twice", i, pair)
		seen[pair] = true
		check(strings.HasPrefix(pl.URI, "https://"), "platforms[%d]: uri %q", i, pl.URI)
		check(lowerHex64.MatchString(pl.SHA256), "platforms[%d]: sha256 %q is not 64 lowercase hex digits", i, pl.SHA256)
		name := path.Base(pl.URI)
		check(strings.Contains(name, "_"+labels["os"]+"_"+labels["arch"]+".tar.gz"), "platforms[%d]: %s does not serve %s", i, name, pair)
		local := filepath.Join(dir, name)
		if _, err := os.Stat(local); errors.Is(err, os.ErrNotExist) && len(archives) < 6 {
			continue // not built in a host-only snapshot
		}
		checked++
		sum, err := fileSHA256(local)
		check(err == nil && sum == pl.SHA256, "platforms[%d]: sha256 of %s: %s (%v), manifest says %s", i, name, sum, err, pl.SHA256)
		files := archiveFiles(t, local)
		wantBin := "kubectl-eksiam"
		if labels["os"] == "windows" {
			wantBin += ".exe"
		}
		check(pl.Bin == wantBin, "platforms[%d]: bin %q, want %q", i, pl.Bin, wantBin)
		check(files[pl.Bin]&0o111 != 0, "platforms[%d]: %s has no executable %s: %v", i, name, pl.Bin, files)
		_, license := files["LICENSE"]
		check(license, "platforms[%d]: %s has no LICENSE", i, name)
		check(files["kubectl_complete-eksiam"]&0o111 != 0, "platforms[%d]: %s has no executable kubectl_complete-eksiam", i, name)
	}
	for _, pair := range []string{"linux/amd64", "linux/arm64", "darwin/amd64", "darwin/arm64", "windows/amd64", "windows/arm64"} {
		check(seen[pair], "no platform for %s", pair)
	}
	check(checked == len(archives), "%d archives checked, %d built", checked, len(archives))
	t.Logf("rendered manifest: version %s, %d platforms, %d of 6 archives built and checked (%d uris)", p.Spec.Version, len(p.Spec.Platforms), checked, len(uris))
}

// TestKrewInstall installs the host's archive the way krew does (unpack into the
// store, link bin as kubectl-eksiam into a bin directory on PATH) and runs
// `kubectl eksiam version` through kubectl.
func TestKrewInstall(t *testing.T) {
	dir := dist(t)
	meta := readMetadata(t, dir)
	if runtime.GOOS == "windows" {
		t.Skip("the krew-style install here links with symlinks")
	}
	archive := filepath.Join(dir, fmt.Sprintf("kubectl-eksiam_%s_%s_%s.tar.gz", meta.Tag, runtime.GOOS, runtime.GOARCH))
	root := t.TempDir()
	store := filepath.Join(root, "store", "eksiam", meta.Tag)
	if err := os.MkdirAll(store, 0o755); err != nil {
		t.Fatal(err)
	}
	untar := exec.Command("tar", "-xzf", archive, "-C", store)
	if out, err := untar.CombinedOutput(); err != nil {
		t.Fatalf("unpacking %s: %v\n%s", archive, err, out)
	}
	binDir := filepath.Join(root, "bin")
	if err := os.MkdirAll(binDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(store, "kubectl-eksiam"), filepath.Join(binDir, "kubectl-eksiam")); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) string {
		t.Helper()
		c := exec.Command("kubectl", args...)
		c.Env = append(os.Environ(), "PATH="+binDir+string(os.PathListSeparator)+os.Getenv("PATH"), "HOME="+root, "KUBECONFIG="+filepath.Join(root, "none"))
		out, err := c.Output()
		if err != nil {
			t.Fatalf("kubectl %s: %v", strings.Join(args, " "), err)
		}
		return string(out)
	}
	if list := run("plugin", "list", "--name-only"); !strings.Contains(list, "kubectl-eksiam") {
		t.Errorf("kubectl plugin list does not show kubectl-eksiam:\n%s", list)
	}
	var v struct {
		Version string `json:"version"`
		Commit  string `json:"commit"`
	}
	out := run("eksiam", "version", "-o", "json")
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("kubectl eksiam version -o json: %v\n%s", err, out)
	}
	if v.Version != meta.Tag || v.Commit != meta.Commit {
		t.Errorf("kubectl eksiam version: %+v, want the tag %s and commit %s goreleaser stamped", v, meta.Tag, meta.Commit)
	}
	t.Logf("installed %s krew-style; kubectl eksiam version: %s %s", filepath.Base(archive), v.Version, v.Commit)
}
