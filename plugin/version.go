package plugin

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
	"k8s.io/kubectl/pkg/util/templates"

	"github.com/kubectl-netpol/kubectl-netpol/plugin/output"
	"github.com/kubectl-netpol/kubectl-netpol/query"
)

// Set at release build time by goreleaser (see .goreleaser.yaml):
//
//	-ldflags "-X github.com/kubectl-netpol/kubectl-netpol/plugin.version=v1.2.3
//	          -X github.com/kubectl-netpol/kubectl-netpol/plugin.gitCommit=<sha>"
//
// Left alone, the version comes from the module version "go install" records
// (debug.ReadBuildInfo), else it stays "dev".
var (
	version   = "dev"
	gitCommit = ""
)

var (
	versionLong = templates.LongDesc(`
		Print the version of kubectl netpol, the git commit it was built from,
		the Go version that built it and the platform it was built for.

		Exit codes: 0 success, 2 error.`)

	versionExample = templates.Examples(`
		# The version, for people
		kubectl netpol version

		# The same as JSON, for scripts
		kubectl netpol version -o json`)
)

// VersionInfo is what "kubectl netpol version" reports; its JSON form is
// stable for scripts.
type VersionInfo struct {
	Version   string `json:"version"`
	GitCommit string `json:"gitCommit"`
	GoVersion string `json:"goVersion"`
	Platform  string `json:"platform"`
}

// versionDocument is the version as an answer document, with apiVersion
// and kind as every -o json document has.
type versionDocument struct {
	query.TypeMeta
	VersionInfo
}

// Version describes this build: the release version and commit stamped in by
// the release build, else what the Go toolchain recorded (the module version
// of "go install ...@v1.2.3", the VCS revision of a build from a checkout).
func Version() VersionInfo {
	v := VersionInfo{
		Version:   version,
		GitCommit: gitCommit,
		GoVersion: runtime.Version(),
		Platform:  runtime.GOOS + "/" + runtime.GOARCH,
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		v = fromBuildInfo(v, info)
	}
	return v
}

// fromBuildInfo fills what the linker flags left unset from the build info.
func fromBuildInfo(v VersionInfo, info *debug.BuildInfo) VersionInfo {
	if v.Version == "dev" && info.Main.Version != "" && info.Main.Version != "(devel)" {
		v.Version = info.Main.Version
	}
	if v.GitCommit == "" {
		var modified bool
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				v.GitCommit = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
		if v.GitCommit != "" && modified {
			v.GitCommit += "-dirty"
		}
	}
	return v
}

// versionFormats are the -o formats of "kubectl netpol version".
var versionFormats = formats{names: []string{"json", "yaml"}}

// VersionOptions are the inputs of "kubectl netpol version".
type VersionOptions struct {
	*globalOptions
	Output string

	printer *printer
}

// NewCmdVersion builds the "version" command.
func NewCmdVersion(g *globalOptions) *cobra.Command {
	o := &VersionOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:     "version",
		Short:   "Print the version of kubectl netpol",
		Long:    versionLong,
		Example: versionExample,
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			if err := o.Validate(); err != nil {
				return err
			}
			return o.Run()
		},
	}
	o.printer = versionFormats.addFlag(cmd, &o.Output)
	return cmd
}

// Validate checks the flags.
func (o *VersionOptions) Validate() error {
	return versionFormats.validate(o.Output)
}

// Run prints the version.
func (o *VersionOptions) Run() error {
	v := Version()
	doc := versionDocument{TypeMeta: query.Document(query.KindVersion), VersionInfo: v}
	if o.printer.active() {
		return o.printer.print(o.Out, doc)
	}
	if o.Output != "" {
		return output.Data(o.Out, o.Output, doc)
	}
	commit := v.GitCommit
	if commit == "" {
		commit = "unknown"
	}
	_, err := fmt.Fprintf(o.Out, "Version:    %s\nGit commit: %s\nGo version: %s\nPlatform:   %s\n",
		v.Version, commit, v.GoVersion, v.Platform)
	return err
}
