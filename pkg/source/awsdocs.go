package source

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/api/v1alpha1"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/iampolicy"
	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/podidentity"
)

// The AWS CLI's output shapes for the calls pod-identity reads, as `aws iam
// get-role`, `aws iam get-instance-profile`, `aws eks describe-cluster`, `aws eks
// list-pod-identity-associations`, `aws eks describe-pod-identity-association` and
// `aws ec2 describe-instances` print them. Only the fields used are declared: the
// rest of what the CLI prints is ignored on reading, and left out on writing.

// CLIGetRole is `aws iam get-role`.
type CLIGetRole struct {
	Role CLIRole `json:"Role"`
}

// CLIRole is an IAM role. The CLI prints AssumeRolePolicyDocument as a JSON object
// (it decodes IAM's URL-encoded string); a string (encoded or not) is accepted too.
type CLIRole struct {
	Path                     string          `json:"Path,omitempty"`
	RoleName                 string          `json:"RoleName"`
	RoleID                   string          `json:"RoleId,omitempty"`
	Arn                      string          `json:"Arn"`
	CreateDate               string          `json:"CreateDate,omitempty"`
	AssumeRolePolicyDocument json.RawMessage `json:"AssumeRolePolicyDocument,omitempty"`
}

// CLIGetInstanceProfile is `aws iam get-instance-profile`.
type CLIGetInstanceProfile struct {
	InstanceProfile struct {
		InstanceProfileName string    `json:"InstanceProfileName"`
		Arn                 string    `json:"Arn"`
		Roles               []CLIRole `json:"Roles"`
	} `json:"InstanceProfile"`
}

// CLIDescribeCluster is `aws eks describe-cluster`.
type CLIDescribeCluster struct {
	Cluster struct {
		Name     string `json:"name"`
		Arn      string `json:"arn,omitempty"`
		Identity *struct {
			OIDC *struct {
				Issuer string `json:"issuer"`
			} `json:"oidc,omitempty"`
		} `json:"identity,omitempty"`
		ComputeConfig *struct {
			Enabled *bool `json:"enabled,omitempty"`
		} `json:"computeConfig,omitempty"`
		ResourcesVpcConfig *CLIVpcConfig `json:"resourcesVpcConfig,omitempty"`
	} `json:"cluster"`
}

// CLIVpcConfig is the part of describe-cluster's resourcesVpcConfig that says who can
// reach the API server endpoint (audit, EP01).
type CLIVpcConfig struct {
	EndpointPublicAccess  *bool    `json:"endpointPublicAccess,omitempty"`
	EndpointPrivateAccess *bool    `json:"endpointPrivateAccess,omitempty"`
	PublicAccessCidrs     []string `json:"publicAccessCidrs,omitempty"`
}

// CLIAssociation is an EKS Pod Identity association (the summary of a list has no
// roleArn).
type CLIAssociation struct {
	ClusterName        string          `json:"clusterName,omitempty"`
	Namespace          string          `json:"namespace"`
	ServiceAccount     string          `json:"serviceAccount"`
	RoleArn            string          `json:"roleArn,omitempty"`
	TargetRoleArn      string          `json:"targetRoleArn,omitempty"`
	ExternalID         string          `json:"externalId,omitempty"`
	DisableSessionTags *bool           `json:"disableSessionTags,omitempty"`
	AssociationArn     string          `json:"associationArn,omitempty"`
	AssociationID      string          `json:"associationId"`
	OwnerArn           string          `json:"ownerArn,omitempty"`
	CreatedAt          json.RawMessage `json:"createdAt,omitempty"`
}

// CLIListAssociations is `aws eks list-pod-identity-associations`.
type CLIListAssociations struct {
	Associations []CLIAssociation `json:"associations"`
}

// CLIDescribeAssociation is `aws eks describe-pod-identity-association`.
type CLIDescribeAssociation struct {
	Association CLIAssociation `json:"association"`
}

