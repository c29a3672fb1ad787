package source

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/awsauth"
)

// AWSAuth is an aws-auth ConfigMap as read: the typed object (for writes and
// backups) and the view validation needs.
type AWSAuth struct {
	ConfigMap *corev1.ConfigMap
	Object    *awsauth.Object
	// Source names where it came from: a file, or the cluster.
	Source string
}

// GetAWSAuth reads kube-system/aws-auth from the cluster. A missing ConfigMap is
// returned as the API's NotFound error; a read never creates it.
func GetAWSAuth(ctx context.Context, c corev1client.ConfigMapsGetter) (*AWSAuth, error) {
	cm, err := c.ConfigMaps(awsauth.Namespace).Get(ctx, awsauth.Name, metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	return awsAuthFromConfigMap(cm, "kube-system/aws-auth"), nil
}

func awsAuthFromConfigMap(cm *corev1.ConfigMap, src string) *AWSAuth {
	obj := &awsauth.Object{APIVersion: "v1", Kind: "ConfigMap", Namespace: cm.Namespace, Name: cm.Name, Data: cm.Data}
	if obj.Data == nil {
		obj.Data = map[string]string{}
	}
	for k, v := range cm.BinaryData {
		if obj.BinaryData == nil {
			obj.BinaryData = map[string]int{}
		}
		obj.BinaryData[k] = len(v)
	}
	return &AWSAuth{ConfigMap: cm, Object: obj, Source: src}
}

// FileError is an aws-auth file that is not a manifest of ConfigMap
// kube-system/aws-auth: YAML that does not parse, or no such object in it. Its findings
// locate the problem (line and column in the file); 'aws-auth validate' reports them as
// findings, every other command refuses the file.
type FileError struct {
	Source   string
	Findings []awsauth.Finding
}

func (e *FileError) Error() string {
	f := e.Findings[0]
	where := ""
	if f.Location.Line > 0 {
		where = fmt.Sprintf(" (line %d, column %d)", f.Location.Line, f.Location.Column)
	}
	return fmt.Sprintf("%s%s: %s", e.Source, where, f.Message)
}

func fileError(src, rule, name string, line, col int, msg, hint string) *FileError {
	return &FileError{Source: src, Findings: []awsauth.Finding{{Rule: rule, Name: name, Severity: awsauth.Error,
		Location: awsauth.Location{Entry: -1, Line: line, Column: col}, Message: msg, Hint: hint}}}
}

var yamlErrorLine = regexp.MustCompile(`line (\d+)(?:, column (\d+))?`)

// ReadAWSAuthFile reads an aws-auth ConfigMap from a manifest (YAML or JSON; one
// object, a List or several documents; "-" reads in). It picks the ConfigMap
// kube-system/aws-auth, or the only ConfigMap in the file (validation then reports
// its wrong name). A document that holds only data keys (what
// 'kubectl get configmap -n kube-system aws-auth -o jsonpath={.data}' prints) is read as
// that ConfigMap's data. Beyond what a typed object keeps, it records data values that
// are not strings and data keys given twice. A file that is not such a manifest is a
// *FileError.
func ReadAWSAuthFile(path string, in io.Reader) (*AWSAuth, error) {
	var (
		data []byte
		err  error
	)
	if path == "-" {
		data, err = io.ReadAll(in)
	} else {
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, err
	}
	src := path
	if path == "-" {
		src = "standard input"
	}
	var candidates, others []*yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		if err := dec.Decode(&doc); err == io.EOF {
			break
		} else if err != nil {
			line, col := 0, 0
			if m := yamlErrorLine.FindStringSubmatch(err.Error()); m != nil {
				line, _ = strconv.Atoi(m[1])
				col, _ = strconv.Atoi(m[2])
			}
			return nil, fileError(src, "AA00", "not-yaml", line, col, "the file is not YAML or JSON: "+err.Error(), "")
		}
		if len(doc.Content) == 0 {
			continue
		}
		root := doc.Content[0]
		if dataOnly(root) {
			return dataOnlyAWSAuth(root, src)
		}
		collectConfigMaps(root, &candidates, &others)
	}
	var pick *yaml.Node
	for _, c := range candidates {
		if str(c, "metadata", "name") == awsauth.Name && str(c, "metadata", "namespace") == awsauth.Namespace {
			pick = c
		}
	}
	if pick == nil && len(candidates) == 1 {
		pick = candidates[0]
	}
	if pick == nil {
		// The object meant as aws-auth, but of another kind (kind is case-sensitive:
		// "Configmap" is not a ConfigMap; a Secret named aws-auth is not read).
		for _, o := range others {
			if str(o, "metadata", "name") == awsauth.Name {
				k := field(o, "kind")
				return nil, fileError(src, "AA01", "wrong-object", k.Line, k.Column,
					fmt.Sprintf("the object named aws-auth is a %q, not a ConfigMap: the authenticator reads only ConfigMap kube-system/aws-auth", str(o, "kind")), "kind: ConfigMap (case-sensitive)")
			}
		}
		return nil, fileError(src, "AA01", "wrong-object", 0, 0, fmt.Sprintf("the file holds no ConfigMap kube-system/aws-auth (%d ConfigMaps, %d other objects)", len(candidates), len(others)), "")
	}
	return fromNode(pick, src)
}

