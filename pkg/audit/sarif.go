package audit

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/kubectl-eksiam/kubectl-eksiam/pkg/api/v1alpha1"
)

// SARIF 2.1.0 (OASIS Standard, errata 01): the subset the audit writes, which is also
// what GitHub code scanning reads (rules with help and a help URI, results with a
// rule id, a level, a message, a location with a region, and fingerprints).
const (
	SARIFVersion = "2.1.0"
	SARIFSchema  = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
	// FingerprintKey names the fingerprint each result carries: stable across runs for
	// the same finding (context, id, object, message), so that code scanning matches
	// alerts from one run to the next.
	FingerprintKey = "eksiamFinding/v1"
	toolName       = "kubectl-eksiam"
	toolURI        = "https://github.com/kubectl-eksiam/kubectl-eksiam"
)

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool              sarifTool         `json:"tool"`
	AutomationDetails sarifAutomation   `json:"automationDetails"`
	Invocations       []sarifInvocation `json:"invocations"`
	Results           []sarifResult     `json:"results"`
	Properties        map[string]any    `json:"properties,omitempty"`
}

type sarifAutomation struct {
	ID string `json:"id"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	InformationURI string      `json:"informationUri"`
	Version        string      `json:"version,omitempty"`
	Rules          []sarifRule `json:"rules"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifHelp struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown"`
}

type sarifRule struct {
	ID                   string         `json:"id"`
	Name                 string         `json:"name"`
	ShortDescription     sarifText      `json:"shortDescription"`
	FullDescription      sarifText      `json:"fullDescription"`
	Help                 sarifHelp      `json:"help"`
	HelpURI              string         `json:"helpUri"`
	DefaultConfiguration sarifConfig    `json:"defaultConfiguration"`
	Properties           map[string]any `json:"properties"`
}

type sarifConfig struct {
	Level string `json:"level"`
}

type sarifInvocation struct {
	ExecutionSuccessful        bool                `json:"executionSuccessful"`
	ToolExecutionNotifications []sarifNotification `json:"toolExecutionNotifications"`
}

type sarifNotification struct {
	Level      string         `json:"level"`
	Message    sarifText      `json:"message"`
	Properties map[string]any `json:"properties,omitempty"`
}

type sarifResult struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Level               string            `json:"level"`
	Message             sarifText         `json:"message"`
	Locations           []sarifLocation   `json:"locations"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	Properties          sarifResultProps  `json:"properties"`
}

// sarifResultProps are a result's properties: the finding's own fields.
type sarifResultProps struct {
	Context           string `json:"context"`
	Check             string `json:"check"`
	Severity          string `json:"severity"`
	Area              string `json:"area"`
	Recommendation    string `json:"recommendation"`
	RecommendationURL string `json:"recommendationUrl"`
	Fix               string `json:"fix"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical  `json:"physicalLocation"`
	LogicalLocations []sarifLogical `json:"logicalLocations"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           sarifRegion   `json:"region"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine int `json:"startLine"`
}

type sarifLogical struct {
	Name               string `json:"name"`
	FullyQualifiedName string `json:"fullyQualifiedName"`
	Kind               string `json:"kind"`
}

// Level is the SARIF level of a severity: high is an error, medium a warning, low a
// note.
func Level(s v1alpha1.Severity) string {
	switch s {
	case v1alpha1.SeverityHigh:
		return "error"
	case v1alpha1.SeverityMedium:
		return "warning"
	}
	return "note"
}

// securitySeverity is the score GitHub code scanning sorts security alerts by
// (properties["security-severity"]: over 7 high, 4 to 7 medium, under 4 low).
func securitySeverity(s v1alpha1.Severity) string {
	switch s {
	case v1alpha1.SeverityHigh:
		return "8.0"
	case v1alpha1.SeverityMedium:
		return "5.5"
	}
	return "3.0"
}

// ObjectURI is where a result points: a relative URI that names the object,
// eksiam/CONTEXT/[NAMESPACE/]KIND/NAME (the ARN for an IAM principal), each segment
// escaped (':' too, so that no segment reads as a scheme).
func ObjectURI(context string, o v1alpha1.AuditObject) string {
	seg := func(s string) string { return strings.ReplaceAll(url.PathEscape(s), ":", "%3A") }
	parts := []string{"eksiam", seg(cmp.Or(context, "_"))}
	if o.Namespace != "" {
		parts = append(parts, seg(o.Namespace))
	}
	name := o.Name
	if strings.HasPrefix(o.Kind, "IAM") && o.ARN != "" {
		name = o.ARN
	}
	return strings.Join(append(parts, seg(o.Kind), seg(cmp.Or(name, "_"))), "/")
}

// objectName is a finding's object as one line: CONTEXT/NAMESPACE/KIND/NAME.
func objectName(context string, o v1alpha1.AuditObject) string {
	parts := []string{cmp.Or(context, "_")}
	if o.Namespace != "" {
		parts = append(parts, o.Namespace)
	}
	name := o.Name
	if strings.HasPrefix(o.Kind, "IAM") && o.ARN != "" {
		name = o.ARN
	}
	return strings.Join(append(parts, o.Kind, name), "/")
}

