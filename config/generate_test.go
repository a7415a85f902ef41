package config

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// Pinned like the Makefile's CONTROLLER_GEN_VERSION and KUSTOMIZE_VERSION.
const (
	controllerGenVersion = "v0.23.0"
	kustomizeVersion     = "v5.8.2"
)

// repoRoot is the module root, one level up from this package.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// tool finds a pinned tool: the Makefile's bin/, then a per-user cache, else
// builds it once into that cache with `go install` (about 40 s cold).
func tool(t *testing.T, name, pkg, version string) string {
	t.Helper()
	file := name + "-" + version
	if p := filepath.Join(repoRoot(t), "bin", file); isExec(p) {
		return p
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		t.Skipf("no cache dir for %s: %v", name, err)
	}
	dir := filepath.Join(cache, "audionode-tools")
	p := filepath.Join(dir, file)
	if isExec(p) {
		return p
	}
	gobin := t.TempDir()
	cmd := exec.Command("go", "install", pkg+"@"+version)
	cmd.Env = append(os.Environ(), "GOBIN="+gobin, "GOFLAGS=-buildvcs=false")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go install %s@%s: %v\n%s", pkg, version, err, out)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	built := filepath.Join(gobin, name)
	if runtime.GOOS == "windows" {
		built += ".exe"
	}
	if err := os.Rename(built, p); err != nil {
		t.Fatal(err)
	}
	return p
}

func isExec(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0
}

func run(t *testing.T, dir, name string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(name), strings.Join(args, " "), err, stderr.Bytes())
	}
	return out
}

// sameFile fails when the committed file differs from the regenerated one.
func sameFile(t *testing.T, committed, regenerated, fix string) {
	t.Helper()
	want, err := os.ReadFile(regenerated)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(committed)
	if err != nil {
		t.Fatalf("%v (run %s)", err, fix)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is out of date: run %s and commit the result", committed, fix)
	}
}

// TestGeneratedCodeAndCRDs runs the Makefile's controller-gen invocation into a
// temporary directory and compares with the committed deepcopy code, CRDs and role.
func TestGeneratedCodeAndCRDs(t *testing.T) {
	root := repoRoot(t)
	cg := tool(t, "controller-gen", "sigs.k8s.io/controller-tools/cmd/controller-gen", controllerGenVersion)
	tmp := t.TempDir()
	run(t, root, cg,
		"object:headerFile=hack/boilerplate.go.txt", "paths=./api/...", "output:object:dir="+filepath.Join(tmp, "object"),
		"rbac:roleName=manager-role", "crd", "paths=./controllers/...",
		"output:crd:dir="+filepath.Join(tmp, "crd"), "output:rbac:dir="+filepath.Join(tmp, "rbac"))

	sameFile(t, filepath.Join(root, "api/v1alpha1/zz_generated.deepcopy.go"), filepath.Join(tmp, "object/zz_generated.deepcopy.go"), "make generate")
	sameFile(t, filepath.Join(root, "config/rbac/role.yaml"), filepath.Join(tmp, "rbac/role.yaml"), "make manifests")
	gen, err := filepath.Glob(filepath.Join(tmp, "crd", "*.yaml"))
	if err != nil || len(gen) == 0 {
		t.Fatalf("controller-gen wrote no CRD (%v)", err)
	}
	committed, _ := filepath.Glob(filepath.Join(root, "config/crd/bases", "*.yaml"))
	if len(committed) != len(gen) {
		t.Errorf("config/crd/bases has %d CRDs, controller-gen makes %d: run make manifests", len(committed), len(gen))
	}
	for _, g := range gen {
		sameFile(t, filepath.Join(root, "config/crd/bases", filepath.Base(g)), g, "make manifests")
	}
}

// TestHelmChartInSync runs the Makefile's helm-chart target into a temporary
// chart directory and compares with dist/chart's generated templates.
func TestHelmChartInSync(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make not installed")
	}
	root := repoRoot(t)
	tmp := t.TempDir()
	for _, d := range []string{"templates/crd", "templates/rbac"} {
		if err := os.MkdirAll(filepath.Join(tmp, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	run(t, root, "make", "--no-print-directory", "-s", "helm-chart", "CHART="+tmp)
	for _, f := range []string{"templates/crd/audionodes.audio.audionode.dev.yaml", "templates/rbac/manager-role.yaml"} {
		sameFile(t, filepath.Join(root, "dist/chart", f), filepath.Join(tmp, f), "make helm-chart")
	}
}

// TestInstallerInSync renders config/default with the pinned kustomize and
// compares with dist/install.yaml.
func TestInstallerInSync(t *testing.T) {
	root := repoRoot(t)
	kz := tool(t, "kustomize", "sigs.k8s.io/kustomize/kustomize/v5", kustomizeVersion)
	out := run(t, root, kz, "build", "config/default")
	tmp := filepath.Join(t.TempDir(), "install.yaml")
	if err := os.WriteFile(tmp, out, 0o644); err != nil {
		t.Fatal(err)
	}
	sameFile(t, filepath.Join(root, "dist/install.yaml"), tmp, "make build-installer")
	for _, dir := range []string{"config/samples", "config/prometheus", "config/crd", "config/rbac"} {
		run(t, root, kz, "build", dir)
	}
}

// TestCRDShape checks what kubectl, HPA and KEDA rely on in the generated CRD:
// the printer columns and the /scale subresource with a string selector.
func TestCRDShape(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(repoRoot(t), "config/crd/bases/audio.audionode.dev_audionodes.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var crd struct {
		Spec struct {
			Names struct {
				ShortNames []string `yaml:"shortNames"`
			} `yaml:"names"`
			Scope    string `yaml:"scope"`
			Versions []struct {
				Name    string `yaml:"name"`
				Columns []struct {
					Name     string `yaml:"name"`
					JSONPath string `yaml:"jsonPath"`
				} `yaml:"additionalPrinterColumns"`
				Subresources struct {
					Status map[string]any `yaml:"status"`
					Scale  struct {
						Spec     string `yaml:"specReplicasPath"`
						Status   string `yaml:"statusReplicasPath"`
						Selector string `yaml:"labelSelectorPath"`
					} `yaml:"scale"`
				} `yaml:"subresources"`
			} `yaml:"versions"`
		} `yaml:"spec"`
	}
	if err := yaml.Unmarshal(raw, &crd); err != nil {
		t.Fatal(err)
	}
	if crd.Spec.Scope != "Namespaced" || len(crd.Spec.Names.ShortNames) != 1 || crd.Spec.Names.ShortNames[0] != "an" {
		t.Errorf("scope %s short names %v", crd.Spec.Scope, crd.Spec.Names.ShortNames)
	}
	if len(crd.Spec.Versions) != 1 {
		t.Fatalf("%d versions", len(crd.Spec.Versions))
	}
	v := crd.Spec.Versions[0]
	var cols []string
	for _, c := range v.Columns {
		cols = append(cols, c.Name+"="+c.JSONPath)
	}
	want := []string{"Ready=.status.readyReplicas", "Desired=.status.desiredReplicas", "Players=.status.players",
		"Playing=.status.playingPlayers", "Status=.status.conditions[?(@.type=='Ready')].reason", "Age=.metadata.creationTimestamp"}
	if strings.Join(cols, " ") != strings.Join(want, " ") {
		t.Errorf("printer columns %v, want %v", cols, want)
	}
	sc := v.Subresources.Scale
	if v.Subresources.Status == nil || sc.Spec != ".spec.replicas" || sc.Status != ".status.replicas" || sc.Selector != ".status.selector" {
		t.Errorf("subresources %+v", v.Subresources)
	}
}
