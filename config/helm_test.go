package config

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"go.yaml.in/yaml/v3"
)

// helmBinary finds helm on PATH or where a developer cached it; building it
// here would take minutes, so without one the test skips.
func helmBinary(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("helm"); err == nil {
		return p
	}
	if cache, err := os.UserCacheDir(); err == nil {
		if p := filepath.Join(cache, "audionode-tools", "helm"); isExec(p) {
			return p
		}
	}
	t.Skip("helm not installed (go install helm.sh/helm/v3/cmd/helm@v3.22.0 with GOBIN=~/.cache/audionode-tools to run this)")
	return ""
}

// TestHelmChartRenders lints the chart and renders it with default and
// non-default values: the CRD and the manager's rules must be the ones
// kustomize installs.
func TestHelmChartRenders(t *testing.T) {
	helm := helmBinary(t)
	root := repoRoot(t)
	run(t, root, helm, "lint", "--strict", "dist/chart")

	docs := func(out []byte) map[string]map[string]any {
		m := map[string]map[string]any{}
		dec := yaml.NewDecoder(bytes.NewReader(out))
		for {
			var d map[string]any
			if err := dec.Decode(&d); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatal(err)
			}
			if d == nil {
				continue
			}
			md, _ := d["metadata"].(map[string]any)
			m[d["kind"].(string)+"/"+md["name"].(string)] = d
		}
		return m
	}
	def := docs(run(t, root, helm, "template", "rel", "dist/chart", "-n", "ops"))
	crd, ok := def["CustomResourceDefinition/audionodes.audio.audionode.dev"]
	if !ok {
		t.Fatalf("no CRD in %v", keys(def))
	}
	var base map[string]any
	raw, err := os.ReadFile(filepath.Join(root, "config/crd/bases/audio.audionode.dev_audionodes.yaml"))
	if err != nil || yaml.Unmarshal(raw, &base) != nil {
		t.Fatalf("read CRD: %v", err)
	}
	if ann := crd["metadata"].(map[string]any)["annotations"].(map[string]any); ann["helm.sh/resource-policy"] != "keep" {
		t.Errorf("CRD annotations %v, want resource-policy keep", ann)
	}
	if !yamlEqual(t, crd["spec"], base["spec"]) {
		t.Error("the chart's CRD spec differs from config/crd/bases")
	}
	var role map[string]any
	raw, err = os.ReadFile(filepath.Join(root, "config/rbac/role.yaml"))
	if err != nil || yaml.Unmarshal(raw, &role) != nil {
		t.Fatalf("read role: %v", err)
	}
	if got := def["ClusterRole/rel-audionode-manager-role"]; got == nil || !yamlEqual(t, got["rules"], role["rules"]) {
		t.Errorf("the chart's manager role differs from config/rbac/role.yaml")
	}
	for _, k := range []string{"Deployment/rel-audionode-controller-manager", "ServiceAccount/rel-audionode-controller-manager",
		"Service/rel-audionode-controller-manager-metrics-service", "ClusterRole/rel-audionode-viewer-role"} {
		if def[k] == nil {
			t.Errorf("default render lacks %s", k)
		}
	}

	alt := docs(run(t, root, helm, "template", "rel", "dist/chart", "-n", "ops",
		"--set", "crds.enabled=false,metrics.enabled=false,manager.leaderElect=false,prometheus.nodePodMonitor.enabled=true,rbac.aggregateToDefaultRoles=false"))
	for k := range alt {
		switch k {
		case "CustomResourceDefinition/audionodes.audio.audionode.dev", "Service/rel-audionode-controller-manager-metrics-service",
			"Role/rel-audionode-leader-election-role", "ClusterRole/rel-audionode-viewer-role":
			t.Errorf("%s rendered although disabled", k)
		}
	}
	if alt["PodMonitor/rel-audionode-node-podmonitor"] == nil {
		t.Error("node PodMonitor not rendered")
	}
	cmd := exec.Command(helm, "template", "rel", "dist/chart", "--set", "nope=1")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err == nil {
		t.Errorf("values.schema.json accepted an unknown value:\n%s", out)
	}
}

func keys(m map[string]map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func yamlEqual(t *testing.T, a, b any) bool {
	t.Helper()
	x, err1 := yaml.Marshal(a)
	y, err2 := yaml.Marshal(b)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	return bytes.Equal(x, y)
}
