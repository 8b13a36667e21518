package query

// Every answer document (-o json, -o yaml) names what it is as Kubernetes
// objects do, with apiVersion and kind, so that kubectl's printers
// (-o jsonpath, -o go-template, -o name) and tools that read Kubernetes
// documents take it as is. SchemaVersion stays beside them: scripts
// written against it keep working.

// APIVersion is the apiVersion of every answer document: the schema
// version, in the form Kubernetes writes an API group's version.
const APIVersion = SchemaVersion

// The kinds of the answer documents, one per command.
const (
	KindCanAnswer    = "CanAnswer"
	KindExplanation  = "Explanation"
	KindDiffResult   = "DiffResult"
	KindGraph        = "Graph"
	KindTestReport   = "TestReport"
	KindAuditResult  = "AuditResult"
	KindReplayResult = "ReplayResult"
	KindGenerated    = "GeneratedPolicies"
	KindVersion      = "Version"
)

// TypeMeta is what an answer document is: apiVersion and kind, the first
// fields of its JSON. Embedded in each document, it is written inline.
type TypeMeta struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
}

// Document is the TypeMeta of an answer document of the kind.
func Document(kind string) TypeMeta { return TypeMeta{APIVersion: APIVersion, Kind: kind} }