// dataOnly reports whether n is a mapping of aws-auth data keys only (no kind,
// apiVersion or metadata): the data of the ConfigMap.
func dataOnly(n *yaml.Node) bool {
	if n.Kind != yaml.MappingNode || len(n.Content) == 0 {
		return false
	}
	for i := 0; i < len(n.Content); i += 2 {
		switch n.Content[i].Value {
		case awsauth.KeyRoles, awsauth.KeyUsers, awsauth.KeyAccounts:
		default:
			return false
		}
	}
	return true
}

// dataOnlyAWSAuth is the ConfigMap whose data is the mapping n.
func dataOnlyAWSAuth(n *yaml.Node, src string) (*AWSAuth, error) {
	cm := &yaml.Node{Kind: yaml.MappingNode}
	add := func(k string, v *yaml.Node) {
		cm.Content = append(cm.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: k}, v)
	}
	scalar := func(v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Value: v} }
	add("apiVersion", scalar("v1"))
	add("kind", scalar("ConfigMap"))
	meta := &yaml.Node{Kind: yaml.MappingNode}
	meta.Content = append(meta.Content, scalar("name"), scalar(awsauth.Name), scalar("namespace"), scalar(awsauth.Namespace))
	add("metadata", meta)
	add("data", n)
	return fromNode(cm, src+" (data only)")
}

func collectConfigMaps(n *yaml.Node, out, others *[]*yaml.Node) {
	if n.Kind != yaml.MappingNode {
		return
	}
	switch str(n, "kind") {
	case "ConfigMap":
		*out = append(*out, n)
	case "List", "ConfigMapList":
		if items := field(n, "items"); items != nil && items.Kind == yaml.SequenceNode {
			for _, it := range items.Content {
				if str(it, "kind") == "" && str(n, "kind") == "ConfigMapList" {
					*out = append(*out, it)
					continue
				}
				collectConfigMaps(it, out, others)
			}
		}
	default:
		*others = append(*others, n)
	}
}

func field(n *yaml.Node, name string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	var v *yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == name {
			v = n.Content[i+1]
		}
	}
	return v
}

func str(n *yaml.Node, path ...string) string {
	for _, p := range path {
		n = field(n, p)
	}
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}

// fromNode builds the typed ConfigMap and the validation view from one object node.
func fromNode(n *yaml.Node, src string) (*AWSAuth, error) {
	obj := &awsauth.Object{APIVersion: str(n, "apiVersion"), Kind: str(n, "kind"),
		Namespace: str(n, "metadata", "namespace"), Name: str(n, "metadata", "name"), Data: map[string]string{}}
	if obj.Kind == "" {
		obj.Kind = "ConfigMap"
	}
	if d := field(n, "data"); d != nil && d.Kind == yaml.MappingNode {
		seen := map[string]bool{}
		for i := 0; i+1 < len(d.Content); i += 2 {
			k, v := d.Content[i].Value, d.Content[i+1]
			if seen[k] {
				obj.DuplicateDataKeys = append(obj.DuplicateDataKeys, k)
			}
			seen[k] = true
			if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!str" {
				obj.NonStringData = append(obj.NonStringData, k)
				continue
			}
			obj.Data[k] = v.Value
		}
	}
	// The typed object, for writes: decoded the way kubectl decodes a manifest.
	raw, err := yaml.Marshal(n)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", src, err)
	}
	cm := &corev1.ConfigMap{}
	if len(obj.NonStringData) == 0 {
		if err := sigsyaml.Unmarshal(raw, cm); err != nil {
			return nil, fmt.Errorf("%s: ConfigMap %s/%s: %v", src, obj.Namespace, obj.Name, err)
		}
	} else {
		cm.Name, cm.Namespace = obj.Name, obj.Namespace
	}
	cm.Data = obj.Data
	// binaryData values are base64 in a manifest; the limit counts decoded bytes.
	if b := field(n, "binaryData"); b != nil && b.Kind == yaml.MappingNode {
		obj.BinaryData = map[string]int{}
		for i := 0; i+1 < len(b.Content); i += 2 {
			v := strings.TrimSpace(b.Content[i+1].Value)
			obj.BinaryData[b.Content[i].Value] = base64.StdEncoding.DecodedLen(len(v)) - strings.Count(v, "=")
		}
	}
	return &AWSAuth{ConfigMap: cm, Object: obj, Source: src}, nil
}

// Dropped are the keys and entries of aws-auth the authenticator drops as malformed
// (the findings of 'aws-auth validate' that say so).
func (a *AWSAuth) Dropped() []awsauth.Finding {
	return awsauth.DroppedFindings(awsauth.Validate(a.Object, awsauth.Options{}))
}