// Fingerprint is a finding's stable key.
func Fingerprint(f v1alpha1.AuditFinding) string {
	h := sha256.Sum256([]byte(strings.Join([]string{f.Context, f.ID, f.Object.Kind, f.Object.Namespace, f.Object.Name, f.Object.ARN, f.Message}, "\x00")))
	return hex.EncodeToString(h[:16])
}

// SARIF renders the report as a SARIF 2.1.0 log: one run, the whole catalogue as
// rules, one result per finding, and a notification per check that did not run (or
// ran on part of its input) and per cluster that could not be audited.
func SARIF(r *v1alpha1.AuditReport, toolVersion string) ([]byte, error) {
	rules := Rules()
	index := map[string]int{}
	driver := sarifDriver{Name: toolName, InformationURI: toolURI, Version: toolVersion, Rules: make([]sarifRule, 0, len(rules))}
	for i, ru := range rules {
		index[ru.ID] = i
		c, _ := CheckByID(ru.Check)
		link := RecommendationURL(ru.Recommendation)
		full := fmt.Sprintf("%s. Check %s (%s), area %s. Recommendation: %s.", ru.Title, c.ID, c.Title, c.Area, ru.Recommendation)
		driver.Rules = append(driver.Rules, sarifRule{
			ID: ru.ID, Name: ruleName(ru), ShortDescription: sarifText{Text: ru.Title}, FullDescription: sarifText{Text: full},
			Help: sarifHelp{
				Text:     fmt.Sprintf("%s\n\nRecommendation: %s (%s)\n\nFix: %s", full, ru.Recommendation, link, c.Fix),
				Markdown: fmt.Sprintf("**%s**\n\nRecommendation: [%s](%s)\n\nFix: %s\n\nSee docs/audit.md, check %s.", ru.Title, ru.Recommendation, link, c.Fix, c.ID),
			},
			HelpURI:              link,
			DefaultConfiguration: sarifConfig{Level: Level(c.Severity)},
			Properties:           map[string]any{"tags": []string{"security", "eks-identity", c.Area}, "precision": "high", "security-severity": securitySeverity(c.Severity)},
		})
	}
	run := sarifRun{Tool: sarifTool{Driver: driver}, AutomationDetails: sarifAutomation{ID: "kubectl-eksiam/audit/"},
		Results: make([]sarifResult, 0, len(r.Findings)), Properties: map[string]any{"complete": r.Complete, "failOn": r.FailOn}}
	inv := sarifInvocation{ExecutionSuccessful: r.Complete, ToolExecutionNotifications: []sarifNotification{}}
	for _, c := range r.Clusters {
		if c.Status != v1alpha1.AuditStatusAudited {
			inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, sarifNotification{Level: "error",
				Message: sarifText{Text: fmt.Sprintf("context %s was not audited: %s", c.Context, c.Error)}, Properties: map[string]any{"context": c.Context}})
		}
	}
	for _, c := range r.Checks {
		if c.Status == v1alpha1.CheckNotRun || c.Status == v1alpha1.CheckPartial {
			inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, sarifNotification{Level: "warning",
				Message:    sarifText{Text: fmt.Sprintf("context %s: check %s (%s) %s: %s", cmp.Or(c.Context, "_"), c.ID, c.Title, c.Status, c.Reason)},
				Properties: map[string]any{"context": c.Context, "check": c.ID, "status": c.Status}})
		}
	}
	run.Invocations = []sarifInvocation{inv}
	for _, f := range r.Findings {
		i, ok := index[f.ID]
		if !ok {
			return nil, fmt.Errorf("finding %s has no rule", f.ID)
		}
		name := objectName(f.Context, f.Object)
		run.Results = append(run.Results, sarifResult{
			RuleID: f.ID, RuleIndex: i, Level: Level(f.Severity),
			Message: sarifText{Text: fmt.Sprintf("%s: %s. Fix: %s", name, f.Message, f.Fix)},
			Locations: []sarifLocation{{
				PhysicalLocation: sarifPhysical{ArtifactLocation: sarifArtifact{URI: ObjectURI(f.Context, f.Object)}, Region: sarifRegion{StartLine: 1}},
				LogicalLocations: []sarifLogical{{Name: cmp.Or(f.Object.Name, f.Object.ARN), FullyQualifiedName: name, Kind: "resource"}},
			}},
			PartialFingerprints: map[string]string{FingerprintKey: Fingerprint(f)},
			Properties: sarifResultProps{Context: f.Context, Check: f.Check, Severity: string(f.Severity), Area: f.Area,
				Recommendation: f.Recommendation, RecommendationURL: f.RecommendationURL, Fix: f.Fix},
		})
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(sarifLog{Schema: SARIFSchema, Version: SARIFVersion, Runs: []sarifRun{run}}); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// ruleName is a rule's name as SARIF wants it: one identifier, from its title.
func ruleName(ru RuleInfo) string {
	var b strings.Builder
	up := true
	for _, r := range ru.Title {
		switch {
		case r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9':
			if up && r >= 'a' && r <= 'z' {
				r -= 'a' - 'A'
			}
			b.WriteRune(r)
			up = false
		default:
			up = true
		}
	}
	return b.String()
}