// CLIDescribeInstances is `aws ec2 describe-instances`.
type CLIDescribeInstances struct {
	Reservations []struct {
		Instances []CLIInstance `json:"Instances"`
	} `json:"Reservations"`
}

// CLIInstance is an EC2 instance.
type CLIInstance struct {
	InstanceID         string `json:"InstanceId"`
	IamInstanceProfile *struct {
		Arn string `json:"Arn"`
	} `json:"IamInstanceProfile,omitempty"`
	MetadataOptions *struct {
		State                   string `json:"State,omitempty"`
		HttpTokens              string `json:"HttpTokens"`
		HttpPutResponseHopLimit int    `json:"HttpPutResponseHopLimit"`
		HttpEndpoint            string `json:"HttpEndpoint"`
	} `json:"MetadataOptions,omitempty"`
}

// AWSInputs are the AWS inputs of a pod-identity answer, with the documents they
// came from (in the CLI's shapes, for export) and the account of each input.
type AWSInputs struct {
	Cluster          *podidentity.Cluster
	AssociationsRead bool
	Associations     []podidentity.Association
	Roles            map[string]*podidentity.Role
	InstancesRead    bool
	Instances        map[string]*podidentity.Instance
	InstanceProfiles map[string][]string
	// Endpoint is the cluster's endpoint access (resourcesVpcConfig), nil when
	// DescribeCluster was not read or did not report it.
	Endpoint *v1alpha1.EndpointAccess
	Inputs   []v1alpha1.PodIdentityInput
	// Docs are the documents read, in the order read.
	Docs []any
	// listed and described association ids (a list without its describes leaves
	// the roles unknown).
	listed map[string]bool
}

// NewAWSInputs returns empty inputs.
func NewAWSInputs() *AWSInputs {
	return &AWSInputs{Roles: map[string]*podidentity.Role{}, Instances: map[string]*podidentity.Instance{}, InstanceProfiles: map[string][]string{}, listed: map[string]bool{}}
}

// Apply fills the inputs in from one document (one of the CLI* types, or a pointer
// to one).
func (a *AWSInputs) Apply(doc any) error {
	switch d := doc.(type) {
	case *CLIDescribeCluster:
		c := &podidentity.Cluster{Name: d.Cluster.Name, ARN: d.Cluster.Arn}
		if d.Cluster.Identity != nil && d.Cluster.Identity.OIDC != nil {
			c.OIDCIssuer = d.Cluster.Identity.OIDC.Issuer
		}
		if cc := d.Cluster.ComputeConfig; cc != nil && cc.Enabled != nil {
			c.AutoMode = *cc.Enabled
		}
		a.Cluster = c
		if v := d.Cluster.ResourcesVpcConfig; v != nil {
			a.Endpoint = &v1alpha1.EndpointAccess{PublicAccess: v.EndpointPublicAccess != nil && *v.EndpointPublicAccess,
				PrivateAccess: v.EndpointPrivateAccess != nil && *v.EndpointPrivateAccess, PublicAccessCIDRs: append([]string{}, v.PublicAccessCidrs...)}
		}
	case *CLIListAssociations:
		a.AssociationsRead = true
		for _, s := range d.Associations {
			a.listed[s.AssociationID] = true
			a.association(s, false)
		}
	case *CLIDescribeAssociation:
		a.AssociationsRead = true
		a.association(d.Association, true)
	case *CLIGetRole:
		r, err := roleFrom(d.Role)
		if err != nil {
			return err
		}
		a.Roles[r.ARN] = r
	case *CLIGetInstanceProfile:
		var roles []string
		for _, r := range d.InstanceProfile.Roles {
			roles = append(roles, r.Arn)
		}
		a.InstanceProfiles[d.InstanceProfile.Arn] = roles
	case *CLIDescribeInstances:
		a.InstancesRead = true
		for _, res := range d.Reservations {
			for _, in := range res.Instances {
				i := &podidentity.Instance{ID: in.InstanceID}
				if in.IamInstanceProfile != nil {
					i.InstanceProfileARN = in.IamInstanceProfile.Arn
				}
				if m := in.MetadataOptions; m != nil {
					i.HTTPTokens, i.HTTPEndpoint, i.HopLimit = m.HttpTokens, m.HttpEndpoint, m.HttpPutResponseHopLimit
				}
				a.Instances[i.ID] = i
			}
		}
	default:
		return fmt.Errorf("unexpected document %T", doc)
	}
	a.Docs = append(a.Docs, doc)
	return nil
}

