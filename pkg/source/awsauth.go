package source

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

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
	if b, err := json.Marshal(cm); err == nil {
		obj.Size = len(b)
	}
	return &AWSAuth{ConfigMap: cm, Object: obj, Source: src}
}

// ReadAWSAuthFile reads an aws-auth ConfigMap from a manifest (YAML or JSON; one
// object, a List or several documents; "-" reads in). It picks the ConfigMap
// kube-system/aws-auth, or the only ConfigMap in the file (validation then reports
// its wrong name). Beyond what a typed object keeps, it records data values that are
// not strings and data keys given twice.
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
	var candidates []*yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		if err := dec.Decode(&doc); err == io.EOF {
			break
		} else if err != nil {
			return nil, fmt.Errorf("%s: %v", src, err)
		}
		if len(doc.Content) > 0 {
			collectConfigMaps(doc.Content[0], &candidates)
		}
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
		return nil, fmt.Errorf("%s holds no ConfigMap kube-system/aws-auth (%d ConfigMaps in all)", src, len(candidates))
	}
	return fromNode(pick, src)
}

func collectConfigMaps(n *yaml.Node, out *[]*yaml.Node) {
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
				collectConfigMaps(it, out)
			}
		}
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
	if b, err := json.Marshal(cm); err == nil {
		obj.Size = len(b)
	}
	return &AWSAuth{ConfigMap: cm, Object: obj, Source: src}, nil
}

// Dropped are the keys and entries of aws-auth the authenticator drops as malformed
// (the findings of 'aws-auth validate' that say so).
func (a *AWSAuth) Dropped() []awsauth.Finding {
	return awsauth.DroppedFindings(awsauth.Validate(a.Object, awsauth.Options{}))
}
