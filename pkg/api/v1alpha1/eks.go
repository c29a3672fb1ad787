package v1alpha1

// The EKS access configuration as read from the EKS API and written by
// 'access-entries export' (the engine that interprets it is pkg/eks).

// EKSCluster is what the IAM view needs of the cluster.
type EKSCluster struct {
	Name               string `json:"name"`
	Region             string `json:"region,omitempty"`
	AuthenticationMode string `json:"authenticationMode"`
	// BootstrapClusterCreatorAdminPermissions is DescribeCluster's
	// accessConfig.bootstrapClusterCreatorAdminPermissions: whether the principal that
	// created the cluster was made a cluster admin. nil when not reported.
	BootstrapClusterCreatorAdminPermissions *bool `json:"bootstrapClusterCreatorAdminPermissions,omitempty"`
}

// AccessEntry is one access entry with its associated access policies.
type AccessEntry struct {
	PrincipalARN     string   `json:"principalArn"`
	Type             string   `json:"type"`
	Username         string   `json:"username,omitempty"`
	KubernetesGroups []string `json:"kubernetesGroups"`
	// AccessPolicies associated with the entry. Not only STANDARD entries have them:
	// an EC2 (Auto Mode) node entry carries AmazonEKSAutoNodePolicy (user guide,
	// "Create node class access entry").
	AccessPolicies []AssociatedPolicy `json:"accessPolicies"`
}

// AssociatedPolicy is an access policy associated with an entry, with its scope.
type AssociatedPolicy struct {
	PolicyARN string      `json:"policyArn"`
	Scope     AccessScope `json:"accessScope"`
}

// AccessScope of an association: the whole cluster, or namespaces (which may end in a
// wildcard, such as dev-*).
type AccessScope struct {
	Type       string   `json:"type"`
	Namespaces []string `json:"namespaces"`
}

// AccessConfig is the cluster's access configuration as read (or exported).
type AccessConfig struct {
	Cluster EKSCluster    `json:"cluster"`
	Entries []AccessEntry `json:"accessEntries"`
	// Managed are the roles whose access EKS manages itself; nil when not read.
	Managed *ManagedRoles `json:"managedRoles,omitempty"`
}

// ManagedRoles are the IAM roles EKS grants node access to by itself: the node roles
// of managed node groups (DescribeNodegroup nodeRole) and the pod execution roles of
// Fargate profiles (DescribeFargateProfile podExecutionRoleArn). EKS adds their
// aws-auth mappings or access entries itself, and moves them to access entries when
// the authentication mode changes: user guide, "Create access entries" ("It's
// unnecessary to create an access entry for an IAM role that's used for a managed
// node group or a Fargate profile. EKS will create access entries (if enabled), or
// update the auth config map") and "Grant IAM users and roles access to Kubernetes
// APIs" ("You can't migrate entries that Amazon EKS added to the ConfigMap").
type ManagedRoles struct {
	NodeGroups      []NamedRole `json:"nodeGroups"`
	FargateProfiles []NamedRole `json:"fargateProfiles"`
}

// NamedRole is a managed node group or Fargate profile and its role.
type NamedRole struct {
	Name    string `json:"name"`
	RoleARN string `json:"roleArn"`
}

// AccessEntriesFile is the file 'access-entries export' writes and
// --access-entries-file reads.
type AccessEntriesFile struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	AccessConfig
}