// association merges a listed or described association (a describe wins).
func (a *AWSInputs) association(s CLIAssociation, described bool) {
	as := podidentity.Association{ID: s.AssociationID, ARN: s.AssociationArn, Namespace: s.Namespace, ServiceAccount: s.ServiceAccount,
		RoleARN: s.RoleArn, TargetRoleARN: s.TargetRoleArn, ExternalID: s.ExternalID, OwnerARN: s.OwnerArn}
	if s.DisableSessionTags != nil {
		as.DisableSessionTags = *s.DisableSessionTags
	}
	if i := slices.IndexFunc(a.Associations, func(x podidentity.Association) bool { return x.ID == s.AssociationID }); i >= 0 {
		if described {
			a.Associations[i] = as
		}
		return
	}
	a.Associations = append(a.Associations, as)
}

func roleFrom(r CLIRole) (*podidentity.Role, error) {
	if r.Arn == "" {
		return nil, errors.New("Role.Arn is missing")
	}
	out := &podidentity.Role{ARN: r.Arn}
	doc := bytes.TrimSpace(r.AssumeRolePolicyDocument)
	var text string
	switch {
	case len(doc) == 0:
		out.TrustError = "no AssumeRolePolicyDocument"
		return out, nil
	case doc[0] == '"':
		if err := json.Unmarshal(doc, &text); err != nil {
			return nil, err
		}
	default:
		text = string(doc)
	}
	p, err := iampolicy.ParseDocument(text)
	if err != nil {
		out.TrustError = err.Error()
	}
	out.Trust = p
	return out, nil
}

// ReadAWSFiles reads AWS CLI output documents from files and directories (every
// *.json file of a directory, not recursively; "-" is standard input). A file may
// hold several documents one after another. Each document is recognised by its top
// key: Role, InstanceProfile, cluster, associations, association or Reservations.
func ReadAWSFiles(paths []string, stdin io.Reader) (*AWSInputs, error) {
	a := NewAWSInputs()
	var files []string
	for _, p := range paths {
		if p == "-" {
			files = append(files, p)
			continue
		}
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			files = append(files, p)
			continue
		}
		entries, err := os.ReadDir(p)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			if !e.IsDir() && strings.HasSuffix(e.Name(), ".json") {
				files = append(files, filepath.Join(p, e.Name()))
			}
		}
	}
	for _, f := range files {
		var data []byte
		var err error
		if f == "-" {
			data, err = io.ReadAll(stdin)
		} else {
			data, err = os.ReadFile(f)
		}
		if err != nil {
			return nil, err
		}
		if err := a.readDocs(data); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
	}
	a.finishFiles()
	return a, nil
}

