package fakeeks

import (
	"fmt"
	"hash/fnv"
	"slices"
)

// Endpoint is who can reach a cluster's API server endpoint, as DescribeCluster
// reports it in cluster.resourcesVpcConfig.
type Endpoint struct {
	Public, Private bool
	// PublicAccessCIDRs as EKS reports them: 0.0.0.0/0 when none were set, and an
	// empty list for a private-only endpoint.
	PublicAccessCIDRs []string
}

// DefaultEndpoint is what EKS creates when nothing is asked: a public endpoint open to
// every address, no private endpoint.
func DefaultEndpoint() Endpoint {
	return Endpoint{Public: true, PublicAccessCIDRs: []string{"0.0.0.0/0"}}
}

// SetEndpoint sets the cluster's endpoint access (the cluster is added, with no
// access entries, when the server does not hold it).
func (s *Server) SetEndpoint(cluster string, e Endpoint) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addCluster(cluster)
	e.PublicAccessCIDRs = slices.Clone(e.PublicAccessCIDRs)
	s.endpoints[cluster] = e
}

// vpcConfig is resourcesVpcConfig in the shape of the EKS API (VpcConfigResponse):
// every field EKS returns, the subnet, security group and VPC ids derived from the
// cluster name so that they are stable.
func (e Endpoint) vpcConfig(cluster string) map[string]any {
	h := fnv.New32a()
	_, _ = h.Write([]byte(cluster))
	id := h.Sum32()
	cidrs := slices.Clone(e.PublicAccessCIDRs)
	if cidrs == nil {
		cidrs = []string{}
	}
	return map[string]any{
		"subnetIds":              []string{fmt.Sprintf("subnet-0a%015x", id), fmt.Sprintf("subnet-0b%015x", id)},
		"securityGroupIds":       []string{fmt.Sprintf("sg-0c%015x", id)},
		"clusterSecurityGroupId": fmt.Sprintf("sg-0d%015x", id),
		"vpcId":                  fmt.Sprintf("vpc-0e%015x", id),
		"endpointPublicAccess":   e.Public,
		"endpointPrivateAccess":  e.Private,
		"publicAccessCidrs":      cidrs,
	}
}