func (a *AWSInputs) readDocs(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	n := 0
	for {
		var raw map[string]json.RawMessage
		err := dec.Decode(&raw)
		if errors.Is(err, io.EOF) {
			if n == 0 {
				return errors.New("no JSON document")
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("document %d: %v", n+1, err)
		}
		n++
		var doc any
		switch {
		case raw["Role"] != nil:
			doc = &CLIGetRole{}
		case raw["InstanceProfile"] != nil:
			doc = &CLIGetInstanceProfile{}
		case raw["cluster"] != nil:
			doc = &CLIDescribeCluster{}
		case raw["associations"] != nil:
			doc = &CLIListAssociations{}
		case raw["association"] != nil:
			doc = &CLIDescribeAssociation{}
		case raw["Reservations"] != nil:
			doc = &CLIDescribeInstances{}
		default:
			keys := make([]string, 0, len(raw))
			for k := range raw {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			return fmt.Errorf("document %d (keys %v) is not the output of aws iam get-role, iam get-instance-profile, eks describe-cluster, eks list-pod-identity-associations, eks describe-pod-identity-association or ec2 describe-instances", n, keys)
		}
		b, _ := json.Marshal(raw)
		if err := json.Unmarshal(b, doc); err != nil {
			return fmt.Errorf("document %d: %v", n, err)
		}
		if err := a.Apply(doc); err != nil {
			return fmt.Errorf("document %d: %v", n, err)
		}
	}
}

// finishFiles records, for files, which inputs they held.
func (a *AWSInputs) finishFiles() {
	count := map[string]int{}
	for _, d := range a.Docs {
		switch x := d.(type) {
		case *CLIDescribeCluster:
			count["eks:DescribeCluster"]++
		case *CLIListAssociations:
			count["eks:ListPodIdentityAssociations"] += len(x.Associations)
		case *CLIDescribeAssociation:
			count["eks:DescribePodIdentityAssociation"]++
		case *CLIGetRole:
			count["iam:GetRole"]++
		case *CLIDescribeInstances:
			for _, r := range x.Reservations {
				count["ec2:DescribeInstances"] += len(r.Instances)
			}
		case *CLIGetInstanceProfile:
			count["iam:GetInstanceProfile"]++
		}
	}
	for _, name := range []string{"eks:DescribeCluster", "eks:ListPodIdentityAssociations", "eks:DescribePodIdentityAssociation", "iam:GetRole", "ec2:DescribeInstances", "iam:GetInstanceProfile"} {
		in := v1alpha1.PodIdentityInput{Name: name, Source: "file", Status: "read", Count: count[name]}
		if count[name] == 0 {
			in.Status, in.Message = "missing", "no such document in the --aws-file inputs"
			switch name {
			case "eks:ListPodIdentityAssociations", "eks:DescribePodIdentityAssociation":
				if a.AssociationsRead {
					in.Status, in.Message = "read", ""
				}
			case "ec2:DescribeInstances":
				if a.InstancesRead {
					in.Status, in.Message = "read", ""
				}
			}
		}
		a.Inputs = append(a.Inputs, in)
	}
	for _, as := range a.Associations {
		if as.RoleARN == "" {
			a.Inputs[2].Status, a.Inputs[2].Message = "missing", "a listed association has no describe-pod-identity-association document: its role is unknown"
		}
	}
}

// WriteAWSDocs writes the documents as the AWS CLI prints them (indented JSON, one
// after another), in a stable order: cluster, associations, roles, instances,
// instance profiles.
func WriteAWSDocs(w io.Writer, docs []any) error {
	for _, d := range docs {
		b, err := json.MarshalIndent(d, "", "    ")
		if err != nil {
			return err
		}
		if _, err := w.Write(append(b, '\n')); err != nil {
			return err
		}
	}
	return nil
}

// DocFileName is the file name export --output-dir gives a document.
func DocFileName(doc any) string {
	last := func(arn string) string { return arn[strings.LastIndex(arn, "/")+1:] }
	switch d := doc.(type) {
	case *CLIDescribeCluster:
		return "cluster.json"
	case *CLIListAssociations:
		return "pod-identity-associations.json"
	case *CLIDescribeAssociation:
		return "pod-identity-association-" + d.Association.AssociationID + ".json"
	case *CLIGetRole:
		return "role-" + last(d.Role.Arn) + ".json"
	case *CLIDescribeInstances:
		return "instances.json"
	case *CLIGetInstanceProfile:
		return "instance-profile-" + last(d.InstanceProfile.Arn) + ".json"
	}
	return "unknown.json"
}

func isoTime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
